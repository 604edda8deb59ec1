import { runCommand } from './run.js';
import type { CliCommand } from './types.js';

/** Every command, in the order `tandem --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [runCommand];

export type { CliCommand };
