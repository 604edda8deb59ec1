import type { ProgressEvent } from '../util/progress.js';
import type { CliContext } from './context.js';
import { progressReporter } from './progress.js';

/** What a counted event is labelled with and counts; undefined for an event without a count. */
function countOf(e: ProgressEvent): { phase: string; done: number; total: number; unit?: string } | undefined {
  // Every kind is listed: a kind added to ProgressEvent fails to typecheck here (the default) until mapped.
  switch (e.kind) {
    case 'calibration':
      return { phase: `calibrate${e.stage ? ` ${e.stage}` : ''}: ${e.phase === 'range' ? 'ranges' : 'histograms'}`, done: e.done, total: e.total, unit: 'batches' };
    case 'compare':
      return { phase: `compare${e.stage ? ` ${e.stage}` : ''}`, done: e.done, total: e.total, unit: 'samples' };
    case 'timing':
      return { phase: 'time stages', done: e.done, total: e.total, unit: 'stage-engine pairs' };
    case 'bench':
      return { phase: `bench ${e.mode} ${e.phase}`, done: e.done, total: e.total, unit: e.unit };
    case 'frame':
      return { phase: 'frames', done: e.done, total: e.total, unit: 'frames' };
    case 'open':
      return { phase: 'open sessions', done: e.done, total: e.total, unit: 'sessions' };
    case 'candidate':
      return { phase: 'run candidates', done: e.done, total: e.total, unit: 'candidates' };
    case 'sensitivity':
      return { phase: 'sensitivity', done: e.done, total: e.total, unit: 'runs' };
    case 'pass':
    case 'search':
    case 'verify':
      return undefined;
    default: {
      const unmapped: never = e;
      return unmapped;
    }
  }
}

/** What an uncounted event says runs now. */
function stepOf(e: ProgressEvent): { phase: string; detail: string } | undefined {
  switch (e.kind) {
    case 'pass':
      return { phase: 'prepare', detail: `round ${e.round}, ${e.pass}` };
    case 'search':
      return { phase: `keep-fp16 ${e.stage}`, detail: e.what };
    case 'verify':
      return { phase: 'verify', detail: 'checking the rewritten models on onnxruntime cpu' };
    default:
      return undefined;
  }
}

/**
 * One handler for the library's `onProgress` events, through the CLI's one reporter (cli/progress.ts):
 * counted work as a bar on a terminal or a line every few seconds in a log (what, how far, ETA);
 * uncounted work (passes, checks, the keep-fp16 search) as a line every few seconds in a log. `label`
 * replaces the phase name of counted work (eval's "eval shard 3/8").
 */
export function progressBars(ctx: CliContext, options: { label?: string } = {}): { onProgress: (e: ProgressEvent) => void; stop: () => void } {
  const r = progressReporter(ctx);
  return {
    onProgress: (e) => {
      const c = countOf(e);
      if (c !== undefined) r.count(options.label ?? c.phase, c.done, c.total, c.unit);
      const s = stepOf(e);
      if (s !== undefined) r.step(s.phase, s.detail);
    },
    stop: r.stop,
  };
}
