import { Worker } from 'node:worker_threads';
import type { DataType } from '../../ir/dtype.js';
import { Model } from '../../ir/model.js';
import { Tensor } from '../../ir/tensor.js';
import { encodeModel } from '../../onnx/encode.js';
import { TandemError, type ErrorCode } from '../../util/errors.js';
import { quote } from '../../util/text.js';
import type { EngineName, EngineOptions, ModelInput, RunOptions, Session, StageValue } from './types.js';

/**
 * Sessions on their own JavaScript thread. onnxruntime-node (1.30) runs `session.run` synchronously on
 * the thread that calls it (a setImmediate around the native call), so two sessions on one thread never
 * compute at once, whatever their engines: measured on dev, a backbone and two heads on two cpu
 * "streams" of one thread each ran one after the other (pipelined fps = sequential fps). A stream whose
 * sessions live on a worker thread computes while the main thread and other streams do. Host tensors
 * cross by copy (feeds) and by transfer (outputs); GPU-resident outputs cannot cross threads, so a
 * thread takes engines whose outputs are host memory only.
 */
export class SessionThread {
  #worker: Worker | undefined;
  #next = 1;
  #pending = new Map<number, { resolve(r: WireReply): void; reject(e: unknown): void }>();
  #failed: TandemError | undefined;
  #closing: Promise<void> | undefined;

  constructor(readonly label: string) {
    // Run from TypeScript sources (tests, tsx), the worker registers tsx itself: loader hooks of the
    // parent thread do not reach worker threads.
    const ts = import.meta.url.endsWith('.ts');
    const entry = new URL(ts ? './session-worker.ts' : './session-worker.js', import.meta.url);
    this.#worker = ts
      ? new Worker(`import('tsx/esm/api').then((m) => m.register()).then(() => import(${JSON.stringify(entry.href)}))`, { eval: true })
      : new Worker(entry);
    this.#worker.unref();
    this.#worker.on('message', (r: WireReply) => this.#reply(r));
    this.#worker.on('error', (e) => this.#fail(new TandemError('ENGINE_RUN', `the worker thread of stream ${quote(label)} failed: ${e.message}`, { cause: e })));
    this.#worker.on('exit', (code) => this.#fail(new TandemError('ENGINE_RUN', `the worker thread of stream ${quote(label)} exited (code ${code})`)));
  }

  /** Opens a session on this thread (cpu and dla-emulated: engines whose outputs are host tensors). */
  async open(engine: EngineName, model: ModelInput, options: EngineOptions = {}): Promise<Session> {
    if (engine !== 'cpu' && engine !== 'dla-emulated') throw new TandemError('USAGE', `engine ${engine} cannot run on a worker thread (its outputs may live on a device); only cpu and dla-emulated do`);
    if (options.outputLocation !== undefined && options.outputLocation !== 'cpu') throw new TandemError('USAGE', `a session on a worker thread keeps its outputs in host memory; outputLocation ${JSON.stringify(options.outputLocation)} is not available there`);
    const session = this.#next++;
    const wire = model instanceof Model ? encodeModel(model) : model;
    const r = await this.#call({ kind: 'open', id: 0, session, engine, model: wire, options: { ...options } });
    return new ThreadSession(this, session, engine, r.inputNames ?? [], r.outputNames ?? []);
  }

  /** @internal */
  async run(session: number, feeds: Readonly<Record<string, StageValue>>, outputs: readonly string[] | undefined): Promise<Record<string, Tensor>> {
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (!(t instanceof Tensor)) throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} is a ${t.engine} GPU buffer; a session on a worker thread reads host tensors only`);
      wire[name] = { dtype: t.dtype, dims: [...t.dims], data: t.data as ArrayBufferView };
    }
    const r = await this.#call({ kind: 'run', id: 0, session, feeds: wire, ...(outputs !== undefined ? { outputs: [...outputs] } : {}) });
    return Object.fromEntries(Object.entries(r.outputs ?? {}).map(([k, w]) => [k, new Tensor(w.dtype, w.dims, w.data as never, { name: k })]));
  }

  /** @internal */
  async closeSession(session: number): Promise<void> {
    if (this.#worker === undefined || this.#failed !== undefined) return;
    await this.#call({ kind: 'close', id: 0, session });
  }

  /** Ends the thread (its sessions with it). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const w = this.#worker;
      this.#worker = undefined;
      if (w !== undefined) {
        w.removeAllListeners('exit');
        await w.terminate();
      }
      this.#fail(new TandemError('SESSION_CLOSED', `the worker thread of stream ${quote(this.label)} is closed`));
    })();
    return this.#closing;
  }

  #call(request: WireRequest): Promise<WireReply> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const w = this.#worker;
    if (w === undefined) return Promise.reject(new TandemError('SESSION_CLOSED', `the worker thread of stream ${quote(this.label)} is closed`));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // a request out keeps the process alive; an idle thread does not
      if (this.#pending.size === 1) w.ref();
      w.postMessage({ ...request, id });
    });
  }

  #reply(r: WireReply): void {
    const p = this.#pending.get(r.id);
    if (p === undefined) return;
    this.#pending.delete(r.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (r.ok) p.resolve(r);
    else p.reject(new TandemError((r.code ?? 'ENGINE_RUN') as ErrorCode, r.message ?? 'the worker thread failed'));
  }

  #fail(e: TandemError): void {
    this.#failed ??= e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}

class ThreadSession implements Session {
  #open = true;

  constructor(
    readonly thread: SessionThread,
    readonly id: number,
    readonly engine: EngineName,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  run(feeds: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (!this.#open) return Promise.reject(new TandemError('SESSION_CLOSED', 'this session is closed'));
    return this.thread.run(this.id, feeds, options.outputs);
  }

  runStage(feeds: Readonly<Record<string, StageValue>>): Promise<Record<string, StageValue>> {
    if (!this.#open) return Promise.reject(new TandemError('SESSION_CLOSED', 'this session is closed'));
    return this.thread.run(this.id, feeds, undefined);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.thread.closeSession(this.id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** @internal A tensor as it crosses threads. */
export interface WireTensor {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly data: ArrayBufferView;
}

/** @internal */
export type WireRequest =
  | { readonly kind: 'open'; readonly id: number; readonly session: number; readonly engine: EngineName; readonly model: Uint8Array | string; readonly options: EngineOptions }
  | { readonly kind: 'run'; readonly id: number; readonly session: number; readonly feeds: Readonly<Record<string, WireTensor>>; readonly outputs?: readonly string[] }
  | { readonly kind: 'close'; readonly id: number; readonly session: number };

/** @internal */
export interface WireReply {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
  readonly outputs?: Readonly<Record<string, WireTensor>>;
}
