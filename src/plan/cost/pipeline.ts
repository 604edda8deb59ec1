import { quote } from '../../util/text.js';
import { TandemError } from '../../util/errors.js';
import type { StageLatency } from './latency.js';
import { param, type LatencyParams } from './params.js';

/**
 * A plan's stages as a pipeline on the SoC (modelled): every engine works on its own frame, so the
 * throughput is set by the busiest engine and the latency by the critical path. Engines that run at
 * once share DRAM: each engine's memory-bound time stretches by `contention` × the DRAM bandwidth the
 * other engines demand while they are busy (their bytes per ms over the peak, times their duty cycle),
 * solved as a fixed point. Fitted on the webinar's pipelined row and the two-DLA rows of the DLA-SW
 * README; the forum numbers (405 → 229 qps GPU, 133 → 113 qps DLA) and TensorRT #2745
 * (45 → 59 ms, 17 → 21.8 ms) show the same effect on models that are not public.
 */

/** The engines of an Orin pipeline: the GPU and two DLA cores. */
export const PIPELINE_ENGINES = ['gpu', 'dla0', 'dla1'] as const;
/** An Orin pipeline engine: `'gpu'`, `'dla0'`, `'dla1'`. */
export type PipelineEngine = (typeof PIPELINE_ENGINES)[number];

/** A stage as `pipelineCost` takes it: its engine, its modelled cost, and the stages it waits for. */
export interface PipelineStage {
  readonly name: string;
  /** Where the stage runs: a DLA stage's fallback nodes and reformats load the GPU too. */
  readonly engine: PipelineEngine;
  readonly cost: StageLatency;
  /** Stages whose outputs it reads. */
  readonly after: readonly string[];
}

/** One engine's load in a modelled pipeline. */
export interface EngineUse {
  /** Load per frame alone on the SoC (ms). */
  readonly aloneMs: number;
  /** Load per frame with the other engines busy (ms). */
  readonly sharedMs: number;
  /** Busy share of the pipeline period. */
  readonly utilisation: number;
}

/** The modelled pipeline: per-stage latency, per-engine load, throughput and latency of a frame. */
export interface PipelineCostResult {
  readonly stages: readonly { readonly name: string; readonly engine: PipelineEngine; readonly precision: string; readonly aloneMs: number; readonly latencyMs: number; readonly fps: number }[];
  readonly engines: Readonly<Record<PipelineEngine, EngineUse>>;
  /** Frames per second through the pipeline (batch × 1000 / period). */
  readonly fps: number;
  /** One frame, input to last output, along the critical path (ms). */
  readonly latencyMs: number;
  /** Time between frames at the busiest engine (ms). */
  readonly periodMs: number;
  /** The busiest engine. */
  readonly bottleneck: PipelineEngine;
  /** Extra time per frame on the busiest engine due to DRAM sharing (ms). */
  readonly contentionMs: number;
}

/** Scores stages as a pipeline with DRAM contention. `dramScale`: the power mode's / platform's DRAM clock scale. */
export function pipelineCost(stages: readonly PipelineStage[], params: LatencyParams, dramScale = 1): PipelineCostResult {
  if (stages.length === 0) throw new TandemError('PLAN_COST', 'a pipeline needs at least one stage');
  const names = new Set(stages.map((s) => s.name));
  for (const s of stages) for (const a of s.after) if (!names.has(a)) throw new TandemError('PLAN_COST', `stage ${quote(s.name)} reads from ${quote(a)}, which is not a stage of the plan; stages: ${[...names].join(', ')}`);
  const batch = stages[0]!.cost.batch;
  const load: Record<PipelineEngine, { ms: number; mem: number; bytes: number }> = { gpu: { ms: 0, mem: 0, bytes: 0 }, dla0: { ms: 0, mem: 0, bytes: 0 }, dla1: { ms: 0, mem: 0, bytes: 0 } };
  for (const s of stages) {
    const g = s.cost.load.gpu;
    load.gpu.ms += g.ms;
    load.gpu.mem += g.memoryBoundMs;
    load.gpu.bytes += g.bytes;
    if (s.engine !== 'gpu') {
      const d = s.cost.load.dla;
      load[s.engine].ms += d.ms;
      load[s.engine].mem += d.memoryBoundMs;
      load[s.engine].bytes += d.bytes;
    } else if (s.cost.load.dla.ms > 0) {
      throw new TandemError('PLAN_COST', `stage ${quote(s.name)} is costed for a DLA but placed on the GPU`);
    }
  }
  const c = param(params, 'contention');
  const peakBytesPerMs = param(params, 'dramGBs') * 1e6 * dramScale;
  const shared: Record<PipelineEngine, number> = { gpu: load.gpu.ms, dla0: load.dla0.ms, dla1: load.dla1.ms };
  for (let iter = 0; iter < 30; iter++) {
    const period = Math.max(...PIPELINE_ENGINES.map((e) => shared[e]));
    const demand = (e: PipelineEngine): number => (shared[e] > 0 ? (load[e].bytes / shared[e] / peakBytesPerMs) * (shared[e] / period) : 0);
    const next = { ...shared };
    for (const e of PIPELINE_ENGINES) {
      let others = 0;
      for (const o of PIPELINE_ENGINES) if (o !== e) others += demand(o);
      next[e] = load[e].ms + load[e].mem * c * others;
    }
    Object.assign(shared, next);
  }
  const period = Math.max(...PIPELINE_ENGINES.map((e) => shared[e]));
  const bottleneck = PIPELINE_ENGINES.reduce((a, b) => (shared[b] > shared[a] ? b : a));
  const stretch = (e: PipelineEngine): number => (load[e].ms > 0 ? shared[e] / load[e].ms : 1);
  const stageMs = new Map<string, number>();
  for (const s of stages) {
    const gpuPart = s.cost.load.gpu.ms * stretch('gpu');
    const dlaPart = s.engine === 'gpu' ? 0 : s.cost.load.dla.ms * stretch(s.engine);
    stageMs.set(s.name, gpuPart + dlaPart);
  }
  const finish = new Map<string, number>();
  const order = [...stages];
  for (let guard = 0; finish.size < stages.length; guard++) {
    if (guard > stages.length) throw new TandemError('PLAN_COST', `the stages' "after" links form a cycle: ${order.filter((s) => !finish.has(s.name)).map((s) => s.name).join(', ')}`);
    for (const s of order) {
      if (finish.has(s.name) || !s.after.every((a) => finish.has(a))) continue;
      finish.set(s.name, Math.max(0, ...s.after.map((a) => finish.get(a)!)) + stageMs.get(s.name)!);
    }
  }
  const engines = Object.fromEntries(
    PIPELINE_ENGINES.map((e) => [e, { aloneMs: load[e].ms, sharedMs: shared[e], utilisation: period > 0 ? shared[e] / period : 0 }]),
  ) as Record<PipelineEngine, EngineUse>;
  return {
    stages: stages.map((s) => {
      const ms = stageMs.get(s.name)!;
      return { name: s.name, engine: s.engine, precision: s.cost.precision, aloneMs: s.cost.latencyMs, latencyMs: ms, fps: (batch * 1000) / ms };
    }),
    engines,
    fps: (batch * 1000) / period,
    latencyMs: Math.max(...finish.values()),
    periodMs: period,
    bottleneck,
    contentionMs: shared[bottleneck] - load[bottleneck].ms,
  };
}
