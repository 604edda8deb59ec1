import type { Activity, CliContext, Progress } from './context.js';

/**
 * The CLI's one progress reporter over the library's progress callbacks: counted phases
 * ("calibrate: ranges 12/16") get a bar on a terminal and a plain line every few seconds in a log;
 * uncounted work (a pass, a check) a line every few seconds in a log. Everything goes to stderr.
 */
export interface ProgressReporter {
  /** Counted work: a new `phase` ends the previous one. */
  count(phase: string, done: number, total: number, unit?: string): void;
  /** Uncounted work: what runs now. */
  step(phase: string, detail: string): void;
  stop(): void;
}

export function progressReporter(ctx: CliContext): ProgressReporter {
  let bar: Progress | undefined;
  let activity: Activity | undefined;
  let current = '';
  const end = (): void => {
    bar?.stop();
    activity?.stop();
    bar = undefined;
    activity = undefined;
  };
  return {
    count: (phase, done, total, unit) => {
      if (phase !== current || bar === undefined) {
        end();
        current = phase;
        bar = ctx.progress(phase, total, unit !== undefined ? { unit } : {});
      }
      bar.update(done);
    },
    step: (phase, detail) => {
      if (phase !== current || activity === undefined) {
        end();
        current = phase;
        activity = ctx.activity(phase);
      }
      activity.step(detail);
    },
    stop: end,
  };
}
