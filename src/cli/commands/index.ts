import { analyzeCommand } from './analyze.js';
import { demoCommand } from './demo.js';
import { fp16Command } from './fp16.js';
import { inspectCommand } from './inspect.js';
import { prepareCommand } from './prepare.js';
import { quantizeCommand } from './quantize.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { splitCommand } from './split.js';
import { targetsCommand } from './targets.js';
import { translateQdqCommand } from './translate-qdq.js';
import type { CliCommand } from './types.js';

/** Every command, in the order `tandem --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [inspectCommand, analyzeCommand, targetsCommand, prepareCommand, splitCommand, runCommand, quantizeCommand, translateQdqCommand, fp16Command, reportCommand, demoCommand];

export type { CliCommand };
