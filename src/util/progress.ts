/**
 * One progress callback for every long verb: `options.onProgress(event)`, where `event.kind` says what
 * is being worked on. The library never prints; a CLI or an application turns these into bars or logs.
 * A verb emits only the kinds it does, but every verb takes the same callback type, so one handler
 * serves them all.
 */

/** prepareModel: one pass of one round has run. */
export interface PassProgress {
  readonly kind: 'pass';
  readonly round: number;
  readonly pass: string;
  /** Rewrites kept by the pass. */
  readonly applied: number;
  /** Rewrites tried and not kept (each is in the report with its numbers). */
  readonly rejected: number;
}

/** quantize (and what calibrates: planDeployment): samples observed, first for ranges, then for histograms. */
export interface CalibrationProgress {
  readonly kind: 'calibration';
  readonly phase: 'range' | 'histogram';
  /** The stage being calibrated, when there are several. */
  readonly stage?: string;
  readonly done: number;
  readonly total: number;
}

/** compareFidelity / compareCalibrators: held-out samples run through the FP32 and the Q/DQ models. */
export interface CompareProgress {
  readonly kind: 'compare';
  readonly stage?: string;
  readonly done: number;
  readonly total: number;
}

/** keepFp16 / keepFp16Heads: one sensitivity run or bisection step (`what` says which). */
export interface SearchProgress {
  readonly kind: 'search';
  readonly stage: string;
  /** The calibration method whose artifacts are searched, when known. */
  readonly method?: string;
  readonly what: string;
}

/** planDeployment, profilePlan: one stage timed (or profiled) on one host engine. */
export interface TimingProgress {
  readonly kind: 'timing';
  readonly stage: string;
  readonly engine: string;
  readonly done: number;
  readonly total: number;
}

/** prepareModel with `verify`, planDeployment: the rewritten models are being checked numerically. */
export interface VerifyProgress {
  readonly kind: 'verify';
}

/** benchPipeline: warm-up or measurement of one mode; `unit` says what `done`/`total` count. */
export interface BenchProgress {
  readonly kind: 'bench';
  readonly mode: string;
  readonly phase: 'warmup' | 'measure';
  readonly unit: 'frames' | 'ms';
  readonly done: number;
  readonly total: number;
}

/** openPipeline: the session of stage `done + 1` of `total` is being opened (this can take seconds). */
export interface OpenProgress {
  readonly kind: 'open';
  readonly stage: string;
  readonly engine: string;
  readonly done: number;
  readonly total: number;
}

/** evaluate, writeScenes, runFrames: frames done of the total. */
export interface FrameProgress {
  readonly kind: 'frame';
  readonly done: number;
  readonly total: number;
}

/** planDeployment (host, with engines.measure): candidate `done + 1` of `total` is being run as a pipeline. */
export interface CandidateProgress {
  readonly kind: 'candidate';
  readonly done: number;
  readonly total: number;
}

/** evaluateSensitivity: run `done` of `total` (FP32, full INT8, then one per quantized tensor, over every ranked stage). */
export interface SensitivityProgress {
  readonly kind: 'sensitivity';
  readonly stage: string;
  /** Which run: "FP32", "INT8", "all but <tensor>". */
  readonly what: string;
  readonly done: number;
  readonly total: number;
}

/** Everything a tandem verb reports while it works, told apart by `kind`. */
export type ProgressEvent =
  | PassProgress
  | CalibrationProgress
  | CompareProgress
  | SearchProgress
  | TimingProgress
  | VerifyProgress
  | BenchProgress
  | OpenProgress
  | FrameProgress
  | CandidateProgress
  | SensitivityProgress;

/** The `kind` of a progress event: `'pass'`, `'calibration'`, `'frame'`, ... */
export type ProgressKind = ProgressEvent['kind'];

/** The type of every `onProgress` option. */
export type ProgressCallback = (event: ProgressEvent) => void;
