import type { Model } from '../../ir/model.js';
import { splitModel } from '../../passes/index.js';
import { searchPlacement, type SearchObjective } from '../../plan/index.js';
import { TandemError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import { formatSearch } from './cost.js';

export interface PlanSearchFlags {
  objective?: SearchObjective;
  maxLatency?: number;
}

/**
 * `tandem plan --search`: the placement search over cuts, engines and precisions (printed with its
 * Pareto set), then the engines of the best placement that tandem plan can write as it stands (its
 * split's stages, GPU FP16 and DLA INT8) as pins for the plan. All figures modelled.
 */
export function searchPins(model: Model, flags: PlanSearchFlags, ctx: CliContext, json: boolean): Record<string, string> {
  const options = { objective: flags.objective ?? 'throughput', ...(flags.maxLatency !== undefined ? { maxLatencyMs: flags.maxLatency } : {}) } as const;
  const full = searchPlacement(model, options);
  const writable = searchPlacement(model, { ...options, precisions: { gpu: ['fp16'], dla: ['int8'] }, trunkCuts: 0, headCuts: 0 });
  const split = splitModel(model, { auto: true });
  const pins: Record<string, string> = {};
  for (const seg of writable.chosen.segments) {
    const stage = seg.modelOutput === undefined ? split.stages.find((s) => s.kind === 'backbone') : split.stages.find((s) => s.outputs.includes(seg.modelOutput!));
    if (stage === undefined) throw new TandemError('UNKNOWN_NAME', `search segment "${seg.name}" has no stage in the split (stages: ${split.stages.map((s) => s.name).join(', ')})`);
    pins[stage.name] = seg.engine;
  }
  if (!json) {
    for (const line of formatSearch(full, 'the model')) ctx.print(line);
    ctx.print(`written plan: the best placement on the split's own stages with tandem plan's precisions (GPU FP16, DLA INT8): ${writable.chosen.label} — ${writable.chosen.fps.toFixed(1)} fps, ${writable.chosen.latencyMs.toFixed(1)} ms (modelled)`);
    ctx.print('');
  }
  return pins;
}
