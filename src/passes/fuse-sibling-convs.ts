import { quote } from '../util/text.js';
import type { Model } from '../ir/model.js';
import { tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import { biasValues, constConv, type ConstConv } from './conv-weights.js';
import { nodeKey, nodeLabel } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface SiblingConvsRewrite extends Rewrite {
  /** Output channels of each merged conv, in `nodes` order. */
  readonly channels: readonly number[];
}

/** L-CONV C6: at most 8192 output channels per DLA conv. */
const MAX_OUT_CHANNELS = 8192;

/**
 * R-HFUSE: Convs that read the same tensor with identical attributes and kernel size become one Conv
 * with the weights (and biases) stacked along output channels, followed by a Split that restores each
 * original output. Only Convs that feed the same graph outputs merge (a merge never moves one head's
 * work into a part several heads share), and only up to 8192 channels in all.
 */
export const FUSE_SIBLING_CONVS = definePass<SiblingConvsRewrite>({
  name: 'fuse-sibling-convs',
  kind: 'fusion',
  summary: 'merges Convs that read the same tensor with the same attributes into one Conv and a Split',
  recipes: ['R-HFUSE'],
  find(facts) {
    const groups = new Map<string, ConstConv[]>();
    for (const node of facts.nodes) {
      const c = constConv(facts, node);
      if (c === undefined || node.attrs.int('group', 1) !== 1 || node.outputs.length !== 1) continue;
      const key = JSON.stringify([
        c.x,
        c.dtype,
        c.weight.dims.slice(1),
        node.attrs.ints('strides') ?? null,
        node.attrs.ints('pads') ?? null,
        node.attrs.ints('dilations') ?? null,
        node.attrs.string('auto_pad', 'NOTSET'),
        facts.outputsReached(node),
      ]);
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const out: SiblingConvsRewrite[] = [];
    for (const group of groups.values()) {
      const members: ConstConv[] = [];
      let total = 0;
      for (const c of group) {
        if (total + c.k > MAX_OUT_CHANNELS) continue;
        members.push(c);
        total += c.k;
      }
      if (members.length < 2 || !facts.claim(members.map((c) => c.node))) continue;
      out.push({
        nodes: members.map((c) => nodeKey(c.node)),
        summary: `${members.map((c) => nodeLabel(c.node)).join(' + ')} on ${quote(members[0]!.x)} → one Conv of ${total} channels and a Split`,
        channels: members.map((c) => c.k),
      });
    }
    return out;
  },
  rewrite(edit, r) {
    const convs = r.nodes.map((k) => edit.node(k));
    const first = convs[0]!;
    const weights = convs.map((c) => edit.constant(c.inputs[1]!));
    const w0 = weights[0]!;
    const total = r.channels.reduce((a, b) => a + b, 0);
    const w = tensorFromValues(w0.dtype, [total, ...w0.dims.slice(1)], weights.flatMap((t) => tensorValues(t)));
    const hasBias = convs.some((c) => c.input(2) !== undefined);
    const e = edit.emitter(first.name || 'conv');
    const wName = edit.initializer(`${first.name || 'conv'}/W_merged`, w);
    const bName = hasBias
      ? edit.initializer(
          `${first.name || 'conv'}/B_merged`,
          tensorFromValues(w0.dtype, [total], convs.flatMap((c, i) => biasValues(c.input(2) === undefined ? undefined : edit.constant(c.inputs[2]!), r.channels[i]!))),
        )
      : undefined;
    const merged = e.op1('Conv', [first.inputs[0]!, wName, bName], Object.fromEntries(first.attrs));
    e.split(merged, r.channels, 1, convs.map((c) => c.outputs[0]!));
    edit.replace(convs, e.nodes);
  },
});

/** Merges sibling Convs with identical attributes. */
export function fuseSiblingConvs(model: Model): Model {
  return FUSE_SIBLING_CONVS.run(model).model;
}
