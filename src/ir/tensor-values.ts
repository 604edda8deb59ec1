import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import {
  bfloat16Bits,
  bfloat16Value,
  float16Bits,
  float16Value,
  float8e8m0Value,
  miniFloatBits,
  miniFloatValue,
} from '../util/float16.js';
import { DATA_TYPES, type DataType } from './dtype.js';
import { Tensor, type TensorData, type TensorDataMap } from './tensor.js';

/** Element values of a real-valued tensor as JS numbers (int64 beyond 2^53 loses precision). */
export function tensorValues(t: Tensor): number[] {
  const n = t.size;
  const out = new Array<number>(n);
  const data = t.data;
  switch (t.dtype) {
    case 'string':
    case 'complex64':
    case 'complex128':
      throw new TandemError('TENSOR_DATA', `tensor ${quote(t.name)} of type ${t.dtype} has no real number values`);
    case 'float16':
      for (let i = 0; i < n; i++) out[i] = float16Value((data as Uint16Array)[i]!);
      return out;
    case 'bfloat16':
      for (let i = 0; i < n; i++) out[i] = bfloat16Value((data as Uint16Array)[i]!);
      return out;
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
      for (let i = 0; i < n; i++) out[i] = miniFloatValue(t.dtype, (data as Uint8Array)[i]!);
      return out;
    case 'float8e8m0':
      for (let i = 0; i < n; i++) out[i] = float8e8m0Value((data as Uint8Array)[i]!);
      return out;
    case 'int4':
    case 'uint4':
    case 'float4e2m1':
    case 'int2':
    case 'uint2': {
      const bits = DATA_TYPES[t.dtype].bits;
      const perByte = 8 / bits;
      const mask = (1 << bits) - 1;
      for (let i = 0; i < n; i++) {
        const v = ((data as Uint8Array)[Math.floor(i / perByte)]! >>> ((i % perByte) * bits)) & mask;
        if (t.dtype === 'float4e2m1') out[i] = miniFloatValue('float4e2m1', v);
        else if (t.dtype === 'int4' || t.dtype === 'int2') out[i] = v >= 1 << (bits - 1) ? v - (1 << bits) : v;
        else out[i] = v;
      }
      return out;
    }
    case 'int64':
    case 'uint64':
      for (let i = 0; i < n; i++) out[i] = Number((data as BigInt64Array)[i]!);
      return out;
    default:
      for (let i = 0; i < n; i++) out[i] = (data as Float32Array)[i]!;
      return out;
  }
}

/** Builds a tensor of `dtype` from JS numbers, converting to the type's storage (bits, packing, bigint). */
export function tensorFromValues<D extends DataType>(
  dtype: D,
  dims: readonly number[],
  values: ArrayLike<number>,
  name = '',
): Tensor<D> {
  const info = DATA_TYPES[dtype];
  const n = values.length;
  let data: TensorData;
  switch (dtype) {
    case 'string':
    case 'complex64':
    case 'complex128':
      throw new TandemError('TENSOR_DATA', `cannot build a ${dtype} tensor from real numbers`);
    case 'float16':
      data = Uint16Array.from({ length: n }, (_, i) => float16Bits(values[i]!));
      break;
    case 'bfloat16':
      data = Uint16Array.from({ length: n }, (_, i) => bfloat16Bits(values[i]!));
      break;
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz':
      data = Uint8Array.from({ length: n }, (_, i) => miniFloatBits(dtype, values[i]!));
      break;
    case 'float8e8m0':
      data = Uint8Array.from({ length: n }, (_, i) => {
        const v = values[i]!;
        return Number.isNaN(v) || v <= 0 ? 0xff : Math.max(0, Math.min(254, Math.round(Math.log2(v)) + 127));
      });
      break;
    case 'int4':
    case 'uint4':
    case 'float4e2m1':
    case 'int2':
    case 'uint2': {
      const bits = info.bits;
      const perByte = 8 / bits;
      const mask = (1 << bits) - 1;
      const packed = new Uint8Array(Math.ceil(n / perByte));
      for (let i = 0; i < n; i++) {
        const v = dtype === 'float4e2m1' ? miniFloatBits('float4e2m1', values[i]!) : values[i]! & mask;
        packed[Math.floor(i / perByte)]! |= v << ((i % perByte) * bits);
      }
      data = packed;
      break;
    }
    case 'int64':
      data = BigInt64Array.from({ length: n }, (_, i) => toInt64(values[i]!));
      break;
    case 'uint64':
      data = BigUint64Array.from({ length: n }, (_, i) => (values[i]! >= 2 ** 64 ? 2n ** 64n - 1n : Number.isNaN(values[i]) ? 0n : BigInt(Math.max(0, Math.trunc(values[i]!)))));
      break;
    default: {
      const Ctor = info.array as Float32ArrayConstructor;
      data = Ctor.from(values as ArrayLike<number>);
    }
  }
  return new Tensor(dtype, dims, data as TensorDataMap[D], { name });
}

/**
 * A JS number as int64, saturating: 9223372036854775807 (INT64_MAX, common in Slice ends) is not
 * representable as a double and reads as 2^63, which must not wrap to INT64_MIN.
 */
function toInt64(v: number): bigint {
  if (Number.isNaN(v)) throw new TandemError('TENSOR_DATA', 'NaN cannot be stored in an int64 tensor');
  if (v >= 2 ** 63) return 2n ** 63n - 1n;
  if (v <= -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(v));
}

/** A rank-0 tensor. */
export function scalarTensor<D extends DataType>(dtype: D, value: number, name = ''): Tensor<D> {
  return tensorFromValues(dtype, [], [value], name);
}
