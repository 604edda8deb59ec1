import { availableParallelism } from 'node:os';
import { Worker, parentPort } from 'node:worker_threads';
import { calibrateTensor, type CalibrationMethod, type ResolvedCalibratorOptions, type TensorStatistics } from './registry.js';
import { internalError } from '../../util/errors.js';

/**
 * The threshold-search pool: histogram searches (entropy, mse) take milliseconds per tensor and a
 * model has hundreds of tensors, so they run on worker threads, each tensor independent of the others.
 * A worker imports this very module (by its own URL, so it works from TypeScript sources and from the
 * build alike) and answers batches of jobs.
 */

export interface ThresholdJob {
  readonly stats: TensorStatistics;
  readonly method: CalibrationMethod;
}

interface WireJob {
  readonly stats: TensorStatistics;
  readonly method: CalibrationMethod;
  readonly options: ResolvedCalibratorOptions;
}

/** Threads used when none are given: the machine's cores but one, at most 16. */
export function defaultThresholdThreads(): number {
  return Math.max(1, Math.min(16, availableParallelism() - 1));
}

/**
 * Worker bootstrap: import this module by URL. Run from TypeScript sources (tests, `tsx`), the worker
 * first registers tsx's loader, which worker threads do not inherit; the build needs nothing.
 */
const WORKER_BOOT = `
const url = ${JSON.stringify(import.meta.url)};
(url.endsWith('.ts') ? import('tsx/esm/api').then((api) => api.register()) : Promise.resolve())
  .then(() => import(url))
  .then((m) => m.thresholdWorkerMain());
`;

/** Below this many histogram searches a pool costs more (worker start-up) than it saves. */
const MIN_PARALLEL_JOBS = 48;
const CHUNK = 8;

/** The amax of every job, in job order; searches run on `threads` worker threads (1: in this thread). */
export async function searchThresholds(jobs: readonly ThresholdJob[], options: ResolvedCalibratorOptions, threads = defaultThresholdThreads()): Promise<Float64Array> {
  const out = new Float64Array(jobs.length);
  const heavy: number[] = [];
  jobs.forEach((j, i) => {
    if (j.method === 'max' || j.method === 'percentile') out[i] = calibrateTensor(j.stats, j.method, options);
    else heavy.push(i);
  });
  const workers = Math.min(threads, Math.ceil(heavy.length / CHUNK));
  if (workers <= 1 || heavy.length < MIN_PARALLEL_JOBS) {
    for (const i of heavy) out[i] = calibrateTensor(jobs[i]!.stats, jobs[i]!.method, options);
    return out;
  }
  let next = 0;
  const pool = Array.from({ length: workers }, () => new Worker(WORKER_BOOT, { eval: true }));
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let batch: number[] = [];
            const send = (): void => {
              batch = heavy.slice(next, next + CHUNK);
              next += batch.length;
              if (batch.length === 0) {
                resolve();
                return;
              }
              w.postMessage(batch.map((i): WireJob => ({ stats: plain(jobs[i]!.stats), method: jobs[i]!.method, options })));
            };
            w.on('message', (amax: number[]) => {
              batch.forEach((i, k) => (out[i] = amax[k]!));
              send();
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (next < heavy.length || batch.length > 0) reject(internalError(`threshold worker exited with code ${code} before finishing`));
            });
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return out;
}

/** Only what the searches read, as plain data (class instances do not survive structured cloning). */
function plain(s: TensorStatistics): TensorStatistics {
  const h = (x: TensorStatistics['abs']): TensorStatistics['abs'] => (x === undefined ? undefined : { kind: x.kind, bins: x.bins, absMax: x.absMax, counts: x.counts });
  const abs = h(s.abs);
  const signed = h(s.signed);
  return { name: s.name, range: { ...s.range }, ...(abs ? { abs } : {}), ...(signed ? { signed } : {}) };
}

/** Entry point of a pool worker. */
export function thresholdWorkerMain(): void {
  parentPort?.on('message', (jobs: WireJob[]) => {
    parentPort!.postMessage(jobs.map((j) => calibrateTensor(j.stats, j.method, j.options)));
  });
}
