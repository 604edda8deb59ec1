import { performance } from 'node:perf_hooks';
import { assert, TandemError } from '../../util/errors.js';
import { createRng } from '../../util/random.js';
import { isFloatType } from '../../ir/dtype.js';
import type { Tensor } from '../../ir/tensor.js';
import { tensorFromValues } from '../../ir/tensor-values.js';
import type { FrameRecord, StageFrameRecord } from './scheduler.js';
import type { PipelineInput, PipelineMode, PipelineRunOptions } from './pipeline.js';
import { mean, summarize, type SampleStats } from './stats.js';
import { buildTrace, type ChromeTrace } from './trace.js';
import type { ProgressCallback } from '../../util/progress.js';

/** What benchPipeline needs of a pipeline: an opened plan, or a function pipeline. */
export interface BenchTarget {
  readonly stages: readonly { readonly name: string; readonly stream: string; readonly engine: string }[];
  readonly streams: readonly string[];
  readonly inputs: readonly PipelineInput[];
  run(frames: Iterable<Readonly<Record<string, Tensor>>>, options?: PipelineRunOptions): AsyncIterable<{ readonly latencyMs: number }>;
}

/** Options of `benchPipeline`. */
export interface BenchOptions {
  /** @default ['sequential', 'pipelined'] */
  readonly modes?: readonly PipelineMode[];
  /** Measure for this long per mode, seconds (ignored when `iterations` is given). @default 10 */
  readonly durationS?: number;
  /** Measure exactly this many frames per mode. @default none (measure for `durationS`) */
  readonly iterations?: number;
  /** Run (and discard) frames for this long first, per mode, seconds. @default 1 */
  readonly warmupS?: number;
  /** Pipelined mode's bound on frames in flight. @default the pipeline's (streams + 1) */
  readonly maxInFlight?: number;
  /** The feeds every frame gets; random (seeded) from the pipeline's input specs otherwise. @default seeded random feeds */
  readonly feeds?: Readonly<Record<string, Tensor>>;
  /** Keep the stage-frame records of the measured pipelined run (else the last mode's) as a Chrome trace. @default false */
  readonly trace?: boolean;
  /** Keep each measured frame's times in `BenchModeResult.frameTimes` (what trtexec's --exportTimes writes). @default false */
  readonly frameTimes?: boolean;
  /** Stops the measurement; the run ends with TandemError `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Told during warm-up and measurement of each mode (`kind: 'bench'`: `done` of `total` frames, or ms of the duration). */
  readonly onProgress?: ProgressCallback;
  /** Says where the numbers come from in results ("measured: onnxruntime cpu on a 2-core Xeon"). @default 'measured on this machine' */
  readonly what?: string;
}

/** Latency percentiles in ms, as trtexec prints them. */
export type LatencyMs = Pick<SampleStats, 'min' | 'mean' | 'median' | 'p90' | 'p95' | 'p99' | 'max'>;

/** One measured frame: admitted and done, ms from the start of its mode's measurement, and its latency. */
export interface FrameTime {
  /** Index in the measured run (0, 1, ...), in the order frames were admitted. */
  readonly frame: number;
  readonly startMs: number;
  readonly endMs: number;
  /** The latency the mode's statistics (`latencyMs`) are computed from: endMs − startMs. */
  readonly latencyMs: number;
}

/** One stage's measured compute time and share of the frame. */
export interface StageBench {
  readonly name: string;
  readonly engine: string;
  readonly stream: string;
  /** Time inside the engine call (includes onnxruntime's own copies to and from the device). */
  readonly computeMs: LatencyMs;
  /** Ready (all inputs there) but its stream busy with another stage-frame, mean ms. */
  readonly queueWaitMs: number;
}

/** One stream's (engine instance's) measured busy time. */
export interface StreamBench {
  readonly name: string;
  /** Sum of its stages' mean compute per frame, ms. */
  readonly msPerFrame: number;
  /** Share of the measured wall time the stream spent in engine calls. */
  readonly utilization: number;
}

/** One mode's measurement; the fields `--json` prints. */
export interface BenchModeResult {
  readonly mode: PipelineMode;
  readonly frames: number;
  readonly wallS: number;
  readonly throughputFps: number;
  readonly latencyMs: LatencyMs;
  /** Coefficient of variation of the latency. */
  readonly latencyCv: number;
  /**
   * Time outside engine calls and queue waits, mean per frame, ms: for each stage-frame, from "inputs
   * there and stream free" to the engine call starting (scheduling, feeding, releasing).
   */
  readonly hostOverheadMs: number;
  readonly stages: readonly StageBench[];
  readonly streams: readonly StreamBench[];
  /** With the `frameTimes` option: every measured frame, in frame order. */
  readonly frameTimes?: readonly FrameTime[];
}

/** What `benchPipeline` measured, per mode: throughput, latency percentiles, stages, streams. */
export interface BenchResult {
  readonly modes: readonly BenchModeResult[];
  /** Pipelined fps ÷ sequential fps, when both ran. */
  readonly speedup?: number;
  /**
   * Pipelined fps ÷ the slowest stream's rate alone (1000 ÷ its stages' compute per frame measured in
   * the sequential run, where nothing else ran), when both ran.
   */
  readonly efficiency?: number;
  readonly slowestStream?: { readonly name: string; readonly msPerFrame: number; readonly fps: number };
  readonly what: string;
  readonly trace?: ChromeTrace;
}

/**
 * Benchmarks a pipeline like trtexec: per mode a warm-up, then frames for a duration or a count, with
 * latency statistics, throughput, per-stage compute and queue wait, host overhead and CV; with both
 * modes, the speed-up and the pipeline efficiency. Every number is measured on this machine.
 *
 * @example
 * ```ts
 * await using pipeline = await openPipeline(readPlan('out/plan.json'));
 * const result = await benchPipeline(pipeline, { modes: ['sequential', 'pipelined'], durationS: 5 });
 * for (const m of result.modes) console.log(m.mode, m.throughputFps, m.latencyMs.median);
 * ```
 */
export async function benchPipeline(pipeline: BenchTarget, options: BenchOptions = {}): Promise<BenchResult> {
  const modes = options.modes ?? ['sequential', 'pipelined'];
  if (modes.length === 0) throw new TandemError('USAGE', 'bench needs at least one mode (sequential, pipelined)');
  if (options.iterations !== undefined && (!Number.isSafeInteger(options.iterations) || options.iterations < 1)) throw new TandemError('USAGE', `iterations must be a positive integer, got ${options.iterations}`);
  const durationS = options.durationS ?? 10;
  if (!(durationS > 0)) throw new TandemError('USAGE', `duration must be positive seconds, got ${durationS}`);
  const feeds = options.feeds ?? syntheticFeeds(pipeline.inputs, 1);
  const results: BenchModeResult[] = [];
  let traceRecords: { records: StageFrameRecord[]; frames: FrameRecord[]; mode: PipelineMode } | undefined;
  for (const mode of modes) {
    const warmupS = options.warmupS ?? 1;
    if (warmupS > 0) {
      await drain(pipeline, mode, options, until(undefined, warmupS, (done, total) => options.onProgress?.({ kind: 'bench', mode, phase: 'warmup', unit: 'ms', done, total })), feeds);
    }
    const records: StageFrameRecord[] = [];
    const frames: FrameRecord[] = [];
    const t0 = performance.now();
    const latencies = await drain(pipeline, mode, options, until(options.iterations, durationS, (done, total) => options.onProgress?.({ kind: 'bench', mode, phase: 'measure', unit: options.iterations !== undefined ? 'frames' : 'ms', done, total })), feeds, records, frames);
    let end = frames.length > 0 ? 0 : performance.now();
    for (const f of frames) end = Math.max(end, f.doneAt);
    const wallMs = end - t0;
    const summary = summarizeMode(pipeline, mode, latencies, wallMs, records);
    results.push(options.frameTimes ? { ...summary, frameTimes: frameTimesOf(latencies, frames, t0) } : summary);
    if (options.trace && (traceRecords === undefined || mode === 'pipelined')) traceRecords = { records, frames, mode };
  }
  const seq = results.find((r) => r.mode === 'sequential');
  const pipe = results.find((r) => r.mode === 'pipelined');
  let extra: Pick<BenchResult, 'speedup' | 'efficiency' | 'slowestStream'> = {};
  if (seq && pipe) {
    const alone = pipeline.streams.map((name) => ({
      name,
      msPerFrame: seq.stages.filter((s) => s.stream === name).reduce((a, s) => a + s.computeMs.mean, 0),
    }));
    const slowest = alone.reduce((a, b) => (b.msPerFrame > a.msPerFrame ? b : a));
    const fps = 1000 / slowest.msPerFrame;
    extra = { speedup: pipe.throughputFps / seq.throughputFps, efficiency: pipe.throughputFps / fps, slowestStream: { ...slowest, fps } };
  }
  const engines = Object.fromEntries(pipeline.stages.map((s) => [s.name, s.engine]));
  return {
    modes: results,
    ...extra,
    what: options.what ?? 'measured on this machine',
    ...(traceRecords
      ? { trace: buildTrace(traceRecords.records, { label: `tandem bench ${traceRecords.mode}`, streams: traceRecords.mode === 'sequential' ? ['sequential'] : pipeline.streams, frames: traceRecords.frames, engines }) }
      : {}),
  };
}

/** The same seeded random feeds for every frame, from input specs (floats in [-1, 1]; pixels: uint8 in [0, 256), uint32 any; other integers in [0, 4)). */
export function syntheticFeeds(inputs: readonly PipelineInput[], seed: number): Record<string, Tensor> {
  const rng = createRng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) {
    const count = input.dims.reduce((a, b) => a * b, 1);
    const values = new Float64Array(count);
    const float = isFloatType(input.dtype);
    const hi = input.dtype === 'uint8' ? 256 : input.dtype === 'uint32' ? 2 ** 32 : 4;
    for (let i = 0; i < count; i++) values[i] = float ? rng.uniform(-1, 1) : rng.int(0, hi);
    feeds[input.name] = tensorFromValues(input.dtype, input.dims, values, input.name);
  }
  return feeds;
}

interface Stop {
  more(count: number): boolean;
  tick(count: number): void;
}

function until(iterations: number | undefined, durationS: number, progress: (done: number, total: number) => void): Stop {
  let start = -1;
  let lastReport = 0;
  return {
    more: (count) => {
      if (start < 0) start = performance.now();
      return iterations !== undefined ? count < iterations : performance.now() - start < durationS * 1000;
    },
    tick: (count) => {
      const now = performance.now();
      if (now - lastReport < 100 && count !== iterations) return;
      lastReport = now;
      if (iterations !== undefined) progress(count, iterations);
      else progress(Math.min(durationS * 1000, Math.round(now - start)), durationS * 1000);
    },
  };
}

async function drain(pipeline: BenchTarget, mode: PipelineMode, options: BenchOptions, stop: Stop, feeds: Readonly<Record<string, Tensor>>, records?: StageFrameRecord[], frames?: FrameRecord[]): Promise<number[]> {
  let admitted = 0;
  function* source(): Generator<Readonly<Record<string, Tensor>>> {
    while (stop.more(admitted)) {
      admitted++;
      yield feeds;
    }
  }
  const latencies: number[] = [];
  for await (const r of pipeline.run(source(), {
    mode,
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(records ? { onStageFrame: (rec: StageFrameRecord) => records.push(rec) } : {}),
    ...(frames ? { onFrame: (rec: FrameRecord) => frames.push(rec) } : {}),
  })) {
    latencies.push(r.latencyMs);
    stop.tick(latencies.length);
  }
  return latencies;
}

/** Each frame's times; `latencies` are in frame order (a pipeline yields results in frame order). */
function frameTimesOf(latencies: readonly number[], frames: readonly FrameRecord[], t0: number): FrameTime[] {
  const byFrame = [...frames].sort((a, b) => a.frame - b.frame);
  assert(byFrame.length === latencies.length, `bench: ${latencies.length} frames yielded, ${byFrame.length} recorded`);
  return latencies.map((latencyMs, i) => ({ frame: i, startMs: byFrame[i]!.admittedAt - t0, endMs: byFrame[i]!.doneAt - t0, latencyMs }));
}

function latencyOf(s: SampleStats): LatencyMs {
  return { min: s.min, mean: s.mean, median: s.median, p90: s.p90, p95: s.p95, p99: s.p99, max: s.max };
}

function summarizeMode(pipeline: BenchTarget, mode: PipelineMode, latencies: number[], wallMs: number, records: StageFrameRecord[]): BenchModeResult {
  const lat = summarize(latencies);
  const byStage = new Map<string, StageFrameRecord[]>();
  for (const r of records) {
    const list = byStage.get(r.stage) ?? [];
    list.push(r);
    byStage.set(r.stage, list);
  }
  const stages = pipeline.stages.map((s): StageBench => {
    const list = byStage.get(s.name) ?? [];
    return {
      name: s.name,
      engine: s.engine,
      stream: s.stream,
      computeMs: latencyOf(summarize(list.map((r) => r.end - r.start))),
      queueWaitMs: mean(list.map((r) => Math.max(0, Math.min(r.start, r.streamFreeAt) - r.readyAt))),
    };
  });
  let overhead = 0;
  for (const r of records) overhead += Math.max(0, r.start - Math.max(r.readyAt, r.streamFreeAt));
  // per engine instance, also in sequential mode (where every stage ran on the one 'sequential' stream)
  const streamOf = new Map(pipeline.stages.map((s) => [s.name, s.stream]));
  const busy = new Map<string, number>();
  for (const r of records) {
    const stream = streamOf.get(r.stage) ?? r.stream;
    busy.set(stream, (busy.get(stream) ?? 0) + (r.end - r.start));
  }
  const streams = pipeline.streams.map((name): StreamBench => ({
    name,
    msPerFrame: stages.filter((s) => s.stream === name).reduce((a, s) => a + s.computeMs.mean, 0),
    utilization: wallMs > 0 ? (busy.get(name) ?? 0) / wallMs : 0,
  }));
  return {
    mode,
    frames: latencies.length,
    wallS: wallMs / 1000,
    throughputFps: wallMs > 0 ? (1000 * latencies.length) / wallMs : 0,
    latencyMs: latencyOf(lat),
    latencyCv: lat.cv,
    hostOverheadMs: latencies.length > 0 ? overhead / latencies.length : Number.NaN,
    stages,
    streams,
  };
}
