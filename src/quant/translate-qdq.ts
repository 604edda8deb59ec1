import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import { FUSE_CONV_BATCH_NORM } from '../passes/fuse-conv-batch-norm.js';
import { FUSE_PAD_INTO_CONV } from '../passes/fuse-pad-into-conv.js';
import { INT8_MAX } from './arithmetic.js';
import { constantTensors, knownConstant, perChannelAbsMax } from './calibration-targets.js';
import { propagateScales, type PropagatedScale, type PropagationOptions } from './scale-propagation.js';
import { opTraits } from '../ops/registry.js';

/**
 * The QDQ translator (reference §4, NVIDIA DLA-SW qdq-translator v0.2.0 with PR35's output guard): a
 * model with Q/DQ nodes (QAT, or tandem's own) → the same model without them, the activation scales as
 * a calibration cache, and the layers that must stay FP16 because a tensor they touch has no scale.
 * Its steps feed each other (propagation needs the graph without Q/DQ; the FP16 list needs the folded
 * graph), so instead of a plan up front it returns a report of everything it did.
 */
export interface TranslateQdqOptions extends PropagationOptions {
  /** 'max': check that weight Q scales equal TensorRT's own per-channel max|w|/127 (atol 1e-3), reporting mismatches; 'histogram': skip. @default 'max' */
  calibrationType?: 'max' | 'histogram';
  /** Conv → Add (DLA 3.13+): give a Conv output without a scale, read only by a two-input Add, the unit scale 1.0 (§4.4). DLA only. @default false */
  addUnaryEwScalesForDla?: boolean;
  /** Rename each node's outputs to the node's name (`name_k` for output k > 0); graph outputs keep theirs. @default false */
  renameNodeOutputs?: boolean;
  /** Fold BatchNormalization into the preceding Conv (the fused output keeps the BN output name). @default true */
  foldBatchNorm?: boolean;
  /** Fold constant zero Pad into the following Conv. @default true */
  fusePad?: boolean;
}

export type ResolvedTranslateQdqOptions = Readonly<Required<TranslateQdqOptions>>;

export function resolveTranslateQdqOptions(o: TranslateQdqOptions = {}): ResolvedTranslateQdqOptions {
  return Object.freeze({
    calibrationType: o.calibrationType ?? 'max',
    addUnaryEwScalesForDla: o.addUnaryEwScalesForDla ?? false,
    renameNodeOutputs: o.renameNodeOutputs ?? false,
    foldBatchNorm: o.foldBatchNorm ?? true,
    fusePad: o.fusePad ?? true,
    inferAveragePoolScales: o.inferAveragePoolScales ?? false,
    inferConcatScales: o.inferConcatScales ?? false,
    inferMulScales: o.inferMulScales ?? false,
    extraOps: [...(o.extraOps ?? [])],
  });
}

/** How a weight's Q/DQ scales compare with the max of its values (TensorRT recomputes weight scales). */
export interface WeightScaleCheck {
  readonly weight: string;
  readonly node: string;
  readonly channels: number;
  /** Channels whose Q scale differs from max|w_c|/127 by more than 1e-3. */
  readonly mismatched: number;
  readonly worstAbsDiff: number;
}

/** What the translation found: scales taken, propagated, and the nodes left in FP16. */
export interface TranslationReport {
  /** Q/DQ pairs removed: the tensor they quantized, its scale (undefined for weights) and the node names. */
  readonly pairs: readonly { readonly tensor: string; readonly scale?: number; readonly kind: 'activation' | 'weight'; readonly nodes: readonly string[] }[];
  /** DequantizeLinear nodes on INT8 constants whose weights were dequantized to float32. */
  readonly dequantizedWeights: readonly string[];
  readonly propagated: readonly PropagatedScale[];
  readonly weightChecks: readonly WeightScaleCheck[];
  readonly folded: readonly string[];
  /** Scales dropped because their tensor no longer exists after folding. */
  readonly droppedScales: readonly string[];
  /** Tensors given the unit scale by the DLA unary rule. */
  readonly unaryScales: readonly string[];
  /** Why each FP16 node is there: the tensor without a scale it reads. */
  readonly fp16Reasons: readonly { readonly node: string; readonly tensor: string }[];
}

/** The Q/DQ-free model, its per-tensor INT8 scales (cache and config), and the report. */
export interface TranslateQdqResult {
  /** The model without Q/DQ (FP32). */
  readonly model: Model;
  /** Tensor → scale (amax / 127): `int8_tensor_scales` of the precision config. */
  readonly scales: Map<string, number>;
  /** Nodes to keep in FP16 (a tensor they read or write has no scale). */
  readonly fp16Nodes: readonly string[];
  readonly report: TranslationReport;
}

/** `<model>_precision_config.json` of QDQT: { int8_tensor_scales, fp16_nodes }. */
export function precisionConfig(r: TranslateQdqResult): { int8_tensor_scales: Record<string, number>; fp16_nodes: string[] } {
  return { int8_tensor_scales: Object.fromEntries(r.scales), fp16_nodes: [...r.fp16Nodes] };
}

/** trtexec's `--layerPrecisions` value: `node1:fp16,node2:fp16` (no spaces). */
export function layerPrecisionsArg(fp16Nodes: readonly string[]): string {
  return fp16Nodes.map((n) => `${n}:fp16`).join(',');
}

/**
 * Translates a Q/DQ model (from ModelOpt, onnxruntime or tandem) into what TensorRT's DLA build takes:
 * the model without Q/DQ nodes, a calibration cache of its activation scales, and the layers left in FP16.
 *
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs';
 *
 * const r = translateQdq(loadModel('head.qdq.onnx'));
 * saveModel(r.model, 'head.onnx');
 * writeFileSync('head.cache', writeCalibrationCache(r.scales, { trtVersion: '8.6.1' }));
 * console.log('layers left in FP16:', r.fp16Nodes);
 * ```
 */
export function translateQdq(input: Model, opts: TranslateQdqOptions = {}): TranslateQdqResult {
  const options = resolveTranslateQdqOptions(opts);
  let model = input.clone();
  nameNodes(model.graph);
  if (options.renameNodeOutputs) renameOutputsToNodes(model.graph);
  const scales = new Map<string, number>();
  const pairs: { tensor: string; scale?: number; kind: 'activation' | 'weight'; nodes: string[] }[] = [];
  const weightChecks: WeightScaleCheck[] = [];
  const dequantizedWeights: string[] = [];
  const zeroBefore = zeroWeightedInputs(model.graph);
  extractQdq(model.graph, options.calibrationType, scales, pairs, weightChecks, dequantizedWeights);
  const zeroAfter = zeroWeightedInputs(model.graph);
  for (const n of zeroAfter) {
    if (!zeroBefore.has(n)) throw new TandemError('QDQ_MODEL', `after removing Q/DQ, ${n} reads an all-zero constant it did not read before; a weight quantized with scale 0 or a zero point mismatch?`);
  }
  const propagated = propagateScales(model.graph, scales, constantTensors(model.graph), options);
  const folded: string[] = [];
  if (options.fusePad) {
    const r = FUSE_PAD_INTO_CONV.run(model);
    model = r.model;
    folded.push(...r.applied.map((a) => a.summary));
  }
  if (options.foldBatchNorm) {
    const r = FUSE_CONV_BATCH_NORM.run(model);
    model = r.model;
    folded.push(...r.applied.map((a) => a.summary));
  }
  const graph = model.graph;
  const droppedScales = [...scales.keys()].filter((t) => !graph.isDefined(t));
  for (const t of droppedScales) scales.delete(t);
  const constants = constantTensors(graph);
  const unaryScales = options.addUnaryEwScalesForDla ? addUnaryScales(graph, scales) : [];
  const fp16 = new Set<string>();
  const fp16Reasons: { node: string; tensor: string }[] = [];
  const missing = (t: string): void => {
    if (t === '' || scales.has(t) || constants.has(t)) return;
    for (const c of graph.consumers(t)) {
      if (fp16.has(c.name)) continue;
      fp16.add(c.name);
      fp16Reasons.push({ node: c.name, tensor: t });
    }
  };
  for (const i of graph.runtimeInputs) missing(i);
  for (const n of graph.nodes) if (n.outputs[0] !== undefined) missing(n.outputs[0]);
  return {
    model,
    scales,
    fp16Nodes: [...fp16],
    report: { pairs, dequantizedWeights, propagated, weightChecks, folded, droppedScales, unaryScales, fp16Reasons },
  };
}

/** QDQT step 3: record every activation Q/DQ scale, check weight ones, and remove the pairs. */
function extractQdq(g: Graph, calibrationType: 'max' | 'histogram', scales: Map<string, number>, pairs: { tensor: string; scale?: number; kind: 'activation' | 'weight'; nodes: string[] }[], checks: WeightScaleCheck[], dequantized: string[]): void {
  const constants = constantTensors(g);
  for (const q of g.nodes.filter((n) => n.op === 'QuantizeLinear' && n.domain === '')) {
    const x = q.input(0)!;
    const y = q.outputs[0]!;
    const scale = quantParam(g, q, 1, 'scale');
    const zp = q.input(2) === undefined ? undefined : quantParam(g, q, 2, 'zero point');
    if (zp !== undefined && zp.values.some((v) => v !== 0)) {
      throw new TandemError('QDQ_MODEL', `${q.label} has a non-zero zero point; TensorRT quantization is symmetric (zero point 0); re-export with symmetric activations and weights`);
    }
    // A copy: Graph.consumers returns its live index for a single reader, which removeNode edits.
    const dqs = [...g.consumers(y)];
    for (const dq of dqs) {
      if (dq.op !== 'DequantizeLinear') throw new TandemError('QDQ_MODEL', `${q.label} feeds ${dq.label}; a QuantizeLinear must feed DequantizeLinear nodes only`);
      const s = quantParam(g, dq, 1, 'scale');
      if (s.values.length !== scale.values.length || s.values.some((v, i) => v !== scale.values[i])) {
        throw new TandemError('QDQ_MODEL', `${q.label} and ${dq.label} have different scales; a Q/DQ pair must share its scale`);
      }
    }
    const weight = constants.has(x);
    if (weight) {
      const value = knownConstant(g, x);
      const consumer = dqs.flatMap((d) => g.consumers(d.outputs[0]!))[0];
      const rule = consumer === undefined ? undefined : opTraits(consumer.op)?.channelWeight;
      if (calibrationType === 'max' && value !== undefined && consumer !== undefined && rule !== undefined) {
        checks.push(checkWeightScales(x, consumer, value, scale.values, q.attrs.int('axis', 1)));
      }
    } else {
      if (scale.values.length !== 1) throw new TandemError('QDQ_MODEL', `${q.label} quantizes activation ${quote(x)} per channel; TensorRT needs one scale per activation tensor`);
      scales.set(x, scale.values[0]!);
    }
    g.removeNode(q);
    for (const dq of dqs) g.removeNode(dq);
    const outs = new Set(g.outputs);
    let current = x;
    for (const dq of dqs) {
      const o = dq.outputs[0]!;
      if (outs.has(o) && current === x && !weight && !g.isGraphInput(x) && !outs.has(x)) {
        // The DQ output is a graph output: keep its name by renaming the float tensor to it.
        g.renameValue(x, o);
        scales.delete(x);
        current = o;
      } else g.replaceUses(o, current);
      if (outs.has(o) && !weight) scales.set(current, scale.values[0]!);
    }
    pairs.push({ tensor: current, ...(weight ? {} : { scale: scale.values[0]! }), kind: weight ? 'weight' : 'activation', nodes: [q.name, ...dqs.map((d) => d.name)] });
  }
  // DequantizeLinear on INT8 constants (weights stored quantized): back to float32 values.
  for (const dq of g.nodes.filter((n) => n.op === 'DequantizeLinear' && n.domain === '')) {
    const x = dq.input(0)!;
    const value = knownConstant(g, x);
    if (value === undefined) throw new TandemError('QDQ_MODEL', `${dq.label} dequantizes ${quote(x)}, which no QuantizeLinear produces and which is not a constant`);
    const s = quantParam(g, dq, 1, 'scale').values;
    const z = dq.input(2) === undefined ? [0] : quantParam(g, dq, 2, 'zero point').values;
    const axis = normalizeAxis(dq.attrs.int('axis', 1), value.dims.length);
    const q = tensorValues(value);
    let inner = 1;
    for (let i = axis + 1; i < value.dims.length; i++) inner *= value.dims[i]!;
    const channels = s.length > 1 ? value.dims[axis]! : 1;
    const out = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) {
      const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
      out[i] = (q[i]! - (z[c] ?? z[0]!)) * s[c]!;
    }
    const name = g.freshName(`${x}_float`);
    g.setInitializer(name, new Tensor('float32', value.dims, out));
    g.replaceUses(dq.outputs[0]!, name);
    g.removeNode(dq);
    dequantized.push(x);
  }
  removeUnusedInitializers(g);
}

function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function quantParam(g: Graph, node: Node, index: number, what: string): { values: number[] } {
  const name = node.input(index);
  const t = name === undefined ? undefined : knownConstant(g, name);
  if (t === undefined) throw new TandemError('QDQ_MODEL', `${node.label}: its ${what} ${quote(name ?? '')} is not a constant; TensorRT needs constant Q/DQ parameters`);
  return { values: tensorValues(t) };
}

function checkWeightScales(weight: string, consumer: Node, value: Tensor, scales: number[], axis: number): WeightScaleCheck {
  const rank = value.dims.length;
  const a = scales.length === 1 ? -1 : normalizeAxis(axis, rank);
  const expected = a < 0 ? [Math.max(...perChannelAbsMax(value.reshaped([value.size]), 0))] : Array.from(perChannelAbsMax(value, a));
  let mismatched = 0;
  let worst = 0;
  expected.forEach((amax, c) => {
    const d = Math.abs((scales[c] ?? 0) - amax / INT8_MAX);
    worst = Math.max(worst, d);
    if (d > 1e-3 + 1e-5 * (amax / INT8_MAX)) mismatched++;
  });
  return { weight, node: consumer.name, channels: expected.length, mismatched, worstAbsDiff: worst };
}

/** Weighted nodes reading an all-zero constant (QDQT's sanity check after removing Q/DQ). */
function zeroWeightedInputs(g: Graph): Set<string> {
  const out = new Set<string>();
  for (const n of g.nodes) {
    if (n.op !== 'Conv' && n.op !== 'ConvTranspose' && n.op !== 'Gemm') continue;
    for (const i of n.inputs.slice(1, 2)) {
      const t = i === '' ? undefined : g.initializer(i);
      if (t !== undefined && (t.dtype === 'float32' || t.dtype === 'float16') && tensorValues(t).every((v) => v === 0)) out.add(n.label);
    }
  }
  return out;
}

/** §4.4: a Conv output without a scale whose only reader is a two-input Add gets scale 1.0. */
function addUnaryScales(g: Graph, scales: Map<string, number>): string[] {
  const marked: string[] = [];
  for (const n of g.nodes) {
    const y = n.outputs[0];
    if (n.op !== 'Conv' || y === undefined || scales.has(y)) continue;
    const readers = g.consumers(y);
    const add = readers[0];
    if (readers.length !== 1 || add?.op !== 'Add' || add.inputs.length !== 2) continue;
    const other = add.inputs[0] === y ? add.inputs[1]! : add.inputs[0]!;
    if (marked.includes(other)) continue;
    scales.set(y, 1);
    marked.push(y);
  }
  return marked;
}

function nameNodes(g: Graph): void {
  for (const n of g.nodes) if (n.name === '') n.name = g.freshName(`${n.op}_${g.positionOf(n)}`);
}

function renameOutputsToNodes(g: Graph): void {
  const outs = new Set(g.outputs);
  for (const n of [...g.nodes]) {
    n.outputs.forEach((o, k) => {
      const want = k === 0 ? n.name : `${n.name}_${k}`;
      if (o === '' || o === want || outs.has(o) || g.isDefined(want)) return;
      g.renameValue(o, want);
    });
  }
}

function removeUnusedInitializers(g: Graph): void {
  for (const name of [...g.initializers.keys()]) {
    if (g.consumers(name).length === 0 && !g.isGraphOutput(name) && !g.isGraphInput(name)) g.removeInitializer(name);
  }
}

/** The four files of QDQT (§4.3) for a model base name; `<base>_noqdq.onnx` is written by the caller (it is a model). */
export function translationPaths(dir: string, base: string): { model: string; config: string; cache: string; layerArg: string } {
  const p = (suffix: string): string => `${dir.replace(/\/+$/, '')}/${base}${suffix}`;
  return { model: p('_noqdq.onnx'), config: p('_precision_config.json'), cache: p('_precision_config_calib.cache'), layerArg: p('_precision_config_layer_arg.txt') };
}
