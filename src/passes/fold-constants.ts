import type { Model } from '../ir/model.js';
import { constantValue } from '../ops/index.js';
import { assert } from '../util/errors.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface FoldRewrite extends Rewrite {
  /** The outputs that become initializers, with their dtype and dims. */
  readonly outputs: readonly { readonly name: string; readonly dtype: string; readonly dims: readonly number[] }[];
}

/** Folding never grows the file by more than this per node (or by more than the node's constant inputs). */
const SMALL_BYTES = 1 << 20;

/**
 * Replaces nodes whose outputs are statically known (constant inputs, Shape of static shapes and the
 * Gather/Concat/Unsqueeze arithmetic on them) by initializers. Graph outputs stay computed.
 */
export const FOLD_CONSTANTS = definePass<FoldRewrite>({
  name: 'fold-constants',
  kind: 'cleanup',
  summary: 'replaces nodes whose outputs are known before running (constant inputs, static Shape chains) by initializers',
  recipes: [],
  find(facts) {
    const g = facts.graph;
    const out: FoldRewrite[] = [];
    for (const node of facts.nodes) {
      if (node.attrs.subgraphs().length > 0) continue;
      const outs = node.outputs.filter((o) => o !== '');
      if (outs.length === 0 || outs.some((o) => g.isGraphOutput(o) || g.consumers(o).length === 0)) continue;
      const values = outs.map((o) => facts.constant(o));
      if (values.some((v) => v === undefined)) continue;
      const grown = values.reduce((n, v) => n + v!.byteLength, 0);
      const inputBytes = node.inputs.reduce((n, i) => n + (facts.constant(i)?.byteLength ?? 0), 0);
      if (grown > SMALL_BYTES && grown > inputBytes) continue;
      out.push({
        nodes: [nodeKey(node)],
        summary: `${nodeLabel(node)} → constant ${outs.map((o, i) => `${o}: ${values[i]!.dtype}[${values[i]!.dims.join(',')}]`).join(', ')}`,
        outputs: outs.map((o, i) => ({ name: o, dtype: values[i]!.dtype, dims: [...values[i]!.dims] })),
      });
    }
    return out;
  },
  rewrite(edit, r) {
    const node = edit.node(r.nodes[0]!);
    const tensors = r.outputs.map((o) => constantValue(edit.graph, o.name));
    assert(tensors.every((t) => t !== undefined), `fold-constants: ${node.label} is no longer constant`);
    edit.graph.removeNode(node);
    // a copy: the value may be another initializer's tensor, whose name must not change
    r.outputs.forEach((o, i) => edit.graph.setInitializer(o.name, tensors[i]!.reshaped(tensors[i]!.dims)));
  },
});

/** Replaces statically known node outputs by initializers. */
export function foldConstants(model: Model): Model {
  return FOLD_CONSTANTS.run(model).model;
}
