import { counted } from '../util/text.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { tensorValues } from '../ir/tensor-values.js';

/**
 * 2:4 structured sparsity of convolution weights (reference G18: the Orin DLA runs INT8 convolutions
 * whose KCRS weights have at most 2 non-zeros in every 4 consecutive input channels faster; needs
 * C > 64). Per Conv: whether it qualifies and whether its weights already follow the pattern.
 */

/** Input channels per group a Conv needs for sparse kernels (G18: C > 64). */
export const SPARSE_MIN_CHANNELS = 65;

export interface ConvSparsity {
  readonly node: string;
  /** Input channels per group (C of KCRS). */
  readonly channels: number;
  readonly qualifies: boolean;
  /** Why it does not qualify. */
  readonly reason?: string;
  /** Every group of 4 consecutive C has at most 2 non-zeros (undefined where the weights are not a readable constant). */
  readonly follows: boolean | undefined;
  /** Share of zero weights. */
  readonly zeroShare: number | undefined;
}

export function convName(n: Node): string {
  return n.name !== '' ? n.name : (n.outputs[0] ?? n.op);
}

/** Whether KCRS weights (flat, row-major) follow 2:4 along C: every aligned group of 4 input channels has ≤ 2 non-zeros. */
export function followsTwoFour(values: ArrayLike<number>, dims: readonly number[]): boolean {
  const [k, c, ...rest] = dims;
  if (k === undefined || c === undefined) return false;
  const spatial = rest.reduce((a, b) => a * b, 1);
  for (let o = 0; o < k; o++) {
    for (let s = 0; s < spatial; s++) {
      for (let c0 = 0; c0 < c; c0 += 4) {
        let nz = 0;
        for (let ci = c0; ci < Math.min(c, c0 + 4); ci++) if (values[(o * c + ci) * spatial + s] !== 0) nz++;
        if (nz > 2) return false;
      }
    }
  }
  return true;
}

/** Every Conv of the main graph with its 2:4 verdict. */
export function convSparsity(model: Model): ConvSparsity[] {
  const g = model.graph;
  const out: ConvSparsity[] = [];
  for (const n of g.nodes) {
    if (n.op !== 'Conv') continue;
    const w = n.inputs[1] === undefined ? undefined : g.initializer(n.inputs[1]);
    const dims = w?.dims ?? g.tensorType(n.inputs[1] ?? '')?.shape?.map((d) => (typeof d === 'number' ? d : NaN));
    const channels = dims?.[1] ?? NaN;
    const group = n.attrs.int('group') ?? 1;
    let reason: string | undefined;
    if (!Number.isFinite(channels)) reason = 'weight shape unknown';
    else if (group !== 1 && channels <= 4) reason = `depthwise / grouped with ${counted(channels, 'channel')} per group`;
    else if (channels < SPARSE_MIN_CHANNELS) reason = `C = ${channels}; sparse kernels need C > 64 (G18)`;
    let follows: boolean | undefined;
    let zeroShare: number | undefined;
    if (w !== undefined && w.dtype !== 'string' && w.size <= 64 << 20) {
      const v = tensorValues(w);
      follows = followsTwoFour(v, w.dims);
      let zeros = 0;
      for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
      zeroShare = v.length === 0 ? 0 : zeros / v.length;
    }
    out.push({ node: convName(n), channels, qualifies: reason === undefined, ...(reason === undefined ? {} : { reason }), follows, zeroShare });
  }
  return out;
}
