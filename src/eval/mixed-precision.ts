import { TandemError } from '../util/errors.js';
import type { ProgressCallback, ProgressEvent } from '../util/progress.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { encodeModel } from '../onnx/index.js';
import { applyQdqPlan } from '../quant/apply-qdq.js';
import type { QdqPlan } from '../quant/qdq-plan.js';
import type { StageArtifacts } from '../quant/quantize.js';
import { getEngine } from '../runtime/engines/registry.js';
import type { FrameDataset } from './datasets/types.js';
import { DepthAccumulator } from './metrics/depth.js';
import { SegmentationAccumulator } from './metrics/segmentation.js';
import { decodeDepth, type ModelTasks } from './model-tasks.js';
import { frameToInput, resizeBilinear, segmentationArgmax } from './predictions.js';

/** A task metric and the loss it may lose: `miou=0.5` (points of mIoU) or `absrel=2%` (relative AbsRel). */
export interface Budget {
  readonly metric: 'miou' | 'absrel';
  /** mIoU points, or a fraction of the FP32 AbsRel (0.02 for 2%). */
  readonly loss: number;
}

/** Parses "miou=0.5" / "absrel=2%" (comma-separated for several). */
export function parseBudgets(text: string): Budget[] {
  return text.split(',').filter((s) => s.trim() !== '').map((part) => {
    const m = /^\s*(miou|absrel)\s*=\s*([0-9.]+)\s*(%?)\s*$/i.exec(part);
    if (!m) throw new TandemError('USAGE', `--budget expects metric=loss like miou=0.5 (mIoU points) or absrel=2% (relative AbsRel), got "${part}"`);
    const metric = m[1]!.toLowerCase() as Budget['metric'];
    const v = Number(m[2]);
    if (!Number.isFinite(v) || v < 0) throw new TandemError('USAGE', `--budget ${part}: the loss must be a non-negative number`);
    return { metric, loss: metric === 'absrel' ? (m[3] === '%' ? v / 100 : v) : v };
  });
}

/** One quantized tensor of a head: an activation (its Q/DQ pair) or a weight. */
export interface QuantizedTensor {
  readonly tensor: string;
  readonly kind: 'activation' | 'weight';
  /** The node TensorRT would run in FP16 to keep it: the producer of an activation ('' for a stage input: set by --inputIOFormats instead), the consumer of a weight. */
  readonly layer: string;
}

/** How much a head's loss recovers when this one tensor stays in FP16. */
export interface SensitivityRow extends QuantizedTensor {
  /** Loss with everything quantized but this tensor, minus the loss of full INT8: what keeping it recovers (positive = helps). */
  readonly recovers: number;
}

/** How much a head loses in INT8, which tensors are kept in FP16 to stay within budget, and the loss then. */
export interface HeadPrecisionResult {
  readonly stage: string;
  readonly metric: Budget['metric'];
  readonly fp32: number;
  readonly int8: number;
  /** Loss of full INT8 in the budget's unit (mIoU points, or relative AbsRel). */
  readonly int8Loss: number;
  readonly sensitivity: readonly SensitivityRow[];
  /** Tensors kept in FP16 (float in the Q/DQ model), most sensitive first; empty when INT8 is within budget. */
  readonly keep: readonly QuantizedTensor[];
  readonly mixedLoss: number;
  readonly mixed: number;
  /** Loss evaluations the bisection needed (besides the sensitivity pass). */
  readonly bisectionSteps: number;
  readonly withinBudget: boolean;
  /** The plan with the kept tensors' Q/DQ removed. */
  readonly plan: QdqPlan;
  /** trtexec arguments keeping those layers in FP16. */
  readonly trtexecArgs: string;
}

/** Frames as the head sees them: the FP32 backbone's features, with the ground truth the head is scored on. */
export interface HeadFrames {
  readonly feeds: readonly Record<string, Tensor>[];
  readonly truth: readonly { labels?: Uint8Array; depth?: Float32Array; width: number; height: number }[];
}

/** Runs the FP32 backbone stage once per frame and keeps its outputs (the heads' inputs). */
export async function headFrames(backbone: Model, tasks: ModelTasks, dataset: FrameDataset, options: { threads?: number } = {}): Promise<HeadFrames> {
  const session = await getEngine('cpu').open(encodeModel(backbone), options.threads !== undefined ? { threads: options.threads } : {});
  try {
    const feeds: Record<string, Tensor>[] = [];
    const truth: HeadFrames['truth'][number][] = [];
    for (let i = 0; i < dataset.size; i++) {
      const f = await dataset.read(i);
      feeds.push(await session.run({ [tasks.input]: await frameToInput(f, tasks.preprocess) }));
      truth.push({ width: f.width, height: f.height, ...(f.labels ? { labels: f.labels } : {}), ...(f.depth ? { depth: f.depth } : {}) });
    }
    return { feeds, truth };
  } finally {
    await session.close();
  }
}

/** The task metrics of a head model on the frames: mIoU (segmentation) and/or AbsRel (depth), those asked for. */
async function headMetrics(model: Model, frames: HeadFrames, tasks: ModelTasks, metrics: readonly Budget['metric'][], engine: 'cpu' | 'dla-emulated', threads?: number): Promise<Partial<Record<Budget['metric'], number>>> {
  const session = await getEngine(engine).open(encodeModel(model), threads !== undefined ? { threads } : {});
  try {
    const seg = tasks.segmentation ? new SegmentationAccumulator(tasks.segmentation.classes, tasks.segmentation.ignoreIndex) : undefined;
    const depth = new DepthAccumulator();
    for (const [i, feeds] of frames.feeds.entries()) {
      const inputs = Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!]));
      const out = await session.run(inputs);
      const t = frames.truth[i]!;
      if (metrics.includes('miou')) {
        const o = out[tasks.segmentation!.output]!;
        seg!.add(segmentationArgmax(o.data as Float32Array, o.dims[1]!, o.dims[2]!, o.dims[3]!, t.height, t.width), t.labels!);
      }
      if (metrics.includes('absrel')) {
        const o = out[tasks.depth!.output]!;
        const h = o.dims.at(-2)!;
        const w = o.dims.at(-1)!;
        depth.add(resizeBilinear(decodeDepth(o.data as Float32Array, tasks.depth!, new Float32Array(h * w)), h, w, t.height, t.width), t.depth!);
      }
    }
    return { ...(metrics.includes('miou') ? { miou: seg!.result().mIoU } : {}), ...(metrics.includes('absrel') ? { absrel: depth.result().absRel } : {}) };
  } finally {
    await session.close();
  }
}

/** The loss of a metric value against FP32, in the budget's unit: mIoU points lost, or relative AbsRel added. */
export function taskLoss(metric: Budget['metric'], fp32: number, value: number): number {
  return metric === 'miou' ? fp32 - value : value / fp32 - 1;
}

/** One metric's sensitivity ranking of a head's quantized tensors. */
export interface SensitivityRanking {
  readonly metric: Budget['metric'];
  readonly fp32: number;
  readonly int8: number;
  /** Loss of full INT8 in the metric's unit (mIoU points, or relative AbsRel). */
  readonly int8Loss: number;
  /** Every quantized tensor, most sensitive first. */
  readonly rows: readonly SensitivityRow[];
}

export interface RankSensitivityOptions {
  /** The head's float model and its INT8 Q/DQ plan. */
  readonly model: Model;
  readonly plan: QdqPlan;
  readonly tasks: ModelTasks;
  readonly frames: HeadFrames;
  /** The metrics to rank by (one ranking each; every run scores them all at once). */
  readonly metrics: readonly Budget['metric'][];
  readonly threads?: number;
  /** Called before each run: `done` of `total` runs (FP32, full INT8, then one per quantized tensor). */
  readonly onRun?: (done: number, total: number, what: string) => void;
}

/**
 * The sensitivity pass: FP32, full INT8, then every quantized tensor left in float in turn (all quantized
 * but that one), each scored on the frames; per metric, the tensors ranked by what keeping that one
 * tensor in float recovers. All but one rather than one at a time: it measures the tensor in the
 * company it is deployed in, and it is the question mixed precision asks (which to keep in FP16).
 */
export async function rankSensitivity(o: RankSensitivityOptions): Promise<SensitivityRanking[]> {
  const items = quantizedTensors(o.model, o.plan);
  const total = items.length + 2;
  const measure = (plan: QdqPlan | undefined): Promise<Partial<Record<Budget['metric'], number>>> => headMetrics(plan ? applyQdqPlan(o.model, plan) : o.model, o.frames, o.tasks, o.metrics, plan ? 'dla-emulated' : 'cpu', o.threads);
  o.onRun?.(0, total, 'FP32');
  const fp32 = await measure(undefined);
  o.onRun?.(1, total, 'INT8');
  const int8 = await measure(o.plan);
  const without: Partial<Record<Budget['metric'], number>>[] = [];
  for (const [k, item] of items.entries()) {
    o.onRun?.(k + 2, total, `all but ${item.tensor}`);
    without.push(await measure(withoutTensors(o.plan, new Set([item.tensor]))));
  }
  o.onRun?.(total, total, 'done');
  return o.metrics.map((metric) => {
    const f = fp32[metric]!;
    const loss = (v: number): number => taskLoss(metric, f, v);
    const rows = items.map((item, k) => ({ ...item, recovers: loss(int8[metric]!) - loss(without[k]![metric]!) })).sort((a, b) => b.recovers - a.recovers);
    return { metric, fp32: f, int8: int8[metric]!, int8Loss: loss(int8[metric]!), rows };
  });
}

/** The quantized tensors of a Q/DQ plan. */
export function quantizedTensors(model: Model, plan: QdqPlan): QuantizedTensor[] {
  const g = model.graph;
  return [
    ...plan.activations.map((a): QuantizedTensor => ({ tensor: a.tensor, kind: 'activation', layer: g.producer(a.tensor)?.name ?? '' })),
    ...plan.weights.map((w): QuantizedTensor => ({ tensor: w.tensor, kind: 'weight', layer: w.consumer.node })),
  ];
}

/** The plan without the Q/DQ of the given tensors (they stay float: FP16 on the DLA). */
export function withoutTensors(plan: QdqPlan, keep: ReadonlySet<string>): QdqPlan {
  return { ...plan, activations: plan.activations.filter((a) => !keep.has(a.tensor)), weights: plan.weights.filter((w) => !keep.has(w.tensor)) };
}

export interface KeepFp16Options {
  readonly stage: string;
  /** The head's float model and its INT8 Q/DQ plan (from tandem quantize). */
  readonly model: Model;
  readonly plan: QdqPlan;
  readonly tasks: ModelTasks;
  readonly frames: HeadFrames;
  readonly budget: Budget;
  readonly threads?: number;
  /** Told before each sensitivity run and bisection step (`kind: 'search'`). */
  readonly onProgress?: ProgressCallback;
}

/**
 * Finds a small set of a head's quantized tensors to keep in FP16 so that the task loss stays within the
 * budget — the automatic form of Polygraphy's `debug precision` bisection. First a sensitivity pass (all
 * tensors quantized but one, each in turn: what keeping it recovers), then a search over the prefixes
 * of that ranking (galloping, then bisection: `bisectPrefix`): the fewest most-sensitive tensors whose
 * FP16 brings the loss inside the budget.
 */
export async function keepFp16(o: KeepFp16Options): Promise<HeadPrecisionResult> {
  const { metric } = o.budget;
  const [ranking] = await rankSensitivity({ model: o.model, plan: o.plan, tasks: o.tasks, frames: o.frames, metrics: [metric], ...(o.threads !== undefined ? { threads: o.threads } : {}), onRun: (done, total, what) => o.onProgress?.({ kind: 'search', stage: o.stage, what: `sensitivity ${done}/${total}: ${what}` }) });
  const { fp32, int8 } = ranking!;
  const sensitivity = [...ranking!.rows];
  const loss = (v: number): number => taskLoss(metric, fp32, v);
  const measure = async (plan: QdqPlan): Promise<number> => (await headMetrics(applyQdqPlan(o.model, plan), o.frames, o.tasks, [metric], 'dla-emulated', o.threads))[metric]!;
  const within = (l: number): boolean => l <= o.budget.loss;
  let steps = 0;
  let keepCount = 0;
  let mixed = int8;
  if (!within(loss(int8))) {
    const found = new Map<number, number>([[sensitivity.length, fp32]]);
    const r = await bisectPrefix(sensitivity.length, async (k) => {
      o.onProgress?.({ kind: 'search', stage: o.stage, what: `bisection: keep the top ${k} of ${sensitivity.length}` });
      const v = await measure(withoutTensors(o.plan, new Set(sensitivity.slice(0, k).map((s) => s.tensor))));
      found.set(k, v);
      return within(loss(v));
    });
    steps = r.steps;
    keepCount = r.count;
    mixed = found.get(r.count)!;
  }
  const keep = sensitivity.slice(0, keepCount).map(({ tensor, kind, layer }) => ({ tensor, kind, layer }));
  const layers = [...new Set(keep.map((k) => k.layer).filter((l) => l !== ''))];
  return {
    stage: o.stage,
    metric,
    fp32,
    int8,
    int8Loss: loss(int8),
    sensitivity,
    keep,
    mixed,
    mixedLoss: loss(mixed),
    bisectionSteps: steps,
    withinBudget: within(loss(mixed)),
    plan: withoutTensors(o.plan, new Set(keep.map((k) => k.tensor))),
    trtexecArgs: layers.length === 0 ? '' : `--precisionConstraints=obey --layerPrecisions=${layers.map((l) => `${l}:fp16`).join(',')} --layerOutputTypes=${layers.map((l) => `${l}:fp16`).join(',')}`,
  };
}

/**
 * The smallest k in [1, n] with passes(k), where passes(0) is false and passes(n) true (both known, not
 * evaluated). A galloping search from the top of the ranking (k = 1, 2, 4, ...) brackets the first
 * passing power of two, then bisection inside the bracket: 2·log2(k) evaluations for an answer k, and
 * the few most sensitive tensors are tried first. Plain bisection over [0, n] probes n/2 first; the
 * loss over the prefix is not monotone (measured on tandem-street's depth head: the top 3 tensors in
 * float give +1.86 % AbsRel, the top 14 +2.40 %), so that probe can fail and push the answer from 3 to 23.
 */
export async function bisectPrefix(n: number, passes: (k: number) => Promise<boolean>): Promise<{ count: number; steps: number }> {
  let lo = 0;
  let hi = n;
  let steps = 0;
  for (let k = 1; k < n; k *= 2) {
    steps++;
    if (await passes(k)) {
      hi = k;
      break;
    }
    lo = k;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    steps++;
    if (await passes(mid)) hi = mid;
    else lo = mid;
  }
  return { count: hi, steps };
}

/** A TensorRT calibration cache without the entries of the given tensors (they run in FP16). */
export function cacheWithout(cache: string, keep: ReadonlySet<string>): string {
  return cache
    .split('\n')
    .filter((line, i) => i === 0 || !keep.has(line.slice(0, line.lastIndexOf(':'))))
    .join('\n');
}

export interface KeepFp16HeadsOptions {
  /** Every stage of the split (the float models): the backbone feeds the heads. */
  readonly stages: readonly { readonly name: string; readonly model: Model }[];
  /** tandem quantize's artifacts of the head stages (one method or several). */
  readonly artifacts: readonly StageArtifacts[];
  /** The whole model's tasks (from its metadata): which stage scores on which metric. */
  readonly tasks: ModelTasks;
  readonly dataset: FrameDataset;
  readonly budgets: readonly Budget[];
  readonly threads?: number;
  /** Told before each sensitivity run and bisection step (`kind: 'search'`). */
  readonly onProgress?: ProgressCallback;
}

/**
 * keepFp16 for every quantized head of a split whose output has a budget (segmentation → miou, depth →
 * absrel); returns the results and the artifacts rewritten: Q/DQ model and plan without the kept
 * tensors, calibration cache without their entries.
 */
export async function keepFp16Heads(o: KeepFp16HeadsOptions): Promise<{ results: (HeadPrecisionResult & { method: string })[]; artifacts: StageArtifacts[] }> {
  const backbone = o.stages.find((s) => s.model.graph.runtimeInputs.includes(o.tasks.input));
  if (backbone === undefined) throw new TandemError('USAGE', `no stage reads the model input "${o.tasks.input}"; --keep-fp16 auto needs the split's backbone stage`);
  const frames = await headFrames(backbone.model, o.tasks, o.dataset, o.threads !== undefined ? { threads: o.threads } : {});
  const results: (HeadPrecisionResult & { method: string })[] = [];
  const artifacts: StageArtifacts[] = [];
  for (const a of o.artifacts) {
    const stage = o.stages.find((s) => s.name === a.stage)!;
    const outputs = stage.model.graph.outputs;
    const metric: Budget['metric'] | undefined = o.tasks.segmentation && outputs.includes(o.tasks.segmentation.output) ? 'miou' : o.tasks.depth && outputs.includes(o.tasks.depth.output) ? 'absrel' : undefined;
    const budget = o.budgets.find((b) => b.metric === metric);
    const missing = stage.model.graph.runtimeInputs.filter((i) => frames.feeds[0]?.[i] === undefined);
    if (metric === undefined || budget === undefined || missing.length > 0) {
      artifacts.push(a);
      continue;
    }
    const r = await keepFp16({ stage: a.stage, model: stage.model, plan: a.plan, tasks: o.tasks, frames, budget, ...(o.threads !== undefined ? { threads: o.threads } : {}), ...(o.onProgress ? { onProgress: (e: ProgressEvent) => o.onProgress!(e.kind === 'search' ? { ...e, method: a.method } : e) } : {}) });
    results.push({ ...r, method: a.method });
    const keep = new Set(r.keep.map((k) => k.tensor));
    artifacts.push({ ...a, plan: r.plan, qdqModel: applyQdqPlan(stage.model, r.plan), cache: cacheWithout(a.cache, keep) });
  }
  return { results, artifacts };
}
