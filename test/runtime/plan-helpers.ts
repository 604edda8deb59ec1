import { REFERENCE_MODELS } from '../../src/models/index.js';
import { splitModel, writeSplit } from '../../src/passes/index.js';
import { STAGE_FILE_VERSION, type Plan, type PlanEngine } from '../../src/io/stage-file/types.js';
import type { Model } from '../../src/ir/model.js';
import { join } from 'node:path';
import { readPlan } from '../../src/io/stage-file/index.js';
import { planDeployment, type HostEngines, type PlanOptions } from '../../src/plan/index.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { tempDir } from '../helpers/fixtures.js';

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

/**
 * Runs `body` with the small multi-task plan (see smallMultitaskPlan) in a fresh temporary folder,
 * removed afterwards whatever happens.
 */
export async function withSmallPlan(body: (p: { dir: string; plan: Plan; model: Model }) => Promise<void>, engines: Record<string, PlanEngine> = {}, streams: Record<string, string> = {}): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    await body({ dir, ...smallMultitaskPlan(dir, engines, streams) });
  } finally {
    cleanup();
  }
}

/**
 * A host plan of `model` on cpu written to `out` by planDeployment itself (stage times scripted, so
 * nothing is timed for real), with the ends asked for: `input` a pixel encoding, `outputs` compact forms.
 * The stage files and plan.json are the ones `tandem plan --target host` writes; `path` (the model's
 * file) is recorded as the plan's source, where eval finds the model's metadata.
 */
export async function cpuPlan(model: Model, out: string, ends: Pick<PlanOptions, 'input' | 'outputs'> = {}, path?: string): Promise<Plan> {
  let clock = 0;
  const engines: HostEngines = { available: ['cpu'], now: () => clock, open: async () => ({ run: async () => ((clock += 1), {}), close: async () => {} }) };
  await planDeployment(path === undefined ? { model } : { model, path }, { target: 'host', out, opener: getEngine('cpu'), engines, timing: { iterations: 1, warmup: 0 }, generatedSamples: 2, method: 'max', ...ends });
  const plan = readPlan(join(out, 'plan.json'));
  // one thread a stage: tests share two cores
  return { ...plan, stages: plan.stages.map((s) => ({ ...s, engineOptions: { ...s.engineOptions, threads: 1 } })) };
}
