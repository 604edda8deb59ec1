import type { Model } from '../ir/model.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, replaceEachNode, type Rewrite } from './pass.js';

export interface SqueezeToReshapeRewrite extends Rewrite {
  readonly shape: readonly number[];
}

/**
 * Squeeze, Unsqueeze and Flatten with a static result (but for a batch dim kept as it is) become a
 * Reshape to that shape: the same view of the data, but TensorRT's DLA path takes Reshape (a Shuffle layer) and not the other three (R-OPS: RFE).
 */
export const CONVERT_SQUEEZE_TO_RESHAPE = definePass<SqueezeToReshapeRewrite>({
  name: 'convert-squeeze-to-reshape',
  kind: 'conversion',
  summary: 'turns Squeeze, Unsqueeze and Flatten with a static result shape into Reshape',
  recipes: [],
  find(facts) {
    const out: SqueezeToReshapeRewrite[] = [];
    for (const node of facts.nodes) {
      // a runtime axes input (opset 13+) decides the result at run time: the declared shape proves nothing
      if (node.domain !== '' || !['Squeeze', 'Unsqueeze', 'Flatten'].includes(node.op) || !facts.configIsConstant(node)) continue;
      const x = node.input(0);
      const y = node.outputs[0];
      const shape = x === undefined || y === undefined ? undefined : facts.reshapeTarget(x, y);
      if (shape === undefined) continue;
      out.push({ nodes: [nodeKey(node)], summary: `${nodeLabel(node)} → Reshape to [${shape.join(',')}]`, shape });
    }
    return out;
  },
  rewrite: replaceEachNode((e, node, r) => {
    e.reshape(node.inputs[0]!, r.shape, node.outputs[0]!);
  }),
});

/** Squeeze/Unsqueeze/Flatten with static results → Reshape. */
export function convertSqueezeToReshape(model: Model): Model {
  return CONVERT_SQUEEZE_TO_RESHAPE.run(model).model;
}
