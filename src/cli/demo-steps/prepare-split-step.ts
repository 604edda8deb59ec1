import type { Model } from '../../ir/model.js';
import { compareStageCoverage, splitModel, type CoverageChange, type PrepareReport, type SplitPlan } from '../../passes/index.js';
import { prepareAndVerify } from '../../runtime/checked-rewrites.js';
import type { EquivalenceReport } from '../../runtime/verify.js';
import type { AnalysisSummary } from '../../targets/index.js';
import { formatFlops } from '../commands/analyze.js';
import { formatPrepare, formatVerification } from '../commands/prepare.js';
import { formatSplit } from '../commands/split.js';
import type { CliContext } from '../context.js';
import { progressBars } from '../progress-events.js';
import { table } from '../format.js';

export interface PrepareSplitResult {
  /** The model after prepare (verified on onnxruntime cpu). */
  readonly prepared: Model;
  /** Its split into backbone and heads. */
  readonly plan: SplitPlan;
  readonly coverage: readonly CoverageChange[];
  /** What prepare did, and its check on onnxruntime (for prepare.json). */
  readonly report: PrepareReport;
  readonly verification: EquivalenceReport;
}

/**
 * Demo step: prepares the multi-task model for the Orin DLA (INT8), verifies the result on onnxruntime
 * cpu, splits it into backbone and heads (--auto), and prints each stage's DLA coverage before and
 * after prepare (modelled from the DLA rules, not measured).
 */
export async function prepareSplitStep(model: Model, ctx: CliContext): Promise<PrepareSplitResult> {
  const target = { target: 'orin-dla', precision: 'int8' } as const;
  ctx.print('── prepare: rewrites that put more of the model on the Orin DLA');
  const progress = progressBars(ctx);
  const { model: prepared, report, verification } = await prepareAndVerify(model, { ...target, onProgress: progress.onProgress });
  progress.stop();
  for (const line of formatPrepare('multi-task model', report, { rewrites: false })) ctx.print(line);
  ctx.print(`verified   ${formatVerification(verification!)}`);
  ctx.print('');
  ctx.print('── split: the shared trunk (backbone) and one stage per head (--auto)');
  const plan = splitModel(prepared, { auto: true });
  for (const line of formatSplit(plan)) ctx.print(line);
  ctx.print('');
  const coverage = compareStageCoverage(model, prepared, { ...target, split: { auto: true } });
  ctx.print(`DLA coverage per stage on orin-dla (INT8), before → after prepare: ${report.after.basis}`);
  for (const line of table(['stage', 'nodes on DLA', 'FLOPs on DLA'], coverage.map((c) => [c.stage, `${nodes(c.before)} → ${nodes(c.after)}`, `${flops(c.before)} → ${flops(c.after)}`]))) ctx.print(`  ${line}`);
  return { prepared, plan, coverage, report, verification: verification! };
}

function nodes(s: AnalysisSummary | undefined): string {
  if (s === undefined) return '–';
  const n = s.nodes.total - s.nodes.build;
  return `${s.nodes.onTarget}/${n} (${n > 0 ? ((100 * s.nodes.onTarget) / n).toFixed(0) : '–'}%)`;
}

function flops(s: AnalysisSummary | undefined): string {
  if (s === undefined) return '–';
  return `${formatFlops(s.flops.onTarget)} (${s.flops.total > 0 ? ((100 * s.flops.onTarget) / s.flops.total).toFixed(1) : '–'}%)`;
}
