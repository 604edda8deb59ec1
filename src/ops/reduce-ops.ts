import type { Dim } from '../ir/types.js';
import { elements, perInputElement, perOutputElement } from './cost-util.js';
import { defineOp, defineVersions, spec } from './define.js';
import { fmt, normAxes, normAxis, sameAsInput, unknownDims } from './shape-util.js';
import { addDims, mulDims } from './symbolic.js';
import { isIntegerLike, storeAs, type SymTensor } from './sym-tensor.js';
import type { CostFn, InferContext, InferFn, OpInfo } from './types.js';

type ReduceFold = (values: readonly Dim[], integer: boolean) => Dim;

const numbers = (vs: readonly Dim[]): number[] | undefined => (vs.every((v): v is number => typeof v === 'number') ? (vs as number[]) : undefined);

const FOLD_SUM: ReduceFold = (vs, integer) => (integer ? vs.reduce<Dim>((a, b) => addDims(a, b), 0) : (numbers(vs)?.reduce((a, b) => a + b, 0) ?? null));
const FOLD_PROD: ReduceFold = (vs, integer) => (integer ? vs.reduce<Dim>((a, b) => mulDims(a, b), 1) : (numbers(vs)?.reduce((a, b) => a * b, 1) ?? null));
const FOLD_MAX: ReduceFold = (vs) => {
  const n = numbers(vs);
  return n && n.length > 0 ? n.reduce((a, b) => Math.max(a, b)) : null;
};
const FOLD_MIN: ReduceFold = (vs) => {
  const n = numbers(vs);
  return n && n.length > 0 ? n.reduce((a, b) => Math.min(a, b)) : null;
};

/** Reduce* shapes: axes from the attribute or (newer opsets) the input; keepdims; noop_with_empty_axes. */
function inferReduce(fold?: ReduceFold): InferFn {
  return (ctx) => {
    const x = ctx.shape(0);
    const dtype = ctx.dtype(0);
    const keep = (ctx.int('keepdims') ?? 1) !== 0;
    let axes = ctx.intsParam('axes');
    if (axes !== null && axes !== undefined && axes.length === 0) axes = undefined;
    if (axes === undefined && (ctx.int('noop_with_empty_axes') ?? 0) !== 0) return [sameAsInput(ctx)];
    if (x === undefined) return [{ dtype, shape: undefined }];
    if (axes === null) {
      // Which axes is unknown: with keepdims the rank stays; without, it drops by the number of axes.
      if (keep) return [{ dtype, shape: unknownDims(x.length) }];
      const n = ctx.shape(ctx.inputIndex('axes') ?? -1)?.[0];
      return [{ dtype, shape: typeof n === 'number' ? unknownDims(x.length - n) : undefined }];
    }
    const reduced = new Set(axes === undefined ? x.map((_, i) => i) : normAxes(ctx, axes, x.length));
    const shape: Dim[] = [];
    x.forEach((d, i) => {
      if (!reduced.has(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    // Shape vectors are reduced whole (ReduceProd of a shape is an element count).
    const v = ctx.value(0);
    let value: SymTensor | undefined;
    if (fold && v && dtype && reduced.size === x.length) {
      const r = fold(v.values, isIntegerLike(v.dtype));
      value = { dtype, dims: shape as number[], values: [typeof r === 'number' ? storeAs(dtype, r) : r] };
    }
    return [value ? { dtype, shape, value } : { dtype, shape }];
  };
}

/** `perIn` FLOPs per input element plus `perOut` per output element. */
function reduceCost(perIn: number, perOut: number): CostFn {
  return (c) => {
    const x = elements(c.inputs[0]);
    const y = elements(c.outputs[0]);
    return x === undefined || y === undefined ? undefined : { macs: 0, flops: x * perIn + y * perOut };
  };
}

/** Reduce ops: name, the opset where axes became an input, fold, FLOPs per input / output element. */
const REDUCE: readonly (readonly [string, number, ReduceFold | undefined, number, number])[] = [
  ['ReduceSum', 13, FOLD_SUM, 1, 0],
  ['ReduceMean', 18, undefined, 1, 1],
  ['ReduceMax', 18, FOLD_MAX, 1, 0],
  ['ReduceMin', 18, FOLD_MIN, 1, 0],
  ['ReduceProd', 18, FOLD_PROD, 1, 0],
  // |x| and add
  ['ReduceL1', 18, undefined, 2, 0],
  // x², add, then sqrt
  ['ReduceL2', 18, undefined, 2, 1],
  ['ReduceLogSum', 18, undefined, 1, 1],
  // exp and add, then log
  ['ReduceLogSumExp', 18, undefined, 2, 1],
  ['ReduceSumSquare', 18, undefined, 2, 0],
];

function reduceRows([op, inputSince, fold, perIn, perOut]: (typeof REDUCE)[number]): OpInfo[] {
  return defineVersions(
    {
      op,
      since: 1,
      inputs: ['data'],
      outputs: ['reduced'],
      attrs: { axes: spec.ints(), keepdims: spec.int(1) },
      traits: { category: 'reduce' },
      infer: inferReduce(fold),
      cost: reduceCost(perIn, perOut),
    },
    [{ since: 1 }, { since: inputSince, inputs: ['data', 'axes?:config'], attrs: { keepdims: spec.int(1), noop_with_empty_axes: spec.int(0) } }],
  );
}

const inferArgReduce: InferFn = (ctx) => {
  const x = ctx.shape(0);
  if (x === undefined) return [{ dtype: 'int64', shape: undefined }];
  const axis = normAxis(ctx, ctx.int('axis') ?? 0, x.length);
  const keep = (ctx.int('keepdims') ?? 1) !== 0;
  const shape = keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis);
  return [{ dtype: 'int64', shape }];
};

/** Softmax-like ops keep the shape; the axis must exist. */
const inferAxisPreserving: InferFn = (ctx) => {
  const x = ctx.shape(0);
  if (x !== undefined && x.length > 0) normAxis(ctx, ctx.int('axis') ?? -1, x.length);
  return [sameAsInput(ctx)];
};

function softmaxRows(op: string, flops: number): OpInfo[] {
  return defineVersions(
    {
      op,
      since: 1,
      inputs: ['input'],
      outputs: ['output'],
      attrs: { axis: spec.int(1) },
      traits: { category: op === 'Softmax' ? 'activation' : 'reduce', quantizable: op === 'Softmax' },
      infer: inferAxisPreserving,
      cost: perOutputElement(flops),
    },
    // The default axis moved from 1 (coerced to 2-D) to -1 in opset 13.
    [{ since: 1 }, { since: 13, attrs: { axis: spec.int(-1) } }],
  );
}

function inferTopK(ctx: InferContext): ReturnType<InferFn> {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (x === undefined) return [{ dtype, shape: undefined }, { dtype: 'int64', shape: undefined }];
  const axis = normAxis(ctx, ctx.int('axis') ?? -1, x.length);
  // K is an input from opset 10, the attribute k before.
  const kAttr = ctx.int('k');
  const k = ctx.inputIndex('K') !== undefined ? ctx.intsParam('K') : kAttr === undefined ? null : [kAttr];
  let kd: Dim = null;
  if (k !== null && k !== undefined) {
    if (k.length !== 1) ctx.fail(`K has ${k.length} values; it must be a single number`);
    kd = k[0]!;
    const size = x[axis]!;
    if (typeof size === 'number' && kd > size) ctx.fail(`K = ${kd} exceeds the size ${size} of axis ${axis} of ${fmt(x)}`);
  }
  const shape = x.map((d, i) => (i === axis ? kd : d));
  return [{ dtype, shape }, { dtype: 'int64', shape }];
}

/** TopK: a partial sort, about log2(K) compares per input element. */
const topKCost: CostFn = (c) => {
  const x = elements(c.inputs[0]);
  const y = c.outputs[0];
  if (x === undefined || y === undefined) return undefined;
  const axis = c.int('axis') ?? -1;
  const k = y[axis < 0 ? y.length + axis : axis] ?? 1;
  return { macs: 0, flops: x * Math.max(1, Math.ceil(Math.log2(Math.max(k, 2)))) };
};

export const REDUCE_OPS: readonly OpInfo[] = [
  ...REDUCE.flatMap(reduceRows),
  defineOp({
    op: 'ArgMax',
    since: 1,
    inputs: ['data'],
    outputs: ['reduced'],
    attrs: { axis: spec.int(0), keepdims: spec.int(1), select_last_index: spec.int(0) },
    traits: { category: 'reduce' },
    infer: inferArgReduce,
    cost: perInputElement(1),
  }),
  defineOp({
    op: 'ArgMin',
    since: 1,
    inputs: ['data'],
    outputs: ['reduced'],
    attrs: { axis: spec.int(0), keepdims: spec.int(1), select_last_index: spec.int(0) },
    traits: { category: 'reduce' },
    infer: inferArgReduce,
    cost: perInputElement(1),
  }),
  // max, subtract, exp, sum, divide
  ...softmaxRows('Softmax', 5),
  // max, subtract, exp, sum, subtract the log-sum
  ...softmaxRows('LogSoftmax', 5),
  ...softmaxRows('Hardmax', 1),
  defineOp({
    op: 'CumSum',
    since: 11,
    inputs: ['x', 'axis:config'],
    outputs: ['y'],
    attrs: { exclusive: spec.int(0), reverse: spec.int(0) },
    traits: { category: 'reduce' },
    infer: (ctx) => [sameAsInput(ctx)],
    cost: perOutputElement(1),
  }),
  ...defineVersions(
    {
      op: 'TopK',
      since: 1,
      inputs: ['X'],
      outputs: ['Values', 'Indices'],
      attrs: { axis: spec.int(-1), k: spec.required('int') },
      traits: { category: 'reduce' },
      infer: inferTopK,
      cost: topKCost,
    },
    [{ since: 1 }, { since: 10, inputs: ['X', 'K:config'], attrs: { axis: spec.int(-1), largest: spec.int(1), sorted: spec.int(1) } }],
  ),
];
