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
   * A progress bar on stderr. When stderr is not a terminal it is silent, or, with `everyS`, writes a
   * line at most every `everyS` seconds (logs of long runs).
   */
  progress(label: string, total: number, options?: { everyS?: number; unit?: string }): Progress;
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export interface IoStreams {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}

export function createContext(io: IoStreams = { stdout: process.stdout, stderr: process.stderr }): CliContext {
  return {
    print: (line = '') => io.stdout.write(`${line}\n`),
    printJson: (value) => io.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`),
    note: (line) => io.stderr.write(`${line}\n`),
    progress: (label, total, options = {}) => {
      if (!io.stderr.isTTY) {
        const everyS = options.everyS;
        if (everyS === undefined) return { update: () => {}, stop: () => {} };
        let last = Date.now();
        return {
          update: (done) => {
            const now = Date.now();
            if (now - last < everyS * 1000) return;
            last = now;
            io.stderr.write(`${label} ${done}/${total}${options.unit ? ` ${options.unit}` : ''}\n`);
          },
          stop: () => {},
        };
      }
      const bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {value}/{total} {eta_formatted}`, stream: io.stderr as NodeJS.WritableStream, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return { update: (done) => bar.update(done), stop: () => bar.stop() };
    },
  };
}

/** BigInts and typed arrays in JSON output: numbers and arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (value instanceof Map) return Object.fromEntries(value);
  return value;
}
