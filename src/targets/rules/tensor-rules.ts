import type { Node } from '../../ir/node.js';
import { formatRange, inRange } from '../limits.js';
import { PASS, dataInputs, dlaRule, fail, fmt, normAxis, note, noteRule, quote, staticShape } from '../rule-kit.js';
import type { RuleContext, RuleDef, Verdict } from '../types.js';

/** L-CONCAT, L-SLICE (Slice, Split), L-SOFTMAX, L-SHUFFLE (Reshape, Transpose) and L-MATMUL rules. */

// ---- L-CONCAT ----

export const concatAxisRule: RuleDef = {
  id: 'concat.axis',
  ref: 'L-CONCAT',
  conf: 'CONF',
  describe: () => 'concatenation along the channel axis (third from last: C of NCHW)',
  check(node, ctx) {
    const rank = ctx.shape(node.outputs[0] ?? '')?.length;
    if (rank === undefined) return PASS;
    const axis = node.attrs.int('axis', 0);
    const a = normAxis(axis, rank);
    if (a !== undefined && a === rank - 3) return PASS;
    return fail('concat.axis', `axis ${axis} of a ${rank}-D tensor${rank >= 3 ? ` (channel axis is ${rank - 3})` : ''}; the DLA concatenates along channels only`, {
      kind: 'restructure',
      text: 'concatenate along channels (NCHW axis 1), transposing the concatenated dim into C if needed',
    });
  },
};

export const concatInputsRule: RuleDef = {
  id: 'concat.inputs',
  ref: 'L-CONCAT',
  conf: 'CONF',
  describe: () => 'at least 2 inputs',
  check(node) {
    const n = node.inputs.filter((i) => i !== '').length;
    return n >= 2 ? PASS : fail('concat.inputs', `${n} input; DLA concatenation needs at least 2`, { kind: 'rewrite', text: 'a one-input Concat is an identity: remove it' });
  },
};

export const concatConstantRule: RuleDef = {
  id: 'concat.constant-input',
  ref: 'G11',
  conf: 'CONF',
  describe: () => 'no constant input: a stand-alone constant is an IConstantLayer, which the DLA does not run',
  check(node, ctx) {
    const c = node.inputs.find((i) => i !== '' && ctx.isConstant(i));
    if (c === undefined) return PASS;
    return fail('concat.constant-input', `input ${quote(c)} is a constant; TensorRT makes it an IConstantLayer ("CONSTANT: Unsupported on DLA")`, {
      kind: 'rewrite',
      text: 'produce the constant part with a DLA layer (e.g. a 1×1 conv bias on a zero input) or concatenate on the GPU side',
    });
  },
};

export const concatInt8Note = noteRule('concat.int8-ranges', 'L-CONCAT', 'CONF', 'INT8 concatenation: every input and the output share one dynamic range', (_n, ctx) => ctx.precision === 'int8');

// ---- L-SLICE (Slice, Split) ----

/** The constant parameter inputs of a Slice (opset ≥ 10) or Split (opset ≥ 13 `split` input). */
function paramInputs(node: Node): string[] {
  return node.inputs.slice(1).filter((i) => i !== '');
}

export const sliceConstantRule: RuleDef = {
  id: 'slice.constant-params',
  ref: 'L-SLICE S1',
  conf: 'CONF',
  describe: () => 'starts, ends, axes, steps (Split: split sizes) are build-time constants',
  check(node, ctx) {
    const d = paramInputs(node).find((i) => !ctx.isConstant(i));
    if (d === undefined) return PASS;
    return fail('slice.constant-params', `${node.op} parameter ${quote(d)} is computed at run time; DLA Slice needs build-time constants`, {
      kind: 'static-shape',
      text: 'make the slice bounds static (fix the input shapes so the shape computation folds)',
    });
  },
};

interface SliceSpec {
  axes: number[];
  starts: number[];
  ends: number[];
  steps: number[];
}

function sliceSpec(node: Node, ctx: RuleContext, rank: number): SliceSpec | undefined {
  const read = (i: number, attr: string): readonly number[] | undefined => {
    if (ctx.opset < 10) return node.attrs.ints(attr);
    const name = node.input(i);
    return name === undefined ? undefined : ctx.values(name);
  };
  const starts = read(1, 'starts');
  const ends = read(2, 'ends');
  if (starts === undefined || ends === undefined) return undefined;
  const axes = (read(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank) ?? a);
  const steps = ctx.opset < 10 ? starts.map(() => 1) : [...(read(4, 'steps') ?? starts.map(() => 1))];
  return { axes, starts: [...starts], ends: [...ends], steps };
}

export const sliceStepRule: RuleDef = {
  id: 'slice.step',
  ref: 'L-SLICE S2',
  conf: 'CONF',
  describe: () => 'step 1 in every dim',
  check(node, ctx) {
    const rank = ctx.shape(node.input(0) ?? '')?.length;
    const spec = rank === undefined ? undefined : sliceSpec(node, ctx, rank);
    if (spec === undefined || spec.steps.every((s) => s === 1)) return PASS;
    return fail('slice.step', `steps [${spec.steps.join(',')}]; DLA Slice allows step 1 only`, {
      kind: 'restructure',
      text: 'a stride-2 subsampling can be a 1×1 conv with stride 2 (channel-preserving weights) on the DLA',
    });
  },
};

export const sliceBatchAxisRule: RuleDef = {
  id: 'slice.batch-axis',
  ref: 'L-SLICE S3',
  conf: 'CONF',
  describe: () => 'no slicing along the first dim (dim 0)',
  check(node, ctx) {
    const shape = ctx.shape(node.input(0) ?? '');
    if (shape === undefined) return PASS;
    if (node.op === 'Split') {
      const axis = normAxis(node.attrs.int('axis', 0), shape.length);
      return axis === 0 ? fail('slice.batch-axis', `Split along axis 0; DLA Slice cannot slice dim 0`) : PASS;
    }
    const spec = sliceSpec(node, ctx, shape.length);
    if (spec === undefined) return PASS;
    const i = spec.axes.indexOf(0);
    if (i < 0) return PASS;
    const dim = shape[0];
    const start = spec.starts[i]!;
    const end = spec.ends[i]!;
    const full = (start === 0 || (typeof dim === 'number' && start <= -dim)) && typeof dim === 'number' && (end >= dim || end >= 2 ** 31 - 1);
    return full ? PASS : fail('slice.batch-axis', `slices dim 0 [${start}:${end}] of ${fmt(shape)}; DLA Slice cannot slice dim 0`);
  },
};

export const sliceRankRule: RuleDef = {
  id: 'slice.rank',
  ref: 'L-SLICE S4',
  conf: 'CONF',
  describe: () => 'input is 4-D',
  check(node, ctx) {
    const rank = ctx.shape(node.input(0) ?? '')?.length;
    if (rank === undefined || rank === 4) return PASS;
    return fail('slice.rank', `${node.op} input is ${rank}-D; DLA Slice needs a 4-D input`, { kind: 'restructure', text: 'keep the tensor 4-D (NCHW) where it is sliced' });
  },
};

export const sliceInt8Note = noteRule('slice.int8', 'L-SLICE S7', 'UNCONF', 'the ~8.5 guide lists DLA Slice in FP16 only (INT8 later, version unconfirmed): it may run in FP16', (_n, ctx) => ctx.precision === 'int8');

// ---- L-SOFTMAX ----

export const softmaxOpsetRule: RuleDef = {
  id: 'softmax.opset',
  ref: 'L-SOFTMAX X6',
  conf: 'UNCONF',
  describe: () => 'opset ≥ 13 (older Softmax is flattened to 2-D by the parser with rank-changing Shuffles)',
  check(node, ctx) {
    if (ctx.opset >= 13 || node.op !== 'Softmax') return PASS;
    return fail('softmax.opset', `opset ${ctx.opset} Softmax: the parser flattens it to 2-D with Shuffles; DLA handling of that form is unconfirmed`, {
      kind: 'rewrite',
      text: 're-export with opset ≥ 13 so Softmax keeps its 4-D input and explicit axis',
    });
  },
};

export const softmaxRankRule: RuleDef = {
  id: 'softmax.rank',
  ref: 'L-SOFTMAX X6, G7',
  conf: 'UNCONF',
  describe: () => 'input is 4-D NCHW (UNCONF: tandem requires it)',
  check(node, ctx) {
    const rank = ctx.shape(node.input(0) ?? '')?.length;
    if (rank === undefined || rank === 4) return PASS;
    return fail('softmax.rank', `input is ${rank}-D; tandem requires a 4-D input for a DLA Softmax (UNCONF)`, { kind: 'restructure', text: 'keep the Softmax input 4-D (NCHW) with the axis on C, H or W' });
  },
};

export const softmaxAxisRule: RuleDef = {
  id: 'softmax.axis',
  ref: 'L-SOFTMAX X2',
  conf: 'CONF',
  describe: () => 'a single axis among C, H, W (not a batch dim)',
  check(node, ctx) {
    const rank = ctx.shape(node.input(0) ?? '')?.length;
    if (rank === undefined) return PASS;
    const axis = node.attrs.int('axis', ctx.opset >= 13 ? -1 : 1);
    const a = normAxis(axis, rank);
    if (a !== undefined && a >= rank - 3 && !(rank === 4 && a === 0)) return PASS;
    return fail('softmax.axis', `axis ${axis} of a ${rank}-D tensor is a batch dim; DLA Softmax runs over C, H or W`);
  },
};

export const softmaxLengthRule = dlaRule({
  id: 'softmax.axis-length',
  ref: 'L-SOFTMAX X3, X4',
  conf: 'CONF',
  describe: (L) => `axis length ≤ ${L.softmax.axisMaxExact} when every other non-batch dim is 1, else ≤ ${L.softmax.axisMaxApprox} (approximate mode)`,
  check(node, ctx, L) {
    const shape = staticShape(ctx, node.input(0));
    if (shape === undefined) return PASS;
    const rank = shape.length;
    const a = normAxis(node.attrs.int('axis', ctx.opset >= 13 ? -1 : 1), rank);
    if (a === undefined) return PASS;
    const len = shape[a]!;
    const others = shape.filter((_, i) => i !== a && i >= rank - 3);
    const exact = others.every((d) => d === 1);
    const max = exact ? L.softmax.axisMaxExact : L.softmax.axisMaxApprox;
    if (len <= max) {
      return !exact && len > 1 ? note(`axis length ${len} runs in the DLA's approximate Softmax mode (error grows toward ${L.softmax.axisMaxApprox}, X4)`) : PASS;
    }
    return fail('softmax.axis-length', `axis length ${len} of ${fmt(shape)}; DLA allows ≤ ${max}${exact ? '' : ` when other non-batch dims are not 1 (≤ ${L.softmax.axisMaxExact} only when they all are)`}`);
  },
});

export const softmaxInt8Note = noteRule('softmax.int8', 'L-SOFTMAX X5', 'UNCONF', 'DLA Softmax is FP16 in the ~8.5 guide (INT8 unconfirmed): expect it to run in FP16', (_n, ctx) => ctx.precision === 'int8');

// ---- L-SHUFFLE (Reshape, Transpose) ----

export const shuffleRankRule: RuleDef = {
  id: 'shuffle.rank',
  ref: 'L-SHUFFLE SH2',
  conf: 'UNCONF',
  describe: () => 'input and output are 4-D (UNCONF, the reference checker rule)',
  check(node, ctx) {
    const i = ctx.shape(node.input(0) ?? '')?.length;
    const o = ctx.shape(node.outputs[0] ?? '')?.length;
    if (i === undefined || o === undefined || (i === 4 && o === 4)) return PASS;
    return fail('shuffle.rank', `${node.op} ${i}-D → ${o}-D; DLA Shuffle is 4-D in and out (UNCONF)`, {
      kind: 'restructure',
      text: 'keep the network in 4-D NCHW here (a token layout [N,H·W,C] leaves 4-D)',
    });
  },
};

export const shuffleBatchRule: RuleDef = {
  id: 'shuffle.batch',
  ref: 'L-SHUFFLE SH2',
  conf: 'UNCONF',
  describe: () => 'the batch dim takes no part (Reshape keeps dim 0; Transpose perm[0] = 0) (UNCONF)',
  check(node, ctx) {
    if (node.op === 'Transpose') {
      const perm = node.attrs.ints('perm');
      if (perm === undefined || perm[0] === 0) return PASS;
      return fail('shuffle.batch', `perm [${perm.join(',')}] moves the batch dim; DLA Shuffle keeps dim 0 in place (UNCONF)`);
    }
    const i = ctx.shape(node.input(0) ?? '');
    const o = ctx.shape(node.outputs[0] ?? '');
    if (i === undefined || o === undefined || i[0] === o[0]) return PASS;
    return fail('shuffle.batch', `${fmt(i)} → ${fmt(o)} changes dim 0; DLA Shuffle keeps the batch dim (UNCONF)`);
  },
};

export const shuffleShapeRule: RuleDef = {
  id: 'shuffle.shape-constant',
  ref: 'L-SHUFFLE SH3',
  conf: 'CONF',
  describe: () => 'the Reshape target shape is a build-time constant',
  check(node, ctx) {
    const s = node.input(1);
    if (node.op !== 'Reshape' || s === undefined || ctx.isConstant(s)) return PASS;
    return fail('shuffle.shape-constant', `target shape ${quote(s)} is computed at run time; the DLA needs a constant Reshape`, {
      kind: 'static-shape',
      text: 'fix the input shapes so the shape computation folds at build time',
    });
  },
};

// ---- L-MATMUL (MatMul, Gemm) ----

export const matmulConstantRule: RuleDef = {
  id: 'matmul.constant-b',
  ref: 'L-MATMUL',
  conf: 'CONF',
  describe: () => 'the second operand is a constant (weights): activation × activation (attention) runs on the GPU',
  check(node, ctx) {
    const b = node.input(1);
    if (b === undefined || ctx.isConstant(b)) return PASS;
    return fail('matmul.constant-b', `B ${quote(b)} is an activation (activation × activation, e.g. attention); TensorRT: "MatMul is unsupported on DLA … use Convolution layer instead"`);
  },
};

/** Output features of a MatMul/Gemm with constant B. */
function outFeatures(node: Node, ctx: RuleContext): number | undefined {
  const b = staticShape(ctx, node.input(1));
  if (b === undefined || b.length < 2) return undefined;
  return node.op === 'Gemm' && node.attrs.int('transB', 0) === 1 ? b[0] : b[b.length - 1];
}

export const matmulOutRule = dlaRule({
  id: 'matmul.out-channels',
  ref: 'L-MATMUL, L-CONV C6',
  conf: 'CONF',
  describe: (L) => `output features ${formatRange(L.conv.outChannels)} (TensorRT turns it into a 1×1 conv)`,
  check(node, ctx, L) {
    const k = outFeatures(node, ctx);
    if (k === undefined || inRange(k, L.conv.outChannels)) return PASS;
    return fail('matmul.out-channels', `${k} output features; as a 1×1 convolution the DLA allows ${formatRange(L.conv.outChannels)}`, {
      kind: 'restructure',
      text: `split the weight into column blocks of ≤ ${L.conv.outChannels[1]} and concatenate`,
    });
  },
});

export const matmulRankNote: RuleDef = {
  id: 'matmul.layout',
  ref: 'L-MATMUL, R-FC',
  conf: 'UNCONF',
  describe: () => 'hint only: DLA handling of MatMul/Gemm on tensors other than 4-D is unconfirmed; a 1×1 Conv on 4-D (R-FC) is the safe form',
  check(node, ctx): Verdict {
    const rank = ctx.shape(dataInputs(node, ctx)[0] ?? '')?.length;
    if (rank === 4 && node.op === 'MatMul') return PASS;
    return note(`${node.op} on a ${rank ?? '?'}-D tensor: DLA handling unconfirmed; R-FC (a 1×1 Conv on a 4-D tensor) is the safe form`);
  },
};
