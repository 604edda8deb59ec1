import type { DataType } from '../ir/dtype.js';
import type { Dim, Shape } from '../ir/types.js';
import { perOutputElement, variadicCost } from './cost-util.js';
import { defineOp, defineVersions, spec, type OpDef } from './define.js';
import { broadcastShapes, fmt, sameAsInput } from './shape-util.js';
import { addDims, divDimsExact, dimsEqual, mulDims, subDims } from './symbolic.js';
import { broadcastMap, isIntegerLike, storeAs, type SymTensor } from './sym-tensor.js';
import type { InferContext, InferFn, OpCategory, OpInfo, ValueRange } from './types.js';

/** How a folded element is computed from the input elements (null: unknown). */
type Fold = (args: Dim[], dtype: DataType) => Dim;

interface ElementwiseOptions {
  /** Output element type: that of an input (index), or a fixed one. @default 0 */
  readonly dtypeFrom?: number | DataType;
  /** Inputs that must share one element type. @default all */
  readonly sameType?: readonly number[] | 'all' | 'none';
  readonly fold?: Fold;
}

function checkTypes(ctx: InferContext, which: readonly number[]): void {
  let first: DataType | undefined;
  let firstIndex = 0;
  for (const i of which) {
    const t = ctx.dtype(i);
    if (t === undefined) continue;
    if (first === undefined) {
      first = t;
      firstIndex = i;
    } else if (t !== first) {
      ctx.fail(`inputs ${firstIndex} and ${i} have element types ${first} and ${t}; the op needs one type`);
    }
  }
}

/** Numpy-broadcasting elementwise inference, with value folding where `fold` is given. */
export function elementwise(options: ElementwiseOptions = {}): InferFn {
  return (ctx) => {
    // One-input ops (most activations) keep their input's type and shape.
    if (ctx.inputCount === 1 && options.fold === undefined && options.dtypeFrom === undefined) return [{ dtype: ctx.dtype(0), shape: ctx.shape(0) }];
    const present: number[] = [];
    for (let i = 0; i < ctx.inputCount; i++) if (ctx.has(i)) present.push(i);
    const same = options.sameType ?? 'all';
    if (same !== 'none') checkTypes(ctx, same === 'all' ? present : same);
    const shape = broadcastShapes(
      ctx,
      present.map((i) => ctx.shape(i)),
    );
    const from = options.dtypeFrom ?? 0;
    const dtype = typeof from === 'number' ? (ctx.dtype(from) ?? present.map((i) => ctx.dtype(i)).find((t) => t !== undefined)) : from;
    return [{ dtype, shape, ...foldValue(ctx, present, shape, dtype, options.fold) }];
  };
}

function foldValue(ctx: InferContext, present: readonly number[], shape: Shape | undefined, dtype: DataType | undefined, fold: Fold | undefined): { value?: SymTensor } {
  if (fold === undefined || dtype === undefined || shape === undefined || !shape.every((d) => typeof d === 'number')) return {};
  const values: SymTensor[] = [];
  for (const i of present) {
    const v = ctx.value(i);
    if (v === undefined) return {};
    values.push(v);
  }
  const argTypes = values.map((v) => v.dtype);
  const folded = broadcastMap(values, shape as number[], dtype, (args) => {
    const r = fold(args, argTypes[0]!);
    return typeof r === 'number' ? storeAs(dtype, r) : r;
  });
  return folded ? { value: folded } : {};
}

/** Legacy (opset < 7) broadcasting: B broadcasts onto A (optionally from `axis`), so the output has A's shape. */
function legacyBroadcast(dtypeOut?: DataType): InferFn {
  return (ctx) => {
    const a = ctx.shape(0);
    const b = ctx.shape(1);
    if (ctx.int('broadcast') === 0 && a && b && (a.length !== b.length || a.some((d, i) => dimsEqual(d, b[i]!) === false))) {
      ctx.fail(`shapes ${fmt(a)} and ${fmt(b)} differ and broadcast=0`);
    }
    return [{ dtype: dtypeOut ?? ctx.dtype(0), shape: a }];
  };
}

// ---- folds: exact integer arithmetic with symbols; plain numbers otherwise ----

const num = (f: (...x: number[]) => number): Fold => (args) => (args.every((a) => typeof a === 'number') ? f(...(args as number[])) : null);

const FOLD_ADD: Fold = ([a = null, b = null], t) => (isIntegerLike(t) ? addDims(a, b) : num((x, y) => x! + y!)([a, b], t));
const FOLD_SUB: Fold = ([a = null, b = null], t) => (isIntegerLike(t) ? subDims(a, b) : num((x, y) => x! - y!)([a, b], t));
const FOLD_MUL: Fold = ([a = null, b = null], t) => (isIntegerLike(t) ? mulDims(a, b) : num((x, y) => x! * y!)([a, b], t));
const FOLD_DIV: Fold = ([a = null, b = null], t) => {
  if (!isIntegerLike(t)) return num((x, y) => x! / y!)([a, b], t);
  // Integer Div truncates; with symbols only an exact division is known.
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : Math.trunc(a / b);
  return divDimsExact(a, b);
};
const FOLD_EQUAL: Fold = ([a = null, b = null]) => {
  const eq = dimsEqual(a, b);
  return eq === undefined ? null : eq ? 1 : 0;
};
const FOLD_WHERE: Fold = ([c = null, x = null, y = null]) => (c === null ? (x === y ? x : null) : c !== 0 ? x : y);
const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

// ---- the table ----

/** Test values for inputs defined on positive numbers (Log, Sqrt, the base of Pow), away from 0. */
const POSITIVE: ValueRange = [0.1, 2];
/** Inside (-1, 1), where Asin, Acos and Atanh are finite. */
const OPEN_UNIT: ValueRange = [-0.9, 0.9];

type Unary = readonly [op: string, since: number, flopsPerElement: number, category: OpCategory, extra?: Partial<OpDef>];

/** One-input ops that keep shape and type. FLOPs: the elementary operations of each op's formula. */
const UNARY: readonly Unary[] = [
  ['Abs', 1, 1, 'elementwise', { infer: elementwise({ fold: num(Math.abs) }) }],
  ['Neg', 1, 1, 'elementwise', { infer: elementwise({ fold: ([a = null], t) => (isIntegerLike(t) ? subDims(0, a) : num((x) => -x!)([a], t)) }) }],
  ['Exp', 1, 1, 'elementwise'],
  ['Log', 1, 1, 'elementwise', { inputDomains: [POSITIVE] }],
  ['Sqrt', 1, 1, 'elementwise', { inputDomains: [POSITIVE] }],
  ['Reciprocal', 1, 1, 'elementwise', { inputDomains: [POSITIVE] }],
  ['Floor', 1, 1, 'elementwise', { infer: elementwise({ fold: num(Math.floor) }) }],
  ['Ceil', 1, 1, 'elementwise', { infer: elementwise({ fold: num(Math.ceil) }) }],
  ['Round', 11, 1, 'elementwise', { infer: elementwise({ fold: num(roundHalfEven) }) }],
  ['Sign', 9, 1, 'elementwise', { infer: elementwise({ fold: num(Math.sign) }) }],
  ['Sin', 7, 1, 'elementwise'],
  ['Cos', 7, 1, 'elementwise'],
  ['Tan', 7, 1, 'elementwise'],
  ['Asin', 7, 1, 'elementwise', { inputDomains: [OPEN_UNIT] }],
  ['Acos', 7, 1, 'elementwise', { inputDomains: [OPEN_UNIT] }],
  ['Atan', 7, 1, 'elementwise'],
  ['Sinh', 9, 1, 'elementwise'],
  ['Cosh', 9, 1, 'elementwise'],
  ['Asinh', 9, 1, 'elementwise'],
  ['Acosh', 9, 1, 'elementwise', { inputDomains: [[1, 3]] }],
  ['Atanh', 9, 1, 'elementwise', { inputDomains: [OPEN_UNIT] }],
  ['Erf', 9, 1, 'elementwise'],
  ['BitwiseNot', 18, 1, 'elementwise'],
  ['Not', 1, 1, 'elementwise', { infer: elementwise({ fold: num((x) => (x === 0 ? 1 : 0)) }) }],
  ['IsNaN', 9, 1, 'elementwise', { infer: elementwise({ dtypeFrom: 'bool' }) }],
  ['IsInf', 10, 1, 'elementwise', { infer: elementwise({ dtypeFrom: 'bool' }), attrs: { detect_negative: spec.int(1), detect_positive: spec.int(1) } }],
  // max(0, x)
  ['Relu', 1, 1, 'activation', { traits: { fusibleFollower: true } }],
  ['Tanh', 1, 1, 'activation'],
  // 1 / (1 + exp(-x)): neg, exp, add, div
  ['Sigmoid', 1, 4, 'activation', { traits: { quantizable: true, fusibleFollower: true } }],
  // x < 0 ? alpha * x : x
  ['LeakyRelu', 1, 2, 'activation', { attrs: { alpha: spec.float(0.01) }, traits: { quantizable: true, fusibleFollower: true } }],
  // x < 0 ? alpha * (exp(x) - 1) : x
  ['Elu', 1, 4, 'activation', { attrs: { alpha: spec.float(1) } }],
  // gamma * (x <= 0 ? alpha * exp(x) - alpha : x)
  ['Selu', 1, 5, 'activation', { attrs: { alpha: spec.float(1.67326319217681884765625), gamma: spec.float(1.05070102214813232421875) } }],
  // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
  ['Celu', 12, 7, 'activation', { attrs: { alpha: spec.float(1) } }],
  // max(0, min(1, alpha * x + beta))
  ['HardSigmoid', 1, 4, 'activation', { attrs: { alpha: spec.float(0.2), beta: spec.float(0.5) }, traits: { fusibleFollower: true } }],
  // x * HardSigmoid(x) with alpha = 1/6, beta = 0.5
  ['HardSwish', 14, 5, 'activation', { traits: { fusibleFollower: true } }],
  // log(exp(x) + 1)
  ['Softplus', 1, 3, 'activation'],
  // x / (1 + |x|)
  ['Softsign', 1, 3, 'activation'],
  // x * tanh(log(1 + exp(x)))
  ['Mish', 18, 5, 'activation'],
  // x > alpha ? x : 0
  ['ThresholdedRelu', 10, 1, 'activation', { attrs: { alpha: spec.float(1) } }],
  // x < -lambd ? x + bias : x > lambd ? x - bias : 0
  ['Shrink', 9, 3, 'activation', { attrs: { bias: spec.float(0), lambd: spec.float(0.5) } }],
];

type Binary = readonly [op: string, since: number, options: ElementwiseOptions, extra?: Partial<OpDef>];

const BOOL_OUT = { dtypeFrom: 'bool' } as const;

/** Two-input numpy-broadcasting ops, one FLOP per output element; rows from opset 7 (legacy broadcast before). */
const BINARY: readonly Binary[] = [
  ['Add', 1, { fold: FOLD_ADD }, { traits: { quantizable: true } }],
  ['Sub', 1, { fold: FOLD_SUB }],
  ['Mul', 1, { fold: FOLD_MUL }, { traits: { quantizable: true } }],
  ['Div', 1, { fold: FOLD_DIV }],
  // a negative base with a fractional exponent is NaN
  ['Pow', 1, { sameType: 'none' }, { inputDomains: [POSITIVE] }],
  ['Equal', 1, { ...BOOL_OUT, fold: FOLD_EQUAL }],
  ['Less', 1, { ...BOOL_OUT, fold: num((a, b) => (a! < b! ? 1 : 0)) }],
  ['Greater', 1, { ...BOOL_OUT, fold: num((a, b) => (a! > b! ? 1 : 0)) }],
  ['And', 1, { ...BOOL_OUT, fold: num((a, b) => (a! !== 0 && b! !== 0 ? 1 : 0)) }],
  ['Or', 1, { ...BOOL_OUT, fold: num((a, b) => (a! !== 0 || b! !== 0 ? 1 : 0)) }],
  ['Xor', 1, { ...BOOL_OUT, fold: num((a, b) => ((a! !== 0) !== (b! !== 0) ? 1 : 0)) }],
  ['LessOrEqual', 12, { ...BOOL_OUT, fold: num((a, b) => (a! <= b! ? 1 : 0)) }],
  ['GreaterOrEqual', 12, { ...BOOL_OUT, fold: num((a, b) => (a! >= b! ? 1 : 0)) }],
  ['Mod', 10, {}, { attrs: { fmod: spec.int(0) } }],
  ['BitShift', 11, {}, { attrs: { direction: spec.required('string') } }],
  ['BitwiseAnd', 18, {}],
  ['BitwiseOr', 18, {}],
  ['BitwiseXor', 18, {}],
];

function unaryRows([op, since, flops, category, extra]: Unary): OpInfo[] {
  return [
    defineOp({
      op,
      since,
      inputs: ['X'],
      infer: elementwise(),
      cost: perOutputElement(flops),
      ...extra,
      traits: { elementwise: true, category, ...extra?.traits },
    }),
  ];
}

function binaryRows([op, since, options, extra]: Binary): OpInfo[] {
  const base: OpDef = {
    op,
    since,
    inputs: ['A', 'B'],
    outputs: ['C'],
    infer: elementwise(options),
    cost: perOutputElement(1),
    ...extra,
    traits: { elementwise: true, category: 'elementwise', ...extra?.traits },
  };
  if (since >= 7) return [defineOp(base)];
  const legacyAttrs = { ...base.attrs, broadcast: spec.int(0), axis: spec.int() };
  const legacyOut = typeof options.dtypeFrom === 'string' ? options.dtypeFrom : undefined;
  return defineVersions(base, [{ since, attrs: legacyAttrs, infer: legacyBroadcast(legacyOut) }, { since: 7 }]);
}

/** Variadic ops: same shapes before opset 8, numpy broadcasting from 8 (one inference serves both). */
function variadic(op: string, flopsExtra: number, fold?: Fold): OpInfo {
  return defineOp({
    op,
    since: 1,
    inputs: ['data_0...'],
    outputs: [op === 'Sum' ? 'sum' : op === 'Mean' ? 'mean' : op === 'Max' ? 'max' : 'min'],
    traits: { elementwise: true, category: 'elementwise' },
    infer: elementwise(fold ? { fold } : {}),
    cost: variadicCost(flopsExtra),
  });
}

const numMax = num((...xs) => Math.max(...xs));
const numMin = num((...xs) => Math.min(...xs));

const keepShape: InferFn = (ctx) => [sameAsInput(ctx)];

export const ELEMENTWISE_OPS: readonly OpInfo[] = [
  ...UNARY.flatMap(unaryRows),
  ...BINARY.flatMap(binaryRows),
  variadic('Sum', 0, ([...xs], t) => xs.reduce<Dim>((a, b) => (isIntegerLike(t) ? addDims(a, b) : typeof a === 'number' && typeof b === 'number' ? a + b : null), 0)),
  // n - 1 adds and one divide per element
  variadic('Mean', 1),
  variadic('Max', 0, numMax),
  variadic('Min', 0, numMin),
  ...defineVersions(
    {
      op: 'Clip',
      since: 1,
      inputs: ['input'],
      outputs: ['output'],
      attrs: { min: spec.float(), max: spec.float() },
      traits: { elementwise: true, category: 'activation', quantizable: true, fusibleFollower: true },
      infer: keepShape,
      // min and max
      cost: perOutputElement(2),
    },
    [{ since: 1 }, { since: 11, inputs: ['input', 'min?:config', 'max?:config'], attrs: {} }],
  ),
  defineOp({
    op: 'PRelu',
    since: 1,
    inputs: ['X', 'slope:weight'],
    traits: { elementwise: true, category: 'activation' },
    // Slope broadcasts onto X (unidirectional), so the output has X's shape.
    infer: (ctx) => {
      const x = ctx.shape(0);
      const b = broadcastShapes(ctx, [x, ctx.shape(1)]);
      if (x && b && b.length !== x.length) ctx.fail(`slope of shape ${fmt(ctx.shape(1))} does not broadcast onto X ${fmt(x)}`);
      return [{ dtype: ctx.dtype(0), shape: x ?? b }];
    },
    // x < 0 ? slope * x : x
    cost: perOutputElement(2),
  }),
  defineOp({
    op: 'Gelu',
    since: 20,
    attrs: { approximate: spec.string('none') },
    traits: { elementwise: true, category: 'activation' },
    infer: keepShape,
    // none: 0.5 * x * (1 + erf(x / sqrt(2))) = 5; tanh: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) = 9
    cost: perOutputElement((c) => (c.string('approximate') === 'tanh' ? 9 : 5)),
  }),
  defineOp({
    op: 'Where',
    since: 9,
    inputs: ['condition', 'X', 'Y'],
    outputs: ['output'],
    traits: { elementwise: true, category: 'elementwise' },
    infer: elementwise({ dtypeFrom: 1, sameType: [1, 2], fold: FOLD_WHERE }),
    // one select per element
    cost: perOutputElement(1),
  }),
];
