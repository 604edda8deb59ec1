import { quote } from '../../util/text.js';
import { TandemError } from '../../util/errors.js';

/**
 * Parsers for what trtexec writes (TensorRT 8.6, 10.x, 11.x): the text log's performance summary, the
 * --exportTimes JSON (one object per inference, ms since the run's start) and the --exportProfile JSON
 * (one object per layer). Input is untrusted: sizes are bounded and every problem is a `TRT_LOG` error
 * naming the file and what was expected.
 */

/** min / mean / median / p99 of a timing line, in ms. */
export interface TimingStats {
  readonly minMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
  readonly medianMs: number;
  readonly p99Ms?: number;
}

export interface TrtexecLog {
  /** The TensorRT version of the banner ("8.6.2", "10.3.0"), where present. */
  readonly trtVersion?: string;
  readonly command?: string;
  readonly throughputQps: number;
  readonly gpuCompute: TimingStats;
  readonly latency?: TimingStats;
  /** The run's host walltime (s), where printed. */
  readonly walltimeS?: number;
}

export interface TraceEntry {
  readonly startMs: number;
  readonly endMs: number;
  readonly computeMs: number;
}

/** One layer of trtexec's --exportProfile: its average time. */
export interface LayerProfile {
  readonly name: string;
  readonly averageMs: number;
  readonly percentage?: number;
}

/** Text logs above this size are not trtexec logs of a benchmark. */
const MAX_LOG_CHARS = 64 << 20;
/** Trace entries read at most (a 20 s run at 10 kHz is 200k). */
const MAX_ENTRIES = 2_000_000;

function fail(where: string, what: string): never {
  throw new TandemError('TRT_LOG', `${where}: ${what}`);
}

function stats(where: string, label: string, text: string): TimingStats {
  const num = (key: string): number | undefined => {
    const m = new RegExp(`${key.replace(/[()%]/g, '\\$&')} = ([0-9.eE+-]+) ms`).exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  const min = num('min');
  const max = num('max');
  const mean = num('mean');
  const median = num('median');
  if (min === undefined || max === undefined || mean === undefined || median === undefined || ![min, max, mean, median].every(Number.isFinite)) {
    fail(where, `the ${quote(label)} line lacks min / max / mean / median in ms: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const p99 = num('percentile(99%)');
  return { minMs: min, maxMs: max, meanMs: mean, medianMs: median, ...(p99 !== undefined && Number.isFinite(p99) ? { p99Ms: p99 } : {}) };
}

/** Parses a trtexec text log (performance summary of an inference run). */
export function parseTrtexecLog(text: string, where: string): TrtexecLog {
  if (text.length > MAX_LOG_CHARS) fail(where, `${text.length} characters: larger than a trtexec log (${MAX_LOG_CHARS})`);
  const lines = text.split(/\r?\n/);
  const banner = lines.find((l) => l.includes('&&&& RUNNING TensorRT.trtexec'));
  const v = banner === undefined ? undefined : /\[TensorRT v(\d+)\]/.exec(banner)?.[1];
  const failed = lines.find((l) => l.includes('&&&& FAILED'));
  if (failed !== undefined) {
    const err = lines.filter((l) => /\[E\]/.test(l)).slice(-1)[0];
    fail(where, `trtexec reports FAILED${err ? ` (last error: ${err.trim().slice(0, 300)})` : ''}; rebuild or rerun that stage (see the log)`);
  }
  const line = (label: string): string | undefined => lines.find((l) => new RegExp(`\\] ${label}: `).test(l) || l.startsWith(`${label}: `));
  const tp = line('Throughput');
  if (tp === undefined) fail(where, 'no "Throughput: … qps" line: the run did not reach its performance summary (cut off, or a build-only log?); rerun bench.sh for this stage');
  const qps = Number(/Throughput: ([0-9.eE+-]+) qps/.exec(tp)?.[1]);
  if (!(qps > 0)) fail(where, `the throughput line has no positive qps: ${JSON.stringify(tp.trim())}`);
  const gc = line('GPU Compute Time');
  if (gc === undefined) fail(where, 'no "GPU Compute Time: …" line in the performance summary; the log is partial');
  const lat = line('Latency');
  const wall = line('Total Host Walltime');
  const cmd = banner === undefined ? undefined : banner.split(' # ')[1]?.trim();
  return {
    ...(v === undefined ? {} : { trtVersion: versionOf(v) }),
    ...(cmd === undefined ? {} : { command: cmd }),
    throughputQps: qps,
    gpuCompute: stats(where, 'GPU Compute Time', gc),
    ...(lat === undefined ? {} : { latency: stats(where, 'Latency', lat) }),
    ...(wall === undefined ? {} : { walltimeS: Number(/Walltime: ([0-9.eE+-]+) s/.exec(wall)?.[1]) }),
  };
}

/** 8602 → 8.6.2; 100300 → 10.3.0 (NV_TENSORRT_VERSION). */
function versionOf(n: string): string {
  const x = Number(n);
  if (x >= 100000) return `${Math.floor(x / 10000)}.${Math.floor((x % 10000) / 100)}.${x % 100}`;
  return `${Math.floor(x / 1000)}.${Math.floor((x % 1000) / 100)}.${x % 100}`;
}

function parseJsonArray(text: string, where: string, what: string): unknown[] {
  if (text.length > MAX_LOG_CHARS) fail(where, `${text.length} characters: larger than a trtexec ${what}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    fail(where, `not JSON (${(e as Error).message}); trtexec writes ${what} as a JSON array — was the run cut off?`);
  }
  if (!Array.isArray(data)) fail(where, `expected a JSON array (${what}), found ${data === null ? 'null' : typeof data}`);
  if (data.length > MAX_ENTRIES) fail(where, `${data.length} entries: more than ${MAX_ENTRIES}`);
  return data;
}

const pick = (o: Record<string, unknown>, ...keys: string[]): number | undefined => {
  for (const k of keys) if (typeof o[k] === 'number' && Number.isFinite(o[k])) return o[k];
  return undefined;
};

/** Parses --exportTimes JSON: per inference, its start and end (ms since the run's start) and its compute time. */
export function parseExportTimes(text: string, where: string): TraceEntry[] {
  const data = parseJsonArray(text, where, '--exportTimes');
  const out: TraceEntry[] = [];
  data.forEach((e, i) => {
    if (typeof e !== 'object' || e === null) fail(where, `entry ${i} is not an object`);
    const o = e as Record<string, unknown>;
    // the leading { "count": N } object of 8.x traces
    if (Object.keys(o).length === 1 && 'count' in o) return;
    const start = pick(o, 'startComputeMs', 'startEnqMs', 'startInMs');
    const end = pick(o, 'endComputeMs', 'endOutMs', 'endD2HMs', 'endD2hMs');
    const compute = pick(o, 'computeMs') ?? (start !== undefined && end !== undefined ? end - start : undefined);
    if (start === undefined || end === undefined || compute === undefined || end < start) fail(where, `entry ${i} lacks startComputeMs / endComputeMs (or they are out of order): ${JSON.stringify(o).slice(0, 200)}`);
    out.push({ startMs: start, endMs: end, computeMs: compute });
  });
  if (out.length === 0) fail(where, 'no inference in the trace');
  return out;
}

/** Parses --exportProfile JSON: per layer its average time (ms) and share. */
export function parseExportProfile(text: string, where: string): LayerProfile[] {
  const data = parseJsonArray(text, where, '--exportProfile');
  const out: LayerProfile[] = [];
  data.forEach((e, i) => {
    if (typeof e !== 'object' || e === null) fail(where, `entry ${i} is not an object`);
    const o = e as Record<string, unknown>;
    if (Object.keys(o).length === 1 && 'count' in o) return;
    const avg = pick(o, 'averageMs', 'medianMs');
    if (typeof o.name !== 'string' || avg === undefined) fail(where, `entry ${i} lacks "name" and "averageMs": ${JSON.stringify(o).slice(0, 200)}`);
    const pct = pick(o, 'percentage');
    out.push({ name: o.name, averageMs: avg, ...(pct === undefined ? {} : { percentage: pct }) });
  });
  return out;
}

/** Median of numbers (sorted copy). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
