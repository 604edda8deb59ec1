import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import { inferShapes } from '../ops/index.js';
import { constantTensors } from './calibration-targets.js';
import type { ActivationQdq, QdqPlan, WeightQdq } from './qdq-plan.js';

/** A Q/DQ node the extraction left in the model, and why (it stays quantized in every variant). */
export interface FixedQdq {
  readonly tensor: string;
  readonly node: string;
  readonly reason: string;
}

/** A Q/DQ model taken apart: its float model, the plan that puts its pairs back, and what stayed. */
export interface ExtractedQdqPlan {
  /** The model without the extracted Q/DQ pairs: `applyQdqPlan(model, plan)` computes what the input did. */
  readonly model: Model;
  readonly plan: QdqPlan;
  /** QuantizeLinear/DequantizeLinear nodes that are not a symmetric INT8 pair (an INT8 hand-off at a stage boundary, a DequantizeLinear of INT8 weights): kept as they are. */
  readonly fixed: readonly FixedQdq[];
}

/** The values of a constant scale or zero point, or undefined when the input is not an initializer. */
function constantValues(g: Graph, name: string | undefined): { tensor: Tensor; values: number[] } | undefined {
  const t = name === undefined || name === '' ? undefined : g.initializer(name);
  return t === undefined ? undefined : { tensor: t, values: tensorValues(t) };
}

/** Symmetric INT8: an int8 zero point of zeros, float32 positive scales; per axis where the scale is a vector. */
function symmetricInt8(g: Graph, n: Node): { values: number[]; perAxis: boolean } | undefined {
  const scale = constantValues(g, n.inputs[1]);
  const zp = constantValues(g, n.inputs[2]);
  if (scale === undefined || scale.tensor.dtype !== 'float32' || !scale.values.every((v) => Number.isFinite(v) && v > 0)) return undefined;
  if (zp === undefined || zp.tensor.dtype !== 'int8' || zp.values.some((v) => v !== 0) || zp.values.length !== scale.values.length) return undefined;
  return { values: scale.values, perAxis: scale.tensor.dims.length === 1 };
}

const sameValues = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Descriptive only (applyQdqPlan reads the consumers): every float activation a node computes is quantized for all its readers, as 'dla' placement does. */
function dlaPlacement(g: Graph, activations: readonly { tensor: string; everyReader: boolean }[]): boolean {
  const quantized = new Map(activations.map((a) => [a.tensor, a.everyReader]));
  const constants = constantTensors(g);
  const computed = g.nodes.flatMap((n) => n.outputs).filter((o) => o !== '' && !constants.has(o) && g.consumers(o).length > 0 && g.tensorType(o)?.dtype === 'float32');
  return activations.length > 0 && computed.every((o) => quantized.get(o) === true);
}

/**
 * The inverse of `applyQdqPlan`: finds each symmetric INT8 QuantizeLinear → DequantizeLinear pair of a
 * Q/DQ model (tandem's own, or any with int8 zero points of 0), removes it, and returns the float model
 * with the plan that puts the pairs back — so what quantize's sensitivity and mixed precision do with a
 * plan works on any Q/DQ model or plan stage. A pair on a constant with a per-channel scale is a weight;
 * any other is an activation, read through the DequantizeLinear by the consumers recorded.
 */
export function extractQdqPlan(qdqModel: Model): ExtractedQdqPlan {
  const out = qdqModel.clone();
  const g = out.graph;
  const fixed: FixedQdq[] = [];
  const activations: { tensor: string; scale: number; readers: { node: Node; input: number }[]; everyReader: boolean }[] = [];
  const weights: { tensor: string; axis: number; scales: number[]; reader: { node: Node; input: number } }[] = [];
  const remove: Node[] = [];
  for (const q of [...g.nodes]) {
    if (q.domain !== '' || (q.op !== 'QuantizeLinear' && q.op !== 'DequantizeLinear')) continue;
    const tensor = q.inputs[0] ?? '';
    if (q.op === 'DequantizeLinear') {
      if (g.producer(tensor)?.op !== 'QuantizeLinear') fixed.push({ tensor, node: q.name, reason: 'DequantizeLinear of a tensor stored quantized (a stage input handed off as INT8, INT8 weights, INT32 biases)' });
      continue;
    }
    const s = symmetricInt8(g, q);
    const scales = s?.values;
    const dqs = g.consumers(q.outputs[0] ?? '');
    const pairOk =
      s !== undefined &&
      scales !== undefined &&
      q.outputs.length === 1 &&
      !g.isGraphOutput(q.outputs[0]!) &&
      dqs.length > 0 &&
      dqs.every((dq) => dq.op === 'DequantizeLinear' && dq.domain === '' && dq.inputs[0] === q.outputs[0] && sameValues(symmetricInt8(g, dq)?.values ?? [], scales) && dq.attrs.int('axis', 1) === q.attrs.int('axis', 1) && !g.isGraphOutput(dq.outputs[0] ?? ''));
    if (!pairOk) {
      const reason = g.isGraphOutput(q.outputs[0] ?? '')
        ? 'QuantizeLinear of a stage output (an INT8 hand-off to the next stage)'
        : dqs.some((dq) => g.isGraphOutput(dq.outputs[0] ?? ''))
          ? 'a Q/DQ pair on a graph output (left as is so the output keeps its name)'
          : 'not a symmetric INT8 QuantizeLinear → DequantizeLinear pair';
      fixed.push({ tensor, node: q.name, reason });
      continue;
    }
    const readers = dqs.flatMap((dq) => g.consumers(dq.outputs[0]!).flatMap((node) => node.inputs.flatMap((name, input) => (name === dq.outputs[0] ? [{ node, input }] : []))));
    const isWeight = g.isInitializer(tensor) && !g.isGraphInput(tensor);
    const everyReader = g.consumers(tensor).every((n) => n.op === 'QuantizeLinear');
    if (isWeight && s.perAxis && readers.length === 1) weights.push({ tensor, axis: q.attrs.int('axis', 1), scales, reader: readers[0]! });
    else if (!isWeight && !s.perAxis && scales.length === 1) {
      const known = activations.find((a) => a.tensor === tensor && a.scale === scales[0]);
      if (known) known.readers.push(...readers);
      else activations.push({ tensor, scale: scales[0]!, readers, everyReader });
    } else {
      fixed.push({ tensor, node: q.name, reason: isWeight ? 'a weight with one scale for every channel, or read by more than one node' : 'an activation with a per-channel scale' });
      continue;
    }
    for (const dq of dqs) g.replaceUses(dq.outputs[0]!, tensor);
    remove.push(q, ...dqs);
  }
  for (const n of remove) g.removeNode(n);
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  for (const n of remove) for (const name of n.inputs.slice(1)) if (name !== '' && !used.has(name) && g.isInitializer(name) && !g.isGraphInput(name)) g.removeInitializer(name);
  g.clearInferred();
  g.topologicalSort();
  inferShapes(out, { strict: false });
  const at = (r: { node: Node; input: number }): { node: string; position: number; input: number } => ({ node: r.node.name, position: g.positionOf(r.node), input: r.input });
  const plan: QdqPlan = {
    version: 1,
    placement: dlaPlacement(g, activations) ? 'dla' : 'trt',
    activations: activations.map((a): ActivationQdq => ({ tensor: a.tensor, scale: a.scale, consumers: a.readers.map(at), rule: 'extracted from the Q/DQ model' })),
    weights: weights.map((w): WeightQdq => ({ tensor: w.tensor, consumer: at(w.reader), axis: w.axis, scales: w.scales })),
    skipped: [],
  };
  return { model: out, plan, fixed };
}
