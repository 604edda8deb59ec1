import type { ProgressEvent } from '../util/progress.js';
import type { CliContext, Progress } from './context.js';

/** What a bar is labelled with and counts, for an event that has a count; undefined for one without. */
function barOf(e: ProgressEvent): { key: string; done: number; total: number; unit?: string } | undefined {
  switch (e.kind) {
    case 'calibration':
      return { key: `calibrate: ${e.phase === 'range' ? 'ranges' : 'histogram'}`, done: e.done, total: e.total };
    case 'compare':
      return { key: 'compare', done: e.done, total: e.total };
    case 'timing':
      return { key: 'time', done: e.done, total: e.total };
    case 'bench':
      return { key: `${e.mode} ${e.phase}`, done: e.done, total: e.total, unit: e.unit };
    case 'frame':
      return { key: 'frames', done: e.done, total: e.total, unit: 'frames' };
    case 'verify':
      return { key: 'verify', done: 0, total: 1 };
    case 'open':
      return { key: 'open sessions', done: e.done, total: e.total };
    case 'sensitivity':
      return { key: 'sensitivity', done: e.done, total: e.total, unit: 'runs' };
    case 'pass':
    case 'search':
      return undefined;
  }
}

/**
 * One handler for the library's `onProgress` events: a bar per phase on stderr (a new phase stops the
 * last bar), labelled `label` when given. Events without a count (`pass`, `search`) are
 * left to the command.
 */
export function progressBars(ctx: CliContext, options: { label?: string; everyS?: number } = {}): { onProgress: (e: ProgressEvent) => void; stop: () => void } {
  let bar: Progress | undefined;
  let current = '';
  return {
    onProgress: (e) => {
      const b = barOf(e);
      if (b === undefined) return;
      if (b.key !== current || bar === undefined) {
        bar?.stop();
        current = b.key;
        bar = ctx.progress((options.label ?? b.key).padEnd(20), b.total, { ...(options.everyS !== undefined ? { everyS: options.everyS } : {}), ...(b.unit !== undefined ? { unit: b.unit } : {}) });
      }
      bar.update(b.done);
    },
    stop: () => bar?.stop(),
  };
}
