import * as ort from 'onnxruntime-node';
import { TandemError } from '../../util/errors.js';
import { printable, quote } from '../../util/text.js';
import { Model } from '../../ir/model.js';
import { decodeModel } from '../../onnx/decode.js';
import { encodeModel } from '../../onnx/encode.js';
import { loadModel } from '../../onnx/load-save.js';
import { fromOrtTensor, toOrtTensor } from './convert.js';
import { Tensor as HostTensor } from '../../ir/tensor.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegularFile } from '../../util/fs.js';
import { summarizeOrtProfile, type OpProfile } from './op-profile.js';
import { MAX_PENDING_DISPATCHES, type Engine, type EngineName, type EngineOptions, type ModelInput, type ResidentTensor, type RunOptions, type Session, type StageValue } from './types.js';

/** A profile file larger than this is refused (a frame of a 400-node model writes about 100 kB). */
const MAX_PROFILE_BYTES = 512 << 20;

/** onnxruntime's log levels, most to least talkative. */
export type OrtLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

/**
 * Sets onnxruntime's process-wide log level: its default logger, which prints what no session owns
 * (an execution provider library it cannot load). It is an application's choice, never made by opening a
 * session: onnxruntime reads it once, when the process's first session starts, and keeps it for the
 * process. The tandem CLI sets `fatal`, since it reports such failures itself; a session's own logging is
 * `EngineOptions.verbose`.
 */
export function setOnnxruntimeLogLevel(level: OrtLogLevel): void {
  ort.env.logLevel = level;
}

/** What to tell a user whose engine cannot start. */
const REMEDY: Record<EngineName, string> = {
  cpu: 'reinstall onnxruntime-node (npm ci)',
  'dla-emulated': 'reinstall onnxruntime-node (npm ci)',
  webgpu: 'it needs a GPU with a Vulkan driver (libvulkan.so.1 and an ICD); use --engine cpu elsewhere',
  cuda: 'install onnxruntime-node with its CUDA binaries where their download host is reachable: npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12 (CUDA 12 and cuDNN 9 must be installed)',
  tensorrt: 'install onnxruntime-node with its CUDA binaries (npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12) and TensorRT 10 on the library path',
};

/** An engine over onnxruntime-node with one execution provider. */
export class OrtEngine implements Engine {
  constructor(readonly name: EngineName) {}

  async open(model: ModelInput, options: EngineOptions = {}): Promise<Session> {
    const structure = model instanceof Model ? model : typeof model === 'string' ? loadModel(model, { weights: 'lazy' }) : decodeModel(model);
    assertPortableIo(structure);
    if (this.name === 'dla-emulated') assertQdqModel(structure);
    const bytesOrPath = model instanceof Model ? encodeModel(model) : model;
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [this.#provider(options)],
      graphOptimizationLevel: options.graphOptimization ?? 'all',
      // The session's own logger (not the process-wide one, which is the application's: setOnnxruntimeLogLevel):
      // quiet by default, since a failure comes back as a TandemError and onnxruntime would print it first.
      logSeverityLevel: options.verbose ? 2 : 4,
    };
    if (options.threads !== undefined) sessionOptions.intraOpNumThreads = options.threads;
    if (options.interOpThreads !== undefined) {
      sessionOptions.interOpNumThreads = options.interOpThreads;
      sessionOptions.executionMode = 'parallel';
    }
    if (options.graphCapture) {
      if (this.name !== 'webgpu') throw new TandemError('USAGE', `graphCapture is a webgpu option, not available on ${this.name}`);
      sessionOptions.enableGraphCapture = true;
    }
    const context = webgpuContextEntries(options);
    const gpuOnly = [...(options.layout === undefined ? [] : ['layout']), ...Object.keys(context)];
    if (gpuOnly.length > 0 && this.name !== 'webgpu') throw new TandemError('USAGE', `${gpuOnly.join(', ')} ${gpuOnly.length === 1 ? 'is a webgpu option' : 'are webgpu options'}, not available on ${this.name}`);
    if (Object.keys(context).length > 0) {
      // onnxruntime reads them as session config entries (the node binding flattens `extra` with dots)
      sessionOptions.extra = { ep: { webgpuexecutionprovider: Object.fromEntries(Object.values(context).map(([k, v]) => [k, v])) } };
    }
    const location = options.outputLocation;
    const anyGpu = location === 'gpu-buffer' || (typeof location === 'object' && Object.values(location).includes('gpu-buffer'));
    if (anyGpu && this.name !== 'webgpu') throw new TandemError('USAGE', `outputLocation 'gpu-buffer' is only available on the webgpu engine, not ${this.name}`);
    if (location !== undefined) sessionOptions.preferredOutputLocation = typeof location === 'string' ? location : { ...location };
    // onnxruntime writes the profile when it ends, to <prefix>_<date>.json: a private folder per session
    const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'tandem-profile-')) : undefined;
    if (profileDir !== undefined) Object.assign(sessionOptions, { enableProfiling: true, profileFilePrefix: join(profileDir, 'ort') });
    let session: ort.InferenceSession;
    try {
      session = typeof bytesOrPath === 'string'
        ? await ort.InferenceSession.create(bytesOrPath, sessionOptions)
        : await ort.InferenceSession.create(bytesOrPath, sessionOptions);
    } catch (e) {
      if (profileDir !== undefined) rmSync(profileDir, { recursive: true, force: true });
      throw ortEngineError(this.name, e);
    }
    return new OrtSession(this.name, session, profileDir);
  }

  #provider(options: EngineOptions): ort.InferenceSession.ExecutionProviderConfig {
    switch (this.name) {
      case 'cpu':
      case 'dla-emulated':
        return 'cpu';
      case 'webgpu':
        return { name: 'webgpu', ...(options.layout === undefined ? {} : { preferredLayout: options.layout }) };
      case 'cuda':
        return { name: 'cuda', deviceId: options.deviceId ?? 0 };
      case 'tensorrt':
        return { name: 'tensorrt', deviceId: options.deviceId ?? 0 };
    }
  }
}

/** The WebGPU context settings that were asked for: option name → [onnxruntime config key, value]. */
function webgpuContextEntries(options: EngineOptions): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  if (options.validation !== undefined) out.validation = ['validationMode', options.validation];
  if (options.robustness !== undefined) out.robustness = ['enableRobustness', options.robustness ? '1' : '0'];
  if (options.maxPendingDispatches !== undefined) {
    const n = options.maxPendingDispatches;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PENDING_DISPATCHES) throw new TandemError('USAGE', `maxPendingDispatches is ${n}; expected an integer from 1 to ${MAX_PENDING_DISPATCHES}`);
    out.maxPendingDispatches = ['maxNumPendingDispatches', String(n)];
  }
  return out;
}

/** What onnxruntime's refusal to open a session on an engine means: the engine cannot start here, or the model is refused. */
export function ortEngineError(name: EngineName, e: unknown): TandemError {
  const message = (e as Error)?.message ?? String(e);
  const unavailable = /adapter|Failed to load (shared )?library|providers_shared|not (supported|available|enabled)|AppendExecutionProvider|Vulkan/i.test(message);
  if (unavailable) {
    return new TandemError('ENGINE_UNAVAILABLE', `engine ${name} cannot start on this machine (${firstLine(message)}); ${REMEDY[name]}`, { cause: e });
  }
  return new TandemError('ENGINE_RUN', `onnxruntime (${name}) refused the model: ${firstLine(message)}`, { cause: e });
}

class OrtSession implements Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #session: ort.InferenceSession | undefined;
  /** The folder onnxruntime writes this session's profile to (profile: true), until it is read. */
  #profileDir: string | undefined;
  #runs = 0;

  constructor(
    readonly engine: EngineName,
    session: ort.InferenceSession,
    profileDir?: string,
  ) {
    this.#session = session;
    this.#profileDir = profileDir;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  async run(feeds: Readonly<Record<string, HostTensor>>, options: RunOptions = {}): Promise<Record<string, HostTensor>> {
    const out = await this.#run(feeds, options.outputs);
    const resident = Object.entries(out).filter(([, v]) => !(v instanceof HostTensor));
    if (resident.length > 0) {
      for (const [, v] of resident) (v as ResidentTensor).dispose();
      throw new TandemError('USAGE', `outputs ${resident.map(([n]) => `${quote(n)}`).join(', ')} are kept on the GPU (outputLocation 'gpu-buffer') and cannot be read back here (onnxruntime-node 1.30 aborts on it); run them with runStage and feed them to the next webgpu stage, or open the session with outputLocation 'cpu'`);
    }
    return out as Record<string, HostTensor>;
  }

  async runStage(feeds: Readonly<Record<string, StageValue>>): Promise<Record<string, StageValue>> {
    return this.#run(feeds, undefined);
  }

  async #run(feeds: Readonly<Record<string, StageValue>>, outputs: readonly string[] | undefined): Promise<Record<string, StageValue>> {
    const session = this.#session;
    if (session === undefined) throw new TandemError('SESSION_CLOSED', 'this session is closed');
    const missing = this.inputNames.filter((n) => !(n in feeds));
    const extra = Object.keys(feeds).filter((n) => !this.inputNames.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new TandemError(
        'INPUT_MISMATCH',
        `inputs do not match the model: ${missing.length ? `missing ${missing.map((n) => `${quote(n)}`).join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unknown ${extra.map((n) => `${quote(n)}`).join(', ')}` : ''}; the model takes ${this.inputNames.map((n) => `${quote(n)}`).join(', ')}`,
      );
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (t instanceof HostTensor) ortFeeds[name] = toOrtTensor(t, name);
      else if (t instanceof OrtResidentTensor && t.engine === this.engine) ortFeeds[name] = t.unwrap(name);
      else throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} is a ${t.engine} GPU buffer and engine ${this.engine} cannot read it; keep outputs for other engines in host memory (outputLocation 'cpu')`);
    }
    let result: ort.InferenceSession.ReturnType;
    this.#runs++;
    try {
      result = outputs ? await session.run(ortFeeds, [...outputs]) : await session.run(ortFeeds);
    } catch (e) {
      // Diagnosed only on failure, off the per-frame path: onnxruntime's own message names neither shape.
      const wrong = shapeMismatch(session, feeds);
      if (wrong !== undefined) throw new TandemError('INPUT_MISMATCH', `${wrong}; onnxruntime (${this.engine}) cannot run the model on it — give data of the model's input shape (tandem inspect lists it; --dims sizes symbolic dims)`, { cause: e });
      throw new TandemError('ENGINE_RUN', `onnxruntime (${this.engine}) failed to run the model: ${firstLine((e as Error)?.message ?? String(e))}`, { cause: e });
    }
    const out: Record<string, StageValue> = {};
    for (const [name, v] of Object.entries(result)) {
      // never getData() on a GPU tensor: onnxruntime-node 1.30 terminates the process on it
      out[name] = v.location === 'cpu' || v.location === 'cpu-pinned' ? fromOrtTensor(v, name) : new OrtResidentTensor(this.engine, v);
    }
    return out;
  }

  async endProfiling(warmup = 0): Promise<OpProfile> {
    const session = this.#session;
    if (session === undefined) throw new TandemError('SESSION_CLOSED', 'this session is closed');
    const dir = this.#profileDir;
    if (dir === undefined) throw new TandemError('USAGE', 'this session records no profile: open it with the engine option profile: true');
    this.#profileDir = undefined;
    try {
      session.endProfiling();
      const file = readdirSync(dir).find((f) => f.endsWith('.json'));
      if (file === undefined) throw new TandemError('ENGINE_RUN', `onnxruntime (${this.engine}) wrote no profile`);
      return summarizeOrtProfile(readRegularFile(join(dir, file), { maxBytes: MAX_PROFILE_BYTES, what: 'onnxruntime profile' }).toString('utf8'), this.#runs, warmup);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    const s = this.#session;
    this.#session = undefined;
    if (this.#profileDir !== undefined) rmSync(this.#profileDir, { recursive: true, force: true });
    this.#profileDir = undefined;
    if (s) await s.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A WebGPU output held as an onnxruntime tensor; only a session of the same engine unwraps it. */
class OrtResidentTensor implements ResidentTensor {
  readonly location = 'gpu-buffer' as const;
  readonly dtype: ResidentTensor['dtype'];
  readonly dims: readonly number[];
  #tensor: ort.Tensor | undefined;

  constructor(
    readonly engine: EngineName,
    tensor: ort.Tensor,
  ) {
    this.#tensor = tensor;
    this.dtype = tensor.type as ResidentTensor['dtype'];
    this.dims = tensor.dims;
  }

  unwrap(name: string): ort.Tensor {
    if (this.#tensor === undefined) throw new TandemError('SESSION_CLOSED', `input ${quote(name)} is a GPU buffer that was already disposed`);
    return this.#tensor;
  }

  dispose(): void {
    const t = this.#tensor;
    this.#tensor = undefined;
    t?.dispose();
  }
}

/**
 * dla-emulated runs INT8 numerics only if the model carries them: a float model would silently run in
 * FP32 and be reported as DLA-like.
 */
function assertQdqModel(model: Model): void {
  const qdq = model.graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear');
  if (!qdq) {
    throw new TandemError(
      'MODEL_UNSUITABLE',
      'engine dla-emulated runs INT8 Q/DQ models, and this model has no QuantizeLinear/DequantizeLinear nodes; make one with tandem quantize (<stage>.qdq.onnx) and run that',
    );
  }
}

/** 4-bit types the Node binding of onnxruntime 1.30 cannot pass: a 4-bit output aborts the process. */
const NO_BINDING = new Set<string>(['int4', 'uint4']);
/** Cast's `to` codes of those types (ONNX TensorProto.DataType). */
const NO_BINDING_CODES = new Set([21, 22]);

/**
 * Refuses, before a session exists, models whose inputs or outputs onnxruntime-node cannot hand across:
 * int4/uint4 inputs (its binding has no 4-bit tensors) and int4/uint4 or optional-typed outputs (seen to
 * abort or crash the whole process, rc 134 / 139, with onnxruntime-node 1.30).
 */
export function assertPortableIo(model: Model): void {
  const g = model.graph;
  const refuse = (what: string): never => {
    throw new TandemError('ENGINE_RUN', `${what}; onnxruntime-node cannot pass it to or from JavaScript (with 1.30 a 4-bit or optional output aborts the process), so no session was opened — cast it to a supported type in the model (e.g. a Cast to int8 or float32, or OptionalGetElement)`);
  };
  for (const name of g.runtimeInputs) {
    const t = g.value(name)?.type;
    if (t?.kind === 'tensor' && t.dtype !== undefined && NO_BINDING.has(t.dtype)) refuse(`input ${quote(name)} is ${t.dtype}`);
    if (t !== undefined && t.kind !== 'tensor' && t.kind !== 'unset') refuse(`input ${quote(name)} is of ${t.kind} type`);
  }
  for (const name of g.outputs) {
    const t = g.value(name)?.type;
    if (t?.kind === 'optional') refuse(`output ${quote(name)} is of optional type`);
    if ((t?.kind === 'tensor' || t?.kind === 'sparseTensor') && t.dtype !== undefined && NO_BINDING.has(t.dtype)) refuse(`output ${quote(name)} is ${t.dtype}`);
    // An output without a declared type: what its producer makes decides.
    const p = t === undefined || (t.kind === 'tensor' && t.dtype === undefined) ? g.producer(name) : undefined;
    if (p?.op === 'Optional' && p.domain === '') refuse(`output ${quote(name)} is made by Optional (an optional type)`);
    const to = p?.op === 'Cast' ? p.attrs.get('to') : undefined;
    if (to?.type === 'int' && NO_BINDING_CODES.has(to.value)) refuse(`output ${quote(name)} is a Cast to a 4-bit type`);
  }
}

function firstLine(s: string): string {
  // onnxruntime prefixes messages with a source location; keep the sentence a user can act on
  const adapter = /Failed to get a WebGPU adapter[^\n]*/.exec(s);
  if (adapter) return adapter[0];
  const line = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

/** Element types onnxruntime and tandem spell alike; the dtype check compares only these. */
const COMMON_TYPES: ReadonlySet<string> = new Set(['float32', 'float16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string']);

/**
 * The first feed whose element type, rank or fixed dims differ from what the session declares, as "input 'x': expected
 * [1,3,224,224], given [1,3,200,200]" (symbolic dims accept any size); undefined when all fit. onnxruntime's
 * own message ("Got invalid dimensions for input: x for the following indices index: 2 Got: 200 Expected: 224")
 * names neither shape.
 */

function shapeMismatch(session: ort.InferenceSession, feeds: Readonly<Record<string, StageValue>>): string | undefined {
  let metadata: readonly ort.InferenceSession.ValueMetadata[];
  try {
    metadata = session.inputMetadata;
  } catch {
    return undefined;
  }
  for (const m of metadata) {
    const t = feeds[m.name];
    if (!m.isTensor || !(t instanceof HostTensor) || m.shape.length === 0) continue;
    if (COMMON_TYPES.has(m.type) && COMMON_TYPES.has(t.dtype) && m.type !== t.dtype) return `input ${quote(m.name)}: expected ${m.type}, given ${t.dtype} [${t.dims.join(',')}]`;
    const given = t.dims;
    const expected = m.shape;
    const fits = given.length === expected.length && expected.every((d, i) => typeof d !== 'number' || d <= 0 || d === given[i]);
    if (!fits) {
      const show = (dims: readonly (number | string)[]): string => `[${dims.map((d) => (typeof d === 'number' && d >= 0 ? String(d) : typeof d === 'string' && d !== '' ? printable(d, 40) : '?')).join(',')}]`;
      return `input ${quote(m.name)}: expected shape ${show(expected)}, given ${show(given)}${given.length !== expected.length ? ` (rank ${given.length}, the model wants rank ${expected.length})` : ''}`;
    }
  }
  return undefined;
}
