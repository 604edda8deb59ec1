import { REFERENCE_MODELS } from '../../src/models/index.js';
import { splitModel, writeSplit } from '../../src/passes/index.js';
import { STAGE_FILE_VERSION, type Plan, type PlanEngine } from '../../src/io/stage-file/types.js';
import type { Model } from '../../src/ir/model.js';

/**
 * The small multi-task model split into backbone and heads (files in `dir`) and a host plan over them:
 * `engines` maps stage name → engine (default cpu), `streams` stage name → stream.
 */
export function smallMultitaskPlan(dir: string, engines: Record<string, PlanEngine> = {}, streams: Record<string, string> = {}): { plan: Plan; model: Model } {
  const model = REFERENCE_MODELS.multitask.build({ ...REFERENCE_MODELS.multitask.smallOptions, height: 32, width: 64 });
  const written = writeSplit(splitModel(model, { auto: true }), dir);
  const m = written.manifest;
  const plan: Plan = {
    version: STAGE_FILE_VERSION,
    kind: 'plan',
    target: 'host',
    cut: m.cut,
    dir,
    stages: m.stages.map((s) => ({
      ...s,
      engine: engines[s.name] ?? 'cpu',
      precision: 'fp32',
      engineOptions: { threads: 1, ...(streams[s.name] ? { stream: streams[s.name]! } : {}) },
      choice: { how: 'pinned', reason: 'test plan' },
    })),
    tensors: m.tensors,
  };
  return { plan, model };
}
