import type { Node } from '../../ir/node.js';
import { formatRange, inRange, type DlaLimits } from '../limits.js';
import { PASS, dimsText, dlaRule, fail, note, quote, staticShape, windowGeometry, type WindowGeometry } from '../rule-kit.js';
import type { RuleContext, RuleDef, Verdict } from '../types.js';

/** L-CONV (Conv, and the 1x1 conv TensorRT makes of FC) and L-DECONV (ConvTranspose) rules. */

function weightDims(node: Node, ctx: RuleContext): readonly number[] | undefined {
  return staticShape(ctx, node.input(1));
}

function geometry(node: Node, ctx: RuleContext): WindowGeometry | undefined {
  return windowGeometry(node, ctx, weightDims(node, ctx));
}

/** First index where `ok` fails, with the value. */
function firstBad(values: readonly number[], ok: (v: number, i: number) => boolean): { i: number; v: number } | undefined {
  for (let i = 0; i < values.length; i++) if (!ok(values[i]!, i)) return { i, v: values[i]! };
  return undefined;
}

function spatialDimsRule(id: string, ref: string, what: string): RuleDef {
  return dlaRule({
    id,
    ref,
    conf: 'CONF',
    describe: (L) => `exactly ${L.conv.spatialDims} spatial dims (4-D NCHW input)`,
    check(node, ctx, L) {
      const g = geometry(node, ctx);
      const rank = ctx.shape(node.input(0) ?? '')?.length;
      const spatial = g?.kernel.length ?? (rank === undefined ? undefined : rank - 2);
      if (spatial === undefined || spatial === L.conv.spatialDims) return PASS;
      return fail(id, `${spatial}-D ${what} (${spatial} spatial dims); DLA ${what} has exactly 2 spatial dims${spatial === 1 ? ' (the parser wraps a 1-D one in rank-changing Shuffles, which run on the GPU)' : ''}`, {
        kind: 'restructure',
        text: spatial === 1 ? `write it as a 2-D ${what} with kernel 1×k on a 4-D tensor` : `volumetric ${what}s run on the GPU; fold a spatial dim into the batch or channels`,
      });
    },
  });
}

export const convSpatialDimsRule = spatialDimsRule('conv.spatial-dims', 'L-CONV C1', 'convolution');

export const convKernelSizeRule = dlaRule({
  id: 'conv.kernel-size',
  ref: 'L-CONV C2',
  conf: 'CONF',
  describe: (L) => `kernel ${formatRange(L.conv.kernel)} per spatial dim`,
  check(node, ctx, L) {
    const g = geometry(node, ctx);
    if (g === undefined) return PASS;
    const bad = firstBad(g.kernel, (k) => inRange(k, L.conv.kernel));
    if (bad === undefined) return PASS;
    return fail('conv.kernel-size', `kernel ${dimsText(g.kernel)}; DLA allows ${formatRange(L.conv.kernel)} per dim`, {
      kind: 'restructure',
      text: 'split the kernel into a stack of smaller convolutions',
    });
  },
});

export const convStrideRule = dlaRule({
  id: 'conv.stride',
  ref: 'L-CONV C3',
  conf: 'CONF',
  describe: (L) => `stride ${formatRange(L.conv.stride)} per spatial dim`,
  check(node, ctx, L) {
    const g = geometry(node, ctx);
    if (g === undefined) return PASS;
    if (firstBad(g.strides, (s) => inRange(s, L.conv.stride)) === undefined) return PASS;
    return fail('conv.stride', `stride ${dimsText(g.strides)}; DLA allows ${formatRange(L.conv.stride)} per dim`, {
      kind: 'restructure',
      text: 'split the stride: a conv with stride ≤ 8 followed by a pooling or strided 1×1 conv',
    });
  },
});

export const convPaddingRule = dlaRule({
  id: 'conv.padding',
  ref: 'L-CONV C4',
  conf: 'CONF',
  describe: (L) => `every pad (begin and end) ${formatRange(L.conv.pad)} and smaller than the kernel in that dim`,
  check(node, ctx, L) {
    const g = geometry(node, ctx);
    if (g?.padsBegin === undefined || g.padsEnd === undefined) return PASS;
    const pads = [...g.padsBegin, ...g.padsEnd];
    const n = g.kernel.length;
    const bad = firstBad(pads, (p, i) => inRange(p, L.conv.pad) && p < g.kernel[i % n]!);
    if (bad === undefined) return PASS;
    const k = g.kernel[bad.i % n]!;
    const why = !inRange(bad.v, L.conv.pad) ? `DLA allows ${formatRange(L.conv.pad)}` : `DLA needs each pad < the kernel size (${k} in that dim)`;
    return fail('conv.padding', `pads [${pads.join(',')}] (kernel ${dimsText(g.kernel)}): pad ${bad.v}; ${why}`, {
      kind: 'restructure',
      text: 'move the excess padding into an explicit zero Pad before the conv, run on the GPU, or reduce it',
    });
  },
});

export const convDilationRule = dlaRule({
  id: 'conv.dilation',
  ref: 'L-CONV C5',
  conf: 'CONF',
  describe: (L) => `dilation ${formatRange(L.conv.dilation)} per spatial dim`,
  check(node, ctx, L) {
    const g = geometry(node, ctx);
    if (g === undefined || firstBad(g.dilations, (d) => inRange(d, L.conv.dilation)) === undefined) return PASS;
    return fail('conv.dilation', `dilation ${dimsText(g.dilations)}; DLA allows ${formatRange(L.conv.dilation)} per dim`);
  },
});

export const convOutChannelsRule = dlaRule({
  id: 'conv.out-channels',
  ref: 'L-CONV C6',
  conf: 'CONF',
  describe: (L) => `output channels K ${formatRange(L.conv.outChannels)}`,
  check(node, ctx, L) {
    const k = weightDims(node, ctx)?.[0];
    if (k === undefined || inRange(k, L.conv.outChannels)) return PASS;
    return fail('conv.out-channels', `${k} output channels; DLA allows ${formatRange(L.conv.outChannels)}`, {
      kind: 'restructure',
      text: `split the conv along output channels into convs of ≤ ${L.conv.outChannels[1]} and concatenate`,
    });
  },
});

export const convGroupsRule = dlaRule({
  id: 'conv.groups',
  ref: 'L-CONV C7',
  conf: 'CONF',
  describe: (L) => `groups ≤ ${L.conv.groupsMax} (≤ ${L.conv.groupsMaxHwc4} when the conv reads a kDLA_HWC4 network input)`,
  check(node, _ctx, L) {
    const g = node.attrs.int('group', 1);
    if (g >= 1 && g <= L.conv.groupsMax) return PASS;
    return fail('conv.groups', `group ${g}; DLA allows 1..${L.conv.groupsMax}`);
  },
});

/** Banks the conv needs in the convolution buffer (reference C9). */
export function cbufBanks(
  L: DlaLimits,
  p: { inChannels: number; kernelChannels: number; kernelH: number; kernelW: number; dilationH: number; inputWidth: number; bytesPerElement: number },
): { weightBanks: number; dataBanks: number } {
  const { bankBytes, entriesPerBank } = L.conv.cbuf;
  const b = p.bytesPerElement;
  const weightBytes = Math.ceil((p.kernelChannels * p.kernelH * p.kernelW * b) / 128) * 128;
  const weightBanks = Math.ceil(weightBytes / bankBytes);
  const dataEntries = Math.ceil((Math.ceil((p.inChannels * b) / 32) * p.inputWidth) / 4);
  const effKH = (p.kernelH - 1) * p.dilationH + 1;
  const dataBanks = Math.ceil((dataEntries * effKH) / entriesPerBank);
  return { weightBanks, dataBanks };
}

export const convCbufRule = dlaRule({
  id: 'conv.cbuf',
  ref: 'L-CONV C9, G13',
  conf: 'CONF',
  describe: (L) =>
    `weight banks + data banks ≤ ${L.conv.cbuf.banks} (${L.conv.cbuf.bankBytes / 1024} KiB banks; C = all input channels for data, the kernel's channels for weights, width unpadded: UNCONF details)`,
  check(node, ctx, L) {
    const input = staticShape(ctx, node.input(0));
    const w = weightDims(node, ctx);
    const g = geometry(node, ctx);
    if (input === undefined || input.length !== 4 || w === undefined || w.length !== 4 || g === undefined) return PASS;
    const b = ctx.precision === 'int8' ? 1 : 2;
    const p = { inChannels: input[1]!, kernelChannels: w[1]!, kernelH: g.kernel[0]!, kernelW: g.kernel[1]!, dilationH: g.dilations[0] ?? 1, inputWidth: input[3]!, bytesPerElement: b };
    const { weightBanks, dataBanks } = cbufBanks(L, p);
    const total = weightBanks + dataBanks;
    if (total <= L.conv.cbuf.banks) return PASS;
    const prec = b === 1 ? 'INT8' : 'FP16';
    return fail(
      'conv.cbuf',
      `convolution buffer: ${weightBanks} weight + ${dataBanks} data banks = ${total} > ${L.conv.cbuf.banks} (${prec}, C=${p.inChannels}, input width ${p.inputWidth}, kernel ${p.kernelH}x${p.kernelW}, dilation ${p.dilationH})`,
      b === 2 && cbufBanks(L, { ...p, bytesPerElement: 1 }).weightBanks + cbufBanks(L, { ...p, bytesPerElement: 1 }).dataBanks <= L.conv.cbuf.banks
        ? { kind: 'precision', text: 'run this conv in INT8: it halves the buffer the data needs and then fits' }
        : { kind: 'restructure', text: 'tile the input width or split the input channels so each conv fits the convolution buffer' },
    );
  },
});

function weightsConstantRule(): RuleDef {
  return {
    id: 'weights.constant',
    ref: 'L-CONV C10, G11',
    conf: 'UNCONF',
    describe: () => 'weights and bias of Conv/ConvTranspose are build-time constants: initializers, Constant outputs, or folded from them at build (dynamic weights: treated as GPU)',
    check(node, ctx): Verdict {
      for (const i of [1, 2]) {
        const name = node.input(i);
        if (name !== undefined && !ctx.isConstant(name)) {
          return fail('weights.constant', `${i === 1 ? 'weight' : 'bias'} ${quote(name)} is computed at run time; the DLA needs build-time weights`, {
            kind: 'rewrite',
            text: 'fold the weight computation into an initializer (constant folding) before export',
          });
        }
      }
      return PASS;
    },
  };
}

export const weightsConstant = weightsConstantRule();

// ---- ConvTranspose (L-DECONV) ----

function deconvDimOk(values: readonly number[], range: readonly [number, number], extra: readonly number[]): boolean {
  if (values.every((v) => inRange(v, range))) return true;
  if (values.length !== 2) return false;
  const [a, b] = values as [number, number];
  return (extra.includes(a) && b === 1) || (extra.includes(b) && a === 1);
}

export const deconvSpatialDimsRule = spatialDimsRule('deconv.spatial-dims', 'L-DECONV D1', 'deconvolution');

export const deconvKernelSizeRule = dlaRule({
  id: 'deconv.kernel-size',
  ref: 'L-DECONV D2',
  conf: 'CONF',
  describe: (L) => `kernel ${formatRange(L.deconv.kernel)} per dim, or one dim in {${L.deconv.extra1D.join(',')}} with the other 1`,
  check(node, ctx, L) {
    const g = geometry(node, ctx);
    if (g === undefined || deconvDimOk(g.kernel, L.deconv.kernel, L.deconv.extra1D)) return PASS;
    return fail('deconv.kernel-size', `kernel ${dimsText(g.kernel)}; DLA allows ${formatRange(L.deconv.kernel)} per dim, or {${L.deconv.extra1D.join(',')}}×1`);
  },
});

export const deconvStrideRule = dlaRule({
  id: 'deconv.stride',
  ref: 'L-DECONV D3',
  conf: 'CONF',
  describe: (L) => `stride ${formatRange(L.deconv.stride)} per dim, or one dim in {${L.deconv.extra1D.join(',')}} with the other 1`,
  check(node, ctx, L) {
    const g = geometry(node, ctx);
    if (g === undefined || deconvDimOk(g.strides, L.deconv.stride, L.deconv.extra1D)) return PASS;
    return fail('deconv.stride', `stride ${dimsText(g.strides)}; DLA allows ${formatRange(L.deconv.stride)} per dim, or {${L.deconv.extra1D.join(',')}}×1`);
  },
});

export const deconvSquareRule = dlaRule({
  id: 'deconv.square-size',
  ref: 'L-DECONV D4',
  conf: 'UNCONF',
  describe: (L) => `no square kernel or stride with size in ${formatRange(L.deconv.squareDisabled)} (interpretation UNCONF)`,
  check(node, ctx, L) {
    const g = geometry(node, ctx);
    if (g === undefined || g.kernel.length !== 2) return PASS;
    for (const [what, v] of [['kernel', g.kernel], ['stride', g.strides]] as const) {
      if (v[0] === v[1] && inRange(v[0]!, L.deconv.squareDisabled)) {
        return fail('deconv.square-size', `square ${what} ${dimsText(v)}; TensorRT disables square deconvolution ${what}s of size ${formatRange(L.deconv.squareDisabled)} on the DLA`);
      }
    }
    return PASS;
  },
});

export const deconvPaddingRule = dlaRule({
  id: 'deconv.padding',
  ref: 'L-DECONV D5',
  conf: 'CONF',
  describe: () => 'no padding: pads all 0, auto_pad NOTSET/VALID (or SAME with kernel = stride), no output_padding, no cropping output_shape',
  check(node, ctx) {
    const g = geometry(node, ctx);
    if (g === undefined) return PASS;
    const outPad = node.attrs.ints('output_padding') ?? [];
    const problems: string[] = [];
    if (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER') {
      const total = g.kernel.map((k, i) => (outPad[i] ?? 0) + (k - 1) * (g.dilations[i] ?? 1) + 1 - (g.strides[i] ?? 1));
      if (total.some((t) => t !== 0)) problems.push(`auto_pad ${g.autoPad} pads by [${total.join(',')}]`);
    } else if (g.autoPad === 'NOTSET') {
      const pads = [...(g.padsBegin ?? []), ...(g.padsEnd ?? [])];
      if (pads.some((p) => p !== 0)) problems.push(`pads [${pads.join(',')}]`);
    }
    if (outPad.some((p) => p !== 0)) problems.push(`output_padding [${outPad.join(',')}] (the parser adds a Slice after it)`);
    const outShape = node.attrs.ints('output_shape');
    const input = staticShape(ctx, node.input(0));
    if (outShape !== undefined && input !== undefined && input.length === g.kernel.length + 2) {
      const natural = g.kernel.map((k, i) => (g.strides[i] ?? 1) * (input[i + 2]! - 1) + (k - 1) * (g.dilations[i] ?? 1) + 1 + (outPad[i] ?? 0));
      const wanted = outShape.slice(-g.kernel.length);
      if (wanted.some((w, i) => w !== natural[i])) problems.push(`output_shape ${dimsText(wanted)} crops the natural ${dimsText(natural)}`);
    }
    if (problems.length === 0) return PASS;
    return fail('deconv.padding', `${problems.join('; ')}; DLA deconvolution takes no padding`, {
      kind: 'restructure',
      text: 'use kernel = stride with no padding (the form the DLA FAQ recommends), or an unpadded deconv followed by a crop',
    });
  },
});

export const deconvGroupsRule = dlaRule({
  id: 'deconv.groups',
  ref: 'L-DECONV D6',
  conf: 'CONF',
  describe: () => 'group = 1 (no grouped deconvolution)',
  check(node) {
    const g = node.attrs.int('group', 1);
    return g === 1 ? PASS : fail('deconv.groups', `group ${g}; DLA deconvolution allows group 1 only`);
  },
});

export const deconvDilationRule = dlaRule({
  id: 'deconv.dilation',
  ref: 'L-DECONV D7',
  conf: 'CONF',
  describe: () => 'dilation 1',
  check(node, ctx) {
    const g = geometry(node, ctx);
    if (g === undefined || g.dilations.every((d) => d === 1)) return PASS;
    return fail('deconv.dilation', `dilation ${dimsText(g.dilations)}; DLA deconvolution allows dilation 1 only`);
  },
});

export const deconvChannelsRule = dlaRule({
  id: 'deconv.channels',
  ref: 'L-DECONV D8',
  conf: 'CONF',
  describe: (L) => `input and output channels ${formatRange(L.deconv.channels)}`,
  check(node, ctx, L) {
    const c = staticShape(ctx, node.input(0))?.[1];
    const w = weightDims(node, ctx);
    const k = w?.[1] === undefined ? undefined : w[1] * node.attrs.int('group', 1);
    for (const [what, v] of [['input', c], ['output', k]] as const) {
      if (v !== undefined && !inRange(v, L.deconv.channels)) return fail('deconv.channels', `${v} ${what} channels; DLA allows ${formatRange(L.deconv.channels)}`);
    }
    return PASS;
  },
});

export const deconvStrideHint: RuleDef = {
  id: 'deconv.stride-hint',
  ref: 'L-DECONV hint (R-FAQ)',
  conf: 'CONF',
  describe: () => 'hint only: the DLA FAQ recommends stride = kernel for transposed convolutions',
  check(node, ctx) {
    const g = geometry(node, ctx);
    if (g === undefined || g.kernel.every((k, i) => k === g.strides[i])) return PASS;
    return note(`stride ${dimsText(g.strides)} differs from kernel ${dimsText(g.kernel)}; the DLA FAQ recommends stride = kernel`);
  },
};

export const CONV_RULES: readonly RuleDef[] = [
  convSpatialDimsRule,
  convKernelSizeRule,
  convStrideRule,
  convPaddingRule,
  convDilationRule,
  convOutChannelsRule,
  convGroupsRule,
  convCbufRule,
  weightsConstant,
];

export const DECONV_RULES: readonly RuleDef[] = [
  deconvSpatialDimsRule,
  deconvKernelSizeRule,
  deconvStrideRule,
  deconvSquareRule,
  deconvPaddingRule,
  deconvGroupsRule,
  deconvDilationRule,
  deconvChannelsRule,
  deconvStrideHint,
];
