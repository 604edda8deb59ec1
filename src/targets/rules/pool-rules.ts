import { quote } from '../../util/text.js';
import type { Node } from '../../ir/node.js';
import { formatRange, inRange } from '../limits.js';
import { PASS, dimsText, dlaRule, fail, note, normAxis, windowGeometry } from '../rule-kit.js';
import type { RuleContext, RuleDef, Verdict } from '../types.js';

/** L-POOL (MaxPool, AveragePool) and L-REDUCE (ReduceMax, GlobalMaxPool) rules. */

export const poolSpatialDimsRule = dlaRule({
  id: 'pool.spatial-dims',
  ref: 'L-POOL P1',
  conf: 'CONF',
  describe: () => 'exactly 2 spatial dims (4-D NCHW input)',
  check(node, ctx) {
    const g = windowGeometry(node, ctx);
    if (g === undefined || g.kernel.length === 2) return PASS;
    return fail('pool.spatial-dims', `${g.kernel.length}-D pooling; DLA pooling has exactly 2 spatial dims`, {
      kind: 'restructure',
      text: g.kernel.length === 1 ? 'write it as a 2-D pooling with window 1×k on a 4-D tensor' : 'volumetric pooling runs on the GPU',
    });
  },
});

export const poolWindowRule = dlaRule({
  id: 'pool.window',
  ref: 'L-POOL P3',
  conf: 'CONF',
  describe: (L) => `window ${formatRange(L.pool.window)} per dim`,
  check(node, ctx, L) {
    const g = windowGeometry(node, ctx);
    if (g === undefined || g.kernel.every((k) => inRange(k, L.pool.window))) return PASS;
    return fail('pool.window', `window ${dimsText(g.kernel)}; DLA allows ${formatRange(L.pool.window)} per dim`, {
      kind: 'restructure',
      text: `chain poolings whose windows multiply to it, each ≤ ${L.pool.window[1]}`,
    });
  },
});

export const poolStrideRule = dlaRule({
  id: 'pool.stride',
  ref: 'L-POOL P4',
  conf: 'CONF',
  describe: (L) => `stride ${formatRange(L.pool.stride)} per dim`,
  check(node, ctx, L) {
    const g = windowGeometry(node, ctx);
    if (g === undefined || g.strides.every((s) => inRange(s, L.pool.stride))) return PASS;
    return fail('pool.stride', `stride ${dimsText(g.strides)}; DLA allows ${formatRange(L.pool.stride)} per dim`);
  },
});

export const poolPaddingRule = dlaRule({
  id: 'pool.padding',
  ref: 'L-POOL P5',
  conf: 'CONF',
  describe: (L) => `every pad ${formatRange(L.pool.pad)}`,
  check(node, ctx, L) {
    const g = windowGeometry(node, ctx);
    if (g?.padsBegin === undefined || g.padsEnd === undefined) return PASS;
    const pads = [...g.padsBegin, ...g.padsEnd];
    if (pads.every((p) => inRange(p, L.pool.pad))) return PASS;
    return fail('pool.padding', `pads [${pads.join(',')}]; DLA allows ${formatRange(L.pool.pad)} per pad`);
  },
});

export const poolDilationRule = dlaRule({
  id: 'pool.dilation',
  ref: 'L-POOL P8',
  conf: 'CONF',
  describe: () => 'dilations 1 (the TensorRT parser rejects dilated pooling)',
  check(node) {
    const d = node.attrs.ints('dilations');
    if (d === undefined || d.every((x) => x === 1)) return PASS;
    return fail('pool.dilation', `dilations ${dimsText(d)}; the TensorRT ONNX parser rejects dilated pooling`);
  },
});

export const poolIndicesRule: RuleDef = {
  id: 'pool.indices',
  ref: 'MaxPool row (P86)',
  conf: 'CONF',
  describe: () => 'MaxPool without the Indices output (the parser does not support it)',
  check(node) {
    if (node.outputs[1] === undefined || node.outputs[1] === '') return PASS;
    return fail('pool.indices', `MaxPool writes its Indices output ${quote(node.outputs[1])}; the TensorRT parser does not support it`, {
      kind: 'rewrite',
      text: 'drop the Indices output where nothing needs it (max-unpooling decoders need another design)',
    });
  },
};

export const poolCountIncludePadRule = dlaRule({
  id: 'pool.count-include-pad',
  ref: 'L-POOL P7',
  conf: 'CONF',
  describe: (L) => (L.pool.avgMustIncludePad ? 'AveragePool count_include_pad = 1 (Xavier counts padding)' : 'no restriction on this DLA generation'),
  check(node, _ctx, L) {
    if (!L.pool.avgMustIncludePad || node.attrs.int('count_include_pad', 0) === 1) return PASS;
    const pads = node.attrs.ints('pads') ?? [];
    const padded = pads.some((p) => p !== 0) || node.attrs.string('auto_pad', 'NOTSET').startsWith('SAME');
    return fail('pool.count-include-pad', `count_include_pad = 0 (exclusive average); the 1st-gen DLA averages over padding too${padded ? '' : ' (checked even without pads: UNCONF)'}`, {
      kind: 'attribute',
      text: padded ? 'set count_include_pad = 1 (changes the border values) or remove the padding' : 'set count_include_pad = 1: with no padding the result is identical',
    });
  },
});

export const poolCeilModeNote: RuleDef = {
  id: 'pool.ceil-mode',
  ref: 'L-POOL P8',
  conf: 'UNCONF',
  describe: () => 'hint only: ceil_mode = 1 becomes a round-up padding mode whose DLA acceptance is unconfirmed',
  check(node): Verdict {
    return node.attrs.int('ceil_mode', 0) === 1 ? note('ceil_mode = 1 becomes TensorRT round-up padding; DLA acceptance is unconfirmed (P8)') : PASS;
  },
};

export const poolInt8Note: RuleDef = {
  id: 'pool.int8-ranges',
  ref: 'L-POOL P6',
  conf: 'CONF',
  describe: () => 'hint only: in INT8 the input and output dynamic ranges must be equal',
  check(_node, ctx) {
    return ctx.precision === 'int8' ? note('INT8 pooling needs equal input and output dynamic ranges (P6): give both tensors one scale') : PASS;
  },
};

export const POOL_RULES: readonly RuleDef[] = [
  poolSpatialDimsRule,
  poolWindowRule,
  poolStrideRule,
  poolPaddingRule,
  poolDilationRule,
  poolCeilModeNote,
  poolInt8Note,
];

// ---- L-REDUCE ----

/** The reduced axes of a Reduce* node: attribute (opset < 18) or input 1; undefined for "all". */
function reduceAxes(node: Node, ctx: RuleContext, rank: number): number[] | null | undefined {
  let axes: readonly number[] | undefined = node.attrs.ints('axes');
  const input = node.input(1);
  if (axes === undefined && input !== undefined) {
    const v = ctx.values(input);
    if (v === undefined) return null;
    axes = v;
  }
  if (axes === undefined || axes.length === 0) {
    return node.attrs.int('noop_with_empty_axes', 0) === 1 ? [] : undefined;
  }
  return axes.map((a) => normAxis(a, rank) ?? a);
}

export const reduceRankRule: RuleDef = {
  id: 'reduce.rank',
  ref: 'L-REDUCE, G7',
  conf: 'UNCONF',
  describe: () => 'input is 4-D NCHW (UNCONF: the reference leaves the 4-D requirement open; tandem requires it)',
  check(node, ctx) {
    const rank = ctx.shape(node.input(0) ?? '')?.length;
    if (rank === undefined || rank === 4) return PASS;
    return fail('reduce.rank', `input is ${rank}-D; tandem requires a 4-D NCHW input for a DLA reduce (UNCONF)`);
  },
};

export const reduceAxesRule: RuleDef = {
  id: 'reduce.axes',
  ref: 'L-REDUCE',
  conf: 'CONF',
  describe: () => 'MAX over any subset of C, H, W; never the batch dim; axes known at build time',
  check(node, ctx) {
    if (node.op === 'GlobalMaxPool') return PASS;
    const rank = ctx.shape(node.input(0) ?? '')?.length;
    if (rank === undefined) return PASS;
    const axes = reduceAxes(node, ctx, rank);
    if (axes === null) return fail('reduce.axes', 'axes are computed at run time; the DLA reduce needs constant axes');
    const all = axes ?? Array.from({ length: rank }, (_, i) => i);
    const batchAxes = all.filter((a) => a < rank - 3);
    if (batchAxes.length === 0) return PASS;
    return fail('reduce.axes', `reduces axes [${all.join(',')}] of a ${rank}-D tensor, including batch axis ${batchAxes[0]}; the DLA reduces only C, H, W`);
  },
};

export const reduceKeepdimsRule: RuleDef = {
  id: 'reduce.keepdims',
  ref: 'L-REDUCE',
  conf: 'UNCONF',
  describe: () => 'keepdims = 1 (UNCONF: a rank-changing reduce needs a Shuffle, which leaves 4-D)',
  check(node) {
    if (node.op === 'GlobalMaxPool' || node.attrs.int('keepdims', 1) === 1) return PASS;
    return fail('reduce.keepdims', 'keepdims = 0 drops the reduced dims (a rank change); tandem requires keepdims = 1 for a DLA reduce (UNCONF)', {
      kind: 'attribute',
      text: 'set keepdims = 1 and drop the unit dims later, on the GPU side or in a consumer that accepts them',
    });
  },
};

export const REDUCE_RULES: readonly RuleDef[] = [reduceRankRule, reduceAxesRule, reduceKeepdimsRule];
