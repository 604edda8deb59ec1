import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TandemError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { loadModel } from '../onnx/load-save.js';
import { HOST_ENGINES, isPlanPath, readPlan, runOrder, type HostEngine, type Plan } from '../io/stage-file/index.js';
import { extractQdqPlan, type FixedQdq } from '../quant/extract-qdq-plan.js';
import type { ImagePreprocessOptions } from '../quant/image-preprocess.js';
import { getEngine } from '../runtime/engines/registry.js';
import type { Session } from '../runtime/engines/types.js';
import type { FrameDataset } from './datasets/types.js';
import { openDatasetSpec } from './dataset-spec.js';
import { planTaskModel } from './eval-target.js';
import { rankSensitivity, type Budget, type HeadFrames, type SensitivityRanking } from './mixed-precision.js';
import { readModelTasks, type ModelTasks } from './model-tasks.js';
import { frameToInput } from './predictions.js';

/** Options of `evaluateSensitivity`. */
export interface SensitivityOptions {
  /** Frames with ground truth, or their spec (`synthetic[:seed,count]`, `cityscapes:<dir>`, `folder:<dir>`); the first `frames` of them are scored. */
  readonly dataset: FrameDataset | string;
  /** Frame size for a generated dataset given as a spec. @default the target's input size (its preprocessing) */
  readonly size?: { readonly height: number; readonly width: number };
  /** How many frames (from the first) score each run. @default 16 */
  readonly frames?: number;
  /** Intra-op threads per session. @default onnxruntime's choice */
  readonly threads?: number;
  /** Overrides of the model's own preprocessing (its `tandem.preprocess` metadata). @default none */
  readonly preprocess?: ImagePreprocessOptions;
  /** `sensitivity` events: before each run, and once when all are done. */
  readonly onProgress?: ProgressCallback;
}

/** The rankings of one INT8 stage (a plan's Q/DQ head, or a whole Q/DQ model). */
export interface StageSensitivity extends Omit<SensitivityRanking, 'rows'> {
  readonly stage: string;
  readonly rows: SensitivityRanking['rows'];
  /** Q/DQ nodes left quantized in every run (an INT8 hand-off into the stage, INT8 weights), with why. */
  readonly fixed: readonly FixedQdq[];
}

/** What `evaluateSensitivity` found: per INT8 stage and task metric, every quantized tensor ranked. */
export interface SensitivityReport {
  readonly kind: 'tandem-sensitivity';
  readonly target: string;
  readonly dataset: string;
  readonly frames: number;
  /** What each row's `recovers` is. */
  readonly method: 'all-but-one';
  /** One entry per (stage, metric), in stage order. */
  readonly stages: readonly StageSensitivity[];
  /** Stages with Q/DQ that were not ranked, and why. */
  readonly skipped: readonly { readonly stage: string; readonly reason: string }[];
}

interface RankedStage {
  readonly name: string;
  readonly qdq: Model;
  readonly metrics: Budget['metric'][];
}

const hasQdq = (m: Model): boolean => m.graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear');

function metricsOf(outputs: readonly string[], tasks: ModelTasks): Budget['metric'][] {
  return [...(tasks.segmentation && outputs.includes(tasks.segmentation.output) ? ['miou' as const] : []), ...(tasks.depth && outputs.includes(tasks.depth.output) ? ['absrel' as const] : [])];
}

/**
 * Runs the stages of a plan that are not ranked, in run order on their own engines, and keeps every
 * tensor they compute per frame: the ranked stages' inputs, as the plan hands them over.
 */
async function planFrames(plan: Plan, upstream: readonly Plan['stages'][number][], tasks: ModelTasks, dataset: FrameDataset, count: number, threads?: number): Promise<HeadFrames> {
  const sessions: { stage: Plan['stages'][number]; session: Session }[] = [];
  try {
    for (const stage of upstream) {
      if (!(HOST_ENGINES as readonly string[]).includes(stage.engine)) throw new TandemError('PLAN_TARGET', `stage ${stage.name} of plan ${plan.dir} runs on ${stage.engine}, which is not an engine of this machine; sensitivity runs host plans (tandem plan --target host)`);
      sessions.push({ stage, session: await getEngine(stage.engine as HostEngine).open(join(plan.dir, stage.file), threads !== undefined ? { threads } : {}) });
    }
    const feeds: Record<string, Tensor>[] = [];
    const truth: HeadFrames['truth'][number][] = [];
    for (let i = 0; i < count; i++) {
      const f = await dataset.read(i);
      const values: Record<string, Tensor> = { [tasks.input]: await frameToInput(f, tasks.preprocess) };
      for (const { stage, session } of sessions) Object.assign(values, await session.run(Object.fromEntries(stage.inputs.map((n) => [n, values[n]!]))));
      feeds.push(values);
      truth.push({ width: f.width, height: f.height, ...(f.labels ? { labels: f.labels } : {}), ...(f.depth ? { depth: f.depth } : {}) });
    }
    return { feeds, truth };
  } finally {
    for (const s of sessions) await s.session.close();
  }
}

/**
 * Sensitivity feeds the stages float frames and scores float task outputs; a plan with pixel input or
 * compact outputs (`plan.io`) is refused, naming the way around.
 */
function refuseFrameIo(plan: Plan): void {
  const io = plan.io;
  if (io === undefined || (io.input === undefined && io.outputs === undefined)) return;
  const ends = [...(io.input ? [`takes ${io.input.encoding} pixels`] : []), ...(io.outputs ? [`gives ${Object.entries(io.outputs).map(([name, form]) => `${name} as ${form}`).join(', ')}`] : [])];
  throw new TandemError('MODEL_UNSUITABLE', `plan ${plan.dir} ${ends.join(' and ')}; --sensitivity feeds float frames and ranks by float task outputs, so it takes a plan made without --input/--outputs: rank that one (same stages and precisions), then plan again with the compact ends`);
}

/**
 * Refuses what evaluateSensitivity would refuse before any frame runs (a plan with pixel input or compact
 * outputs), so a caller can check before a long evaluation. Model files pass: they are checked when opened.
 */
export function checkSensitivityTarget(spec: string | Plan): void {
  if (typeof spec !== 'string') refuseFrameIo(spec);
  else if (isPlanPath(spec)) refuseFrameIo(readPlan(spec.toLowerCase().endsWith('.json') ? spec : join(spec, 'plan.json')));
}

/**
 * The error each quantized tensor of an INT8 model or plan contributes, in task metrics: for every INT8
 * Q/DQ stage whose outputs are task outputs (a plan's heads, or a whole Q/DQ model), every symmetric INT8
 * Q/DQ pair is left in float in turn, all others quantized (the sensitivity pass of `tandem quantize
 * --keep-fp16`, on the pairs extracted from the stage's Q/DQ model), and the tensors are ranked by the
 * mIoU points or relative AbsRel that keeping each in float recovers. A plan's other stages run once per
 * frame, as the plan has them. Emulated INT8 (Q/DQ on onnxruntime cpu).
 */
export async function evaluateSensitivity(spec: string | Plan, options: SensitivityOptions): Promise<SensitivityReport> {
  const overrides = options.preprocess !== undefined ? { preprocess: options.preprocess } : {};
  const skipped: { stage: string; reason: string }[] = [];
  let tasks: ModelTasks;
  let ranked: RankedStage[];
  let frames: (dataset: FrameDataset, count: number) => Promise<HeadFrames>;
  let target: string;
  if (typeof spec !== 'string' || isPlanPath(spec)) {
    const plan = typeof spec === 'string' ? readPlan(spec.toLowerCase().endsWith('.json') ? spec : join(spec, 'plan.json')) : spec;
    refuseFrameIo(plan);
    target = `plan ${plan.dir}`;
    tasks = readModelTasks(planTaskModel(plan), overrides);
    const order = runOrder(plan.stages);
    ranked = [];
    for (const stage of order) {
      const model = loadModel(join(plan.dir, stage.file));
      if (!hasQdq(model)) continue;
      const metrics = metricsOf(stage.outputs, tasks);
      const feedsOthers = plan.tensors.some((t) => t.from === stage.name && t.to.length > 0);
      const readsRanked = stage.inputs.some((i) => ranked.some((r) => plan.stages.find((s) => s.name === r.name)!.outputs.includes(i)));
      if (metrics.length === 0 || feedsOthers || readsRanked) {
        // A stage whose only Q/DQ is an INT8 hand-off (a backbone quantizing its outputs) has nothing to rank: no note.
        const pairs = extractQdqPlan(model).plan;
        if (pairs.activations.length + pairs.weights.length === 0) continue;
        skipped.push({ stage: stage.name, reason: metrics.length === 0 ? 'computes no task output (segmentation or depth) to score' : feedsOthers ? 'feeds other stages; only stages whose outputs are the task outputs are ranked' : 'reads a ranked stage' });
        continue;
      }
      ranked.push({ name: stage.name, qdq: model, metrics });
    }
    const upstream = order.filter((s) => !ranked.some((r) => r.name === s.name));
    frames = (dataset, count) => planFrames(plan, upstream, tasks, dataset, count, options.threads);
  } else {
    if (!existsSync(spec)) throw new TandemError('FILE_NOT_FOUND', `model ${spec} does not exist`);
    target = spec;
    const model = loadModel(spec);
    tasks = readModelTasks(model, overrides);
    ranked = hasQdq(model) ? [{ name: spec, qdq: model, metrics: metricsOf(model.graph.outputs, tasks) }] : [];
    frames = async (dataset, count) => {
      const feeds: Record<string, Tensor>[] = [];
      const truth: HeadFrames['truth'][number][] = [];
      for (let i = 0; i < count; i++) {
        const f = await dataset.read(i);
        feeds.push({ [tasks.input]: await frameToInput(f, tasks.preprocess) });
        truth.push({ width: f.width, height: f.height, ...(f.labels ? { labels: f.labels } : {}), ...(f.depth ? { depth: f.depth } : {}) });
      }
      return { feeds, truth };
    };
  }
  const extracted = ranked.map((r) => ({ ...r, ...extractQdqPlan(r.qdq) })).filter((r) => {
    if (r.plan.activations.length + r.plan.weights.length > 0) return true;
    skipped.push({ stage: r.name, reason: 'has no symmetric INT8 Q/DQ pair to leave in float' });
    return false;
  });
  if (extracted.length === 0) {
    throw new TandemError('MODEL_UNSUITABLE', `${target} has no INT8 Q/DQ stage with a task output to rank${skipped.length > 0 ? ` (${skipped.map((s) => `${s.stage}: ${s.reason}`).join('; ')})` : ''}; give an INT8 plan (tandem plan with dla-emulated heads) or a Q/DQ model (tandem quantize) with --engine dla-emulated`);
  }
  const dataset = typeof options.dataset === 'string' ? openDatasetSpec(options.dataset, options.size ?? { height: tasks.preprocess.height, width: tasks.preprocess.width }) : options.dataset;
  const count = Math.min(options.frames ?? 16, dataset.size);
  if (count < 1) throw new TandemError('DATASET', `sensitivity needs at least one frame; the dataset has ${dataset.size}`);
  const scored = await frames(dataset, count);
  const truthFor = (m: Budget['metric']): boolean => scored.truth.every((t) => (m === 'miou' ? t.labels !== undefined : t.depth !== undefined));
  const work = extracted.flatMap((r) => {
    const metrics = r.metrics.filter(truthFor);
    if (metrics.length > 0) return [{ ...r, metrics }];
    skipped.push({ stage: r.name, reason: `the dataset has no ground truth for its ${r.metrics.join(', ')}` });
    return [];
  });
  const runs = (r: (typeof work)[number]): number => r.plan.activations.length + r.plan.weights.length + 2;
  const total = work.reduce((n, r) => n + runs(r), 0);
  let before = 0;
  const stages: StageSensitivity[] = [];
  for (const r of work) {
    const rankings = await rankSensitivity({
      model: r.model,
      plan: r.plan,
      tasks,
      frames: scored,
      metrics: r.metrics,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      onRun: (done, _total, what) => options.onProgress?.({ kind: 'sensitivity', stage: r.name, what, done: before + done, total }),
    });
    before += runs(r);
    for (const k of rankings) stages.push({ stage: r.name, ...k, fixed: r.fixed });
  }
  return { kind: 'tandem-sensitivity', target, dataset: dataset.description, frames: count, method: 'all-but-one', stages, skipped };
}
