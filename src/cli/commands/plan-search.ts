import type { Model } from '../../ir/model.js';
import { searchStagePins, type SearchObjective } from '../../plan/index.js';
import type { CliContext } from '../context.js';
import { formatSearch } from './cost.js';

export interface PlanSearchFlags {
  objective?: SearchObjective;
  maxLatency?: number;
}

/**
 * `tandem plan --search`: searchStagePins, its Pareto set printed (unless --json), its pins returned for
 * the plan. All figures modelled.
 */
export function searchPins(model: Model, flags: PlanSearchFlags, ctx: CliContext, json: boolean): Record<string, string> {
  const r = searchStagePins(model, { objective: flags.objective ?? 'throughput', ...(flags.maxLatency !== undefined ? { maxLatencyMs: flags.maxLatency } : {}) });
  if (!json) {
    for (const line of formatSearch(r.search, 'the model')) ctx.print(line);
    ctx.print(`written plan: the best placement on the split's own stages with tandem plan's precisions (GPU FP16, DLA INT8): ${r.writable.chosen.label} — ${r.writable.chosen.fps.toFixed(1)} fps, ${r.writable.chosen.latencyMs.toFixed(1)} ms (modelled)`);
    ctx.print('');
  }
  return r.pins;
}
