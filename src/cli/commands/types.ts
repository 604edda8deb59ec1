import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * A CLI command: registers itself on the program; its action calls the library and prints. What it
 * declares here is what the CLI's habits are checked against (test/cli/habits.test.ts): a command that
 * writes files takes `-o/--out`, one that reads a model takes `--dims`, every one takes `--json`.
 */
export interface CliCommand {
  readonly name: string;
  /** Command lines shown under "Examples:" at the end of its `--help` (continuation lines after `\n`). */
  readonly examples: readonly string[];
  /** It writes files (then `-o, --out` says where). */
  readonly writes: boolean;
  /** It reads an ONNX model (then `--dims` sizes its symbolic input dims). */
  readonly readsModel: boolean;
  register(program: Command, ctx: CliContext): void;
}
