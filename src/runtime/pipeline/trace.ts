import type { FrameRecord, StageFrameRecord } from './scheduler.js';

/** One Chrome trace event (the JSON Object Format that chrome://tracing and Perfetto open). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M' | 'b' | 'e' | 's' | 'f' | 'C';
  readonly pid: number;
  readonly tid?: number;
  /** Microseconds. */
  readonly ts?: number;
  readonly dur?: number;
  readonly cat?: string;
  readonly id?: string;
  readonly bp?: 'e';
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A Chrome / Perfetto trace (open it in ui.perfetto.dev or chrome://tracing). */
export interface ChromeTrace {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ms';
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** Options of `buildTrace`. */
export interface TraceOptions {
  /** Shown as the process name (e.g. "tandem bench pipelined"). */
  readonly label: string;
  /** Streams in the order their tracks should appear. */
  readonly streams: readonly string[];
  /** Whole-frame records, drawn as a track of their own. @default none */
  readonly frames?: readonly FrameRecord[];
  /** Stage → engine, shown in each slice's args. @default none */
  readonly engines?: Readonly<Record<string, string>>;
  /** Copied into the trace's metadata. @default none */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Process id of the trace events (one per trace in a merged view). @default 1 */
  readonly pid?: number;
}

/**
 * A Chrome trace of a run: one track (thread) per stream with a slice per stage-frame (args: frame,
 * queue wait), each queue wait as an async slice ("wait <stage>") on its stream, each hand-off from a
 * producer's stage-frame to a consumer's as a flow arrow, and a counter of frames in flight.
 */
export function buildTrace(records: readonly StageFrameRecord[], options: TraceOptions): ChromeTrace {
  const pid = options.pid ?? 1;
  let t0 = Number.POSITIVE_INFINITY;
  for (const r of records) t0 = Math.min(t0, r.readyAt, r.start);
  for (const f of options.frames ?? []) t0 = Math.min(t0, f.admittedAt);
  const us = (ms: number): number => Math.round((ms - t0) * 1000 * 1000) / 1000;
  const streams = [...options.streams, ...new Set(records.map((r) => r.stream).filter((s) => !options.streams.includes(s)))];
  const tid = new Map(streams.map((s, i) => [s, i + 1]));
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid, args: { name: options.label } }];
  streams.forEach((s, i) => {
    events.push({ name: 'thread_name', ph: 'M', pid, tid: i + 1, args: { name: `stream ${s}` } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid, tid: i + 1, args: { sort_index: i } });
  });
  const byKey = new Map(records.map((r) => [`${r.stage}\u0000${r.frame}`, r]));
  let flow = 0;
  for (const r of records) {
    const track = tid.get(r.stream)!;
    const queueWaitMs = Math.max(0, Math.min(r.start, r.streamFreeAt) - r.readyAt);
    events.push({
      name: r.stage,
      ph: 'X',
      cat: 'stage',
      pid,
      tid: track,
      ts: us(r.start),
      dur: Math.max(0, Math.round((r.end - r.start) * 1000 * 1000) / 1000),
      args: { frame: r.frame, stream: r.stream, ...(options.engines?.[r.stage] ? { engine: options.engines[r.stage] } : {}), queueWaitMs: round(queueWaitMs), computeMs: round(r.end - r.start) },
    });
    if (queueWaitMs > 0) {
      const id = `wait:${r.stage}:${r.frame}`;
      events.push({ name: `wait ${r.stage}`, ph: 'b', cat: 'queue', id, pid, tid: track, ts: us(r.readyAt), args: { frame: r.frame } });
      events.push({ name: `wait ${r.stage}`, ph: 'e', cat: 'queue', id, pid, tid: track, ts: us(r.readyAt + queueWaitMs) });
    }
    for (const p of r.producers) {
      const from = byKey.get(`${p}\u0000${r.frame}`);
      if (from === undefined) continue;
      const id = `handoff:${flow++}`;
      events.push({ name: 'hand-off', ph: 's', cat: 'handoff', id, pid, tid: tid.get(from.stream)!, ts: Math.max(us(from.start), us(from.end) - 0.001), args: { frame: r.frame, from: p, to: r.stage } });
      events.push({ name: 'hand-off', ph: 'f', bp: 'e', cat: 'handoff', id, pid, tid: track, ts: us(r.start) });
    }
  }
  if (options.frames !== undefined && options.frames.length > 0) {
    const changes: [number, number][] = [];
    for (const f of options.frames) changes.push([f.admittedAt, 1], [f.doneAt, -1]);
    changes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let inFlight = 0;
    for (const [t, d] of changes) {
      inFlight += d;
      events.push({ name: 'frames in flight', ph: 'C', pid, ts: us(t), args: { frames: inFlight } });
    }
  }
  return { traceEvents: events, displayTimeUnit: 'ms', ...(options.metadata ? { metadata: options.metadata } : {}) };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
