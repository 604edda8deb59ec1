import type { Model } from '../ir/model.js';
import { emitMeanAsPool, planMeanAsPool, type ReduceToPoolRewrite } from './convert-reduce-mean-to-pool.js';
import { definePass, replaceEachNode } from './pass.js';

/**
 * R-RSUM: ReduceSum over C, H and/or W of a static 4-D float tensor: a 1×1 Conv with all-ones weights
 * for C; AveragePools (windows ≤ 8, chained when the extent is larger) then a Mul by the number of
 * pooled elements for H and W. keepdims=0 adds a Reshape.
 */
export const RECONSTRUCT_REDUCE_SUM = definePass<ReduceToPoolRewrite>({
  name: 'reconstruct-reduce-sum',
  kind: 'reconstruction',
  summary: 'turns ReduceSum over C/H/W of 4-D tensors into a ones 1×1 Conv and AveragePools times the count',
  recipes: ['R-RSUM'],
  find(facts) {
    const out: ReduceToPoolRewrite[] = [];
    for (const node of facts.nodes) {
      const x = node.input(0);
      if (node.op !== 'ReduceSum' || node.domain !== '' || x === undefined) continue;
      const axes = facts.axes(node, 1, 4);
      if (axes === undefined || axes === 'dynamic' || axes.length === 0) continue;
      const r = planMeanAsPool(facts, node, x, axes, node.attrs.int('keepdims', 1) === 1, true);
      if (r !== undefined) out.push(r);
    }
    return out;
  },
  rewrite: replaceEachNode((e, node, r) => {
    emitMeanAsPool(e, r, node.inputs[0]!, node.outputs[0]!);
  }),
});

/** ReduceSum over C/H/W → ones 1×1 Conv and AveragePools times the count. */
export function reconstructReduceSum(model: Model): Model {
  return RECONSTRUCT_REDUCE_SUM.run(model).model;
}
