import type { Model } from '../ir/model.js';
import { splitModel } from '../passes/index.js';
import { TandemError } from '../util/errors.js';
import { searchPlacement, type SearchOptions, type SearchResult } from './search.js';

/** The placement search and the engines it picks for the stages planDeployment writes. */
export interface StagePinsResult {
  /** The search over cuts, engines and precisions as asked (all figures modelled). */
  readonly search: SearchResult;
  /** The search restricted to what planDeployment writes: the auto split's own stages, GPU FP16 and DLA INT8. */
  readonly writable: SearchResult;
  /** The writable search's engine per stage of the auto split, as `pins` for planDeployment. */
  readonly pins: Record<string, string>;
}

/**
 * The placement search (searchPlacement), then the engines of the best placement that planDeployment can
 * write as it stands (the auto split's stages, GPU FP16, DLA INT8), as pins per stage. All modelled.
 */
export function searchStagePins(model: Model, options: SearchOptions = {}): StagePinsResult {
  const search = searchPlacement(model, options);
  const writable = searchPlacement(model, { ...options, precisions: { gpu: ['fp16'], dla: ['int8'] }, trunkCuts: 0, headCuts: 0 });
  const split = splitModel(model, { auto: true });
  const pins: Record<string, string> = {};
  for (const seg of writable.chosen.segments) {
    const stage = seg.modelOutput === undefined ? split.stages.find((s) => s.kind === 'backbone') : split.stages.find((s) => s.outputs.includes(seg.modelOutput!));
    if (stage === undefined) throw new TandemError('UNKNOWN_NAME', `search segment "${seg.name}" has no stage in the split (stages: ${split.stages.map((s) => s.name).join(', ')})`);
    pins[stage.name] = seg.engine;
  }
  return { search, writable, pins };
}
