import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';

/**
 * Engines tandem can open a session on (all through onnxruntime-node today). `dla-emulated` runs a
 * stage's INT8 Q/DQ model on the CPU: DLA numerics (per-tensor INT8 activations, per-channel INT8
 * weights, saturating), not DLA speed.
 */
export const ENGINE_NAMES = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dla-emulated'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface EngineOptions {
  /** Intra-op threads (cpu). @default onnxruntime's choice (all cores) */
  threads?: number;
  /** Inter-op threads (cpu, parallel execution mode only). */
  interOpThreads?: number;
  /** onnxruntime graph optimisation level. @default 'all' */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Where outputs live: host memory, or GPU buffers (webgpu) that a next stage can read without a copy.
   * 'gpu-buffer' is refused with onnxruntime-node ≤ 1.30, whose binding aborts the process on it. @default 'cpu'
   */
  outputLocation?: 'cpu' | 'gpu-buffer';
  /** GPU index (cuda, tensorrt). @default 0 */
  deviceId?: number;
  /** Print onnxruntime's own warnings. @default false */
  verbose?: boolean;
}

/** A model an engine can open: an IR model, encoded bytes, or a path to an .onnx file. */
export type ModelInput = Model | Uint8Array | string;

export interface RunOptions {
  /** Only compute these outputs. @default all graph outputs */
  outputs?: readonly string[];
}

/** An opened model on one engine. Close it (or use `await using`) to release its memory. */
export interface Session extends AsyncDisposable {
  readonly engine: EngineName;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs once; outputs come back as host tensors. */
  run(feeds: Readonly<Record<string, Tensor>>, options?: RunOptions): Promise<Record<string, Tensor>>;
  /** Idempotent. */
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** Opens a session; throws TandemError `ENGINE_UNAVAILABLE` when the engine cannot start here. */
  open(model: ModelInput, options?: EngineOptions): Promise<Session>;
}
