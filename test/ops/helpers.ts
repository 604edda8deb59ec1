import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { DataType } from '../../src/ir/dtype.js';
import type { Model } from '../../src/ir/model.js';
import type { AttributeInput } from '../../src/ir/attribute.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { Shape, TensorType } from '../../src/ir/types.js';
import { inferShapes } from '../../src/ops/index.js';

/** A graph input of a declared type. */
export interface InputArg {
  kind: 'input';
  dtype: DataType | undefined;
  /** Undefined: rank unknown. */
  shape: Shape | undefined;
}

/** A constant (initializer). */
export interface ConstArg {
  kind: 'const';
  tensor: Tensor;
}

export type Arg = InputArg | ConstArg | undefined;

export const T = (dtype: DataType | undefined, shape: Shape | undefined): InputArg => ({ kind: 'input', dtype, shape });
/** A float input whose rank is unknown. */
export const U = (): InputArg => T('float32', undefined);
export const F = (...shape: Shape): InputArg => T('float32', shape);
export const C = (dtype: DataType, dims: readonly number[], values: readonly number[]): ConstArg => ({ kind: 'const', tensor: tensorFromValues(dtype, dims, values) });
export const I64 = (...values: number[]): ConstArg => C('int64', [values.length], values);
export const F32 = (...values: number[]): ConstArg => C('float32', [values.length], values);

export interface OneNode {
  model: Model;
  outputs: string[];
  types: (TensorType | undefined)[];
}

/** One node over the given inputs, inferred. */
export function inferOne(
  op: string,
  args: readonly Arg[],
  attrs: Record<string, AttributeInput | undefined> = {},
  options: { opset?: number; outputs?: number; domain?: string } = {},
): OneNode {
  const b = new GraphBuilder('g', { opset: options.opset ?? 17 });
  const names = args.map((a, i) => {
    if (a === undefined) return undefined;
    if (a.kind === 'input') {
      b.graph.addInput(`in${i}`, { kind: 'tensor', dtype: a.dtype, shape: a.shape });
      return `in${i}`;
    }
    return b.initializer(`c${i}`, a.tensor);
  });
  const node = b.node(op, names, attrs, { name: 'n', outputs: options.outputs ?? 1, ...(options.domain !== undefined ? { domain: options.domain } : {}) });
  for (const o of node.outputs) b.output(o);
  const model = buildModel(b);
  inferShapes(model);
  return { model, outputs: [...node.outputs], types: node.outputs.map((o) => model.graph.tensorType(o)) };
}

/** The inferred shape of output `i` of one node. */
export function shapeOf(op: string, args: readonly Arg[], attrs: Record<string, AttributeInput | undefined> = {}, options: { opset?: number; outputs?: number } = {}, i = 0): Shape | undefined {
  return inferOne(op, args, attrs, options).types[i]?.shape;
}

/** A zero-filled float32 initializer (weights whose values do not matter). */
export const W = (...dims: number[]): ConstArg => C('float32', dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0));

export interface ShapeCase {
  name: string;
  op: string;
  args: readonly Arg[];
  attrs?: Record<string, AttributeInput | undefined>;
  opset?: number;
  outputs?: number;
  /** Expected shape per output (undefined: unknown rank). */
  want: readonly (Shape | undefined)[];
}
