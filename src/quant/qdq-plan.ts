import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import type { Model } from '../ir/model.js';
import { scaleFromAmax } from './arithmetic.js';
import { constantTensors, knownConstant } from './calibration-targets.js';
import { residualAddInput } from './residual-add.js';
import { opTraits } from '../ops/registry.js';

/**
 * Where QuantizeLinear/DequantizeLinear pairs go, as a plain serialisable plan (computed first, then
 * applied by `applyQdqPlan`; it can be printed, diffed and tested).
 *
 * Placement 'trt' (TensorRT explicit quantization, reference §6.3 and §9.5): inputs-only placement — the
 * activation and weight inputs of weighted ops (Conv, ConvTranspose, Gemm, MatMul), the shortcut input
 * of a residual Add whose other input a weighted op fuses into, and the inputs of average pooling;
 * nothing on ops TensorRT fuses or commutes through (BN, ReLU, MaxPool, reshapes, Concat) and nothing on
 * graph outputs. Placement 'dla': every float activation tensor (ModelOpt `--target_dla`): scales on
 * every tensor of a DLA region. Both: weights per output channel, activations per tensor, symmetric INT8.
 */
export const QDQ_PLACEMENTS = ['trt', 'dla'] as const;
/** Where Q/DQ pairs go: TensorRT's placement (`'trt'`) or every DLA layer's input (`'dla'`). */
export type QdqPlacement = (typeof QDQ_PLACEMENTS)[number];

/** A node input a weight Q/DQ pair feeds. */
export interface QdqConsumer {
  /** Node name ('' when the node has none) and its position in topological order, which identifies it. */
  readonly node: string;
  readonly position: number;
  readonly input: number;
}

/** A Q/DQ pair on an activation tensor, with its scale and the rule that placed it. */
export interface ActivationQdq {
  readonly tensor: string;
  /** float32 scale (amax / 127). */
  readonly scale: number;
  /** The readers of the tensor that read the dequantized value instead; 'all' in dla placement. */
  readonly consumers: readonly QdqConsumer[] | 'all';
  readonly rule: string;
}

/** A per-channel Q/DQ pair on a weight. */
export interface WeightQdq {
  readonly tensor: string;
  readonly consumer: QdqConsumer;
  readonly axis: number;
  /** float32 scale per output channel (max |w_c| / 127). */
  readonly scales: readonly number[];
}

/** Where Q/DQ pairs go in a stage and with which scales (plain data; applied to make the Q/DQ model). */
export interface QdqPlan {
  readonly version: 1;
  readonly placement: QdqPlacement;
  readonly activations: readonly ActivationQdq[];
  readonly weights: readonly WeightQdq[];
  /** Activation inputs of ops that were left in float, and the rule that decided it. */
  readonly skipped: readonly { readonly tensor: string; readonly node: string; readonly reason: string }[];
}

export interface QdqPlanOptions {
  /** @default 'trt' */
  placement?: QdqPlacement;
}

export interface QdqScales {
  /** Activation tensor → amax. A tensor without an amax gets no Q/DQ. */
  readonly activations: ReadonlyMap<string, number>;
  /** Weight tensor → per-channel amax along its output-channel axis. */
  readonly weights: ReadonlyMap<string, Float64Array>;
}

/** Computes where Q/DQ goes in `model`, with the scales from calibration. */
export function planQdq(model: Model, scales: QdqScales, options: QdqPlanOptions = {}): QdqPlan {
  const placement = options.placement ?? 'trt';
  const graph = model.graph;
  const nodes = graph.nodes;
  const constants = constantTensors(graph);
  const perTensor = new Map<string, { consumers: QdqConsumer[]; rules: Set<string> }>();
  const weights: WeightQdq[] = [];
  const skipped: { tensor: string; node: string; reason: string }[] = [];
  const want = (tensor: string, node: string, position: number, input: number, rule: string): void => {
    if (!scales.activations.has(tensor)) {
      skipped.push({ tensor, node, reason: 'no scale (not a float activation, or not calibrated)' });
      return;
    }
    let e = perTensor.get(tensor);
    if (e === undefined) perTensor.set(tensor, (e = { consumers: [], rules: new Set() }));
    e.consumers.push({ node, position, input });
    e.rules.add(rule);
  };

  nodes.forEach((node, position) => {
    if (node.domain !== '') return;
    const rule = opTraits(node.op)?.channelWeight;
    if (rule !== undefined) {
      const w = node.input(1);
      const value = w === undefined ? undefined : knownConstant(graph, w);
      const r = value === undefined ? undefined : rule(node, value.dims.length);
      if (w !== undefined && value !== undefined && r !== undefined) {
        const amax = scales.weights.get(w);
        if (amax === undefined) throw new TandemError('USAGE', `weight ${quote(w)} of ${node.label} has no per-channel amax; calibrate weights before planning Q/DQ`);
        weights.push({ tensor: w, consumer: { node: node.name, position, input: 1 }, axis: r.axis, scales: Array.from(amax, scaleFromAmax) });
      }
      if (placement === 'dla') return;
      for (const i of [0, 1]) {
        const t = node.input(i);
        if (t === undefined || constants.has(t)) continue;
        want(t, node.name, position, i, i === 0 ? 'weighted-op input' : 'weighted-op second activation (activation x activation)');
      }
      return;
    }
    if (placement === 'dla') return;
    if (node.op === 'Add') {
      const d = residualAddInput(graph, node, constants);
      if (d.quantize === undefined) {
        if (node.inputs.every((i) => i === '' || !constants.has(i))) skipped.push({ tensor: node.input(0) ?? '', node: node.name, reason: d.reason });
        return;
      }
      want(node.input(d.quantize)!, node.name, position, d.quantize, `residual Add shortcut (${d.reason})`);
      return;
    }
    if (node.op === 'AveragePool' || node.op === 'GlobalAveragePool') {
      const t = node.input(0);
      if (t !== undefined && !constants.has(t)) want(t, node.name, position, 0, 'pooling input (TensorRT runs average pooling in INT8)');
    }
  });

  const activations: ActivationQdq[] = [];
  if (placement === 'dla') {
    // Every float tensor the model computes or takes, graph outputs excepted (PR35: quantized logits collapse accuracy).
    for (const name of [...graph.runtimeInputs, ...nodes.flatMap((n) => n.outputs)]) {
      const amax = scales.activations.get(name);
      if (amax === undefined || name === '' || constants.has(name) || graph.consumers(name).length === 0) continue;
      const fused = fusedFp16Activation(model, name);
      if (fused !== undefined) {
        skipped.push({ tensor: name, node: fused, reason: 'inside a fused DLA layer: the weighted op and the Sigmoid/Tanh after it run as one layer, the activation in FP16 (reference A2, A4)' });
        continue;
      }
      activations.push({ tensor: name, scale: scaleFromAmax(amax), consumers: 'all', rule: 'dla: every activation tensor' });
    }
  } else {
    for (const [tensor, e] of perTensor) {
      activations.push({ tensor, scale: scaleFromAmax(scales.activations.get(tensor)!), consumers: e.consumers, rule: [...e.rules].join('; ') });
    }
  }
  return { version: 1, placement, activations, weights, skipped };
}

/** Activations the DLA runs right after a convolution in the same layer and computes in FP16 (reference A2, A4). */
const FP16_ACTIVATIONS: ReadonlySet<string> = new Set(['Sigmoid', 'Tanh']);

/**
 * The name of the Sigmoid or TanH node that `tensor` feeds when the DLA fuses the two: a tensor a
 * weighted op or BatchNormalization writes and only that activation reads. The DLA's SDP applies the
 * activation to the convolution's result before anything is written, and runs Sigmoid/TanH in FP16
 * (A4), so the pre-activation tensor never exists in INT8; the fused layer's output is the activation's
 * (quantized where it has a reader, float where it is the stage's output, like any other layer's).
 * Unlike ReLU (see `fuseReluRanges`), rounding does not commute with these curves, so a Q/DQ pair in
 * between would add an error the DLA does not make. Undefined when the tensor is not inside such a pair.
 */
export function fusedFp16Activation(model: Model, tensor: string): string | undefined {
  const g = model.graph;
  const producer = g.producer(tensor);
  const readers = g.consumers(tensor);
  if (producer === undefined || producer.domain !== '' || readers.length !== 1 || g.isGraphOutput(tensor)) return undefined;
  if (opTraits(producer.op)?.channelWeight === undefined && producer.op !== 'BatchNormalization') return undefined;
  const act = readers[0]!;
  return act.domain === '' && FP16_ACTIVATIONS.has(act.op) ? act.name || act.op : undefined;
}
