#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { setOnnxruntimeLogLevel } from '../runtime/engines/index.js';
import { isTandemError } from '../util/errors.js';
import { printable } from '../util/text.js';
import { COMMANDS } from './commands/index.js';
import { createContext, type CliContext, type IoStreams } from './context.js';
import { addExamples, HELP_CONFIG } from './help.js';

/** Exit codes: 0 success, 1 a failure inside tandem, 2 a user error (bad flag, bad file, unavailable engine). */
export const EXIT = { ok: 0, internal: 1, user: 2 } as const;

export function buildProgram(ctx: CliContext, io: IoStreams): Command {
  const output = {
    writeOut: (s: string) => io.stdout.write(s),
    writeErr: (s: string) => io.stderr.write(s),
    // A flag error is one line: commander's message, escaped, and where to look.
    outputError: (s: string, write: (s: string) => void) => write(`${oneLine(s.replace(/^error: /, 'tandem: '))} (add --help for usage)\n`),
  };
  const program = new Command('tandem')
    .description('Deploy one neural network across several accelerators at once (GPU + DLA): inspect, analyze, prepare, split, quantize, run.')
    .version(VERSION)
    .exitOverride()
    .configureHelp(HELP_CONFIG)
    .configureOutput(output);
  for (const command of COMMANDS) {
    command.register(program, ctx);
    const sub = program.commands.find((c) => c.name() === command.name);
    if (sub !== undefined) addExamples(sub, command.examples);
  }
  for (const sub of program.commands) sub.exitOverride().configureOutput(output);
  return program;
}

/** A message on one line: control characters (from file names, or a line break) escaped. */
function oneLine(message: string): string {
  return printable(message.trimEnd(), 4000);
}

/**
 * A TandemError's message: lines it means to have (a stage file's problems, one per line) are kept,
 * control characters within a line escaped. Names from files are quoted (util/text) where the message is
 * made, so a name cannot add a line.
 */
function safeLines(message: string): string {
  return message
    .trimEnd()
    .split('\n')
    .map((line) => printable(line, 4000))
    .join('\n');
}

/**
 * Streams whose reader went away (`tandem inspect m.onnx --nodes | head -1`) end the output quietly:
 * an EPIPE marks the stream closed and later writes are dropped, instead of an unhandled 'error' event.
 */
function guardStreams(io: IoStreams): IoStreams {
  const guard = (stream: IoStreams['stdout'] & { isTTY?: boolean }): IoStreams['stderr'] => {
    let closed = false;
    const emitter = stream as Partial<NodeJS.EventEmitter>;
    if (typeof emitter.on === 'function') {
      emitter.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') closed = true;
        else throw e;
      });
    }
    return {
      ...(stream.isTTY !== undefined ? { isTTY: stream.isTTY } : {}),
      write: (s: string) => {
        if (closed) return false;
        try {
          return stream.write(s);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
          closed = true;
          return false;
        }
      },
    };
  };
  const stderr = guard(io.stderr);
  // The progress bar writes to the stream object itself: keep the original where it is a terminal.
  return { stdout: guard(io.stdout), stderr: io.stderr.isTTY ? io.stderr : stderr };
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never exits the process. */
export async function runCli(argv: readonly string[], streams: IoStreams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const io = guardStreams(streams);
  const ctx = createContext(io);
  const program = buildProgram(ctx, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its one line (or the help text)
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.user;
    }
    if (isTandemError(e)) {
      io.stderr.write(`tandem: ${safeLines(e.message)} [${e.code}]\n`);
      return EXIT.user;
    }
    io.stderr.write(`tandem: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}

const VERSION = '0.1.0';

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // The CLI owns its process: onnxruntime's process-wide logger stays quiet; failures reach the user as one line.
  setOnnxruntimeLogLevel('fatal');
  const code = await runCli(process.argv.slice(2));
  process.exitCode = code;
}
