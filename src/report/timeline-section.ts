import { histogram } from './bench-section.js';
import { badge, esc, jsonBlock } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { TraceEvent, TraceFile } from './schemas.js';

/** Slices drawn at most (the first ones in time); a longer trace says how many were left out. */
export const MAX_SLICES = 20000;

/** What the page script draws: tracks, slices [track, start µs, duration µs, frame or -1, wait 0|1, name index], flows. */
export interface TimelineData {
  readonly tracks: readonly string[];
  readonly names: readonly string[];
  readonly slices: readonly (readonly [number, number, number, number, number, number])[];
  readonly flows: readonly (readonly [number, number, number, number])[];
  readonly start: number;
  readonly end: number;
}

function frameOf(e: TraceEvent): number {
  const a = e.args ?? {};
  for (const k of ['frame', 'frameId', 'frame_id']) {
    const v = a[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  }
  return -1;
}

const isWait = (e: TraceEvent): boolean => /wait|queue/i.test(`${e.cat ?? ''} ${e.name ?? ''}`);

/** Turns trace events into tracks (one per pid/tid stream) and slices; B/E pairs become slices too. */
export function timelineData(trace: TraceFile): { data: TimelineData; dropped: number } {
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const threadNames = new Map<string, string>();
  const processNames = new Map<string, string>();
  for (const e of events) {
    if (e.ph !== 'M') continue;
    const name = typeof e.args?.['name'] === 'string' ? e.args['name'] : undefined;
    if (name === undefined) continue;
    if (e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, name);
    if (e.name === 'process_name') processNames.set(String(e.pid), name);
  }
  const trackIndex = new Map<string, number>();
  const trackKeys: string[] = [];
  const track = (e: TraceEvent): number => {
    const key = `${e.pid}:${e.tid}`;
    let t = trackIndex.get(key);
    if (t === undefined) {
      t = trackKeys.length;
      trackIndex.set(key, t);
      trackKeys.push(key);
    }
    return t;
  };
  const raw: { track: number; ts: number; dur: number; frame: number; wait: number; name: string }[] = [];
  const open = new Map<string, TraceEvent[]>();
  const asyncOpen = new Map<string, TraceEvent>();
  // Tracks in the order the trace names its threads, then any others in order of appearance.
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.tid !== undefined) track(e);
  for (const e of events) {
    if (e.ts === undefined) continue;
    if (e.ph === 'X' && e.dur !== undefined) {
      raw.push({ track: track(e), ts: e.ts, dur: e.dur, frame: frameOf(e), wait: isWait(e) ? 1 : 0, name: e.name ?? '' });
    } else if (e.ph === 'b' && e.id !== undefined) asyncOpen.set(`${e.cat ?? ''}:${e.id}`, e);
    else if (e.ph === 'e' && e.id !== undefined) {
      // async slices (tandem bench writes each queue wait as one) on the track of their begin event
      const key = `${e.cat ?? ''}:${e.id}`;
      const b = asyncOpen.get(key);
      asyncOpen.delete(key);
      if (b?.ts !== undefined) raw.push({ track: track(b), ts: b.ts, dur: e.ts - b.ts, frame: frameOf(b), wait: isWait(b) ? 1 : 0, name: b.name ?? '' });
    }
    else if (e.ph === 'B') {
      const key = `${e.pid}:${e.tid}`;
      open.set(key, [...(open.get(key) ?? []), e]);
    } else if (e.ph === 'E') {
      const b = open.get(`${e.pid}:${e.tid}`)?.pop();
      if (b?.ts !== undefined) raw.push({ track: track(b), ts: b.ts, dur: e.ts - b.ts, frame: frameOf(b), wait: isWait(b) ? 1 : 0, name: b.name ?? '' });
    }
  }
  raw.sort((a, b) => a.ts - b.ts);
  const kept = raw.slice(0, MAX_SLICES);
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const slices = kept.map((s) => {
    let k = nameIndex.get(s.name);
    if (k === undefined) {
      k = names.length;
      nameIndex.set(s.name, k);
      names.push(s.name);
    }
    return [s.track, s.ts, s.dur, s.frame, s.wait, k] as const;
  });
  const flowStarts = new Map<string, { ts: number; track: number }>();
  const flows: [number, number, number, number][] = [];
  for (const e of events) {
    if (e.ts === undefined || e.id === undefined) continue;
    const key = `${e.cat ?? ''}:${e.id}`;
    if (e.ph === 's') flowStarts.set(key, { ts: e.ts, track: track(e) });
    else if (e.ph === 'f' || e.ph === 't') {
      const s = flowStarts.get(key);
      if (s !== undefined && flows.length < MAX_SLICES) flows.push([s.ts, s.track, e.ts, track(e)]);
    }
  }
  const start = kept.length > 0 ? kept[0]!.ts : 0;
  const end = kept.reduce((m, s) => Math.max(m, s.ts + s.dur), start + 1);
  const multiProcess = new Set(trackKeys.map((k) => k.split(':')[0])).size > 1;
  const tracks = trackKeys.map((k) => {
    const proc = processNames.get(k.split(':')[0]!);
    return `${multiProcess && proc !== undefined ? `${proc} / ` : ''}${threadNames.get(k) ?? `stream ${k}`}`;
  });
  return { data: { tracks, names, slices, flows, start, end }, dropped: raw.length - kept.length };
}

/** A Gantt chart per stream, drawn and zoomed by the page script from the embedded data. */
export function timelineSection(l: Loaded<TraceFile>, index: number): string {
  const { data, dropped } = timelineData(l.data);
  const frames = new Set(data.slices.map((s) => s[3]).filter((f) => f >= 0)).size;
  const waits = data.slices.filter((s) => s[4] === 1).length;
  const id = `timeline-${index}`;
  const spans = new Map<number, [number, number]>();
  for (const [, ts, dur, frame] of data.slices) {
    if (frame < 0) continue;
    const s = spans.get(frame);
    spans.set(frame, s === undefined ? [ts, ts + dur] : [Math.min(s[0], ts), Math.max(s[1], ts + dur)]);
  }
  const spanMs = [...spans.values()].map(([a, b]) => (b - a) / 1000);
  const hist = spanMs.length >= 3 ? histogram(spanMs, `frame span in this trace (${spanMs.length} frames): its first slice's start (or queue wait) to its last slice's end`) : '';
  return `<h3>${esc(l.label)} ${badge('measured', 'a trace recorded by tandem bench on this machine')}</h3><p class="basis">${data.tracks.length} streams, ${data.slices.length} slices${frames > 0 ? ` over ${frames} frames (colour = frame)` : ''}${waits > 0 ? `, ${waits} queue waits (hatched)` : ''}${data.flows.length > 0 ? `, ${data.flows.length} hand-offs (lines)` : ''}, ${((data.end - data.start) / 1000).toFixed(1)} ms.${dropped > 0 ? ` The first ${data.slices.length} slices are drawn; ${dropped} later ones are left out (open the trace in Perfetto for all).` : ''}</p>
<div class="zoom-bar" data-for="${id}"><button data-zoom="in" title="zoom in">+</button><button data-zoom="out" title="zoom out">−</button><button data-zoom="fit" title="whole trace">fit</button><span class="hint">drag to pan · wheel to zoom · hover a slice</span></div>
<div class="timeline" id="${id}" data-tracks="${data.tracks.length}"><noscript>The timeline is drawn by the page's script.</noscript></div>${jsonBlock(`${id}-data`, data)}${hist}`;
}
