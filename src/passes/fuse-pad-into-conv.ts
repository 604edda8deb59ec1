import { attr } from '../ir/attribute.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface PadIntoConvRewrite extends Rewrite {
  /** New `pads` of each consuming Conv (in the order of `nodes[1..]`). */
  readonly convPads: readonly (readonly number[])[];
}

/** DLA conv pads (L-CONV C4): each at most 31 and smaller than the kernel in its dimension. */
const MAX_CONV_PAD = 31;

/**
 * R-PAD: a zero constant-mode Pad on the spatial dims, read only by Convs (as their data input), is
 * removed and its amounts added to each Conv's `pads`. Applied only where every resulting pad stays
 * within L-CONV C4 (≤ 31 and < kernel size).
 */
export const FUSE_PAD_INTO_CONV = definePass<PadIntoConvRewrite>({
  name: 'fuse-pad-into-conv',
  kind: 'fusion',
  summary: 'folds a zero Pad on H/W into the pads of the Convs that read it',
  recipes: ['R-PAD'],
  find(facts) {
    const out: PadIntoConvRewrite[] = [];
    for (const pad of facts.nodes) {
      const r = plan(facts, pad);
      if (r !== undefined) out.push(r);
    }
    return out;
  },
  rewrite(edit, r) {
    const pad = edit.node(r.nodes[0]!);
    const x = pad.inputs[0]!;
    r.nodes.slice(1).forEach((key, i) => {
      const conv = edit.node(key);
      conv.attrs.set('pads', attr.ints(r.convPads[i]!));
      conv.setInput(0, x);
    });
    edit.graph.removeNode(pad);
  },
});

function plan(f: GraphFacts, pad: Node): PadIntoConvRewrite | undefined {
  if (pad.op !== 'Pad' || pad.domain !== '' || pad.attrs.string('mode', 'constant') !== 'constant') return undefined;
  const x = pad.input(0);
  const y = pad.outputs[0]!;
  const rank = x === undefined ? undefined : f.rank(x);
  if (x === undefined || rank === undefined || rank < 3 || f.isGraphOutput(y)) return undefined;
  const value = pad.attrs.float('value') ?? f.values(pad.input(2))?.[0] ?? 0;
  if (value !== 0 || (pad.input(2) !== undefined && !f.isConstant(pad.input(2)))) return undefined;
  const raw = pad.attrs.ints('pads') ?? f.values(pad.input(1));
  if (raw === undefined) return undefined;
  const axesIn = pad.input(3);
  const axes = axesIn === undefined ? Array.from({ length: rank }, (_, i) => i) : f.values(axesIn)?.map((a) => (a < 0 ? a + rank : a));
  if (axes === undefined || raw.length !== 2 * axes.length) return undefined;
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => {
    begin[a] = raw[i]!;
    end[a] = raw[i + axes.length]!;
  });
  if (begin[0] !== 0 || end[0] !== 0 || begin[1] !== 0 || end[1] !== 0 || [...begin, ...end].some((p) => p < 0)) return undefined;
  const spatial = rank - 2;
  const convs = f.consumers(y);
  if (convs.length === 0) return undefined;
  const convPads: number[][] = [];
  for (const conv of convs) {
    if (conv.op !== 'Conv' || conv.domain !== '' || conv.input(0) !== y || conv.inputs.slice(1).includes(y)) return undefined;
    if (conv.attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') return undefined;
    const kernel = conv.attrs.ints('kernel_shape') ?? f.shape(conv.inputs[1]!)?.slice(2);
    if (kernel === undefined || kernel.length !== spatial || kernel.some((k) => typeof k !== 'number')) return undefined;
    const old = conv.attrs.ints('pads') ?? new Array<number>(2 * spatial).fill(0);
    const next = old.map((p, i) => p + (i < spatial ? begin[2 + i]! : end[2 + i - spatial]!));
    if (next.some((p, i) => p > MAX_CONV_PAD || p >= (kernel[i % spatial] as number))) return undefined;
    convPads.push(next);
  }
  if (!f.claim([pad, ...convs])) return undefined;
  return {
    nodes: [nodeKey(pad), ...convs.map(nodeKey)],
    summary: `${nodeLabel(pad)} folded into the pads of ${convs.map(nodeLabel).join(', ')}`,
    convPads,
  };
}

/** Folds zero Pads into the Convs that read them. */
export function fusePadIntoConv(model: Model): Model {
  return FUSE_PAD_INTO_CONV.run(model).model;
}
