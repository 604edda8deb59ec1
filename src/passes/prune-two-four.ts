import type { Model } from '../ir/model.js';
import { tensorFromValues } from '../ir/tensor-values.js';
import { tensorValues } from '../ir/tensor-values.js';
import { convName, convSparsity } from '../targets/sparsity.js';

/**
 * 2:4 magnitude pruning of the Conv weights that qualify for sparse kernels (reference G18: along C of
 * KCRS, C > 64), as Polygraphy's `surgeon prune` does: in every aligned group of 4 input channels the 2
 * largest |w| stay, the rest become 0. The copy is for functional and speed tests: the model's outputs
 * change, and its accuracy needs retraining (fine-tuning with the 2:4 mask) before use.
 */

/** What 2:4 pruning did to one Conv, or why it left it. */
export interface PruneRecord {
  readonly node: string;
  readonly pruned: boolean;
  /** Why a Conv was left as it is. */
  readonly reason?: string;
  /** Weights set to zero by pruning. */
  readonly zeroed: number;
}

/** The pruned copy and what happened to each Conv. */
export interface PruneResult {
  readonly model: Model;
  readonly convs: readonly PruneRecord[];
}

/**
 * A copy of the model with 2:4-pruned Conv weights where they qualify (see above); the input is
 * unchanged. For speed tests of sparse kernels, not for deployment without fine-tuning.
 */
export function pruneTwoFour(input: Model): PruneResult {
  const model = input.clone();
  const g = model.graph;
  const verdicts = new Map(convSparsity(model).map((v) => [v.node, v]));
  const convs: PruneRecord[] = [];
  const done = new Set<string>();
  for (const n of g.nodes) {
    if (n.op !== 'Conv') continue;
    const name = convName(n);
    const v = verdicts.get(name)!;
    const wName = n.inputs[1];
    const w = wName === undefined ? undefined : g.initializer(wName);
    if (!v.qualifies || w === undefined || (w.dtype !== 'float32' && w.dtype !== 'float16')) {
      convs.push({ node: name, pruned: false, reason: v.reason ?? 'weights are not a float initializer', zeroed: 0 });
      continue;
    }
    if (v.follows === true || done.has(wName!)) {
      convs.push({ node: name, pruned: false, reason: v.follows === true ? 'already 2:4' : 'weights shared with a Conv pruned before', zeroed: 0 });
      continue;
    }
    const values = tensorValues(w);
    const [k, c, ...rest] = w.dims;
    const spatial = rest.reduce((a, b) => a * b, 1);
    let zeroed = 0;
    for (let o = 0; o < k!; o++) {
      for (let s = 0; s < spatial; s++) {
        for (let c0 = 0; c0 < c!; c0 += 4) {
          const idx: number[] = [];
          for (let ci = c0; ci < Math.min(c!, c0 + 4); ci++) idx.push((o * c! + ci) * spatial + s);
          // keep the two largest magnitudes (ties: the lower channel)
          const order = [...idx].sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!) || a - b);
          for (const i of order.slice(2)) {
            if (values[i] !== 0) zeroed++;
            values[i] = 0;
          }
        }
      }
    }
    g.setInitializer(wName!, tensorFromValues(w.dtype, w.dims, values, wName));
    done.add(wName!);
    convs.push({ node: name, pruned: true, zeroed });
  }
  return { model, convs };
}
