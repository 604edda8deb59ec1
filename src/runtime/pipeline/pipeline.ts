import { quote } from '../../util/text.js';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { TandemError } from '../../util/errors.js';
import type { DataType } from '../../ir/dtype.js';
import { Tensor } from '../../ir/tensor.js';
import type { Plan, PlanStage } from '../../io/stage-file/types.js';
import { getEngine, isEngineName } from '../engines/registry.js';
import { SessionThread } from '../engines/session-thread.js';
import { MAX_PENDING_DISPATCHES, type EngineName, type EngineOptions, type OutputLocation, type Session, type StageValue } from '../engines/types.js';
import { buildScheduleGraph, type ScheduleGraph, type ScheduleStage } from './schedule-graph.js';
import { Scheduler, type FrameRecord, type StageFrameRecord, type StageRunner } from './scheduler.js';
import type { ProgressCallback } from '../../util/progress.js';

/** How frames move: `pipelined` (each stream works on its own frame) or `sequential` (one stage at a time, one frame at a time). */
export type PipelineMode = 'pipelined' | 'sequential';

/** Options of `openPipeline`. */
export interface PipelineOptions {
  /** Options for every session; a stage's `engineOptions` in the plan override them. @default none */
  readonly engineOptions?: EngineOptions;
  /** Keep a tensor on the GPU where its producer and every consumer are webgpu stages. @default true */
  readonly residentHandoff?: boolean;
  /** Told before each stage's session is opened (`kind: 'open'`; opening can take seconds). */
  readonly onProgress?: ProgressCallback;
  /**
   * Where each stream's sessions run: `auto` gives every cpu/dla-emulated stream its own worker thread
   * when the plan has more than one stream (onnxruntime-node runs a session synchronously on the calling
   * thread, so streams on one thread never overlap); `main` keeps every session on this thread.
   * Webgpu streams stay on this thread (their GPU buffers cannot cross threads). @default 'auto'
   */
  readonly streamThreads?: 'auto' | 'main';
}

/** Options of `Pipeline.run`. */
export interface PipelineRunOptions {
  /** Overlap frames across engines, or run them one at a time. @default 'pipelined' */
  readonly mode?: PipelineMode;
  /** Frames admitted and not yet taken by the consumer, at most (1 in sequential mode). @default streams + 1 */
  readonly maxInFlight?: number;
  /** Stops the run (Ctrl-C): frames that finished are kept, the run ends with TandemError `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Called when a stage finishes a frame (timing of that stage-frame). */
  readonly onStageFrame?: (record: StageFrameRecord) => void;
  /** Called when a frame has all its outputs. */
  readonly onFrame?: (record: FrameRecord) => void;
}

/** One frame's model outputs (host tensors), in frame order. */
export interface FrameResult {
  readonly frame: number;
  readonly outputs: Record<string, Tensor>;
  /** From admission to the last stage's end, ms (measured). */
  readonly latencyMs: number;
}

/** A stage as opened: its engine, stream and which outputs stay on the GPU. */
export interface PipelineStageInfo {
  readonly name: string;
  readonly engine: EngineName;
  readonly stream: string;
  readonly precision: PlanStage['precision'];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Outputs handed to the next stage as GPU buffers (no copy through host memory). */
  readonly residentOutputs: readonly string[];
  /** The JavaScript thread its session runs on: this one, or its stream's worker thread. */
  readonly thread: 'main' | 'worker';
}

/** An input every frame must feed. */
export interface PipelineInput {
  readonly name: string;
  readonly dtype: DataType;
  readonly dims: readonly number[];
}

/** A plan opened on this machine's engines. Close it (or `await using`) to release the sessions. */
export interface Pipeline extends AsyncDisposable {
  readonly plan: Plan;
  readonly stages: readonly PipelineStageInfo[];
  /** Stream names, in stage order: one per engine instance. */
  readonly streams: readonly string[];
  readonly inputs: readonly PipelineInput[];
  readonly outputs: readonly string[];
  /** Runs frames through the stages; results in frame order. One run at a time. */
  run(frames: AsyncIterable<Readonly<Record<string, Tensor>>> | Iterable<Readonly<Record<string, Tensor>>>, options?: PipelineRunOptions): AsyncIterable<FrameResult>;
  /** Waits for engine calls still out, then releases every session. Idempotent. */
  close(): Promise<void>;
}


/**
 * Opens every stage of a host plan on its engine. Each engine instance is a stream (`cpu`, `webgpu`,
 * `cuda:0`, ...; a stage's `engineOptions.stream` names another, e.g. two cpu streams of one thread
 * each). Throws TandemError `PLAN_TARGET` for an orin plan, `ENGINE_UNAVAILABLE` where an engine cannot start.
 *
 * @example
 * ```ts
 * await using pipeline = await openPipeline(readPlan('out/plan.json'));
 * const source = openFrameSource('synthetic:8', pipeline.inputs);   // or a folder of images / .npy / .npz
 * for await (const result of pipeline.run(source.frames(), { mode: 'pipelined' })) {
 *   console.log(result.frame, result.latencyMs, Object.keys(result.outputs));
 * }
 * ```
 */
export async function openPipeline(plan: Plan, options: PipelineOptions = {}): Promise<Pipeline> {
  assertRunsHere(plan);
  const infos = pipelineStages(plan, options);
  const tensorByName = new Map(plan.tensors.map((t) => [t.name, t]));
  const outputs = plan.tensors.filter((t) => t.modelOutput).map((t) => t.name);
  const graph = buildScheduleGraph(infos, outputs);
  const inputs = graph.inputs.map((name) => planTensorSpec(plan, tensorByName, name));

  const sessions = new Map<string, Session>();
  const threads = new Map<string, SessionThread>();
  try {
    for (const [i, s] of plan.stages.entries()) {
      options.onProgress?.({ kind: 'open', stage: s.name, engine: s.engine, done: i, total: plan.stages.length });
      const info = infos[i]!;
      const { stream: _stream, ...stageOptions } = stageEngineOptions(s);
      const outputLocation: Record<string, OutputLocation> = {};
      for (const o of info.residentOutputs) outputLocation[o] = 'gpu-buffer';
      const engineOptions: EngineOptions = {
        ...options.engineOptions,
        ...stageOptions,
        ...(info.residentOutputs.length > 0 ? { outputLocation } : {}),
      };
      let thread: SessionThread | undefined;
      if (info.thread === 'worker') {
        thread = threads.get(info.stream) ?? new SessionThread(info.stream);
        threads.set(info.stream, thread);
      }
      sessions.set(s.name, thread ? await thread.open(info.engine, stageFile(plan, s), engineOptions) : await getEngine(info.engine).open(stageFile(plan, s), engineOptions));
    }
  } catch (e) {
    for (const s of sessions.values()) await s.close();
    for (const t of threads.values()) await t.close();
    throw e;
  }
  return new OrtPipeline(plan, infos, graph, inputs, sessions, [...threads.values()]);
}

/**
 * Each stage's engine, stream and GPU-resident outputs, decided from the plan alone: an output stays on
 * the GPU where its producer and every consumer are webgpu stages (one device) and it is not a model
 * output; everything else goes through host memory.
 */
export function pipelineStages(plan: Plan, options: Pick<PipelineOptions, 'residentHandoff' | 'engineOptions' | 'streamThreads'> = {}): PipelineStageInfo[] {
  const resident = options.residentHandoff ?? true;
  const tensorByName = new Map(plan.tensors.map((t) => [t.name, t]));
  const stageByName = new Map(plan.stages.map((s) => [s.name, s]));
  const infos = plan.stages.map((s) => {
    const engine = s.engine as EngineName;
    const stageOptions = stageEngineOptions(s);
    const deviceId = stageOptions.deviceId ?? options.engineOptions?.deviceId;
    const stream = stageOptions.stream ?? (deviceId !== undefined && (engine === 'cuda' || engine === 'tensorrt') ? `${engine}:${deviceId}` : engine);
    const residentOutputs = !resident || engine !== 'webgpu' ? [] : s.outputs.filter((o) => {
      const t = tensorByName.get(o);
      const consumers = t?.to ?? plan.stages.filter((c) => c.inputs.includes(o)).map((c) => c.name);
      return !(t?.modelOutput ?? false) && consumers.length > 0 && consumers.every((c) => stageByName.get(c)?.engine === 'webgpu');
    });
    return { name: s.name, engine, stream, precision: s.precision, inputs: s.inputs, outputs: s.outputs, residentOutputs };
  });
  const streams = new Set(infos.map((s) => s.stream));
  const hostOnly = (stream: string): boolean => infos.every((s) => s.stream !== stream || s.engine === 'cpu' || s.engine === 'dla-emulated');
  const threaded = (options.streamThreads ?? 'auto') === 'auto' && streams.size > 1;
  return infos.map((s): PipelineStageInfo => ({ ...s, thread: threaded && hostOnly(s.stream) ? 'worker' : 'main' }));
}

class OrtPipeline implements Pipeline {
  readonly streams: readonly string[];
  readonly outputs: readonly string[];
  #sessions: Map<string, Session> | undefined;
  #threads: readonly SessionThread[];
  #running = false;
  #current: Scheduler<StageValue> | undefined;
  #draining: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    readonly plan: Plan,
    readonly stages: readonly PipelineStageInfo[],
    readonly graph: ScheduleGraph,
    readonly inputs: readonly PipelineInput[],
    sessions: Map<string, Session>,
    threads: readonly SessionThread[],
  ) {
    this.#sessions = sessions;
    this.#threads = threads;
    this.streams = graph.streams;
    this.outputs = graph.outputs;
  }

  async *run(frames: AsyncIterable<Readonly<Record<string, Tensor>>> | Iterable<Readonly<Record<string, Tensor>>>, options: PipelineRunOptions = {}): AsyncGenerator<FrameResult, void, undefined> {
    const sessions = this.#sessions;
    if (sessions === undefined) throw new TandemError('SESSION_CLOSED', 'this pipeline is closed');
    if (this.#running) throw new TandemError('RUN_IN_PROGRESS', 'this pipeline is already running frames; one run at a time');
    this.#running = true;
    // engine calls a stopped run left behind finish before the sessions are used again
    await this.#draining;
    const scheduler = scheduleRun<StageValue>(this.graph, (stage, feeds) => sessions.get(stage.name)!.runStage(feeds), options, (value) => {
      if (!(value instanceof Tensor)) value.dispose();
    });
    this.#current = scheduler;
    try {
      for await (const r of scheduler.run(toAsync(frames))) {
        yield { frame: r.frame, outputs: r.outputs as Record<string, Tensor>, latencyMs: r.latencyMs };
      }
    } finally {
      // a stop (engine error, abort) reaches the caller at once; close() waits for the calls still out
      this.#draining = scheduler.whenIdle();
      this.#current = undefined;
      this.#running = false;
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const current = this.#current;
      current?.stop('the pipeline was closed while frames were running');
      await current?.whenIdle();
      await this.#draining;
      const sessions = this.#sessions;
      this.#sessions = undefined;
      for (const s of sessions?.values() ?? []) await s.close();
      for (const t of this.#threads) await t.close();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A scheduler for one run of `graph` in a mode: pipelined (its streams, `maxInFlight` frames) or
 * sequential (one stream, one frame at a time). Shared by plan pipelines and function pipelines.
 */
export function scheduleRun<V>(graph: ScheduleGraph, runStage: StageRunner<V>, options: PipelineRunOptions, release?: (value: V) => void): Scheduler<V> {
  const sequential = options.mode === 'sequential';
  const g = sequential ? buildScheduleGraph(graph.stages.map((s): ScheduleStage => ({ ...s, stream: 'sequential' })), graph.outputs) : graph;
  const maxInFlight = sequential ? 1 : (options.maxInFlight ?? graph.streams.length + 1);
  return new Scheduler<V>(g, runStage, {
    maxInFlight,
    ...(release ? { release } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onStageFrame ? { onStageFrame: options.onStageFrame } : {}),
    ...(options.onFrame ? { onFrame: options.onFrame } : {}),
  });
}

export async function* toAsync<T>(frames: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  for await (const f of frames) yield f;
}

/** Refuses (`PLAN_TARGET`) a plan whose stages run on a target device rather than on this machine's engines. */
export function assertRunsHere(plan: Plan): void {
  const targetStages = plan.stages.filter((s) => !isEngineName(s.engine));
  if (targetStages.length > 0) {
    throw new TandemError(
      'PLAN_TARGET',
      `plan ${plan.dir} is for target ${quote(plan.target)}: stage${targetStages.length > 1 ? 's' : ''} ${targetStages.map((s) => `${quote(s.name)} (${s.engine})`).join(', ')} run on that device, not here; make a plan for this machine with tandem plan <model> --target host -o <dir>`,
    );
  }
}

/** A plan tensor as fed to a stage: its fixed dtype and shape, or `DYNAMIC_SHAPE` where the plan has none. */
export function planTensorSpec(plan: Plan, tensorByName: ReadonlyMap<string, Plan['tensors'][number]>, name: string): PipelineInput {
  const t = tensorByName.get(name);
  if (t === undefined || t.dtype === null || t.shape === null || !t.shape.every((d) => typeof d === 'number')) {
    throw new TandemError('DYNAMIC_SHAPE', `plan input ${quote(name)} has no fixed dtype and shape in ${join(plan.dir, 'plan.json')} (found ${t === undefined ? 'no tensor entry' : `${t.dtype ?? '?'}[${(t.shape ?? []).join(',')}]`}); give the model fixed input dims before splitting (tandem prepare --dims)`);
  }
  return { name, dtype: t.dtype, dims: t.shape as number[] };
}

/** A stage's model path, refused when it leaves the plan's folder. */
export function stageFile(plan: Plan, stage: PlanStage): string {
  const path = resolve(plan.dir, stage.file);
  const rel = relative(plan.dir, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new TandemError('STAGE_FILE', `stage ${quote(stage.name)} names file ${quote(stage.file)}, which is outside the plan's folder ${plan.dir}; stage files must sit in the plan's folder`);
  }
  return path;
}

type StageOptions = Pick<EngineOptions, 'threads' | 'interOpThreads' | 'graphOptimization' | 'deviceId' | 'graphCapture' | 'layout' | 'validation' | 'robustness' | 'maxPendingDispatches'> & { stream?: string };

/** How a stage's engineOptions value is checked: what it must be (for the message) and the test. */
interface OptionCheck {
  readonly expected: string;
  readonly ok: (value: unknown) => boolean;
}

const oneOf = (...values: readonly string[]): OptionCheck => ({ expected: values.length > 2 ? `one of ${values.join(', ')}` : values.join(' or '), ok: (v) => values.includes(v as string) });
const integerIn = (lo: number, hi: number, expected: string): OptionCheck => ({ expected, ok: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= lo && v <= hi });
const NON_NEGATIVE: OptionCheck = integerIn(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer');
const BOOLEAN: OptionCheck = { expected: 'true or false', ok: (v) => typeof v === 'boolean' };

/** Every key a plan stage's engineOptions may hold, in the order messages list them, with its check. */
const STAGE_OPTIONS: { readonly [K in keyof StageOptions]-?: OptionCheck } = {
  threads: NON_NEGATIVE,
  interOpThreads: NON_NEGATIVE,
  graphOptimization: oneOf('disabled', 'basic', 'extended', 'all'),
  deviceId: NON_NEGATIVE,
  stream: { expected: 'a stream name', ok: (v) => typeof v === 'string' && v !== '' },
  graphCapture: BOOLEAN,
  layout: oneOf('NCHW', 'NHWC'),
  validation: oneOf('disabled', 'wgpuOnly', 'basic', 'full'),
  robustness: BOOLEAN,
  maxPendingDispatches: integerIn(1, MAX_PENDING_DISPATCHES, `an integer from 1 to ${MAX_PENDING_DISPATCHES}`),
};

/** A plan stage's engineOptions, checked: known keys with values of the right type. */
export function stageEngineOptions(stage: PlanStage): StageOptions {
  const raw = stage.engineOptions ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const check = (STAGE_OPTIONS as Readonly<Record<string, OptionCheck>>)[key];
    if (check === undefined) throw new TandemError('STAGE_FILE', `stage ${quote(stage.name)} has unknown engineOptions.${key}; known: ${Object.keys(STAGE_OPTIONS).join(', ')}`);
    if (!check.ok(value)) throw new TandemError('STAGE_FILE', `stage ${quote(stage.name)}: engineOptions.${key} is ${JSON.stringify(value)}; expected ${check.expected}`);
    out[key] = value;
  }
  return out as StageOptions;
}
