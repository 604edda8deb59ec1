import cliProgress from 'cli-progress';

/** What a command may do to the terminal; only cli/ writes to stdout/stderr. */
export interface CliContext {
  /** A line to stdout. */
  print(line?: string): void;
  /** A JSON document to stdout. */
  printJson(value: unknown): void;
  /** A line to stderr (notes, warnings). */
  note(line: string): void;
  /**
   * Progress of long work on stderr (never stdout, so --json output stays one document): a bar on a
   * terminal; otherwise a plain line every `everyS` seconds (what, how far, ETA) and one when it ends, so
   * a log of a long run is never silent for long.
   */
  progress(label: string, total: number, options?: ProgressOptions): Progress;
  /**
   * Work that has no count (a pass, a check): on a terminal nothing; otherwise a line at most every
   * `everyS` seconds saying what runs now. Call `step` as often as convenient.
   */
  activity(label: string, options?: { everyS?: number }): Activity;
}

export interface ProgressOptions {
  /** Seconds between plain lines when stderr is not a terminal. @default 5 */
  everyS?: number;
  /** What is counted ("frames", "samples"). */
  unit?: string;
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export interface Activity {
  step(detail: string): void;
  stop(): void;
}

export interface IoStreams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

/** Seconds between progress lines in a log (stderr not a terminal). */
export const PROGRESS_EVERY_S = 5;

export function createContext(io: IoStreams = { stdout: process.stdout, stderr: process.stderr }, clock: () => number = Date.now): CliContext {
  return {
    print: (line = '') => io.stdout.write(`${line}\n`),
    printJson: (value) => io.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`),
    note: (line) => io.stderr.write(`${line}\n`),
    progress: (label, total, options = {}) => {
      if (!io.stderr.isTTY) return progressLines(io, clock, label.trim(), total, options);
      const bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {value}/{total}${options.unit ? ` ${options.unit}` : ''} ETA {eta_formatted}`, stream: io.stderr as NodeJS.WritableStream, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return { update: (done) => bar.update(done), stop: () => bar.stop() };
    },
    activity: (label, options = {}) => {
      if (io.stderr.isTTY) return { step: () => {}, stop: () => {} };
      const everyMs = (options.everyS ?? PROGRESS_EVERY_S) * 1000;
      const t0 = clock();
      let last = t0;
      return {
        step: (detail) => {
          const now = clock();
          if (now - last < everyMs) return;
          last = now;
          io.stderr.write(`${label}: ${detail} (${seconds(now - t0)} so far)\n`);
        },
        stop: () => {},
      };
    },
  };
}

/** Plain progress lines: "calibrate: 12/16 samples (75%), 9 s so far, ETA 3 s". */
function progressLines(io: IoStreams, clock: () => number, label: string, total: number, options: ProgressOptions): Progress {
  const everyMs = (options.everyS ?? PROGRESS_EVERY_S) * 1000;
  const unit = options.unit ? ` ${options.unit}` : '';
  const t0 = clock();
  let last = t0;
  let printed = false;
  let latest = 0;
  let stopped = false;
  return {
    update: (done) => {
      latest = done;
      const now = clock();
      if (now - last < everyMs) return;
      last = now;
      printed = true;
      const elapsed = now - t0;
      const eta = done > 0 && done < total ? `, ETA ${seconds((elapsed * (total - done)) / done)}` : '';
      io.stderr.write(`${label}: ${done}/${total}${unit} (${total > 0 ? Math.floor((100 * done) / total) : 0}%), ${seconds(elapsed)} so far${eta}\n`);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      // The closing line only where lines were printed: a short step stays silent.
      if (printed) io.stderr.write(`${label}: ${latest}/${total}${unit} in ${seconds(clock() - t0)}\n`);
    },
  };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** BigInts and typed arrays in JSON output: numbers and arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}
