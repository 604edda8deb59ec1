import type { Dim } from '../ir/types.js';
import { NO_ARITHMETIC, perInputElement } from './cost-util.js';
import { defineOp, defineVersions, spec } from './define.js';
import { fmt, normAxis, sameAsInput, unifyDim } from './shape-util.js';
import { gatherValues, numbersOf } from './sym-tensor.js';
import type { InferFn, InferredOutput, OpInfo } from './types.js';

const inferGather: InferFn = (ctx) => {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  const dtype = ctx.dtype(0);
  if (data === undefined || indices === undefined) return [{ dtype, shape: undefined }];
  if (data.length === 0) ctx.fail('data is a scalar; Gather needs rank ≥ 1');
  const axis = normAxis(ctx, ctx.int('axis') ?? 0, data.length);
  const shape = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  const dv = ctx.value(0);
  const iv = ctx.value(1);
  const size = data[axis]!;
  const iNums = numbersOf(iv);
  if (iv && iNums && typeof size === 'number') {
    const idx = iNums.map((i) => {
      if (i < -size || i >= size) ctx.fail(`index ${i} is out of range for axis ${axis} of ${fmt(data)} (size ${size})`);
      return i < 0 ? i + size : i;
    });
    const value = dv ? gatherValues(dv, axis, idx, iv.dims) : undefined;
    if (value) return [{ dtype, shape, value }];
  }
  return [{ dtype, shape }];
};

const inferGatherElements: InferFn = (ctx) => {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  if (data && indices && data.length !== indices.length) ctx.fail(`data ${fmt(data)} and indices ${fmt(indices)} must have the same rank`);
  if (data && data.length > 0) normAxis(ctx, ctx.int('axis') ?? 0, data.length);
  return [{ dtype: ctx.dtype(0), shape: indices }];
};

const inferGatherND: InferFn = (ctx) => {
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  const dtype = ctx.dtype(0);
  if (data === undefined || indices === undefined) return [{ dtype, shape: undefined }];
  const b = ctx.int('batch_dims') ?? 0;
  const m = indices[indices.length - 1];
  if (indices.length < 1 || b >= Math.min(data.length, indices.length)) ctx.fail(`batch_dims ${b} does not fit data ${fmt(data)} and indices ${fmt(indices)}`);
  for (let i = 0; i < b; i++) unifyDim(ctx, data[i]!, indices[i]!, () => `batch dim ${i} of data ${fmt(data)} and indices ${fmt(indices)} differ`);
  if (typeof m !== 'number') return [{ dtype, shape: undefined }];
  if (b + m > data.length) ctx.fail(`indices ${fmt(indices)} index ${m} dims past batch_dims ${b}, but data ${fmt(data)} has only ${data.length}`);
  return [{ dtype, shape: [...indices.slice(0, -1), ...data.slice(b + m)] }];
};

const inferNonZero: InferFn = (ctx) => [{ dtype: 'int64', shape: [ctx.shape(0)?.length ?? null, null] }];

const inferCompress: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const axis = ctx.int('axis');
  if (axis === undefined) return [{ dtype, shape: [null] }];
  if (x === undefined) return [{ dtype, shape: undefined }];
  const a = normAxis(ctx, axis, x.length);
  return [{ dtype, shape: x.map((d, i) => (i === a ? null : d)) }];
};

const inferUnique: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const axis = ctx.int('axis');
  let y: InferredOutput['shape'] = [null];
  let inverse: Dim = null;
  if (axis !== undefined && x !== undefined) {
    const a = normAxis(ctx, axis, x.length);
    y = x.map((d, i) => (i === a ? null : d));
    inverse = x[a]!;
  } else if (axis === undefined && x !== undefined) {
    inverse = x.reduce<Dim>((acc, d) => (typeof acc === 'number' && typeof d === 'number' ? acc * d : null), 1);
  } else if (axis !== undefined) {
    y = undefined;
  }
  return [
    { dtype: ctx.dtype(0), shape: y },
    { dtype: 'int64', shape: [null] },
    { dtype: 'int64', shape: [inverse] },
    { dtype: 'int64', shape: [null] },
  ];
};

const MOVE = { category: 'movement', movement: true } as const;

export const INDEX_OPS: readonly OpInfo[] = [
  defineOp({ op: 'Gather', since: 1, inputs: ['data', 'indices'], outputs: ['output'], attrs: { axis: spec.int(0) }, traits: { ...MOVE, quantizable: true }, infer: inferGather, cost: NO_ARITHMETIC }),
  defineOp({ op: 'GatherElements', since: 11, inputs: ['data', 'indices'], outputs: ['output'], attrs: { axis: spec.int(0) }, traits: MOVE, infer: inferGatherElements, cost: NO_ARITHMETIC }),
  defineOp({ op: 'GatherND', since: 11, inputs: ['data', 'indices'], outputs: ['output'], attrs: { batch_dims: spec.int(0) }, traits: MOVE, infer: inferGatherND, cost: NO_ARITHMETIC }),
  ...defineVersions(
    { op: 'ScatterElements', since: 11, inputs: ['data', 'indices', 'updates'], outputs: ['output'], attrs: { axis: spec.int(0) }, traits: MOVE, infer: (ctx) => [sameAsInput(ctx)], cost: NO_ARITHMETIC },
    [{ since: 11 }, { since: 16, attrs: { axis: spec.int(0), reduction: spec.string('none') } }],
  ),
  defineOp({ op: 'Scatter', since: 9, inputs: ['data', 'indices', 'updates'], outputs: ['output'], attrs: { axis: spec.int(0) }, traits: MOVE, infer: (ctx) => [sameAsInput(ctx)], cost: NO_ARITHMETIC }),
  defineOp({ op: 'ScatterND', since: 11, inputs: ['data', 'indices', 'updates'], outputs: ['output'], attrs: { reduction: spec.string('none') }, traits: MOVE, infer: (ctx) => [sameAsInput(ctx)], cost: NO_ARITHMETIC }),
  defineOp({ op: 'NonZero', since: 9, traits: { category: 'movement' }, infer: inferNonZero, cost: perInputElement(1) }),
  defineOp({ op: 'Compress', since: 9, inputs: ['input', 'condition'], outputs: ['output'], attrs: { axis: spec.int() }, traits: MOVE, infer: inferCompress, cost: NO_ARITHMETIC }),
  defineOp({
    op: 'Unique',
    since: 11,
    outputs: ['Y', 'indices?', 'inverse_indices?', 'counts?'],
    attrs: { axis: spec.int(), sorted: spec.int(1) },
    traits: { category: 'movement' },
    infer: inferUnique,
  }),
  defineOp({
    op: 'ReverseSequence',
    since: 10,
    inputs: ['input', 'sequence_lens:config'],
    attrs: { batch_axis: spec.int(1), time_axis: spec.int(0) },
    traits: MOVE,
    infer: (ctx) => [sameAsInput(ctx)],
    cost: NO_ARITHMETIC,
  }),
];
