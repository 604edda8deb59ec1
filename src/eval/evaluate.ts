import { TandemError } from '../util/errors.js';
import { assertFolderFree, StagedFolder, type ReadPath } from '../util/fs.js';
import type { ProgressCallback } from '../util/progress.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import { turbo } from '../io/colour-map.js';
import { CITYSCAPES_CLASSES, IGNORE_INDEX } from './datasets/cityscapes-classes.js';
import type { FrameDataset, LabeledFrame } from './datasets/types.js';
import { checkShard, shardIndices, type Shard } from './datasets/views.js';
import { openDatasetSpec } from './dataset-spec.js';
import { openEvalTarget, type EvalTarget, type EvalTargetSpec, type OpenTargetOptions } from './eval-target.js';
import { writeRgbPng } from './image-io.js';
import { AgreementAccumulator } from './metrics/agreement.js';
import { DepthAccumulator } from './metrics/depth.js';
import { SegmentationAccumulator } from './metrics/segmentation.js';
import { decodeDepth, type ModelTasks } from './model-tasks.js';
import { frameToInput, frameToPixels, resizeBilinear, segmentationArgmax, segmentationIds } from './predictions.js';

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /**
   * The frames: a dataset, or its spec (`synthetic[:seed,count]`, `cityscapes:<dir>`, `folder:<dir>`;
   * generated frames at `size`, by default the target's input size).
   */
  readonly dataset: FrameDataset | string;
  /** Frame size for a generated dataset given as a spec. @default the target's input size (its preprocessing) */
  readonly size?: { readonly height: number; readonly width: number };
  /** What the name of the dataset is in results (e.g. "synthetic:1000,256"), so parts can be matched. @default dataset.description */
  readonly datasetName?: string;
  /** Also run this model or plan and report deltas and agreement against it (FP32 for an INT8 target). @default none */
  readonly reference?: EvalTargetSpec;
  /** Evaluate every count-th frame from index. @default { index: 0, count: 1 } */
  readonly shard?: Shard;
  /** Write colour-mapped PNGs of the first N frames of the dataset (those in this shard) to saveDir. @default 0 */
  readonly save?: number;
  /**
   * Folder for the saved PNGs (required when `save` > 0): written as one set when the evaluation ends
   * (nothing final-named after a failure); refused with `FILE_EXISTS` where it is, holds or lies inside
   * the target, the reference or the dataset folder. @default none
   */
  readonly saveDir?: string;
  /** How to open the evaluated model or plan (engine, threads). @default { engine: 'cpu' } */
  readonly targetOptions?: OpenTargetOptions;
  /** How to open the reference. @default targetOptions */
  readonly referenceOptions?: OpenTargetOptions;
  /** Told after each frame (`kind: 'frame'`). */
  readonly onProgress?: ProgressCallback;
}

/** Per-task accumulators of one model (the target or the reference). */
interface TaskAccumulators {
  segmentation?: SegmentationAccumulator;
  depth?: DepthAccumulator;
}

/**
 * A partial (or whole) evaluation as JSON: accumulator states, so shards evaluated anywhere merge into
 * exactly the result of one pass (`mergeEvalParts`).
 */
export interface EvalPart {
  readonly kind: 'tandem-eval';
  readonly version: 1;
  readonly target: string;
  readonly reference: string | null;
  readonly dataset: { readonly name: string; readonly description: string; readonly size: number };
  readonly shards: { readonly count: number; readonly indices: readonly number[] };
  readonly frames: number;
  readonly classNames: readonly string[] | null;
  readonly metrics: Record<string, unknown>;
  readonly referenceMetrics: Record<string, unknown> | null;
  readonly agreement: unknown;
  readonly savedFiles: readonly string[];
  /** How outputs were read where it bears on the numbers (class ids upsampled from a plan's argmax output). */
  readonly notes?: readonly string[];
}

function accumulatorsFor(tasks: ModelTasks): TaskAccumulators {
  return {
    ...(tasks.segmentation ? { segmentation: new SegmentationAccumulator(tasks.segmentation.classes, tasks.segmentation.ignoreIndex) } : {}),
    ...(tasks.depth ? { depth: new DepthAccumulator() } : {}),
  };
}

interface Prediction {
  segmentation?: Uint8Array;
  depth?: Float32Array;
}

/** A tensor's values as numbers: float32 and the narrow integers as they are, others (float16, int64) converted. */
function numbers(t: Tensor): ArrayLike<number> {
  return t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'uint8' || t.dtype === 'int8' || t.dtype === 'uint16' || t.dtype === 'int16' ? (t.data as ArrayLike<number>) : tensorValues(t);
}

const isInteger = (t: Tensor): boolean => /^u?int/.test(t.dtype);

/**
 * A model's outputs as label-size predictions: argmax classes and depth in metres. Segmentation comes as
 * logits [1, C, h, w] (float32 or float16; upsampled bilinearly, then argmax) or as class ids [1, h, w]
 * (a plan's argmax output; nearest neighbour where h x w is not the label size); depth as float32 or float16.
 */
function predict(outputs: Record<string, Tensor>, tasks: ModelTasks, width: number, height: number): Prediction {
  const out: Prediction = {};
  if (tasks.segmentation) {
    const name = tasks.segmentation.output;
    const t = outputs[name];
    if (t === undefined) throw new TandemError('ENGINE_RUN', `the model gave no "${name}" output`);
    const d = t.dims;
    if (isInteger(t)) {
      if (!(d[0] === 1 && (d.length === 3 || (d.length === 4 && d[1] === 1)))) throw new TandemError('ENGINE_RUN', `segmentation output "${name}" is ${t.dtype}[${d.join(', ')}]; class ids are read as [1, h, w]`);
      out.segmentation = segmentationIds(numbers(t), tasks.segmentation.classes, d.at(-2)!, d.at(-1)!, height, width);
    } else {
      if (d.length !== 4) throw new TandemError('ENGINE_RUN', `the model gave no 4-d "${name}" output`);
      out.segmentation = segmentationArgmax(numbers(t), d[1]!, d[2]!, d[3]!, height, width);
    }
  }
  if (tasks.depth) {
    const name = tasks.depth.output;
    const t = outputs[name];
    if (t === undefined) throw new TandemError('ENGINE_RUN', `the model gave no "${name}" output`);
    if (t.dtype !== 'float32' && t.dtype !== 'float16') throw new TandemError('MODEL_UNSUITABLE', `depth output "${name}" is ${t.dtype}; eval reads depth as float32 or float16 (a plan made with --outputs ${name}=argmax has no depth to score: plan with ${name}=fp16 or float)`);
    const h = t.dims.at(-2)!;
    const w = t.dims.at(-1)!;
    out.depth = resizeBilinear(decodeDepth(numbers(t), tasks.depth, new Float32Array(h * w)), h, w, height, width);
  }
  return out;
}

/**
 * A note where `outputs` give segmentation as class ids at another size than the frame: the plan took the
 * argmax before any upsampling, so the ids are upsampled nearest, not the logits bilinearly.
 */
function idsNote(outputs: Record<string, Tensor>, target: EvalTarget, frame: LabeledFrame): string | undefined {
  const seg = target.tasks.segmentation;
  const t = seg === undefined ? undefined : outputs[seg.output];
  if (t === undefined || !isInteger(t)) return undefined;
  const [h, w] = [t.dims.at(-2)!, t.dims.at(-1)!];
  if (h === frame.height && w === frame.width) return undefined;
  return `${target.label}: segmentation "${seg!.output}" comes as class ids at ${h}x${w} (the argmax taken before upsampling); scored after nearest-neighbour upsampling to the labels' ${frame.height}x${frame.width}, where the float model's logits are upsampled bilinearly before the argmax: class borders move, and the score is that of the ids as the plan delivers them`;
}

/** A frame as `target`'s input: pixels in its encoding for a plan that normalises them itself, else the float tensor. */
function frameInput(frame: LabeledFrame, target: EvalTarget): Promise<Tensor> {
  return target.pixels !== undefined ? frameToPixels(frame, target.tasks.preprocess, target.pixels.encoding) : frameToInput(frame, target.tasks.preprocess);
}

function accumulate(acc: TaskAccumulators, p: Prediction, frame: LabeledFrame): void {
  if (acc.segmentation && p.segmentation && frame.labels) acc.segmentation.add(p.segmentation, frame.labels);
  if (acc.depth && p.depth && frame.depth) acc.depth.add(p.depth, frame.depth);
}

function taskJson(acc: TaskAccumulators): Record<string, unknown> {
  return { ...(acc.segmentation ? { segmentation: acc.segmentation.toJSON() } : {}), ...(acc.depth ? { depth: acc.depth.toJSON() } : {}) };
}

/**
 * Evaluates a model or plan on a dataset: task metrics against the ground truth and, with a reference,
 * the reference's metrics and the agreement between the two. Returns the accumulator state (an EvalPart);
 * `summarizeEval` turns it into numbers. Frames are read, run and dropped one at a time.
 *
 * @example
 * ```ts
 * const part = await evaluate('out/plan', { dataset: 'synthetic:0,16', reference: 'model.onnx' });
 * const summary = summarizeEval(part);
 * console.log(summary.metrics.segmentation?.mIoU, summary.metrics.depth?.absRel, summary.deltas);
 * ```
 */
export async function evaluate(spec: EvalTargetSpec, options: EvaluateOptions): Promise<EvalPart> {
  const shard = checkShard(options.shard ?? { index: 0, count: 1 });
  const target: EvalTarget = await openEvalTarget(spec, options.targetOptions);
  let dataset: FrameDataset;
  try {
    dataset = typeof options.dataset === 'string' ? openDatasetSpec(options.dataset, options.size ?? { height: target.tasks.preprocess.height, width: target.tasks.preprocess.width }) : options.dataset;
  } catch (e) {
    await target.close();
    throw e;
  }
  const indices = shardIndices(dataset.size, shard);
  let reference: EvalTarget | undefined;
  let pictures: StagedFolder | undefined;
  try {
    if (options.reference !== undefined) reference = await openEvalTarget(options.reference, options.referenceOptions ?? options.targetOptions);
    const acc = accumulatorsFor(target.tasks);
    const refAcc = reference ? accumulatorsFor(reference.tasks) : undefined;
    const agreement = new AgreementAccumulator();
    const saved: string[] = [];
    const notes = new Set<string>();
    const save = options.save ?? 0;
    if (save > 0) {
      if (options.saveDir === undefined) throw new TandemError('USAGE', 'save needs a saveDir');
      // the pictures are written as one set (nothing final-named after a failure), never into what is read
      assertFolderFree(options.saveDir, evalInputs(spec, options), { flag: 'save folder' });
      pictures = StagedFolder.begin(options.saveDir, 'saveDir');
    }
    for (const [k, i] of indices.entries()) {
      const frame = await dataset.read(i);
      const input = await frameInput(frame, target);
      const outputs = await target.run(input);
      const note = idsNote(outputs, target, frame);
      if (note !== undefined) notes.add(note);
      const p = predict(outputs, target.tasks, frame.width, frame.height);
      accumulate(acc, p, frame);
      let r: Prediction | undefined;
      if (reference && refAcc) {
        const refInput = reference.tasks.preprocess === target.tasks.preprocess && reference.pixels?.encoding === target.pixels?.encoding ? input : await frameInput(frame, reference);
        const refOutputs = await reference.run(refInput);
        const refNote = idsNote(refOutputs, reference, frame);
        if (refNote !== undefined) notes.add(refNote);
        r = predict(refOutputs, reference.tasks, frame.width, frame.height);
        accumulate(refAcc, r, frame);
        if (p.segmentation && r.segmentation) agreement.addSegmentation(p.segmentation, r.segmentation);
        if (p.depth && r.depth) agreement.addDepth(p.depth, r.depth);
      }
      if (i < save) saved.push(...(await saveFrame(pictures!, frame, p, r, target.tasks)));
      options.onProgress?.({ kind: 'frame', done: k + 1, total: indices.length });
    }
    pictures?.commit();
    return {
      kind: 'tandem-eval',
      version: 1,
      target: target.label,
      reference: reference?.label ?? null,
      dataset: { name: options.datasetName ?? (typeof options.dataset === 'string' ? options.dataset : dataset.description), description: dataset.description, size: dataset.size },
      shards: { count: shard.count, indices: [shard.index] },
      frames: indices.length,
      classNames: target.tasks.segmentation?.classNames ?? null,
      metrics: taskJson(acc),
      referenceMetrics: refAcc ? taskJson(refAcc) : null,
      agreement: reference ? agreement.toJSON() : null,
      savedFiles: saved,
      ...(notes.size > 0 ? { notes: [...notes] } : {}),
    };
  } finally {
    pictures?.discard();
    await target.close();
    await reference?.close();
  }
}

/** What an evaluation reads from disk: the target and reference (model files or plan folders) and a dataset folder. */
function evalInputs(spec: EvalTargetSpec, options: EvaluateOptions): ReadPath[] {
  const out: ReadPath[] = [];
  const add = (s: EvalTargetSpec | undefined, what: string): void => {
    if (s === undefined) return;
    out.push({ path: typeof s === 'string' ? s : s.dir, what });
  };
  add(spec, 'the evaluated model or plan');
  add(options.reference, 'the reference');
  const m = typeof options.dataset === 'string' ? /^(?:cityscapes|folder):(.+)$/.exec(options.dataset) : null;
  if (m) out.push({ path: m[1]!, what: 'the dataset' });
  return out;
}

/** Depth as turbo colours on a log scale (near = warm), 0 (no depth) black. */
function depthColours(d: Float32Array, lo: number, hi: number): Uint8Array {
  const rgb = new Uint8Array(d.length * 3);
  const a = Math.log(lo);
  const span = Math.log(hi) - a;
  for (let i = 0; i < d.length; i++) if (d[i]! > 0) rgb.set(turbo(1 - (Math.log(Math.max(lo, d[i]!)) - a) / span), i * 3);
  return rgb;
}

function classColours(c: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(c.length * 3);
  for (let i = 0; i < c.length; i++) if (c[i] !== IGNORE_INDEX) rgb.set(CITYSCAPES_CLASSES[c[i]!]?.color ?? [255, 255, 255], i * 3);
  return rgb;
}

async function saveFrame(out: StagedFolder, frame: LabeledFrame, p: Prediction, r: Prediction | undefined, tasks: ModelTasks): Promise<string[]> {
  const { width: w, height: h } = frame;
  const files: string[] = [];
  const put = async (suffix: string, rgb: Uint8Array): Promise<void> => {
    const name = `${frame.id}-${suffix}.png`;
    await writeRgbPng(out.at(name), w, h, rgb);
    files.push(out.final(name));
  };
  const lo = tasks.depth ? Math.max(0.1, tasks.depth.min) : 1;
  const hi = tasks.depth && Number.isFinite(tasks.depth.max) ? tasks.depth.max : 100;
  await put('input', frame.image);
  if (p.segmentation) await put('segmentation', classColours(p.segmentation));
  if (frame.labels) await put('labels', classColours(frame.labels));
  if (p.depth) await put('depth', depthColours(p.depth, lo, hi));
  if (frame.depth) await put('depth-truth', depthColours(frame.depth, lo, hi));
  if (r?.depth && p.depth) {
    // |d − d_ref| / d_ref, 0 → black, ≥ 10 % → red (turbo's top): where INT8 depth departs from FP32
    const err = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) if (r.depth[i]! > 0) err.set(turbo(Math.min(1, Math.abs(p.depth[i]! - r.depth[i]!) / r.depth[i]! / 0.1)), i * 3);
    await put('depth-error', err);
  }
  if (r?.segmentation && p.segmentation) {
    const diff = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) if (p.segmentation[i] !== r.segmentation[i]) diff.set([255, 255, 255], i * 3);
    await put('segmentation-diff', diff);
  }
  return files;
}
