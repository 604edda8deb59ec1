import type { Model } from '../ir/model.js';
import { tensorFromValues } from '../ir/tensor-values.js';
import { biasValues, constConv, scaleOutputChannels } from './conv-weights.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface ConvBatchNormRewrite extends Rewrite {
  readonly epsilon: number;
}

/**
 * Folds an inference BatchNormalization into the Conv before it: W' = W·s, b' = (b − mean)·s + β with
 * s = γ / sqrt(var + ε). Needs constant BN parameters, the Conv's output read by the BN alone, and
 * BN's training outputs unused.
 */
export const FUSE_CONV_BATCH_NORM = definePass<ConvBatchNormRewrite>({
  name: 'fuse-conv-batchnorm',
  kind: 'fusion',
  summary: 'folds a BatchNormalization with constant parameters into the Conv that feeds it',
  recipes: [],
  find(facts) {
    const out: ConvBatchNormRewrite[] = [];
    for (const bn of facts.nodes) {
      if (bn.op !== 'BatchNormalization' || bn.domain !== '' || bn.attrs.int('training_mode', 0) !== 0) continue;
      // before opset 9, spatial=0 meant statistics per element, not per channel
      if (bn.attrs.int('spatial', 1) !== 1) continue;
      if (bn.outputs.slice(1).some((o) => o !== '' && (facts.consumers(o).length > 0 || facts.isGraphOutput(o)))) continue;
      const x = bn.input(0);
      const conv = x === undefined ? undefined : facts.producer(x);
      if (x === undefined || conv === undefined || facts.soleConsumer(x) !== bn) continue;
      const c = constConv(facts, conv);
      if (c === undefined) continue;
      const params = [1, 2, 3, 4].map((i) => facts.constant(bn.input(i)));
      if (params.some((p) => p === undefined || p.size !== c.k || p.dtype !== c.dtype)) continue;
      if (!facts.claim([conv, bn])) continue;
      out.push({ nodes: [nodeKey(conv), nodeKey(bn)], summary: `${nodeLabel(bn)} folded into ${nodeLabel(conv)}`, epsilon: bn.attrs.float('epsilon', 1e-5) });
    }
    return out;
  },
  rewrite(edit, r) {
    const conv = edit.node(r.nodes[0]!);
    const bn = edit.node(r.nodes[1]!);
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => edit.values(bn.inputs[i]!)) as [number[], number[], number[], number[]];
    const weight = edit.constant(conv.inputs[1]!);
    const k = weight.dims[0]!;
    const s = gamma.map((g, i) => g / Math.sqrt(variance[i]! + r.epsilon));
    const b = biasValues(conv.input(2) === undefined ? undefined : edit.constant(conv.inputs[2]!), k).map((v, i) => (v - mean[i]!) * s[i]! + beta[i]!);
    const w2 = edit.initializer(`${conv.name || 'conv'}/W_bn`, scaleOutputChannels(weight, s));
    const b2 = edit.initializer(`${conv.name || 'conv'}/B_bn`, tensorFromValues(weight.dtype, [k], b));
    const y = bn.outputs[0]!;
    edit.graph.removeNode(bn);
    conv.setInputs([conv.inputs[0]!, w2, b2]);
    conv.setOutputs([y]);
  },
});

/** Folds BatchNormalization into the preceding Conv. */
export function fuseConvBatchNorm(model: Model): Model {
  return FUSE_CONV_BATCH_NORM.run(model).model;
}
