import { quote } from '../util/text.js';
import type { HostEngine, Plan } from '../io/stage-file/types.js';
import type { Model } from '../ir/model.js';
import type { QuantSession } from '../quant/session.js';
import { TandemError } from '../util/errors.js';
import { randomFeeds } from './random-feeds.js';

/**
 * The engines of this machine, injected (plan/ sits below runtime/: the CLI passes runtime's engines,
 * tests pass fakes). `available` is what the caller found can start here.
 */
export interface HostEngines {
  readonly available: readonly HostEngine[];
  open(engine: HostEngine, model: Model): Promise<QuantSession>;
  /** Clock in milliseconds. @default performance.now */
  now?(): number;
  /**
   * Runs a candidate plan briefly as a pipeline (pipelined mode) and returns its throughput, frames per
   * second, measured here. Where given, the host plan measures its best-ranked candidates this way and
   * keeps the fastest: stage times taken one at a time miss what streams do to each other (measured on
   * the H200: a cpu + webgpu choice predicted 44 fps ran at 14.4) and the GPU-resident hand-off of
   * all-webgpu chains.
   */
  measure?(plan: Plan): Promise<number>;
}

/** How `planDeployment` times each stage on each engine of this machine. */
export interface TimingOptions {
  /** Untimed runs first (session warm-up, allocation). @default 1 */
  warmup?: number;
  /** Timed runs; the median is kept. @default 5 */
  iterations?: number;
  /** Stop timing a stage on an engine after this long, with at least one timed run. @default 3000 */
  budgetMs?: number;
}

/** The median time of one stage on one engine, measured here. */
export interface StageTiming {
  readonly stage: string;
  readonly engine: HostEngine;
  readonly medianMs: number;
  readonly runs: number;
}

/** Times `model` on `engine`: warm-up runs, then timed runs on fixed random feeds; the median. */
export async function timeStage(engines: HostEngines, engine: HostEngine, stage: string, model: Model, options: TimingOptions = {}): Promise<StageTiming> {
  const warmup = options.warmup ?? 1;
  const iterations = options.iterations ?? 5;
  const budget = options.budgetMs ?? 3000;
  const now = (): number => (engines.now ? engines.now() : performance.now());
  const feeds = randomFeeds(model, 4241);
  const outputs = model.graph.outputs;
  const session = await engines.open(engine, model);
  try {
    for (let i = 0; i < warmup; i++) await session.run(feeds, { outputs });
    const times: number[] = [];
    const start = now();
    while (times.length < iterations && (times.length === 0 || now() - start < budget)) {
      const t0 = now();
      await session.run(feeds, { outputs });
      times.push(now() - t0);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const medianMs = times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
    return { stage, engine, medianMs, runs: times.length };
  } finally {
    await session.close();
  }
}

/**
 * The stream a stage runs on: stages on one device share it (the CPU engine and the DLA emulation both
 * run on the host's cores; one WebGPU device runs one session at a time, measured faster than two at once).
 */
export function hostStream(engine: HostEngine): string {
  switch (engine) {
    case 'cpu':
    case 'dla-emulated':
      return 'cpu';
    case 'webgpu':
      return 'webgpu';
    case 'cuda':
    case 'tensorrt':
      return 'cuda:0';
  }
}

/** Which engine of this machine runs each stage, from the measured timings. */
export interface HostAssignment {
  /** Stage name → engine. */
  readonly engines: Readonly<Record<string, HostEngine>>;
  /** Stream → summed median time of its stages per frame (ms, measured). */
  readonly streams: Readonly<Record<string, number>>;
  /** The busiest stream: it bounds the pipelined throughput. */
  readonly bottleneck: string;
  /** Pipelined frames per second the timings predict (1000 / the busiest stream's time). */
  readonly predictedFps: number;
  /** How the search went: every assignment tried, or a local search where there were too many. */
  readonly search: 'exhaustive' | 'local';
}

/** Above this many assignments the search is local (move one stage at a time while it helps). */
const EXHAUSTIVE_LIMIT = 200_000;

/**
 * Chooses an engine per stage that maximises pipelined throughput: the busiest stream's total time per
 * frame is smallest; among equals, the smallest sum over all stages (the sequential latency). `pins`
 * fix stages; every stage needs at least one timed engine.
 */
export function chooseHostAssignment(stages: readonly string[], timings: readonly StageTiming[], pins: Readonly<Record<string, HostEngine>> = {}): HostAssignment {
  return rankHostAssignments(stages, timings, pins, 1)[0]!;
}

/**
 * The `limit` assignments with the highest predicted pipelined throughput (as chooseHostAssignment
 * scores them), best first, followed by each assignment that puts every stage on one engine where it is
 * not among them already (an all-webgpu chain hands tensors over on the GPU, which the per-stage times,
 * taken with host inputs and outputs, do not see).
 */
export function rankHostAssignments(stages: readonly string[], timings: readonly StageTiming[], pins: Readonly<Record<string, HostEngine>> = {}, limit = 3): HostAssignment[] {
  const options = stages.map((s) => {
    const mine = timings.filter((t) => t.stage === s && (pins[s] === undefined || t.engine === pins[s]));
    if (mine.length === 0) throw new TandemError('ENGINE_UNAVAILABLE', `stage ${quote(s)} has no timing on ${pins[s] ?? 'any engine'}; no engine that can run it was available`);
    return mine;
  });
  const score = (pick: readonly StageTiming[]): [number, number, Record<string, number>] => {
    const streams: Record<string, number> = {};
    let sum = 0;
    for (const t of pick) {
      const k = hostStream(t.engine);
      streams[k] = (streams[k] ?? 0) + t.medianMs;
      sum += t.medianMs;
    }
    return [Math.max(...Object.values(streams)), sum, streams];
  };
  const better = (a: [number, number, unknown], b: [number, number, unknown]): boolean => a[0] < b[0] - 1e-9 || (Math.abs(a[0] - b[0]) <= 1e-9 && a[1] < b[1] - 1e-9);

  const combos = options.reduce((n, o) => n * o.length, 1);
  let best: StageTiming[];
  let search: HostAssignment['search'];
  const top: { pick: StageTiming[]; sc: [number, number, Record<string, number>] }[] = [];
  const keep = (pick: StageTiming[], sc: [number, number, Record<string, number>]): void => {
    let i = top.length;
    while (i > 0 && better(sc, top[i - 1]!.sc)) i--;
    if (i < limit) {
      top.splice(i, 0, { pick, sc });
      if (top.length > limit) top.pop();
    }
  };
  if (combos <= EXHAUSTIVE_LIMIT) {
    search = 'exhaustive';
    best = options.map((o) => o[0]!);
    let bestScore = score(best);
    const idx = options.map(() => 0);
    for (let n = 0; n < combos; n++) {
      const pick = options.map((o, i) => o[idx[i]!]!);
      const sc = score(pick);
      keep(pick, sc);
      if (better(sc, bestScore)) [best, bestScore] = [pick, sc];
      for (let i = 0; i < idx.length; i++) {
        idx[i]!++;
        if (idx[i]! < options[i]!.length) break;
        idx[i] = 0;
      }
    }
  } else {
    search = 'local';
    best = options.map((o) => o.reduce((a, b) => (b.medianMs < a.medianMs ? b : a)));
    for (let improved = true; improved; ) {
      improved = false;
      for (let i = 0; i < options.length; i++) {
        for (const alt of options[i]!) {
          const trial = best.map((t, j) => (j === i ? alt : t));
          if (better(score(trial), score(best))) [best, improved] = [trial, true];
        }
      }
    }
  }
  if (top.length === 0) keep(best, score(best));
  const picks = top.map((t) => t.pick);
  const engines = [...new Set(timings.map((t) => t.engine))];
  for (const e of engines) {
    const uniform = options.map((o) => o.find((t) => t.engine === e));
    if (uniform.every((t) => t !== undefined) && !picks.some((p) => p.every((t, i) => t === uniform[i]))) picks.push(uniform as StageTiming[]);
  }
  return picks.map((pick) => {
    const [busiest, , streams] = score(pick);
    const bottleneck = Object.entries(streams).find(([, v]) => v === busiest)![0];
    return { engines: Object.fromEntries(pick.map((t) => [t.stage, t.engine])), streams, bottleneck, predictedFps: busiest > 0 ? 1000 / busiest : Infinity, search };
  });
}
