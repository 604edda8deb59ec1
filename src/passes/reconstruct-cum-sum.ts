import { DATA_TYPES, isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { onChannelAxis } from './channel-axis.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, replaceEachNode, type Rewrite } from './pass.js';

export interface CumSumRewrite extends Rewrite {
  readonly axis: number;
  readonly extent: number;
  readonly exclusive: boolean;
  readonly reverse: boolean;
  readonly dtype: DataType;
}

/** The triangular weight is extent² elements: above this (extent 2048 at float32) the rewrite is refused. */
export const MAX_CUMSUM_WEIGHT_BYTES = 16 << 20;

/**
 * R-CUMSUM: CumSum along axis 1, 2 or 3 of a 4-D float tensor is a 1×1 Conv with triangular 0/1
 * weights (W[k, c] = 1 for c ≤ k; c < k when exclusive; mirrored when reverse), between Transposes for
 * axes 2 and 3.
 */
export const RECONSTRUCT_CUM_SUM = definePass<CumSumRewrite>({
  name: 'reconstruct-cumsum',
  kind: 'reconstruction',
  summary: 'turns CumSum along axis 1-3 of 4-D float tensors into a triangular 1×1 Conv',
  recipes: ['R-CUMSUM'],
  find(facts) {
    const out: CumSumRewrite[] = [];
    for (const node of facts.nodes) {
      if (node.op !== 'CumSum' || node.domain !== '') continue;
      const x = node.input(0);
      const shape = x === undefined ? undefined : facts.shape(x);
      const dtype = x === undefined ? undefined : facts.dtype(x);
      const a = facts.values(node.input(1));
      if (x === undefined || shape?.length !== 4 || dtype === undefined || !isFloatType(dtype) || a?.length !== 1 || facts.isConstant(x)) continue;
      const axis = a[0]! < 0 ? a[0]! + 4 : a[0]!;
      const extent = shape[axis];
      if (axis < 1 || axis > 3 || typeof extent !== 'number') continue;
      const exclusive = node.attrs.int('exclusive', 0) === 1;
      const reverse = node.attrs.int('reverse', 0) === 1;
      const rewrite = { nodes: [nodeKey(node)], summary: `${nodeLabel(node)} along axis ${axis} (${extent}) → triangular 1×1 Conv`, axis, extent, exclusive, reverse, dtype };
      const bytes = extent * extent * DATA_TYPES[dtype].bits / 8;
      if (bytes > MAX_CUMSUM_WEIGHT_BYTES) {
        facts.refuse(rewrite, `the triangular weight would be ${extent}×${extent} ${dtype} (${mib(bytes)}); the limit is ${mib(MAX_CUMSUM_WEIGHT_BYTES)} (extent ${Math.floor(Math.sqrt(MAX_CUMSUM_WEIGHT_BYTES / (DATA_TYPES[dtype].bits / 8)))} at ${dtype})`);
        continue;
      }
      if (facts.claim([node])) out.push(rewrite);
    }
    return out;
  },
  rewrite: replaceEachNode((e, node, r) => {
    const n = r.extent;
    const w = new Float64Array(n * n);
    for (let k = 0; k < n; k++) {
      for (let c = 0; c < n; c++) {
        const take = r.reverse ? (r.exclusive ? c > k : c >= k) : r.exclusive ? c < k : c <= k;
        if (take) w[k * n + c] = 1;
      }
    }
    const wName = e.floats('prefix', [n, n, 1, 1], w, r.dtype);
    onChannelAxis(e, r.axis, [node.inputs[0]!], node.outputs[0]!, ([x], out) => e.conv(x!, wName, undefined, { kernel: [1, 1] }, out));
  }),
});

/** CumSum along axis 1-3 → triangular 1×1 Conv. */
export function reconstructCumSum(model: Model): Model {
  return RECONSTRUCT_CUM_SUM.run(model).model;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
