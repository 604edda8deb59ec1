import { analyzeCommand } from './analyze.js';
import { costCommand } from './cost.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { fp16Command } from './fp16.js';
import { inspectCommand } from './inspect.js';
import { planCommand } from './plan.js';
import { prepareCommand } from './prepare.js';
import { quantizeCommand } from './quantize.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { scenesCommand } from './scenes.js';
import { splitCommand } from './split.js';
import { targetsCommand } from './targets.js';
import { translateQdqCommand } from './translate-qdq.js';
import type { CliCommand } from './types.js';

/** Every command, in the order `tandem --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  inspectCommand,
  analyzeCommand,
  targetsCommand,
  prepareCommand,
  splitCommand,
  quantizeCommand,
  planCommand,
  runCommand,
  benchCommand,
  translateQdqCommand,
  fp16Command,
  costCommand,
  exportCommand,
  importCommand,
  reportCommand,
  scenesCommand,
  evalCommand,
  demoCommand,
];

export type { CliCommand };
