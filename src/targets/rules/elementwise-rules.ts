import type { Node } from '../../ir/node.js';
import type { Shape } from '../../ir/types.js';
import { PASS, dataInputs, fail, fmt, note, noteRule, quote, rank4Rule, sameValues } from '../rule-kit.js';
import type { RuleContext, RuleDef, Verdict } from '../types.js';

/** L-ELT (arithmetic ElementWise), L-CMP (comparisons) and L-CAST rules. */

export const eltwiseRankRule = rank4Rule('eltwise.rank', 'L-ELT E1', 'elementwise layers');

/** An operand's shape left-padded with 1s to `rank` (numpy broadcasting; the parser does the same for constants). */
function padded(shape: Shape, rank: number): Shape {
  return [...new Array<number>(Math.max(0, rank - shape.length)).fill(1), ...shape];
}

/** 'same' | 'per-channel' | 'uniform' | undefined (not a DLA broadcast form). */
function broadcastForm(operand: Shape, out: Shape): 'same' | 'per-channel' | 'uniform' | undefined {
  if (out.length !== 4 || operand.length > 4) return undefined;
  const p = padded(operand, 4);
  const batchOk = p[0] === out[0] || p[0] === 1;
  if (p.every((d, i) => d === out[i])) return 'same';
  if (batchOk && p[2] === 1 && p[3] === 1 && p[1] === out[1]) return 'per-channel';
  if (batchOk && p[1] === 1 && p[2] === 1 && p[3] === 1) return 'uniform';
  return undefined;
}

export const eltwiseBroadcastRule: RuleDef = {
  id: 'eltwise.broadcast',
  ref: 'L-ELT E5, L-SCALE',
  conf: 'UNCONF',
  describe: () => 'each operand is the full [N,C,H,W], per-channel [N,C,1,1] or uniform [N,1,1,1] (UNCONF; constants: the Scale layer modes)',
  check(node, ctx) {
    const out = ctx.shape(node.outputs[0] ?? '');
    if (out === undefined || out.length !== 4) return PASS;
    for (const name of node.inputs) {
      if (name === '') continue;
      const s = ctx.shape(name);
      if (s === undefined) continue;
      if (broadcastForm(s, out) === undefined) {
        return fail('eltwise.broadcast', `operand ${quote(name)} ${fmt(s)} broadcasts to ${fmt(out)}; the DLA takes only [N,C,H,W], [N,C,1,1] or [N,1,1,1] operands (UNCONF)`, {
          kind: 'rewrite',
          text: ctx.isConstant(name) ? 'expand the constant to the full shape at build time' : 'expand the operand to the full shape first (or broadcast over channels instead)',
        });
      }
    }
    return PASS;
  },
};

export const eltwiseWeightNote: RuleDef = {
  id: 'eltwise.constant-storage',
  ref: 'G16',
  conf: 'CONF',
  describe: () => 'hint only (Orin): per-element constants are stored as FP19 in 4-byte containers, inflating the loadable',
  check(node, ctx) {
    if (ctx.limits?.generation !== 2) return PASS;
    const out = ctx.shape(node.outputs[0] ?? '');
    for (const name of node.inputs) {
      if (name === '' || !ctx.isConstant(name)) continue;
      const s = ctx.shape(name);
      if (s !== undefined && out !== undefined && broadcastForm(s, out) === 'same') {
        return note(`constant ${quote(name)} ${fmt(s)} is per-element: Orin stores it as FP19 in 4-byte containers (G16); prefer per-channel constants`);
      }
    }
    return PASS;
  },
};

export const eltwiseInt8Note = noteRule(
  'eltwise.int8-ranges',
  'L-ELT E3',
  'CONF',
  'INT8 elementwise needs equal dynamic ranges on both inputs (the calibrator uses the larger)',
  (node, ctx) => ctx.precision === 'int8' && dataInputs(node, ctx).length >= 2,
);

export const convAddNote = noteRule(
  'eltwise.conv-add-int8',
  'G19',
  'CONF',
  'DLA ≥ 3.13 fuses Conv → Add in INT8 even without a scale between them; set a unit scale (1.0) on the Conv output, else TensorRT may run both in FP16',
  (node, ctx) => ctx.precision === 'int8' && node.inputs.some((i) => i !== '' && ctx.graph.producer(i)?.op === 'Conv'),
);

export const xavierSubNote = noteRule(
  'eltwise.xavier-sub',
  'L-ELT E4',
  'CONF',
  'the 1st-gen DLA cannot subtract in one ElementWise layer; TensorRT builds Sub from a Scale and a SUM',
  (_n, ctx) => ctx.limits?.generation === 1,
);

export const minConflictNote = noteRule('eltwise.min-conflict', 'Min row (CONFLICT)', 'CONFLICT', 'Min: R-OPS lists it as RFE (GPU), the TensorRT headers as a DLA ElementWise op; verify on the target', () => true);

/** Uniform constant operand / INT8 requirements of DIV (E6) and POW (E7). */
function operandRule(id: string, ref: string, what: string, text: string, check: (node: Node, ctx: RuleContext) => string | undefined): RuleDef {
  return {
    id,
    ref,
    conf: 'UNCONF',
    describe: () => text,
    check(node, ctx): Verdict {
      const problem = check(node, ctx);
      return problem === undefined ? PASS : fail(id, `${problem}; ${what} (UNCONF)`);
    },
  };
}

function uniformConstant(ctx: RuleContext, name: string | undefined): boolean | undefined {
  if (name === undefined || !ctx.isConstant(name)) return undefined;
  const v = ctx.values(name);
  return v !== undefined && v.length > 0 && sameValues(v);
}

export const divOperandsRule = operandRule(
  'eltwise.div-operands',
  'L-ELT E6',
  'DLA DIV needs a uniform constant or an INT8 tensor as divisor, and a non-constant INT8 operand beside a constant',
  'DIV: a constant operand is uniform (all values equal) and the other is a non-constant INT8 tensor; two tensors need an INT8 divisor (UNCONF)',
  (node, ctx) => {
    const [a, b] = [node.input(0), node.input(1)];
    for (const x of [a, b]) if (uniformConstant(ctx, x) === false) return `constant ${quote(x ?? '')} is not uniform`;
    if (ctx.precision === 'fp16') return 'the build is FP16';
    return undefined;
  },
);

export const powOperandsRule = operandRule(
  'eltwise.pow-operands',
  'L-ELT E7',
  'DLA POW needs one operand a single-valued constant and the other a tensor',
  'POW: one operand is a constant filled with a single value, the other a non-constant tensor (UNCONF)',
  (node, ctx) => {
    const [a, b] = [node.input(0), node.input(1)];
    const ua = uniformConstant(ctx, a);
    const ub = uniformConstant(ctx, b);
    if (ua === undefined && ub === undefined) return 'both operands are tensors';
    if (ua === false || ub === false) return 'the constant operand is not uniform';
    if (ua !== undefined && ub !== undefined) return 'both operands are constants';
    return undefined;
  },
);

// ---- L-CMP ----

export const comparePrecisionRule: RuleDef = {
  id: 'compare.precision',
  ref: 'L-CMP K1',
  conf: 'CONF',
  describe: () => 'comparisons run in INT8 only',
  check(node, ctx) {
    if (ctx.precision === 'int8') return PASS;
    return fail('compare.precision', `${node.op} in an FP16 build; DLA comparisons run in INT8 only`, { kind: 'precision', text: 'build INT8 (with the comparison and its Cast pinned to INT8 on the DLA)' });
  },
};

/** ONNX TensorProto codes the DLA comparison output may be cast to: FLOAT16 (10), INT8 (3). */
const CAST_TARGETS: ReadonlyMap<number, string> = new Map([
  [10, 'FLOAT16'],
  [3, 'INT8'],
]);

export const compareCastRule: RuleDef = {
  id: 'compare.cast',
  ref: 'L-CMP K2',
  conf: 'CONF',
  describe: () => 'the BOOL result feeds exactly one Cast to FP16 or INT8 and nothing else',
  check(node, ctx) {
    const out = node.outputs[0];
    if (out === undefined || out === '') return PASS;
    const consumers = ctx.consumers(out);
    const only = consumers.length === 1 ? consumers[0] : undefined;
    const ok = only !== undefined && only.op === 'Cast' && CAST_TARGETS.has(only.attrs.int('to', 0)) && !ctx.graph.isGraphOutput(out);
    if (ok) return PASS;
    const what = ctx.graph.isGraphOutput(out) ? 'is a network output' : consumers.length === 0 ? 'has no consumer' : `feeds ${consumers.map((c) => c.op).join(', ')}`;
    return fail('compare.cast', `the BOOL output ${what}; the DLA needs it cast at once to FP16 or INT8 (one Cast, nothing else)`, {
      kind: 'rewrite',
      text: 'insert Cast(to=FLOAT16) right after the comparison and feed the rest from it',
    });
  },
};

export const compareConstantRule = operandRule(
  'compare.constant',
  'L-CMP K3',
  'a DLA comparison needs a uniform constant operand',
  'a constant operand is filled with one value (UNCONF)',
  (node, ctx) => {
    for (const x of node.inputs) if (x !== '' && uniformConstant(ctx, x) === false) return `constant ${quote(x)} is not uniform`;
    return undefined;
  },
);

export const comparePinningNote = noteRule(
  'compare.pinning',
  'L-CMP K4',
  'UNCONF',
  'pin the comparison and its Cast to the DLA in INT8 (--layerDeviceTypes, --layerPrecisions), else TensorRT may place them on the GPU',
  () => true,
);

// ---- Cast ----

export const castAfterCompareRule: RuleDef = {
  id: 'cast.after-compare',
  ref: 'L-CAST, L-CMP K2',
  conf: 'CONF',
  describe: () => 'a Cast runs on the DLA only as the FP16/INT8 cast right after a DLA comparison',
  check(node, ctx) {
    const input = node.input(0);
    const producer = input === undefined ? undefined : ctx.graph.producer(input);
    const to = node.attrs.int('to', 0);
    const fromCompare = producer !== undefined && (ctx.profile.ops.get(producer.op)?.row?.rules.includes(compareCastRule.id) ?? false);
    if (fromCompare && CAST_TARGETS.has(to)) return PASS;
    const from = input === undefined ? '?' : (ctx.dtype(input) ?? '?');
    return fail('cast.after-compare', `Cast ${from} → type code ${to}${fromCompare ? '' : ` after ${producer?.op ?? 'a network input'}`}; the DLA runs a Cast only as the FP16/INT8 cast right after a comparison`);
  },
};
