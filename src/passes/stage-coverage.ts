import type { Model } from '../ir/model.js';
import { analyze, type AnalyzeOptions, type AnalysisSummary } from '../targets/index.js';
import { splitModel, type SplitOptions, type SplitPlan, type StageKind } from './split-model.js';

/** A stage's coverage on a target, modelled by the target's rules. */
export interface StageCoverage {
  readonly stage: string;
  readonly kind: StageKind;
  readonly summary: AnalysisSummary;
}

/** Analyzes each stage of a split on a target. */
export function stageCoverage(plan: SplitPlan, options: AnalyzeOptions = {}): StageCoverage[] {
  return plan.stages.map((s) => ({ stage: s.name, kind: s.kind, summary: analyze(s.model.clone(), options).summary }));
}

/** Coverage of each stage of two versions of a model (e.g. before and after prepare), split the same way. */
export interface CoverageChange {
  readonly stage: string;
  readonly kind: StageKind;
  readonly before: AnalysisSummary | undefined;
  readonly after: AnalysisSummary | undefined;
}

export interface CompareCoverageOptions extends AnalyzeOptions {
  /** How both models are cut. @default { auto: true } */
  split?: SplitOptions;
}

/** Splits both models with the same options and pairs their stages' coverage by stage name. */
export function compareStageCoverage(before: Model, after: Model, options: CompareCoverageOptions = {}): CoverageChange[] {
  const { split = { auto: true }, ...analyzeOptions } = options;
  const a = stageCoverage(splitModel(before, split), analyzeOptions);
  const b = stageCoverage(splitModel(after, split), analyzeOptions);
  const names = [...new Set([...a.map((s) => s.stage), ...b.map((s) => s.stage)])];
  return names.map((stage) => {
    const x = a.find((s) => s.stage === stage);
    const y = b.find((s) => s.stage === stage);
    return { stage, kind: (x ?? y)!.kind, before: x?.summary, after: y?.summary };
  });
}
