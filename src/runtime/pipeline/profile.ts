import { quote } from '../../util/text.js';
import { TandemError } from '../../util/errors.js';
import type { Plan } from '../../io/stage-file/index.js';
import type { ProgressCallback } from '../../util/progress.js';
import { getEngine } from '../engines/registry.js';
import type { EngineName, EngineOptions } from '../engines/types.js';
import type { OpProfile } from '../engines/op-profile.js';
import { syntheticFeeds } from './bench.js';
import { assertRunsHere, planTensorSpec, stageEngineOptions, stageFile } from './pipeline.js';

/** Options of `profilePlan`. */
export interface ProfilePlanOptions {
  /** Frames profiled per stage, after the warm-up. @default 20 */
  frames?: number;
  /** Frames run first and left out (shader compilation, allocation). @default 5 */
  warmup?: number;
  /** Engine options for every stage, under each stage's own. @default none */
  engineOptions?: EngineOptions;
  /** Seed of the random feeds. @default 1 */
  seed?: number;
  /** Called before each stage is profiled (kind 'timing'). @default none */
  onProgress?: ProgressCallback;
  /** Stops between frames. @default none */
  signal?: AbortSignal;
}

/** One stage's profile: where its frame time goes per op type (measured on this machine). */
export interface StageProfile {
  readonly stage: string;
  readonly engine: EngineName;
  /** Median wall time of one profiled run, ms (the profiler's own cost included). */
  readonly medianMs: number;
  readonly profile: OpProfile;
}

/**
 * Profiles each stage of a host plan alone, one after the other, on its engine with its engine options
 * and onnxruntime's profiler on: random feeds of the stage's input types, `warmup` runs left out, then
 * `frames` runs summarised per op type (CPU time inside kernels; on webgpu also the GPU time of every
 * dispatch). What trtexec's `--dumpProfile --separateProfileRun` gives, per stage. Throws `PLAN_TARGET` for
 * a plan for another device, `USAGE` for an engine that cannot profile, `DYNAMIC_SHAPE` for a stage input
 * without a fixed shape.
 *
 * @example
 * ```ts
 * for (const s of await profilePlan(readPlan('out/plan.json'), { frames: 20 }))
 *   console.log(s.stage, s.profile.ops.slice(0, 3));
 * ```
 */
export async function profilePlan(plan: Plan, options: ProfilePlanOptions = {}): Promise<StageProfile[]> {
  const frames = options.frames ?? 20;
  const warmup = options.warmup ?? 5;
  if (!Number.isSafeInteger(frames) || frames < 1) throw new TandemError('USAGE', `profile frames must be a positive integer, got ${frames}`);
  if (!Number.isSafeInteger(warmup) || warmup < 0) throw new TandemError('USAGE', `profile warm-up must be 0 or more frames, got ${warmup}`);
  assertRunsHere(plan);
  const tensors = new Map(plan.tensors.map((t) => [t.name, t]));
  const out: StageProfile[] = [];
  for (const [i, stage] of plan.stages.entries()) {
    const inputs = stage.inputs.map((name) => planTensorSpec(plan, tensors, name));
    const { stream: _stream, ...stageOptions } = stageEngineOptions(stage);
    const engine = stage.engine as EngineName;
    options.onProgress?.({ kind: 'timing', stage: stage.name, engine, done: i, total: plan.stages.length });
    await using session = await getEngine(engine).open(stageFile(plan, stage), { ...options.engineOptions, ...stageOptions, profile: true });
    if (session.endProfiling === undefined) throw new TandemError('USAGE', `engine ${engine} cannot profile its sessions`);
    const feeds = syntheticFeeds(inputs, options.seed ?? 1);
    const wall: number[] = [];
    for (let k = 0; k < warmup + frames; k++) {
      if (options.signal?.aborted) throw new TandemError('ABORTED', `profiling stopped at stage ${quote(stage.name)}, frame ${k}`);
      const t0 = performance.now();
      await session.run(feeds);
      if (k >= warmup) wall.push(performance.now() - t0);
    }
    const profile = await session.endProfiling(warmup);
    wall.sort((a, b) => a - b);
    out.push({ stage: stage.name, engine, medianMs: wall[Math.floor(wall.length / 2)]!, profile });
  }
  return out;
}
