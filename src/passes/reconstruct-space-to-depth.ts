import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface SpaceToDepthRewrite extends Rewrite {
  readonly blocksize: number;
  readonly channels: number;
  readonly dtype: DataType;
}

/** L-CONV C3: DLA conv strides 1..8. */
const MAX_CONV_STRIDE = 8;

/**
 * R-S2D: SpaceToDepth with blocksize b becomes a Conv with kernel and stride b, no padding, and 0/1
 * weights (C·b², C, b, b): output channel k reads input channel k mod C at kernel position
 * ((k div C) div b, (k div C) mod b). Needs H and W divisible by b and b ≤ 8.
 */
export const RECONSTRUCT_SPACE_TO_DEPTH = definePass<SpaceToDepthRewrite>({
  name: 'reconstruct-space-to-depth',
  kind: 'reconstruction',
  summary: 'turns SpaceToDepth into a strided Conv with one-hot weights',
  recipes: ['R-S2D'],
  find(facts) {
    const out: SpaceToDepthRewrite[] = [];
    for (const node of facts.nodes) {
      if (node.op !== 'SpaceToDepth' || node.domain !== '') continue;
      const x = node.input(0);
      const shape = x === undefined ? undefined : facts.batchShape(x)?.rest;
      const dtype = x === undefined ? undefined : facts.dtype(x);
      const b = node.attrs.int('blocksize', 0);
      if (shape?.length !== 3 || dtype === undefined || !isFloatType(dtype) || b < 1 || b > MAX_CONV_STRIDE) continue;
      if (shape[1]! % b !== 0 || shape[2]! % b !== 0) continue;
      out.push({ nodes: [nodeKey(node)], summary: `${nodeLabel(node)} (b=${b}) → Conv ${b}x${b}/${b}`, blocksize: b, channels: shape[0]!, dtype });
    }
    return out;
  },
  rewrite(edit, r) {
    const node = edit.node(r.nodes[0]!);
    const b = r.blocksize;
    const c = r.channels;
    const k = c * b * b;
    const w = new Array<number>(k * c * b * b).fill(0);
    for (let o = 0; o < k; o++) {
      const pos = Math.floor(o / c);
      w[((o * c + (o % c)) * b + Math.floor(pos / b)) * b + (pos % b)] = 1;
    }
    const e = edit.emitter(node.name || node.op);
    const wName = e.floats('gather', [k, c, b, b], w, r.dtype);
    e.conv(node.inputs[0]!, wName, undefined, { kernel: [b, b], strides: [b, b] }, node.outputs[0]!);
    edit.replace([node], e.nodes);
  },
});

/** SpaceToDepth → strided Conv. */
export function reconstructSpaceToDepth(model: Model): Model {
  return RECONSTRUCT_SPACE_TO_DEPTH.run(model).model;
}
