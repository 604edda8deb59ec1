import { quote } from '../../util/text.js';
import { performance } from 'node:perf_hooks';
import { TandemError, assert, isTandemError } from '../../util/errors.js';
import type { ScheduleGraph, ScheduleStage } from './schedule-graph.js';

/** Runs one stage on one frame: the feeds are the stage's inputs by name; resolves to its outputs by name. */
export type StageRunner<V> = (stage: ScheduleStage, feeds: Readonly<Record<string, V>>, frame: number) => Promise<Record<string, V>>;

/** What happened to one stage-frame, in ms on performance.now()'s clock. */
export interface StageFrameRecord {
  readonly frame: number;
  readonly stage: string;
  readonly stream: string;
  /** Every input of the stage for this frame existed. */
  readonly readyAt: number;
  /** The stream last became free before this stage-frame started (≤ start). */
  readonly streamFreeAt: number;
  readonly start: number;
  readonly end: number;
  /** The stages whose outputs this stage-frame read (hand-offs). */
  readonly producers: readonly string[];
}

/** What happened to one frame. */
export interface FrameRecord {
  readonly frame: number;
  /** The frame was taken from the source (a slot was free). */
  readonly admittedAt: number;
  /** Its last stage finished. */
  readonly doneAt: number;
}

export interface SchedulerOptions<V> {
  /** Frames admitted and not yet handed to the consumer, at most. */
  readonly maxInFlight: number;
  /** Stops the run like an engine error does (frames that finished are kept). */
  readonly signal?: AbortSignal;
  /** Called once per hand-off value when its last consumer is done (or the run stopped); never for feeds or results. */
  readonly release?: (value: V, tensor: string, frame: number) => void;
  readonly onStageFrame?: (record: StageFrameRecord) => void;
  readonly onFrame?: (record: FrameRecord) => void;
}

/** A frame's outputs from a function pipeline, with its latency. */
export interface ScheduledFrame<V> {
  readonly frame: number;
  /** The graph's outputs; the consumer owns them. */
  readonly outputs: Record<string, V>;
  /** From admission to the last stage's end, ms. */
  readonly latencyMs: number;
}

interface Slot<V> {
  value: V;
  /** Consumers still to read it (+1 while it is also a graph output not yet delivered). */
  refs: number;
  at: number;
  producer: string | null;
}

interface FrameState<V> {
  readonly frame: number;
  readonly admittedAt: number;
  readonly values: Map<string, Slot<V>>;
  stagesLeft: number;
  doneAt: number;
}

interface StreamState {
  readonly name: string;
  /** Stage indices on this stream, in the graph's topological order. */
  readonly stages: readonly number[];
  busy: boolean;
  freeAt: number;
}

/**
 * The pipeline scheduler, independent of any engine: each stream runs one stage-frame at a time; a
 * stage runs its frames in order and starts frame t once all of t's inputs exist; a stream picks the
 * oldest ready frame; at most `maxInFlight` frames are admitted and not yet delivered (backpressure on the
 * source); a hand-off value is released once its last consumer is done; results come out in frame order.
 * The first failure (an engine error, the signal) stops new work at once and ends `run` with a TandemError
 * naming the frame and stage, after delivering the frames that finished before it.
 */
export class Scheduler<V> {
  readonly #graph: ScheduleGraph;
  readonly #runStage: StageRunner<V>;
  readonly #options: SchedulerOptions<V>;
  readonly #streams: StreamState[];
  readonly #nextFrame: number[];
  readonly #frames = new Map<number, FrameState<V>>();
  #admitted = 0;
  /** Frames the consumer has asked past (their slots are free). */
  #delivered = 0;
  /** Frames handed to the consumer. */
  #yielded = 0;
  #sourceDone = false;
  #running = 0;
  #failure: TandemError | undefined;
  #failedFrame = Number.POSITIVE_INFINITY;
  #wake: (() => void) | undefined;
  #idle: (() => void) | undefined;
  #used = false;

  constructor(graph: ScheduleGraph, runStage: StageRunner<V>, options: SchedulerOptions<V>) {
    assert(Number.isSafeInteger(options.maxInFlight) && options.maxInFlight >= 1, 'maxInFlight must be a positive integer');
    this.#graph = graph;
    this.#runStage = runStage;
    this.#options = options;
    const byName = new Map<string, number[]>();
    graph.stages.forEach((s, i) => {
      const list = byName.get(s.stream) ?? [];
      list.push(i);
      byName.set(s.stream, list);
    });
    this.#streams = [...byName].map(([name, stages]) => ({ name, stages, busy: false, freeAt: 0 }));
    this.#nextFrame = graph.stages.map(() => 0);
  }

  /** Stage-frames running now (an engine call not yet returned). */
  get running(): number {
    return this.#running;
  }

  /** Resolves once no stage-frame is running (after a failure, the engines' calls still out). */
  whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const prev = this.#idle;
      this.#idle = () => {
        prev?.();
        resolve();
      };
    });
  }

  /** Stops the run as an abort does: no new stage-frame starts; `run` ends with TandemError `ABORTED`. */
  stop(reason: string): void {
    this.#fail(new TandemError('ABORTED', `pipeline stopped: ${reason}`, { details: { framesDone: this.#yielded } }));
  }

  /** Runs every frame of `frames` through the graph; yields results in frame order. One run per scheduler. */
  async *run(frames: AsyncIterable<Readonly<Record<string, V>>>): AsyncGenerator<ScheduledFrame<V>, void, undefined> {
    if (this.#used) throw new TandemError('RUN_IN_PROGRESS', 'a pipeline runs one frame source at a time; wait for the previous run to finish');
    this.#used = true;
    const signal = this.#options.signal;
    const onAbort = (): void => this.#fail(this.#abortError());
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const source = frames[Symbol.asyncIterator]();
    const feeder = this.#feed(source);
    try {
      for (;;) {
        const next = this.#frames.get(this.#delivered);
        if (next !== undefined && next.stagesLeft === 0 && next.frame < this.#failedFrame) {
          yield this.#take(next);
          // counted only now: the frame the consumer holds still occupies a slot
          this.#delivered++;
          const room = this.#room;
          this.#room = undefined;
          room?.();
          continue;
        }
        if (this.#failure !== undefined) throw this.#failure;
        if (this.#sourceDone && this.#delivered === this.#admitted) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.#failure === undefined && !(this.#sourceDone && this.#delivered === this.#admitted)) {
        this.#fail(new TandemError('ABORTED', `the consumer stopped reading after ${this.#yielded} frames`));
      }
      this.#sourceDone = true;
      this.#signal();
      await source.return?.().catch(() => undefined);
      await feeder;
      this.#whenSettledReleaseAll();
    }
  }

  async #feed(source: AsyncIterator<Readonly<Record<string, V>>>): Promise<void> {
    try {
      for (;;) {
        while (this.#admitted - this.#delivered >= this.#options.maxInFlight && this.#failure === undefined && !this.#sourceDone) {
          await new Promise<void>((resolve) => (this.#room = resolve));
        }
        if (this.#failure !== undefined || this.#sourceDone) return;
        const item = await source.next();
        if (item.done || this.#failure !== undefined || this.#sourceDone) return;
        this.#admit(item.value);
      }
    } catch (e) {
      this.#fail(isTandemError(e) ? e : new TandemError('IO', `reading frame ${this.#admitted} failed: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
    } finally {
      this.#sourceDone = true;
      this.#signal();
    }
  }

  #room: (() => void) | undefined;

  #admit(feeds: Readonly<Record<string, V>>): void {
    const frame = this.#admitted;
    const missing = this.#graph.inputs.filter((n) => !(n in feeds));
    if (missing.length > 0) {
      throw new TandemError('INPUT_MISMATCH', `frame ${frame} lacks input ${missing.map((n) => `${quote(n)}`).join(', ')}; the pipeline takes ${this.#graph.inputs.map((n) => `${quote(n)}`).join(', ')}`);
    }
    const now = performance.now();
    const values = new Map<string, Slot<V>>();
    for (const name of this.#graph.inputs) values.set(name, { value: feeds[name]!, refs: Number.POSITIVE_INFINITY, at: now, producer: null });
    this.#frames.set(frame, { frame, admittedAt: now, values, stagesLeft: this.#graph.stages.length, doneAt: 0 });
    this.#admitted++;
    this.#pumpAll();
  }

  #pumpAll(): void {
    for (const stream of this.#streams) this.#pump(stream);
  }

  #pump(stream: StreamState): void {
    if (stream.busy || this.#failure !== undefined) return;
    let pick = -1;
    let pickFrame = Number.POSITIVE_INFINITY;
    for (const i of stream.stages) {
      const f = this.#nextFrame[i]!;
      if (f >= this.#admitted || f >= pickFrame) continue;
      const state = this.#frames.get(f)!;
      if (this.#graph.stages[i]!.inputs.every((n) => state.values.has(n))) {
        pick = i;
        pickFrame = f;
      }
    }
    if (pick >= 0) this.#start(stream, pick, this.#frames.get(pickFrame)!);
  }

  #start(stream: StreamState, index: number, state: FrameState<V>): void {
    const stage = this.#graph.stages[index]!;
    const feeds: Record<string, V> = {};
    let readyAt = state.admittedAt;
    const producers: string[] = [];
    for (const name of stage.inputs) {
      const slot = state.values.get(name)!;
      feeds[name] = slot.value;
      if (slot.at > readyAt) readyAt = slot.at;
      if (slot.producer !== null && !producers.includes(slot.producer)) producers.push(slot.producer);
    }
    stream.busy = true;
    this.#nextFrame[index]!++;
    this.#running++;
    const streamFreeAt = stream.freeAt;
    const start = performance.now();
    let call: Promise<Record<string, V>>;
    try {
      call = this.#runStage(stage, feeds, state.frame);
    } catch (e) {
      call = Promise.reject(e);
    }
    call.then(
      (outputs) => this.#finish(stream, index, state, outputs, { readyAt, streamFreeAt, start, producers }),
      (e: unknown) => this.#stageFailed(stream, index, state, e),
    );
  }

  #finish(stream: StreamState, index: number, state: FrameState<V>, outputs: Record<string, V>, t: { readyAt: number; streamFreeAt: number; start: number; producers: string[] }): void {
    const end = performance.now();
    const stage = this.#graph.stages[index]!;
    this.#settle(stream, end);
    this.#options.onStageFrame?.({ frame: state.frame, stage: stage.name, stream: stream.name, readyAt: t.readyAt, streamFreeAt: Math.min(t.streamFreeAt, t.start), start: t.start, end, producers: t.producers });
    const missing = stage.outputs.filter((n) => !(n in outputs));
    if (missing.length > 0) {
      for (const [name, value] of Object.entries(outputs)) this.#options.release?.(value, name, state.frame);
      this.#stageFailed(stream, index, state, new TandemError('ENGINE_RUN', `stage ${quote(stage.name)} returned no ${missing.map((n) => `${quote(n)}`).join(', ')}`), true);
      return;
    }
    for (const name of stage.outputs) {
      const refs = (this.#graph.consumers.get(name)?.length ?? 0) + (this.#graph.outputSet.has(name) ? 1 : 0);
      state.values.set(name, { value: outputs[name]!, refs, at: end, producer: stage.name });
      if (refs === 0) this.#drop(state, name);
    }
    for (const name of stage.inputs) this.#unref(state, name);
    state.stagesLeft--;
    if (state.stagesLeft === 0) {
      state.doneAt = end;
      this.#options.onFrame?.({ frame: state.frame, admittedAt: state.admittedAt, doneAt: end });
    }
    this.#pumpAll();
    this.#signal();
  }

  #stageFailed(stream: StreamState, index: number, state: FrameState<V>, e: unknown, settled = false): void {
    if (!settled) this.#settle(stream, performance.now());
    const stage = this.#graph.stages[index]!;
    const cause = e as Error;
    const inner = isTandemError(e) ? e : undefined;
    this.#fail(
      new TandemError(inner?.code ?? 'ENGINE_RUN', `pipeline stopped at frame ${state.frame}, stage ${quote(stage.name)} (stream ${stream.name}): ${cause?.message ?? String(e)}`, {
        cause: e,
        details: { frame: state.frame, stage: stage.name, stream: stream.name },
      }),
      state.frame,
    );
  }

  #settle(stream: StreamState, now: number): void {
    stream.busy = false;
    stream.freeAt = now;
    this.#running--;
    if (this.#running === 0) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle?.();
    }
  }

  #unref(state: FrameState<V>, name: string): void {
    const slot = state.values.get(name)!;
    slot.refs--;
    if (slot.refs === 0) this.#drop(state, name);
  }

  #drop(state: FrameState<V>, name: string): void {
    const slot = state.values.get(name)!;
    state.values.delete(name);
    if (slot.producer !== null) this.#options.release?.(slot.value, name, state.frame);
  }

  #take(state: FrameState<V>): ScheduledFrame<V> {
    const outputs: Record<string, V> = {};
    for (const name of this.#graph.outputs) {
      outputs[name] = state.values.get(name)!.value;
      state.values.delete(name);
    }
    this.#frames.delete(state.frame);
    this.#yielded++;
    return { frame: state.frame, outputs, latencyMs: state.doneAt - state.admittedAt };
  }

  #fail(error: TandemError, frame = Number.POSITIVE_INFINITY): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#failedFrame = frame;
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  #abortError(): TandemError {
    const done = this.#yielded;
    const inFlight = this.#admitted - done;
    const frames = inFlight <= 0 ? 'no frame was in flight' : inFlight === 1 ? `frame ${done} was in flight` : `frames ${done}–${this.#admitted - 1} were in flight`;
    return new TandemError('ABORTED', `pipeline stopped on request after ${done} finished frames; ${frames}`, { details: { framesDone: done } });
  }

  /** After a stop: once the engines' calls still out return, releases every hand-off value left. */
  #whenSettledReleaseAll(): void {
    const releaseAll = (): void => {
      for (const state of this.#frames.values()) {
        for (const [name, slot] of state.values) if (slot.producer !== null) this.#options.release?.(slot.value, name, state.frame);
        state.values.clear();
      }
      this.#frames.clear();
    };
    if (this.#running === 0) releaseAll();
    else void this.whenIdle().then(releaseAll);
  }
}
