import type { Model } from '../../ir/model.js';
import { analyze, type Analysis } from '../../targets/index.js';
import { formatAnalysis } from '../commands/analyze.js';
import type { CliContext } from '../context.js';

/**
 * Demo step: analyzes the built-in multi-task model for the Orin DLA (INT8) and prints the summary:
 * coverage, regions, crossings, fallbacks by rule. Returns the analysis for later steps.
 */
export async function analyzeStep(model: Model, ctx: CliContext): Promise<Analysis> {
  const analysis = analyze(model, { target: 'orin-dla', precision: 'int8' });
  ctx.print('── analyze: which node runs on the Orin DLA, and why not');
  for (const line of formatAnalysis(analysis, 'multi-task model', { details: false, namesPerRule: 4 })) ctx.print(line);
  return analysis;
}
