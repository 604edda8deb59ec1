import { quote } from '../util/text.js';
import { join } from 'node:path';
import { newPlanDocument, writePlan, type LoadedSplit, type PlanStage, type PlanTensor, type TargetEngine } from '../io/stage-file/index.js';
import { TandemError } from '../util/errors.js';

/** An engine and precision for one stage of a split, and why (one sentence). */
export interface StagePlacement {
  readonly engine: TargetEngine;
  readonly precision: 'int8' | 'fp16';
  readonly reason: string;
  readonly timingsMs?: Readonly<Record<string, number>>;
}

/**
 * Writes plan.json (target orin) next to a split's stage files, with the given placement per stage.
 * Hand-offs stay float in the stage models (export gives them the INT8 layout and scale the DLA reads
 * from the consumer's calibration cache). Returns the plan.json path.
 */
export function writeOrinPlan(split: LoadedSplit, placement: Readonly<Record<string, StagePlacement>>): string {
  const stages: PlanStage[] = split.stages.map((s) => {
    const p = placement[s.name];
    if (p === undefined) throw new TandemError('UNKNOWN_NAME', `no placement for stage ${quote(s.name)}; stages: ${split.stages.map((x) => x.name).join(', ')}`);
    return { ...s, engine: p.engine, precision: p.precision, choice: { how: 'modelled', reason: p.reason, ...(p.timingsMs ? { timingsMs: p.timingsMs } : {}) } };
  });
  const tensors: PlanTensor[] = [...split.tensors];
  return writePlan(newPlanDocument({ target: 'orin', ...(split.source === undefined ? {} : { source: split.source }), cut: split.cut, stages, tensors }), split.dir, {});
}

/** The plan.json path a split folder gets. */
export function orinPlanPath(split: LoadedSplit): string {
  return join(split.dir, 'plan.json');
}
