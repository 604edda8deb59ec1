/**
 * One error family for everything a user can get wrong or a file can hold wrong. `code` is stable:
 * tests, scripts and the CLI's exit handling key on it; the message says what, where, and what to do.
 * docs/errors.md lists every code with its meaning.
 */
export type ErrorCode =
  | 'ONNX_PARSE' // a model file that is not valid ONNX protobuf (truncated, crafted, corrupt)
  | 'ONNX_UNSUPPORTED' // valid protobuf, but something tandem cannot represent (an unknown data type)
  | 'ONNX_ENCODE' // a model that cannot be written as asked (over 2 GiB inline, bad tensor data)
  | 'EXTERNAL_DATA_PATH' // an external-data location that escapes the model's folder
  | 'EXTERNAL_DATA' // external data that is missing, too short, or inconsistent
  | 'GRAPH_INVALID' // a graph that breaks an IR invariant (undefined input, duplicate producer)
  | 'GRAPH_CYCLE' // a graph whose nodes, or a split's or pipeline's stages, form a cycle
  | 'SHAPE_INFERENCE' // shapes that contradict each other (incompatible broadcast, bad reshape)
  | 'TENSOR_DATA' // tensor data whose size or type does not match its declaration
  | 'NPY_PARSE' // a .npy / .npz file that cannot be read
  | 'ENGINE_UNAVAILABLE' // an execution engine that cannot start on this machine
  | 'ENGINE_RUN' // an engine that failed while running a model
  | 'INPUT_MISMATCH' // feeds that do not match the model's inputs
  | 'UNKNOWN_NAME' // a name that does not exist (target, pass, engine, calibration method, reference model, op, tensor)
  | 'FILE_NOT_FOUND' // a path the user gave that does not exist
  | 'FILE_EXISTS' // an output that would overwrite an input, or an output folder that is, lies in, or would write over a folder the command reads
  | 'IO' // reading or writing a file failed for another reason
  | 'CALIB_DATA' // calibration data that is missing, empty, or does not fit the model's inputs
  | 'CALIB_CACHE' // a TensorRT calibration cache that cannot be read, or cannot be written as asked
  | 'QDQ_MODEL' // a Q/DQ model that breaks TensorRT's rules (non-zero zero point, mismatched Q and DQ scales)
  | 'VERIFY_FAILED' // a rewritten model whose outputs differ from the original's beyond the tolerance
  | 'USAGE' // wrong command-line flags or option values
  | 'STAGE_FILE' // a split.json or plan.json that breaks the stage-file schema or rules (a stage file outside its folder, bad engineOptions)
  | 'ABORTED' // a run stopped on request (Ctrl-C, an AbortSignal) before it finished
  | 'PLAN_COST' // a latency parameter file or a plan the latency model cannot cost (bad schema, missing parameter)
  | 'TRT_LOG' // a trtexec log or --exportTimes/--exportProfile JSON that cannot be read (tandem import)
  | 'REPORT_INPUT' // a file given to report that is not a tandem result, or a result that does not match its format
  | 'OUTPUT_PATH' // an output path of the wrong kind (an existing file where a folder is written, a folder where a file is)
  | 'TOO_LARGE' // a tensor tandem would allocate has more elements than its limit (declared dims, --dims, image sizes)
  | 'DATASET' // an evaluation dataset folder with missing, undecodable or mismatched files
  | 'EVAL_RESULT' // a partial eval result (--merge) that cannot be read or does not fit the others
  | 'SESSION_CLOSED' // a session, pipeline or GPU buffer used after close() or dispose()
  | 'RUN_IN_PROGRESS' // a run started on a pipeline that is still running frames (one run at a time)
  | 'DYNAMIC_SHAPE' // a shape that must be concrete (to allocate a tensor, feed a pipeline, cost a node) has symbolic or negative dims
  | 'PLAN_TARGET' // a plan for another target than the call serves (an Orin plan run here, a host plan exported), or a stage on an engine or precision its target lacks
  | 'MODEL_UNSUITABLE' // a valid model the call cannot use (a float model on dla-emulated; eval without one RGB input or task outputs)
  | 'MODEL_METADATA' // tandem's metadata in a model (task outputs, preprocessing) that is malformed, missing where needed, or names outputs the model lacks
  | 'FILE_KIND'; // a file of another kind where a model was expected (a split.json, plan.json, .npy, image, text)

/** Options of the `TandemError` constructor. */
export interface TandemErrorOptions {
  /** The underlying error (a file system or onnxruntime error), kept as `error.cause`. @default none */
  cause?: unknown;
  /** Structured details for machines (byte offset, field path, rule id, ...). @default {} */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type of tandem: `code` says what kind of problem (stable; see `ErrorCode`), the
 * message says what, where, expected vs found, and what to do.
 *
 * @example
 * ```ts
 * try {
 *   loadModel('model.onnx');
 * } catch (e) {
 *   if (isTandemError(e, 'FILE_NOT_FOUND')) console.error(e.message);
 *   else throw e;
 * }
 * ```
 */
export class TandemError extends Error {
  override readonly name = 'TandemError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: TandemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Whether `e` is a TandemError (of `code`, when given): a type guard for catch blocks. */
export function isTandemError(e: unknown, code?: ErrorCode): e is TandemError {
  return e instanceof TandemError && (code === undefined || e.code === code);
}

/** The error of a broken internal invariant: a bug in tandem, not a user error (see `assert`). */
export function internalError(message: string): Error {
  return new Error(`tandem internal error: ${message}`);
}

/**
 * Internal invariant: a failure here is a bug in tandem, not a user error. On hot paths give the
 * message as a function, so that it is only built on failure.
 */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw internalError(typeof message === 'string' ? message : message());
}

/** Exhaustiveness check for discriminated unions. */
export function unreachable(value: never, what: string): never {
  throw internalError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
