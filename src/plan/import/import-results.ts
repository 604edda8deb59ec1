import { quote } from '../../util/text.js';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../onnx/load-save.js';
import { TandemError } from '../../util/errors.js';
import { assertNotInput, readTextFile, writeFileAtomic } from '../../util/fs.js';
import { fitLatencyParams, type FitRow, type FitResult } from '../cost/fit.js';
import { stageLatency } from '../cost/latency.js';
import { ORIN_PARAMS } from '../cost/orin.js';
import type { LatencyParams } from '../cost/params.js';
import { pipelineCost, type PipelineEngine, type PipelineStage } from '../cost/pipeline.js';
import { modelWorkload } from '../cost/workload.js';
import type { BundleManifest } from '../export/bundle.js';
import { median, parseExportProfile, parseExportTimes, parseTrtexecLog, type LayerProfile, type TimingStats } from './trtexec-log.js';

/**
 * `tandem import <bundle>/results`: reads what bench.sh left (trtexec logs, --exportTimes and
 * --exportProfile JSON, launch times) into tandem's bench JSON, measured vs predicted per stage. The
 * concurrent run keeps only the window in which every engine was running (the jetson_benchmarks
 * method). Measured figures are trtexec's on the Orin: the GPU and DLA engines there, not this machine.
 */

/** One trtexec run of a stage, as its log reports it (measured on the target). */
export interface MeasuredRun {
  readonly qps: number;
  /** trtexec's GPU Compute Time (for a DLA engine: the DLA's time as TensorRT enqueues it). */
  readonly compute: TimingStats;
  readonly trtVersion?: string;
  /** Inferences in the window (concurrent run only). */
  readonly inferences?: number;
}

/** One stage's measurements on the target next to the model's prediction. */
export interface StageResult {
  readonly name: string;
  readonly engine: string;
  readonly precision: string;
  readonly alone: MeasuredRun;
  readonly concurrent?: MeasuredRun;
  readonly slowestLayers?: readonly LayerProfile[];
  readonly predicted: { readonly aloneMs: number; readonly concurrentMs: number };
  /** (measured median − predicted) / predicted, alone and all at once, in %. */
  readonly errorPct: { readonly alone: number; readonly concurrent?: number };
}

/** The target's measurements of an exported bundle, stage by stage and as a pipeline (bench.json). */
export interface ImportResult {
  readonly kind: 'tandem-bench';
  readonly basis: string;
  readonly trt: string;
  readonly environment?: string;
  readonly stages: readonly StageResult[];
  /** Length of the window in which every engine ran (ms). */
  readonly windowMs?: number;
  readonly pipeline: { readonly measuredFps?: number; readonly predictedFps: number };
}

function read(path: string, what: string): string {
  if (!existsSync(path)) throw new TandemError('TRT_LOG', `${path} is missing (${what}); run bench.sh on the Orin and bring the whole results/ folder back`);
  return readTextFile(path, { maxBytes: MAX_LOG_BYTES, what });
}

/** trtexec logs and exported JSON of one stage are megabytes at most. */
const MAX_LOG_BYTES = 256 << 20;

/** The bundle's manifest.json, next to results/. */
export function readBundleManifest(resultsDir: string): { manifest: BundleManifest; bundleDir: string } {
  if (!existsSync(resultsDir) || !statSync(resultsDir).isDirectory()) throw new TandemError('FILE_NOT_FOUND', `${resultsDir} is not a folder; give the results/ folder that bench.sh wrote inside the bundle`);
  const bundleDir = dirname(resolve(resultsDir));
  const path = join(bundleDir, 'manifest.json');
  let doc: unknown;
  try {
    doc = JSON.parse(read(path, 'the bundle manifest written by tandem export'));
  } catch (e) {
    if (e instanceof TandemError) throw e;
    throw new TandemError('TRT_LOG', `${path} is not JSON: ${(e as Error).message}`);
  }
  const m = doc as Partial<BundleManifest>;
  if (m.tandem !== 'bundle' || !Array.isArray(m.stages)) throw new TandemError('TRT_LOG', `${path} is not a tandem bundle manifest (no "tandem": "bundle" / stages)`);
  return { manifest: m as BundleManifest, bundleDir };
}

/** Reads results/ of a bundle: each stage alone and all at once, measured vs predicted. */
export function importResults(resultsDir: string): ImportResult {
  const { manifest } = readBundleManifest(resultsDir);
  const r = (f: string): string => join(resultsDir, f);
  const concurrent = manifest.stages.every((s) => existsSync(r(`${s.name}.concurrent.log`)));
  // the window in which every engine ran: launch time + first start … launch time + last end
  let window: { from: number; to: number } | undefined;
  const traces = new Map<string, { startNs: number; entries: ReturnType<typeof parseExportTimes> }>();
  if (concurrent) {
    for (const s of manifest.stages) {
      const startText = read(r(`${s.name}.concurrent.start`), 'launch time of the concurrent run').trim();
      if (!/^\d{10,20}$/.test(startText)) throw new TandemError('TRT_LOG', `${r(`${s.name}.concurrent.start`)} holds ${JSON.stringify(startText.slice(0, 40))}; expected nanoseconds since the epoch (date +%s%N)`);
      const entries = parseExportTimes(read(r(`${s.name}.concurrent.times.json`), '--exportTimes of the concurrent run'), r(`${s.name}.concurrent.times.json`));
      traces.set(s.name, { startNs: Number(startText), entries });
    }
    const abs = [...traces.values()].map((t) => ({ first: t.startNs / 1e6 + t.entries[0]!.startMs, last: t.startNs / 1e6 + t.entries[t.entries.length - 1]!.endMs }));
    const from = Math.max(...abs.map((a) => a.first));
    const to = Math.min(...abs.map((a) => a.last));
    if (!(to > from)) throw new TandemError('TRT_LOG', `the concurrent runs never overlapped (latest first inference ${from.toFixed(0)} ms, earliest last one ${to.toFixed(0)} ms since the epoch); rerun bench.sh`);
    window = { from, to };
  }
  const stages = manifest.stages.map((s): StageResult => {
    const log = parseTrtexecLog(read(r(`${s.name}.alone.log`), 'trtexec log of the run alone'), r(`${s.name}.alone.log`));
    const alone: MeasuredRun = { qps: log.throughputQps, compute: log.gpuCompute, ...(log.trtVersion ? { trtVersion: log.trtVersion } : {}) };
    let slowestLayers: LayerProfile[] | undefined;
    if (existsSync(r(`${s.name}.alone.profile.json`))) {
      slowestLayers = parseExportProfile(readTextFile(r(`${s.name}.alone.profile.json`), { maxBytes: MAX_LOG_BYTES, what: 'trtexec --exportProfile JSON' }), r(`${s.name}.alone.profile.json`))
        .sort((a, b) => b.averageMs - a.averageMs)
        .slice(0, 5);
    }
    let conc: MeasuredRun | undefined;
    if (window !== undefined) {
      const t = traces.get(s.name)!;
      const inside = t.entries.filter((e) => t.startNs / 1e6 + e.startMs >= window.from && t.startNs / 1e6 + e.endMs <= window.to);
      if (inside.length === 0) throw new TandemError('TRT_LOG', `stage ${quote(s.name)} finished no inference inside the window in which all engines ran; rerun bench.sh with a longer --duration`);
      const ms = inside.map((e) => e.computeMs);
      const clog = parseTrtexecLog(read(r(`${s.name}.concurrent.log`), 'trtexec log of the concurrent run'), r(`${s.name}.concurrent.log`));
      conc = {
        qps: (inside.length * 1000) / (window.to - window.from),
        compute: { minMs: Math.min(...ms), maxMs: Math.max(...ms), meanMs: ms.reduce((a, b) => a + b, 0) / ms.length, medianMs: median(ms) },
        inferences: inside.length,
        ...(clog.trtVersion ? { trtVersion: clog.trtVersion } : {}),
      };
    }
    const predicted = { aloneMs: s.predicted.aloneMs, concurrentMs: s.predicted.latencyMs };
    const pct = (m: number, p: number): number => (100 * (m - p)) / p;
    return {
      name: s.name,
      engine: s.engine,
      precision: s.precision,
      alone,
      ...(conc === undefined ? {} : { concurrent: conc }),
      ...(slowestLayers === undefined ? {} : { slowestLayers }),
      predicted,
      errorPct: { alone: pct(alone.compute.medianMs, predicted.aloneMs), ...(conc === undefined ? {} : { concurrent: pct(conc.compute.medianMs, predicted.concurrentMs) }) },
    };
  });
  const environment = existsSync(r('environment.txt')) ? readTextFile(r('environment.txt'), { maxBytes: MAX_LOG_BYTES, what: 'environment.txt' }).trim().slice(0, 500) : undefined;
  const measuredFps = window === undefined ? undefined : Math.min(...stages.map((s) => s.concurrent!.qps));
  return {
    kind: 'tandem-bench',
    basis: 'measured on the Orin by trtexec (GPU and DLA engines there), read by tandem import; predicted = modelled',
    trt: manifest.trt,
    ...(environment === undefined ? {} : { environment }),
    stages,
    ...(window === undefined ? {} : { windowMs: window.to - window.from }),
    pipeline: { ...(measuredFps === undefined ? {} : { measuredFps }), predictedFps: manifest.predicted.fps },
  };
}

/** The shipped parameter file: refits never write over it. */
const SHIPPED = fileURLToPath(new URL('../cost/orin-params.json', import.meta.url));

/** Options of `refitFromResults`. */
export interface RefitOptions {
  /** The parameter file to write (never the shipped one). @default `<resultsDir>/orin-params.refit.json` */
  out?: string;
  /** Parameters the fit starts from. @default the shipped Orin parameters */
  params?: LatencyParams;
}

/**
 * Refits the latency model on the user's own measurements (each stage alone, and all at once where
 * measured) and writes the result as a new parameter file (never over the shipped one).
 */
export function refitFromResults(result: ImportResult, resultsDir: string, options: RefitOptions = {}): FitResult & { readonly file: string } {
  const out = options.out ?? join(resultsDir, 'orin-params.refit.json');
  const params = options.params ?? ORIN_PARAMS;
  assertNotInput(out, [SHIPPED]);
  const { manifest, bundleDir } = readBundleManifest(resultsDir);
  const workloads = new Map(manifest.stages.map((s) => [s.name, modelWorkload(loadModel(join(bundleDir, s.onnx), { weights: 'lazy' }), { name: s.name })]));
  const kind = (e: string): 'gpu' | 'dla' => (e === 'gpu' ? 'gpu' : 'dla');
  const prec = (p: string): 'int8' | 'fp16' => (p === 'int8' ? 'int8' : 'fp16');
  const rows: FitRow[] = [];
  for (const s of result.stages) {
    const w = workloads.get(s.name)!;
    rows.push({ id: `${s.name}.alone`, value: s.alone.compute.medianMs, unit: 'ms', predict: (p) => stageLatency(w, undefined, kind(s.engine), prec(s.precision), { params: p }).latencyMs });
  }
  if (result.stages.every((s) => s.concurrent !== undefined)) {
    const pipeline = (p: LatencyParams): ReturnType<typeof pipelineCost> => {
      const stages: PipelineStage[] = manifest.stages.map((s) => ({ name: s.name, engine: s.engine as PipelineEngine, cost: stageLatency(workloads.get(s.name)!, undefined, kind(s.engine), prec(s.precision), { params: p }), after: [] }));
      return pipelineCost(stages, p);
    };
    result.stages.forEach((s, i) => rows.push({ id: `${s.name}.concurrent`, value: s.concurrent!.compute.medianMs, unit: 'ms', predict: (p) => pipeline(p).stages[i]!.latencyMs }));
  }
  const fit = fitLatencyParams(params, rows, { on: resolve(resultsDir) });
  writeFileAtomic(out, `${JSON.stringify(fit.params, null, 2)}\n`);
  return { ...fit, file: out };
}
