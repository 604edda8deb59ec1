import type { DataType } from '../../ir/dtype.js';
import type { OpProfile } from './op-profile.js';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';

/**
 * Engines tandem can open a session on (all through onnxruntime-node today). `dla-emulated` runs a
 * stage's INT8 Q/DQ model on the CPU: DLA numerics (per-tensor INT8 activations, per-channel INT8
 * weights, saturating), not DLA speed.
 */
export const ENGINE_NAMES = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dla-emulated'] as const;
/** An engine's name: `'cpu'`, `'webgpu'`, `'cuda'`, `'tensorrt'`, `'dla-emulated'`. */
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Options of `Engine.open` (the session). */
export interface EngineOptions {
  /** Intra-op threads (cpu). @default onnxruntime's choice (all cores) */
  threads?: number;
  /** Inter-op threads (cpu, parallel execution mode only). @default onnxruntime's choice */
  interOpThreads?: number;
  /** onnxruntime graph optimisation level. @default 'all' */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Where outputs live, for all outputs or per output name: host memory, or GPU buffers (webgpu only)
   * that the next webgpu stage on the same device reads without a copy. A `gpu-buffer` output comes back
   * from `runStage` as a ResidentTensor, never read back to the host. @default 'cpu'
   */
  outputLocation?: OutputLocation | Readonly<Record<string, OutputLocation>>;
  /**
   * webgpu: record the session's GPU work once and replay it (onnxruntime's `enableGraphCapture`). ORT
   * uses it only where every node runs on the WebGPU EP and no input or output crosses to the host
   * (inputs fed as GPU buffers of another webgpu session, outputs kept as `gpu-buffer`); otherwise it
   * runs the session normally. @default false
   */
  graphCapture?: boolean;
  /** GPU index (cuda, tensorrt). @default 0 */
  deviceId?: number;
  /**
   * webgpu: the layout onnxruntime's WebGPU EP gives layout-sensitive ops (Conv, pooling, Resize):
   * `NHWC` inserts transposes at the edges and runs its channels-last kernels (onnxruntime's
   * `preferredLayout`). @default 'NCHW'
   */
  layout?: 'NCHW' | 'NHWC';
  /**
   * webgpu: how much of Dawn's API validation runs on every dispatch (onnxruntime's `validationMode`).
   * Process-wide: the first webgpu session opened decides. @default onnxruntime's ('basic')
   */
  validation?: 'disabled' | 'wgpuOnly' | 'basic' | 'full';
  /**
   * webgpu: Dawn's robust buffer access (bounds checks in every shader; onnxruntime's
   * `enableRobustness`). Process-wide like `validation`. @default onnxruntime's (on)
   */
  robustness?: boolean;
  /**
   * webgpu: dispatches recorded before onnxruntime submits them to the GPU queue (1–4096;
   * `maxNumPendingDispatches`). Process-wide like `validation`. @default onnxruntime's (16)
   */
  maxPendingDispatches?: number;
  /**
   * Record where each run's time goes (onnxruntime's profiler: CPU time per kernel, and on webgpu the GPU
   * time of every dispatch from timestamp queries); read it with `Session.endProfiling`. Profiling slows
   * the runs it records. @default false
   */
  profile?: boolean;
  /**
   * Let this session's onnxruntime logger print its warnings and errors (its `logSeverityLevel`). Opening
   * a session never changes onnxruntime's process-wide log level (see `setOnnxruntimeLogLevel`).
   * @default false (quiet: failures come back as TandemErrors)
   */
  verbose?: boolean;
}

/** The most dispatches onnxruntime's WebGPU EP takes per queue submit (`EngineOptions.maxPendingDispatches`). */
export const MAX_PENDING_DISPATCHES = 4096;

/** Where a session leaves an output: host memory, or a GPU buffer (webgpu). */
export type OutputLocation = 'cpu' | 'gpu-buffer';

/**
 * A tensor kept in an engine's device memory (a WebGPU buffer), handed to the next stage on the same
 * device without a copy. tandem never reads one back: onnxruntime-node 1.30 aborts the process when a
 * WebGPU tensor's data is read (`getData`). Dispose it when its last reader is done.
 */
export interface ResidentTensor {
  readonly location: 'gpu-buffer';
  readonly engine: EngineName;
  readonly dtype: DataType;
  readonly dims: readonly number[];
  /** Frees the device memory. Idempotent. */
  dispose(): void;
}

/** What flows between stages: a host tensor or a device-resident one. */
export type StageValue = Tensor | ResidentTensor;

/** A model an engine can open: an IR model, encoded bytes, or a path to an .onnx file. */
export type ModelInput = Model | Uint8Array | string;

/** Options of `Session.run`. */
export interface RunOptions {
  /** Only compute these outputs. @default all graph outputs */
  outputs?: readonly string[];
}

/** An opened model on one engine. Close it (or use `await using`) to release its memory. */
export interface Session extends AsyncDisposable {
  readonly engine: EngineName;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs once; outputs come back as host tensors (refused for a session with gpu-buffer outputs: use runStage). */
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>>;
  /** Runs once with host or resident feeds; gpu-buffer outputs come back as ResidentTensors. */
  runStage(feeds: Readonly<Record<string, StageValue>>): Promise<Record<string, StageValue>>;
  /**
   * Ends the profiling of a session opened with `profile: true` and summarises its runs per op type,
   * leaving out the first `warmup` runs. Absent on engines that cannot profile.
   */
  endProfiling?(warmup?: number): Promise<OpProfile>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Something that runs stage models: `getEngine(name)` gives one; `open` makes a session of a model. */
export interface Engine {
  readonly name: EngineName;
  /** Opens a session; throws TandemError `ENGINE_UNAVAILABLE` when the engine cannot start here. */
  open(model: ModelInput, options?: EngineOptions): Promise<Session>;
}
