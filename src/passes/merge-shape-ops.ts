import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { canTakeOutputName } from './graph-edit.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';
import { shapesEqual } from './remove-no-ops.js';
import { opHasTrait } from '../ops/registry.js';

/** Ops that only change how a tensor's elements are viewed, never their order. */

export interface MergeShapeRewrite extends Rewrite {
  readonly kind: 'reshape' | 'transpose';
  /** The merged Reshape's target shape, or the composed permutation; empty when the pair cancels. */
  readonly result: readonly number[];
  readonly cancels: boolean;
}

/**
 * Merges back-to-back view changes: two reshapes (Reshape/Flatten/Squeeze/Unsqueeze) become one Reshape,
 * two Transposes one Transpose; a pair that cancels disappears. What `convert-matmul-to-conv` leaves
 * around a token-wise linear layer folds away here.
 */
export const MERGE_SHAPE_OPS = definePass<MergeShapeRewrite>({
  name: 'merge-shape-ops',
  kind: 'cleanup',
  summary: 'merges consecutive reshapes into one Reshape and consecutive Transposes into one; pairs that cancel are removed',
  recipes: [],
  find(facts) {
    const out: MergeShapeRewrite[] = [];
    for (const second of facts.nodes) {
      const r = pair(facts, second);
      if (r !== undefined) out.push(r);
    }
    return out;
  },
  rewrite(edit, r) {
    const g = edit.graph;
    const second = edit.node(r.nodes[1]!);
    const first = edit.node(r.nodes[0]!);
    const x = first.inputs[0]!;
    const y = second.outputs[0]!;
    g.removeNode(first);
    if (r.cancels) {
      second.setInputs([x]);
      edit.bypass(second, x, y);
      return;
    }
    const e = edit.emitter(second.name || second.op);
    if (r.kind === 'reshape') e.reshape(x, r.result, y);
    else e.transpose(x, r.result, y);
    edit.replace([second], e.nodes);
  },
});

function pair(f: GraphFacts, second: Node): MergeShapeRewrite | undefined {
  const mid = second.input(0);
  if (mid === undefined || second.domain !== '') return undefined;
  const first = f.producer(mid);
  if (first === undefined || first.domain !== '' || f.soleConsumer(mid) !== second) return undefined;
  const x = first.input(0);
  const y = second.outputs[0]!;
  if (x === undefined) return undefined;
  const label = `${nodeLabel(first)} + ${nodeLabel(second)}`;
  const keys = [nodeKey(first), nodeKey(second)];
  if (opHasTrait(first.op, 'reshape') && opHasTrait(second.op, 'reshape')) {
    const shape = f.reshapeTarget(x, y);
    if (shape === undefined) return undefined;
    const cancels = shapesEqual(f.shape(x), f.shape(y));
    if (cancels && f.isGraphOutput(y) && !canTakeOutputName(f.graph, x)) return undefined;
    if (!f.claim([first, second])) return undefined;
    return { nodes: keys, summary: cancels ? `${label} cancel` : `${label} → one Reshape to [${shape.join(',')}]`, kind: 'reshape', result: shape, cancels };
  }
  if (first.op === 'Transpose' && second.op === 'Transpose') {
    const rank = f.rank(x);
    if (rank === undefined) return undefined;
    const p1 = first.attrs.ints('perm') ?? reversed(rank);
    const p2 = second.attrs.ints('perm') ?? reversed(rank);
    // y dim i = mid dim p2[i] = x dim p1[p2[i]]
    const composed = p2.map((i) => p1[i]!);
    const cancels = composed.every((p, i) => p === i);
    if (cancels && f.isGraphOutput(y) && !canTakeOutputName(f.graph, x)) return undefined;
    if (!f.claim([first, second])) return undefined;
    return { nodes: keys, summary: cancels ? `${label} cancel` : `${label} → one Transpose [${composed.join(',')}]`, kind: 'transpose', result: composed, cancels };
  }
  return undefined;
}

function reversed(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

/** Merges consecutive reshapes and consecutive transposes. */
export function mergeShapeOps(model: Model): Model {
  return MERGE_SHAPE_OPS.run(model).model;
}
