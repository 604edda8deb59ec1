import type { Model, Tensor } from '../../src/ir/index.js';
import { encodeModel } from '../../src/onnx/index.js';
import { getEngine } from '../../src/runtime/index.js';

/**
 * Runs a copy of the model on onnxruntime cpu with every node output exposed as a graph output and
 * returns the shape of each tensor as onnxruntime computed it.
 */
export async function ortShapes(model: Model, feeds: Record<string, Tensor>): Promise<Map<string, readonly number[]>> {
  const copy = model.clone();
  copy.graph.clearInferred();
  const names = copy.graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== ''));
  for (const name of names) copy.graph.addOutput(name);
  await using session = await getEngine('cpu').open(encodeModel(copy), { graphOptimization: 'disabled' });
  const out = await session.run(feeds);
  return new Map(Object.entries(out).map(([k, t]) => [k, t.dims]));
}
