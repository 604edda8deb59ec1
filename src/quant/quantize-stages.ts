import { basename, join } from 'node:path';
import { TandemError } from '../util/errors.js';
import { assertOutputsFree, checkOutputDir } from '../util/fs.js';
import { quote } from '../util/text.js';
import type { ProgressCallback } from '../util/progress.js';
import { loadModel, modelFiles, savedModelFiles } from '../onnx/load-save.js';
import type { Model } from '../ir/model.js';
import { fixInputDims } from '../passes/fix-input-dims.js';
import { modelInputSpecs, openCalibrationFolder, sliceSource, type CalibrationSource } from './calibration-source.js';
import { compareFidelity, type FidelityRow } from './fidelity.js';
import { preprocessFromMetadata, type ImagePreprocessOptions } from './image-preprocess.js';
import { artifactPaths, orderStages, quantize, resolveQuantizeOptions, writeQuantizeArtifacts, type QuantizeOptions, type QuantizeResult, type QuantizeStage, type StageArtifacts } from './quantize.js';
import type { SessionOpener } from './session.js';
import { isSplitManifestPath, loadSplitStages } from './split-manifest.js';

/** A stage to quantize, with the file it was read from. */
export interface QuantizeFileStage extends QuantizeStage {
  readonly file: string;
  readonly quantize: boolean;
}

/** Options of `quantizeStages`: the `quantize` options plus the files to read and where to write. */
export interface QuantizeStagesOptions extends QuantizeOptions {
  /** Calibration data: a folder of images, of .npz files keyed by input name, or of .npy files (one input). */
  calib: string;
  /** Output folder (a subfolder per method when there are several); checked before any work, never over an input. */
  out: string;
  /** split.json only: the stages to quantize; the others run only to feed them. @default every stage */
  stages?: readonly string[];
  /** Calibrate on the first n samples (file names in code-point order). @default all */
  limit?: number;
  /** Image preprocessing over the defaults the model's metadata (`tandem.preprocess`) gives. @default {} */
  image?: ImagePreprocessOptions;
  /**
   * Samples kept back for `compareCalibrators`, never used to calibrate: the last `n` of `calib`, or the
   * samples of another folder. @default none
   */
  holdout?: number | { readonly dir: string };
  /** A model file (not a split.json): sizes for its symbolic input dims (passes/fixInputDims). @default {} */
  dims?: Readonly<Record<string, number>>;
}

/**
 * What `quantizeStages` calibrated: the artifacts, the stages, the calibration and held-out samples, notes.
 */
export interface QuantizeStagesResult extends QuantizeResult {
  /** The model file or split.json quantized. */
  readonly input: string;
  readonly split: boolean;
  /** Every stage in run order; `quantize` false for those run only to feed later ones. */
  readonly stages: readonly QuantizeFileStage[];
  readonly calibration: CalibrationSource;
  readonly holdout?: CalibrationSource;
  /** The image preprocessing in effect (the model's defaults with the given options over them). */
  readonly image: ImagePreprocessOptions;
  readonly out: string;
  /** True when several methods were computed: each writes into `<out>/<method>/`. */
  readonly byMethod: boolean;
  /** Things to tell the user (a holdout that leaves few samples to calibrate on). */
  readonly notes: readonly string[];
}

/** The folder a method's artifacts go to: `out` for one method, `<out>/<method>` for several. */
export function methodDir(out: string, method: string, byMethod: boolean): string {
  return byMethod ? join(out, method) : out;
}

/** A model file or split.json as ordered stages, with the selected ones marked for quantization. */
export function loadQuantizeStages(input: string, options: { stages?: readonly string[]; dims?: Readonly<Record<string, number>> } = {}): { stages: QuantizeFileStage[]; split: boolean } {
  const split = isSplitManifestPath(input);
  if (split && options.dims !== undefined) throw new TandemError('USAGE', `dims size a model's symbolic input dims; ${quote(input)} is a split manifest, whose stages have their own shapes (split with dims to fix them)`);
  const model = (): Model => (options.dims === undefined ? loadModel(input) : fixInputDims(loadModel(input), options.dims));
  const loaded = split ? loadSplitStages(input) : [{ name: basename(input).replace(/\.onnx$/i, ''), file: input, model: model() }];
  const chosen = options.stages;
  if (chosen !== undefined && !split) throw new TandemError('USAGE', `stages can be chosen in a split.json only; ${quote(input)} is one model`);
  for (const s of chosen ?? []) if (!loaded.some((l) => l.name === s)) throw new TandemError('UNKNOWN_NAME', `no stage ${quote(s)} in ${input}; stages: ${loaded.map((l) => l.name).join(', ')}`);
  return { stages: orderStages(loaded).map((l) => ({ ...l, quantize: chosen === undefined || chosen.includes(l.name) })), split };
}

/**
 * Quantizes a model file or a split.json from a folder of calibration samples: chooses the stages,
 * holds samples back for a comparison, checks every output path against every file read before any
 * work, calibrates (`quantize`) and returns the artifacts unwritten (`writeQuantizeStages` writes them).
 */
export async function quantizeStages(input: string, opener: SessionOpener, options: QuantizeStagesOptions): Promise<QuantizeStagesResult> {
  const o = resolveQuantizeOptions(options);
  checkOutputDir(options.out);
  const byMethod = o.methods.length > 1;
  for (const m of o.methods) checkOutputDir(methodDir(options.out, m, byMethod));
  const { stages, split } = loadQuantizeStages(input, { ...(options.stages !== undefined ? { stages: options.stages } : {}), ...(options.dims !== undefined ? { dims: options.dims } : {}) });
  const first = stages[0]!.model;
  const image = { ...preprocessFromMetadata(first.metadata), ...(options.image ?? {}) };
  const inputs = modelInputSpecs(first);
  const all = openCalibrationFolder(options.calib, inputs, { image });
  const limit = options.limit ?? Infinity;
  let calibration = options.limit === undefined ? all : sliceSource(all, 0, options.limit);
  let holdout: CalibrationSource | undefined;
  const notes: string[] = [];
  const h = options.holdout;
  if (typeof h === 'number') {
    const n = all.ids.length;
    if (!Number.isSafeInteger(h) || h < 1) throw new TandemError('USAGE', `holdout must be a positive integer, got ${h}`);
    if (n - h < 1) throw new TandemError('CALIB_DATA', `holding out the last ${h} of ${n} samples leaves none to calibrate on; hold out fewer (--holdout) or give other samples to compare on (--compare-data)`);
    holdout = sliceSource(all, n - h);
    calibration = sliceSource(all, 0, Math.min(limit, n - h));
    if (calibration.ids.length < h) notes.push(`the last ${h} of ${n} samples are held out for the comparison: calibration runs on ${calibration.ids.length}; give more samples, hold out fewer (--holdout) or compare on another folder (--compare-data)`);
  } else if (h !== undefined) holdout = openCalibrationFolder(h.dir, inputs, { image });
  // Every file read: the model or split.json, each stage's model and external data, the samples.
  const read = [input, ...stages.flatMap((s) => modelFiles(s.model, s.file)), ...all.ids.map((id) => join(options.calib, id)), ...(h !== undefined && typeof h !== 'number' && holdout !== undefined ? holdout.ids.map((id) => join(h.dir, id)) : [])];
  const outputs = stages
    .filter((s) => s.quantize)
    .flatMap((s) => o.methods.flatMap((m) => Object.values(artifactPaths(methodDir(options.out, m, byMethod), s.name)).flatMap((p) => (p.endsWith('.onnx') ? savedModelFiles(p) : [p]))));
  assertOutputsFree(outputs, read);
  const result = await quantize(stages, calibration, opener, options);
  return { ...result, input, split, stages, calibration, ...(holdout !== undefined ? { holdout } : {}), image, out: options.out, byMethod, notes };
}

/** Writes the artifacts (by default the result's own; e.g. keepFp16Heads' rewritten ones) as one set. */
export function writeQuantizeStages(result: QuantizeStagesResult, artifacts: readonly StageArtifacts[] = result.artifacts): ReturnType<typeof writeQuantizeArtifacts> {
  return writeQuantizeArtifacts(artifacts, result.out, { byMethod: result.byMethod });
}

/**
 * Runs the FP32 stages and each method's Q/DQ model on the held-out samples and compares every float
 * output (`compareFidelity`). Needs `holdout` in quantizeStages' options.
 */
export async function compareCalibrators(result: QuantizeStagesResult, opener: SessionOpener, options: { artifacts?: readonly StageArtifacts[]; onProgress?: ProgressCallback } = {}): Promise<FidelityRow[]> {
  if (result.holdout === undefined) throw new TandemError('USAGE', 'nothing to compare on: give quantizeStages a holdout (the last n calibration samples, or another folder)');
  const artifacts = options.artifacts ?? result.artifacts;
  return compareFidelity(result.stages, artifacts.map((a) => ({ stage: a.stage, label: a.method, model: a.qdqModel })), result.holdout, opener, options.onProgress ? { onProgress: options.onProgress } : {});
}
