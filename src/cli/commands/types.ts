import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** A CLI command: registers itself on the program; its action calls the library and prints. */
export interface CliCommand {
  readonly name: string;
  register(program: Command, ctx: CliContext): void;
}
