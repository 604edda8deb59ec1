import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, replaceEachNode, type Rewrite } from './pass.js';

export interface NegRewrite extends Rewrite {
  readonly dtype: DataType;
}

/** R-NEG: Neg of a float tensor becomes Mul by a one-element −1 (TensorRT makes it a uniform Scale). */
export const RECONSTRUCT_NEG = definePass<NegRewrite>({
  name: 'reconstruct-neg',
  kind: 'reconstruction',
  summary: 'turns Neg of float tensors into Mul by −1',
  recipes: ['R-NEG'],
  find(facts) {
    const out: NegRewrite[] = [];
    for (const node of facts.nodes) {
      const x = node.input(0);
      const dtype = x === undefined ? undefined : facts.dtype(x);
      if (node.op !== 'Neg' || node.domain !== '' || dtype === undefined || !isFloatType(dtype)) continue;
      out.push({ nodes: [nodeKey(node)], summary: `${nodeLabel(node)} → Mul by −1`, dtype });
    }
    return out;
  },
  rewrite: replaceEachNode((e, node, r) => {
    e.binary('Mul', node.inputs[0]!, e.scalar('minus_one', -1, r.dtype), node.outputs[0]!);
  }),
});

/** Neg → Mul by −1. */
export function reconstructNeg(model: Model): Model {
  return RECONSTRUCT_NEG.run(model).model;
}
