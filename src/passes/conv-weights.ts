import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import type { GraphFacts } from './graph-facts.js';

/** A Conv whose weights (and bias, if any) are float constants. */
export interface ConstConv {
  readonly node: Node;
  readonly x: string;
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;
  /** Output channels. */
  readonly k: number;
  readonly dtype: DataType;
}

/** The Conv's constant weights, or undefined when they are computed at run time or not float. */
export function constConv(f: GraphFacts, node: Node): ConstConv | undefined {
  if (node.op !== 'Conv' || node.domain !== '') return undefined;
  const x = node.input(0);
  const weight = f.constant(node.input(1));
  if (x === undefined || weight === undefined || !isFloatType(weight.dtype) || weight.dims.length < 3) return undefined;
  const b = node.input(2);
  const bias = b === undefined ? undefined : f.constant(b);
  if (b !== undefined && (bias === undefined || bias.dtype !== weight.dtype)) return undefined;
  const k = weight.dims[0]!;
  if (bias !== undefined && bias.size !== k) return undefined;
  return { node, x, weight, bias, k, dtype: weight.dtype };
}

/** Multiplies each output channel's block of a weight tensor (channel axis 0) by a factor. */
export function scaleOutputChannels(weight: Tensor, factors: readonly number[]): Tensor {
  const v = tensorValues(weight);
  const k = weight.dims[0]!;
  const block = v.length / k;
  for (let c = 0; c < k; c++) for (let i = 0; i < block; i++) v[c * block + i]! *= factors[c]!;
  return tensorFromValues(weight.dtype, weight.dims, v);
}

/** Bias values of a conv (zeros where it has none). */
export function biasValues(bias: Tensor | undefined, k: number): number[] {
  return bias === undefined ? new Array<number>(k).fill(0) : tensorValues(bias);
}

/**
 * Per-channel factors of a constant that broadcasts against an NC... tensor of rank `rank` without
 * growing it: 1 everywhere except (optionally) the channel axis, where it is `k` long.
 */
export function perChannel(c: Tensor, rank: number, k: number): number[] | undefined {
  if (c.dims.length > rank) return undefined;
  const aligned = [...new Array<number>(rank - c.dims.length).fill(1), ...c.dims];
  if (aligned.some((d, i) => (i === 1 ? d !== 1 && d !== k : d !== 1))) return undefined;
  const v = tensorValues(c);
  return v.length === 1 ? new Array<number>(k).fill(v[0]!) : v;
}
