import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface DepthToSpaceRewrite extends Rewrite {
  readonly blocksize: number;
  readonly mode: 'DCR' | 'CRD';
  readonly channels: number;
  readonly dtype: DataType;
}

/** L-DECONV: kernels 1..32, but square 23..32 disabled on DLA → 22 in practice. */
const MAX_DECONV_BLOCK = 22;

/**
 * R-D2S: DepthToSpace with blocksize b becomes a ConvTranspose with kernel and stride b, no padding,
 * and 0/1 weights (C_in, C_in/b², b, b) that send each input channel to its output channel and kernel
 * position (DCR: c → (c mod C_out, ((c div C_out) div b, (c div C_out) mod b)); CRD: c → (c div b²,
 * ((c mod b²) div b, c mod b))). Needs C divisible by b² and b ≤ 22.
 */
export const RECONSTRUCT_DEPTH_TO_SPACE = definePass<DepthToSpaceRewrite>({
  name: 'reconstruct-depth-to-space',
  kind: 'reconstruction',
  summary: 'turns DepthToSpace into a ConvTranspose with one-hot weights',
  recipes: ['R-D2S'],
  find(facts) {
    const out: DepthToSpaceRewrite[] = [];
    for (const node of facts.nodes) {
      if (node.op !== 'DepthToSpace' || node.domain !== '') continue;
      const x = node.input(0);
      const shape = x === undefined ? undefined : facts.shape(x);
      const dtype = x === undefined ? undefined : facts.dtype(x);
      const b = node.attrs.int('blocksize', 0);
      const c = shape?.[1];
      if (shape?.length !== 4 || typeof c !== 'number' || dtype === undefined || !isFloatType(dtype)) continue;
      if (b < 1 || b > MAX_DECONV_BLOCK || c % (b * b) !== 0) continue;
      const mode = node.attrs.string('mode', 'DCR') === 'CRD' ? 'CRD' : 'DCR';
      out.push({ nodes: [nodeKey(node)], summary: `${nodeLabel(node)} (${mode}, b=${b}) → ConvTranspose ${b}x${b}/${b}`, blocksize: b, mode, channels: c, dtype });
    }
    return out;
  },
  rewrite(edit, r) {
    const node = edit.node(r.nodes[0]!);
    const b = r.blocksize;
    const cin = r.channels;
    const cout = cin / (b * b);
    const w = new Array<number>(cin * cout * b * b).fill(0);
    for (let c = 0; c < cin; c++) {
      const [o, pos] = r.mode === 'DCR' ? [c % cout, Math.floor(c / cout)] : [Math.floor(c / (b * b)), c % (b * b)];
      const kh = Math.floor(pos / b);
      const kw = pos % b;
      w[((c * cout + o) * b + kh) * b + kw] = 1;
    }
    const e = edit.emitter(node.name || node.op);
    const wName = e.floats('scatter', [cin, cout, b, b], w, r.dtype);
    e.convTranspose(node.inputs[0]!, wName, undefined, { kernel: [b, b], strides: [b, b] }, node.outputs[0]!);
    edit.replace([node], e.nodes);
  },
});

/** DepthToSpace → ConvTranspose. */
export function reconstructDepthToSpace(model: Model): Model {
  return RECONSTRUCT_DEPTH_TO_SPACE.run(model).model;
}
