import type { Model } from '../ir/model.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, replaceEachNode, type Rewrite } from './pass.js';
import { maxPoolSteps, maxSteps, type PoolStep } from './pool-steps.js';

export interface GlobalMaxPoolRewrite extends Rewrite {
  readonly steps: readonly PoolStep[];
}

/**
 * R-GMP: GlobalMaxPool of a 4-D tensor (static H, W) becomes MaxPools with windows ≤ 8 and strides ≤ 16 until
 * H = W = 1 (TensorRT before 8.6.12 has no DLA GlobalMaxPool). Windows may overlap: max is idempotent,
 * so the result is exact for every extent.
 */
export const RECONSTRUCT_GLOBAL_MAX_POOL = definePass<GlobalMaxPoolRewrite>({
  name: 'reconstruct-global-max-pool',
  kind: 'reconstruction',
  summary: 'turns GlobalMaxPool of 4-D tensors into a chain of MaxPools within DLA window limits',
  recipes: ['R-GMP'],
  find(facts) {
    const out: GlobalMaxPoolRewrite[] = [];
    for (const node of facts.nodes) {
      if (node.op !== 'GlobalMaxPool' || node.domain !== '') continue;
      const x = node.input(0);
      const shape = x === undefined ? undefined : facts.batchShape(x)?.rest;
      if (shape?.length !== 3 || (shape[1] === 1 && shape[2] === 1)) continue;
      const steps = maxPoolSteps(maxSteps(shape[1]!), maxSteps(shape[2]!));
      out.push({ nodes: [nodeKey(node)], summary: `${nodeLabel(node)} over ${shape[1]}x${shape[2]} → MaxPool ${steps.map((s) => `${s.kernel.join('x')}/${s.strides.join('x')}`).join(' → ')}`, steps });
    }
    return out;
  },
  rewrite: replaceEachNode((e, node, r) => {
    let cur = node.inputs[0]!;
    r.steps.forEach((s, i) => {
      cur = e.pool('MaxPool', cur, s.kernel, s.strides, i === r.steps.length - 1 ? node.outputs[0]! : undefined);
    });
  }),
});

/** GlobalMaxPool → MaxPool chain. */
export function reconstructGlobalMaxPool(model: Model): Model {
  return RECONSTRUCT_GLOBAL_MAX_POOL.run(model).model;
}
