import * as ort from 'onnxruntime-node';
import { TandemError } from '../../util/errors.js';
import { quote } from '../../util/text.js';
import type { DataType } from '../../ir/dtype.js';
import { Tensor, type TensorDataMap } from '../../ir/tensor.js';

/** Element types onnxruntime-node can pass in and out. */
const ORT_TYPES = new Set<DataType>(['float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16', 'float64', 'uint32', 'uint64']);

const utf8 = new TextDecoder();

/** An IR tensor as an onnxruntime tensor (sharing memory where the types agree). */
export function toOrtTensor(t: Tensor, name: string): ort.Tensor {
  if (!ORT_TYPES.has(t.dtype)) {
    throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} has type ${t.dtype}, which onnxruntime-node cannot pass (its binding has no ${t.dtype} tensors); convert it to a supported type (${[...ORT_TYPES].join(', ')})`);
  }
  const dims = [...t.dims];
  if (t.dtype === 'string') return new ort.Tensor('string', (t.data as Uint8Array[]).map((s) => utf8.decode(s)), dims);
  return new ort.Tensor(t.dtype as Exclude<ort.Tensor.Type, 'string'>, t.data as never, dims);
}

/** An onnxruntime host tensor as an IR tensor. */
export function fromOrtTensor(v: ort.Tensor, name: string): Tensor {
  const dtype = v.type as DataType;
  if (!ORT_TYPES.has(dtype)) throw new TandemError('ENGINE_RUN', `output ${quote(name)} has type ${v.type}, which tandem cannot read`);
  if (dtype === 'string') return new Tensor('string', v.dims, (v.data as string[]).map((s) => Buffer.from(s, 'utf8')), { name });
  let data = v.data as unknown;
  return new Tensor(dtype, v.dims, data as TensorDataMap[typeof dtype], { name });
}
