import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TandemError } from '../util/errors.js';
import { writeFileAtomic, writeFolder } from '../util/fs.js';
import type { Model } from '../ir/model.js';
import { runOrder } from '../io/stage-file/order.js';
import { saveModel } from '../onnx/load-save.js';
import { applyQdqPlan } from './apply-qdq.js';
import { trtVersionNumber, writeCalibrationCache, type CacheAlgorithm } from './calibration-cache.js';
import type { CalibrationSource } from './calibration-source.js';
import { CALIBRATION_METHODS, getCalibrator, histogramsNeeded, resolveCalibratorOptions, type CalibrationMethod, type CalibratorOptions, type ResolvedCalibratorOptions } from './calibrators/registry.js';
import { observe, type ObservationResult } from './observer.js';
import { planQdq, type QdqPlacement, type QdqPlan } from './qdq-plan.js';
import { cacheEntries, computeScalesParallel, qdqScales, scalesDocument, type ScalesDocument, type StageScales } from './scales.js';
import { defaultThresholdThreads } from './calibrators/threshold-pool.js';
import type { SessionOpener } from './session.js';
import type { ProgressCallback } from '../util/progress.js';

/** A stage to calibrate: its name and model, in run order. */
export interface QuantizeStage {
  readonly name: string;
  readonly model: Model;
  /** Write artifacts for this stage; false runs it only to feed later stages (a backbone under its heads). @default true */
  readonly quantize?: boolean;
}

/** Options of `quantize`. */
export interface QuantizeOptions {
  /** Methods to compute; each gets its own cache, scales.json and Q/DQ model, from one shared calibration run. @default ['entropy'] */
  methods?: readonly CalibrationMethod[];
  /** Histogram settings of the calibrators. @default the CalibratorOptions defaults */
  calibrator?: CalibratorOptions;
  /** @default 'trt' */
  placement?: QdqPlacement;
  /** TensorRT version that reads the cache ("8.6.1", "10.3.0", or a header number). Required: a wrong major version makes TensorRT ignore the cache. */
  trtVersion: string | number;
  /** @default 'EntropyCalibration2' */
  cacheAlgorithm?: CacheAlgorithm;
  /** Also write cache entries for graph outputs (INT8 outputs, e.g. a DLA-standalone head). @default false */
  outputScales?: boolean;
  /** Samples per session run. @default 1 */
  batchSize?: number;
  /** Worker threads for the threshold searches. @default the machine's cores but one (at most 16) */
  threads?: number;
  /** Told as calibration goes (`kind: 'calibration'`). */
  onProgress?: ProgressCallback;
}

export interface ResolvedQuantizeOptions {
  readonly methods: readonly CalibrationMethod[];
  readonly calibrator: ResolvedCalibratorOptions;
  readonly placement: QdqPlacement;
  readonly trtVersion: string | number;
  readonly cacheAlgorithm: CacheAlgorithm;
  readonly outputScales: boolean;
  readonly batchSize: number;
  readonly threads: number;
}

export function resolveQuantizeOptions(o: QuantizeOptions): ResolvedQuantizeOptions {
  const methods = [...new Set<CalibrationMethod>(o.methods ?? ['entropy'])];
  for (const m of methods) getCalibrator(m);
  if (methods.length === 0) throw new TandemError('USAGE', `give at least one calibration method (${CALIBRATION_METHODS.join(', ')})`);
  if (typeof o.trtVersion === 'string') trtVersionNumber(o.trtVersion);
  const batchSize = o.batchSize ?? 1;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new TandemError('USAGE', `batch size must be a positive integer, got ${batchSize}`);
  return Object.freeze({
    methods,
    calibrator: resolveCalibratorOptions(o.calibrator),
    placement: o.placement ?? 'trt',
    trtVersion: o.trtVersion,
    cacheAlgorithm: o.cacheAlgorithm ?? 'EntropyCalibration2',
    outputScales: o.outputScales ?? false,
    batchSize,
    threads: o.threads ?? defaultThresholdThreads(),
  });
}

/** Everything `tandem quantize` writes for one stage and one method. */
export interface StageArtifacts {
  readonly stage: string;
  readonly method: CalibrationMethod;
  readonly scales: StageScales;
  readonly scalesDocument: ScalesDocument;
  /** TensorRT calibration cache text. */
  readonly cache: string;
  readonly plan: QdqPlan;
  readonly qdqModel: Model;
}

/** Per stage and method the artifacts, with what calibration observed and how long it took. */
export interface QuantizeResult {
  readonly artifacts: StageArtifacts[];
  readonly observation: ObservationResult;
  /** Measured wall time of observation and threshold search (ms), on this machine. */
  readonly calibrationMs: number;
}

/**
 * Calibrates the stages on the source and builds, per quantized stage and method, the calibration
 * cache, scales.json and the Q/DQ model. All methods share one observation run.
 *
 * @example
 * ```ts
 * const stages = loadSplitStages('stages/split.json');
 * const source = openCalibrationFolder('calib/', modelInputSpecs(stages[0]!.model));
 * const result = await quantize(stages, source, getEngine('cpu'), { trtVersion: '8.6.1', methods: ['entropy', 'percentile'] });
 * for (const a of result.artifacts) writeStageArtifacts(a, `out/${a.method}`);
 * ```
 */
export async function quantize(stages: readonly QuantizeStage[], source: CalibrationSource, opener: SessionOpener, options: QuantizeOptions): Promise<QuantizeResult> {
  const o = resolveQuantizeOptions(options);
  const ordered = orderStages(stages);
  const t0 = performance.now();
  const observation = await observe(
    ordered.map((s) => ({ name: s.name, model: s.model, ...(s.quantize === false ? { activations: [] } : {}) })),
    source,
    opener,
    { histograms: histogramsNeeded(o.methods, o.calibrator), bins: o.calibrator.bins, batchSize: o.batchSize, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  const quantized = ordered.filter((s) => s.quantize !== false);
  const all = await computeScalesParallel(
    quantized.map((stage) => ({ model: stage.model, stats: observation.stages.find((s) => s.name === stage.name)! })),
    o.methods,
    o.calibrator,
    o.threads,
  );
  const computed = all.map((scales) => ({ stage: quantized.find((s) => s.name === scales.stage)!, scales }));
  const calibrationMs = performance.now() - t0;
  const artifacts = computed.map(({ stage, scales }): StageArtifacts => {
    const stats = observation.stages.find((s) => s.name === stage.name)!;
    const plan = planQdq(stage.model, qdqScales(scales), { placement: o.placement });
    return {
      stage: stage.name,
      method: scales.method,
      scales,
      scalesDocument: scalesDocument(stage.model, stats, scales, observation.samples),
      cache: writeCalibrationCache(cacheEntries(stage.model, scales, { outputScales: o.outputScales }), { trtVersion: o.trtVersion, algorithm: o.cacheAlgorithm }),
      plan,
      qdqModel: applyQdqPlan(stage.model, plan),
    };
  });
  return { artifacts, observation, calibrationMs };
}

/** Orders stages so that each runs after the stages producing its inputs (io/stage-file's one order); throws `GRAPH_CYCLE` on a cycle. */
export function orderStages<T extends { readonly name: string; readonly model: Model }>(stages: readonly T[]): T[] {
  return runOrder(stages, (s) => ({ name: s.name, inputs: s.model.graph.runtimeInputs, outputs: s.model.graph.outputs }));
}

/** The file names `tandem quantize` uses for a stage: `<stage>.cache`, `<stage>.scales.json`, `<stage>.qdq.onnx`, `<stage>.qdq-plan.json`. */
export function artifactPaths(dir: string, stage: string): { cache: string; scales: string; qdq: string; plan: string } {
  const base = join(dir, stage);
  return { cache: `${base}.cache`, scales: `${base}.scales.json`, qdq: `${base}.qdq.onnx`, plan: `${base}.qdq-plan.json` };
}

/**
 * Writes every stage's artifacts into `dir` as one set (a subfolder per method when `byMethod`): all files
 * appear together at the end or, on a failure, none does. Returns the final paths.
 */
export function writeQuantizeArtifacts(artifacts: readonly StageArtifacts[], dir: string, options: { byMethod: boolean }): { stage: string; method: string; files: ReturnType<typeof artifactPaths> }[] {
  return writeFolder(dir, (out) =>
    artifacts.map((a) => {
      const rel = options.byMethod ? a.method : '';
      writeStageArtifacts(a, out.at(rel));
      return { stage: a.stage, method: a.method, files: artifactPaths(join(dir, rel), a.stage) };
    }),
  );
}

/** Writes one stage's artifacts atomically into `dir` (created if needed); returns the paths. */
export function writeStageArtifacts(a: StageArtifacts, dir: string): ReturnType<typeof artifactPaths> {
  mkdirSync(dir, { recursive: true });
  const p = artifactPaths(dir, a.stage);
  writeFileAtomic(p.cache, a.cache);
  writeFileAtomic(p.scales, `${JSON.stringify(a.scalesDocument, null, 2)}\n`);
  writeFileAtomic(p.plan, `${JSON.stringify(a.plan, null, 2)}\n`);
  saveModel(a.qdqModel, p.qdq);
  return p;
}
