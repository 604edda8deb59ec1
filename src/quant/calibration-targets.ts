import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import { opHasTrait, opTraits } from '../ops/registry.js';

/**
 * Which tensors need a scale (reference §9.3): every graph input and every node output TensorRT will
 * see as an activation (constants fold away and need none), and the weights of the weighted ops, which
 * are quantized per output channel.
 */
export interface CalibrationTargets {
  /** Runtime inputs first, then node outputs in topological order. Non-float ones are dropped when first seen. */
  readonly activations: readonly string[];
  readonly weights: readonly WeightTarget[];
}

export interface WeightTarget {
  /** The weight tensor (an initializer or a Constant node's output). */
  readonly name: string;
  /** The node that reads it, and at which input. */
  readonly node: string;
  readonly op: string;
  readonly input: number;
  /** The output-channel axis of the weight (reference §1: Conv 0, ConvTranspose 1, [K, N] MatMul/Gemm 1, Gemm with transB 0). */
  readonly axis: number;
}

/** Names whose value is known before the model runs: initializers, Constant outputs, and what only they feed. */
export function constantTensors(graph: Graph): Set<string> {
  const out = new Set<string>(graph.initializers.keys());
  for (const name of graph.inputs) out.delete(name); // an initializer that is also an input can be overridden
  for (const node of graph.nodes) {
    if (node.attrs.subgraphs().length > 0) continue;
    const inputs = node.inputs.filter((i) => i !== '');
    const isConst = node.op === 'Constant' || (inputs.length > 0 && inputs.every((i) => out.has(i)) && !opHasTrait(node.op, 'nondeterministic'));
    if (isConst) for (const o of node.outputs) if (o !== '') out.add(o);
  }
  return out;
}

/** The value of a constant tensor: an initializer, or the `value` of a Constant node. */
export function knownConstant(graph: Graph, name: string): Tensor | undefined {
  const init = graph.initializer(name);
  if (init !== undefined) return init;
  const p = graph.producer(name);
  return p?.op === 'Constant' ? p.attrs.tensor('value') : undefined;
}

/** The tensors of a model that need a scale. */
export function calibrationTargets(model: Model): CalibrationTargets {
  const graph = model.graph;
  const constants = constantTensors(graph);
  const activations: string[] = [];
  const seen = new Set<string>();
  const add = (name: string): void => {
    if (name === '' || seen.has(name) || constants.has(name)) return;
    seen.add(name);
    activations.push(name);
  };
  for (const name of graph.runtimeInputs) {
    const t = graph.value(name)?.type;
    if (t?.kind === 'tensor' && t.dtype !== undefined && t.dtype !== 'float32' && t.dtype !== 'float16') continue;
    add(name);
  }
  const weights: WeightTarget[] = [];
  for (const node of graph.nodes) {
    for (const o of node.outputs) add(o);
    const rule = opTraits(node.op)?.channelWeight;
    if (rule === undefined || node.domain !== '') continue;
    const w = node.input(1);
    const value = w === undefined ? undefined : knownConstant(graph, w);
    if (w === undefined || value === undefined || (value.dtype !== 'float32' && value.dtype !== 'float16')) continue;
    const r = rule(node, value.dims.length);
    if (r === undefined || r.axis >= value.dims.length) continue;
    weights.push({ name: w, node: node.name, op: node.op, input: r.input, axis: r.axis });
  }
  return { activations, weights };
}

/** max |w| per slice along `axis` (the per-channel amax TensorRT computes for weights, reference §1). */
export function perChannelAbsMax(weight: Tensor, axis: number): Float64Array {
  const dims = weight.dims;
  const channels = dims[axis] ?? 1;
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i]!;
  const out = new Float64Array(channels);
  const values: ArrayLike<number> = weight.dtype === 'float32' ? (weight.data as Float32Array) : tensorValues(weight);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / inner) % channels;
    const v = values[i]!;
    const a = v < 0 ? -v : v;
    if (a > out[c]!) out[c] = a;
  }
  return out;
}
