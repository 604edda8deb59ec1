#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { isTandemError } from '../util/errors.js';
import { COMMANDS } from './commands/index.js';
import { createContext, type CliContext, type IoStreams } from './context.js';

/** Exit codes: 0 success, 1 a failure inside tandem, 2 a user error (bad flag, bad file, unavailable engine). */
export const EXIT = { ok: 0, internal: 1, user: 2 } as const;

export function buildProgram(ctx: CliContext, io: IoStreams): Command {
  const program = new Command('tandem')
    .description('Deploy one neural network across several accelerators at once (GPU + DLA): inspect, analyze, prepare, split, quantize, run.')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  for (const command of COMMANDS) command.register(program, ctx);
  for (const sub of program.commands) sub.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; never exits the process. */
export async function runCli(argv: readonly string[], io: IoStreams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
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
      io.stderr.write(`tandem: ${e.message} [${e.code}]\n`);
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
  const code = await runCli(process.argv.slice(2));
  process.exitCode = code;
}
