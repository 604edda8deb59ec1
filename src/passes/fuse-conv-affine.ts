import type { Model } from '../ir/model.js';
import { tensorFromValues } from '../ir/tensor-values.js';
import { biasValues, constConv, perChannel, scaleOutputChannels } from './conv-weights.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface ConvAffineRewrite extends Rewrite {
  readonly op: 'Mul' | 'Add' | 'Sub' | 'Div';
  /** Which input of the elementwise node is the constant. */
  readonly constInput: number;
  /** The per-output-channel factors or offsets. */
  readonly values: readonly number[];
}

/**
 * R-FUSE-CONV-AFFINE: a Conv followed by Mul/Div by a per-channel (or uniform) constant folds into the
 * weights and bias; followed by Add/Sub of one, into the bias. The Conv's output must feed nothing else
 * and the constant must not broadcast the result to a larger shape.
 */
export const FUSE_CONV_AFFINE = definePass<ConvAffineRewrite>({
  name: 'fuse-conv-affine',
  kind: 'fusion',
  summary: 'folds Mul/Div by and Add/Sub of per-channel constants after a Conv into its weights and bias',
  recipes: ['R-FUSE-CONV-AFFINE'],
  find(facts) {
    const out: ConvAffineRewrite[] = [];
    for (const node of facts.nodes) {
      if (node.domain !== '' || !(node.op === 'Mul' || node.op === 'Add' || node.op === 'Sub' || node.op === 'Div')) continue;
      const op = node.op;
      for (const convInput of op === 'Mul' || op === 'Add' ? [0, 1] : [0]) {
        const constInput = 1 - convInput;
        const t = node.input(convInput);
        const producer = t === undefined ? undefined : facts.producer(t);
        if (t === undefined || producer === undefined || facts.soleConsumer(t) !== node) continue;
        const c = constConv(facts, producer);
        const constant = facts.constant(node.input(constInput));
        const rank = facts.rank(t);
        if (c === undefined || constant === undefined || constant.dtype !== c.dtype || rank === undefined) continue;
        const values = perChannel(constant, rank, c.k);
        if (values === undefined || (op === 'Div' && values.some((v) => v === 0 || !Number.isFinite(v)))) continue;
        if (!facts.claim([producer, node])) continue;
        out.push({ nodes: [nodeKey(producer), nodeKey(node)], summary: `${nodeLabel(node)} by a per-channel constant folded into ${nodeLabel(producer)}`, op, constInput, values });
        break;
      }
    }
    return out;
  },
  rewrite(edit, r) {
    const conv = edit.node(r.nodes[0]!);
    const node = edit.node(r.nodes[1]!);
    const weight = edit.constant(conv.inputs[1]!);
    const k = weight.dims[0]!;
    let w = weight;
    let b = biasValues(conv.input(2) === undefined ? undefined : edit.constant(conv.inputs[2]!), k);
    const v = r.values;
    switch (r.op) {
      case 'Mul':
        w = scaleOutputChannels(weight, v);
        b = b.map((x, i) => x * v[i]!);
        break;
      case 'Div':
        w = scaleOutputChannels(weight, v.map((x) => 1 / x));
        b = b.map((x, i) => x / v[i]!);
        break;
      case 'Add':
        b = b.map((x, i) => x + v[i]!);
        break;
      case 'Sub':
        b = b.map((x, i) => x - v[i]!);
        break;
    }
    const base = conv.name || 'conv';
    const w2 = w === weight ? conv.inputs[1]! : edit.initializer(`${base}/W_${r.op.toLowerCase()}`, w);
    const b2 = edit.initializer(`${base}/B_${r.op.toLowerCase()}`, tensorFromValues(weight.dtype, [k], b));
    const y = node.outputs[0]!;
    edit.graph.removeNode(node);
    conv.setInputs([conv.inputs[0]!, w2, b2]);
    conv.setOutputs([y]);
  },
});

/** Folds per-channel Mul/Div/Add/Sub after a Conv into the Conv. */
export function fuseConvAffine(model: Model): Model {
  return FUSE_CONV_AFFINE.run(model).model;
}
