import { quote } from '../util/text.js';
import { runOrder } from '../io/stage-file/order.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import type { SessionOpener } from '../quant/session.js';
import { TandemError } from '../util/errors.js';
import { randomFeeds } from './random-feeds.js';

/**
 * Boundary quantization on the producer (the webinar's INT8 hand-off): where a float stage feeds only
 * INT8 Q/DQ stages, the producer ends in QuantizeLinear with the consumers' input scale, the tensor
 * crosses as INT8 (a quarter of the FP32 bytes) and each consumer starts at its DequantizeLinear.
 */

/**
 * The INT8 scale a Q/DQ stage quantizes its input `tensor` with: defined when every reader of the input
 * is a per-tensor QuantizeLinear to int8 with zero point 0, all with the same scale; undefined otherwise
 * (the stage reads the float tensor somewhere, so the hand-off cannot be INT8).
 */
export function inputQuantScale(model: Model, tensor: string): number | undefined {
  const g = model.graph;
  const readers = g.consumers(tensor);
  if (readers.length === 0 || !g.isGraphInput(tensor)) return undefined;
  let scale: number | undefined;
  for (const n of readers) {
    const s = perTensorQuantize(model, n);
    if (s === undefined || n.inputs[0] !== tensor || n.inputs.slice(1).includes(tensor)) return undefined;
    if (scale !== undefined && s !== scale) return undefined;
    scale = s;
  }
  return scale;
}

/** The scale of a per-tensor QuantizeLinear to int8 with zero point 0 (constant initializers); else undefined. */
function perTensorQuantize(model: Model, n: Node): number | undefined {
  if (n.op !== 'QuantizeLinear' || n.domain !== '' || n.outputs.length !== 1) return undefined;
  const g = model.graph;
  const scale = g.initializer(n.inputs[1] ?? '');
  const zp = n.inputs[2] === undefined || n.inputs[2] === '' ? undefined : g.initializer(n.inputs[2]);
  if (scale === undefined || scale.dtype !== 'float32' || scale.size !== 1) return undefined;
  if (zp === undefined || zp.dtype !== 'int8' || zp.size !== 1 || Number(tensorValues(zp)[0]) !== 0) return undefined;
  const s = Number(tensorValues(scale)[0]);
  return Number.isFinite(s) && s > 0 ? s : undefined;
}

/** A tensor handed off as INT8 and the scale it is quantized with. */
export interface BoundaryTensor {
  readonly name: string;
  readonly scale: number;
}

/**
 * A copy of the producer whose outputs `tensors` leave as int8: each ends in QuantizeLinear(scale,
 * zero point 0); readers inside the producer keep the float value.
 */
export function quantizeStageOutputs(model: Model, tensors: readonly BoundaryTensor[]): Model {
  const out = model.clone();
  const g = out.graph;
  for (const { name, scale } of tensors) {
    if (!g.isGraphOutput(name) || g.producer(name) === undefined) throw new TandemError('GRAPH_INVALID', `boundary quantization: ${quote(name)} is not an output the stage computes`);
    const type = g.tensorType(name);
    if (type?.dtype !== 'float32') throw new TandemError('GRAPH_INVALID', `boundary quantization: output ${quote(name)} is ${type?.dtype ?? 'untyped'}, not float32`);
    const float = g.freshName(`${name}_float`);
    g.renameValue(name, float);
    const scaleName = g.freshName(`${name}_scale`);
    const zpName = g.freshName(`${name}_zero_point`);
    g.setInitializer(scaleName, new Tensor('float32', [], Float32Array.of(scale)));
    g.setInitializer(zpName, new Tensor('int8', [], new Int8Array(1)));
    g.addNode(new Node({ op: 'QuantizeLinear', name: g.freshName(`${name}_QuantizeLinear`), inputs: [float, scaleName, zpName], outputs: [name], attrs: {} }));
    g.setOutputs(g.outputs.map((o) => (o === float ? name : o)));
    g.setValueType(name, { kind: 'tensor', dtype: 'int8', shape: type.shape });
  }
  g.clearInferred();
  g.topologicalSort();
  return out;
}

/**
 * A copy of a Q/DQ consumer whose inputs `tensors` arrive as int8: the QuantizeLinear nodes reading each
 * are removed and their DequantizeLinear nodes read the input directly. Throws where the input is not
 * read through QuantizeLinear with exactly that scale (see inputQuantScale).
 */
export function dequantizeStageInputs(model: Model, tensors: readonly BoundaryTensor[]): Model {
  const out = model.clone();
  const g = out.graph;
  for (const { name, scale } of tensors) {
    const own = inputQuantScale(out, name);
    if (own !== scale) throw new TandemError('GRAPH_INVALID', `boundary quantization: input ${quote(name)} is ${own === undefined ? 'not read through QuantizeLinear only' : `quantized with scale ${own}, not ${scale}`}`);
    const type = g.tensorType(name);
    for (const q of [...g.consumers(name)]) {
      const quantized = q.outputs[0]!;
      g.removeNode(q);
      g.replaceUses(quantized, name);
    }
    g.setValueType(name, { kind: 'tensor', dtype: 'int8', shape: type?.shape });
  }
  g.clearInferred();
  g.topologicalSort();
  return out;
}

/** A stage as the verification runs it. */
export interface ChainStage {
  readonly name: string;
  readonly model: Model;
}

/** How far INT8 hand-offs between stages move the model outputs (measured on the CPU engine). */
export interface BoundaryCheck {
  /** Largest absolute difference over every model output and sample. */
  readonly maxAbsDiff: number;
  /** Largest |value| of the reference outputs (the scale the difference is judged against). */
  readonly maxAbsRef: number;
  readonly samples: number;
  readonly ok: boolean;
}

/**
 * Both chains compute the same function up to float rounding: the Q moved from the consumer into the
 * producer is the same QuantizeLinear on the same float values.
 */
const RELATIVE_TOLERANCE = 1e-5;

/**
 * Runs the stages before and after boundary quantization on fresh random model inputs (onnxruntime
 * through `opener`) and compares every output of the chain: the INT8 hand-off must give what the
 * unsplit Q/DQ path gives.
 */
export async function verifyBoundaryQuantization(before: readonly ChainStage[], after: readonly ChainStage[], opener: SessionOpener, options: { samples?: number; seed?: number } = {}): Promise<BoundaryCheck> {
  const samples = options.samples ?? 2;
  const seed = options.seed ?? 7919;
  let maxAbsDiff = 0;
  let maxAbsRef = 0;
  for (let s = 0; s < samples; s++) {
    const feeds = randomFeeds(chainInputsModel(before), seed + s);
    const a = await runChain(before, feeds, opener);
    const b = await runChain(after, feeds, opener);
    for (const [name, ref] of Object.entries(a)) {
      const got = b[name];
      if (got === undefined) throw new TandemError('VERIFY_FAILED', `boundary quantization: output ${quote(name)} is missing after the rewrite`);
      if (ref.dtype === 'int8' || got.dtype !== ref.dtype) continue;
      const x = tensorValues(ref);
      const y = tensorValues(got);
      for (let i = 0; i < x.length; i++) {
        const d = Math.abs(Number(x[i]) - Number(y[i]));
        maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? Infinity : d);
        maxAbsRef = Math.max(maxAbsRef, Math.abs(Number(x[i])));
      }
    }
  }
  return { maxAbsDiff, maxAbsRef, samples, ok: maxAbsDiff <= RELATIVE_TOLERANCE * Math.max(1, maxAbsRef) };
}

/** The first stage whose inputs are all model inputs (the chain's entry), for generating feeds. */
function chainInputsModel(stages: readonly ChainStage[]): Model {
  const produced = new Set(stages.flatMap((s) => s.model.graph.outputs));
  const entry = stages.find((s) => s.model.graph.runtimeInputs.every((i) => !produced.has(i)));
  if (entry === undefined) throw new TandemError('GRAPH_INVALID', 'boundary quantization: no stage reads model inputs only');
  return entry.model;
}

/** Runs stages in run order on `feeds`; returns every tensor the stages produced. */
export async function runChain(stages: readonly ChainStage[], feeds: Readonly<Record<string, Tensor>>, opener: SessionOpener): Promise<Record<string, Tensor>> {
  const env: Record<string, Tensor> = { ...feeds };
  const produced: Record<string, Tensor> = {};
  const ordered = runOrder(stages, (s) => ({ name: s.name, inputs: s.model.graph.runtimeInputs, outputs: s.model.graph.outputs }));
  for (const s of ordered) {
    const session = await opener.open(s.model);
    try {
      const inputs = Object.fromEntries(s.model.graph.runtimeInputs.map((i) => {
        const t = env[i];
        if (t === undefined) throw new TandemError('GRAPH_INVALID', `stage ${quote(s.name)} reads ${quote(i)}, which neither the inputs nor an earlier stage provide`);
        return [i, t];
      }));
      const outs = await session.run(inputs, { outputs: s.model.graph.outputs });
      Object.assign(env, outs);
      Object.assign(produced, outs);
    } finally {
      await session.close();
    }
  }
  return produced;
}
