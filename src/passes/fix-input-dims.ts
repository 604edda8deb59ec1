import type { Model } from '../ir/model.js';
import type { Shape } from '../ir/types.js';

/**
 * A copy of the model in which the symbolic dims named in `dims` ({ batch: 1, height: 512 }) are these
 * sizes wherever a declared type uses them (graph inputs, outputs, value_info): what `--dims` means to a
 * command that passes the model on (split writes static stage shapes, fp16 checks at these sizes, bench
 * feeds frames of these sizes). The function is unchanged for inputs of these sizes. Names no declared
 * type uses change nothing (cli/dims.ts warns about them).
 */
export function fixInputDims(model: Model, dims: Readonly<Record<string, number>>): Model {
  const out = model.clone();
  if (Object.keys(dims).length === 0) return out;
  const fix = (shape: Shape | undefined): Shape | undefined => shape?.map((d) => (typeof d === 'string' && dims[d] !== undefined ? dims[d]! : d));
  for (const v of out.graph.values.values()) {
    if (v.type?.kind === 'tensor' && v.type.shape !== undefined) v.type = { ...v.type, shape: fix(v.type.shape) };
  }
  return out;
}
