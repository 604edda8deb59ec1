import { DATA_TYPES, dataTypeFromCode, isDataType, type DataType } from '../ir/dtype.js';
import type { Dim } from '../ir/types.js';
import { constantNodeTensor } from './constant.js';
import { NO_ARITHMETIC, perOutputElement } from './cost-util.js';
import { defineOp, defineVersions, spec } from './define.js';
import { fmt, normAxis, sameAsInput, unifyDim, unknownDims } from './shape-util.js';
import { isNonNegativeDim, subDims } from './symbolic.js';
import { MAX_VALUE_ELEMENTS, elementsOf, isIntegerLike, storeAs, symFromTensor, type SymTensor } from './sym-tensor.js';
import type { InferContext, InferFn, InferredOutput, OpInfo } from './types.js';

/** Cast-1 named its target type as a string ("FLOAT"); later versions use the TensorProto code. */
const LEGACY_TYPE_NAMES: Readonly<Record<string, DataType>> = { FLOAT: 'float32', DOUBLE: 'float64', FLOAT16: 'float16', BFLOAT16: 'bfloat16' };

function castTarget(ctx: InferContext): DataType | undefined {
  const a = ctx.node.attrs.get('to');
  if (a?.type === 'string') {
    const lower = a.value.toLowerCase();
    return LEGACY_TYPE_NAMES[a.value] ?? (isDataType(lower) ? lower : undefined);
  }
  const code = ctx.int('to');
  if (code === undefined) ctx.fail('the "to" attribute is missing');
  const t = dataTypeFromCode(code);
  if (t === undefined) ctx.fail(`"to" = ${code} is not a data type tandem knows`);
  return t;
}

/** Types a symbolic size survives a cast into (sizes beyond 2^31 do not occur in one dim). */
/** Random generators: their outputs differ run to run. */
const RANDOM = { category: 'generator', nondeterministic: true } as const;

const SIZE_TYPES: ReadonlySet<DataType> = new Set(['int64', 'uint64', 'int32', 'uint32', 'float64']);

/**
 * A value converted to another element type. Symbolic sizes survive casts between integer types of
 * 32 bits or more and to float64; float32/float16 cannot hold every large integer, narrow integers
 * wrap, so there symbols become unknown.
 */
function castValue(v: SymTensor | undefined, to: DataType): SymTensor | undefined {
  if (v === undefined || !(to in DATA_TYPES)) return undefined;
  const keepsSymbols = isIntegerLike(v.dtype) && SIZE_TYPES.has(to);
  const values = v.values.map((x): Dim => {
    if (typeof x === 'number') return storeAs(to, x);
    return keepsSymbols ? x : null;
  });
  return { dtype: to, dims: v.dims, values };
}

function withValue(dtype: DataType | undefined, shape: InferredOutput['shape'], value: SymTensor | undefined): InferredOutput {
  return value === undefined ? { dtype, shape } : { dtype, shape, value };
}

const inferCast: InferFn = (ctx) => {
  const to = castTarget(ctx);
  return [withValue(to, ctx.shape(0), to === undefined ? undefined : castValue(ctx.value(0), to))];
};

const inferCastLike: InferFn = (ctx) => {
  const to = ctx.dtype(1);
  return [withValue(to, ctx.shape(0), to === undefined ? undefined : castValue(ctx.value(0), to))];
};

const inferIdentity: InferFn = (ctx) => [withValue(ctx.dtype(0), ctx.shape(0), ctx.value(0))];

const inferConstant: InferFn = (ctx) => {
  const t = constantNodeTensor(ctx.node);
  if (t !== undefined) return [withValue(t.dtype, t.dims, symFromTensor(t))];
  const sparse = ctx.node.attrs.get('sparse_value');
  if (sparse?.type === 'sparseTensor') return [{ dtype: sparse.value.values.dtype, shape: sparse.value.dims }];
  return ctx.fail('it has none of the value attributes (value, value_float(s), value_int(s), value_string(s), sparse_value)');
};

const inferConstantOfShape: InferFn = (ctx) => {
  const fill = ctx.node.attrs.tensor('value');
  const dtype: DataType = fill?.dtype ?? 'float32';
  const v = ctx.value(0);
  if (v === undefined) {
    const n = ctx.shape(0)?.[0];
    return [{ dtype, shape: typeof n === 'number' ? unknownDims(n) : undefined }];
  }
  const shape = v.values;
  for (const d of shape) if (typeof d === 'number' && d < 0) ctx.fail(`shape [${shape.join(', ')}] has a negative dim`);
  let value: SymTensor | undefined;
  if (shape.every((d): d is number => typeof d === 'number') && elementsOf(shape) <= MAX_VALUE_ELEMENTS) {
    const one = fill ? symFromTensor(fill) : { dtype, dims: [1], values: [0] };
    if (one !== undefined && one.values.length === 1) value = { dtype, dims: shape, values: new Array<Dim>(elementsOf(shape)).fill(one.values[0]!) };
  }
  return [withValue(dtype, shape, value)];
};

const inferRange: InferFn = (ctx) => {
  const dtype = ctx.dtype(0) ?? ctx.dtype(1) ?? ctx.dtype(2);
  for (let i = 0; i < 3; i++) {
    const s = ctx.shape(i);
    if (s && s.length !== 0 && !(s.length === 1 && s[0] === 1)) ctx.fail(`input ${i} has shape ${fmt(s)}; start, limit and delta must be scalars`);
  }
  const [start, limit, delta] = [0, 1, 2].map((i) => ctx.value(i)?.values[0] ?? null) as [Dim, Dim, Dim];
  if (delta === 0) ctx.fail('delta is 0');
  if (typeof start === 'number' && typeof limit === 'number' && typeof delta === 'number') {
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    let value: SymTensor | undefined;
    if (dtype && n <= MAX_VALUE_ELEMENTS) value = { dtype, dims: [n], values: Array.from({ length: n }, (_, i) => storeAs(dtype, start + i * delta)) };
    return [withValue(dtype, [n], value)];
  }
  // range(s, L, 1) with s ≤ 0 ≤ L has L - s elements.
  if (delta === 1 && typeof start === 'number' && start <= 0 && limit !== null && isNonNegativeDim(limit)) return [{ dtype, shape: [subDims(limit, start)] }];
  return [{ dtype, shape: [null] }];
};

const inferOneHot: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(2);
  if (x === undefined) return [{ dtype, shape: undefined }];
  const depth = ctx.value(1)?.values[0] ?? null;
  const rank = x.length + 1;
  const axis = normAxis(ctx, ctx.int('axis') ?? -1, rank);
  const shape = [...x.slice(0, axis), typeof depth === 'number' ? Math.trunc(depth) : null, ...x.slice(axis)];
  return [{ dtype, shape }];
};

/** dtype attribute (a TensorProto code) or a default. */
function dtypeAttr(ctx: InferContext, fallback: DataType | undefined): DataType | undefined {
  const code = ctx.int('dtype');
  return code === undefined ? fallback : dataTypeFromCode(code);
}

const inferQuantize: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const scale = ctx.shape(1);
  const outputDtype = ctx.int('output_dtype') ?? 0;
  const dtype = ctx.dtype(2) ?? (outputDtype !== 0 ? dataTypeFromCode(outputDtype) : 'uint8');
  checkQuantParams(ctx, x, scale);
  return [{ dtype, shape: x }];
};

const inferDequantize =
  (scaleTyped: boolean): InferFn =>
  (ctx) => {
    checkQuantParams(ctx, ctx.shape(0), ctx.shape(1));
    const outputDtype = ctx.int('output_dtype') ?? 0;
    const dtype = outputDtype !== 0 ? dataTypeFromCode(outputDtype) : scaleTyped ? (ctx.dtype(1) ?? 'float32') : 'float32';
    return [{ dtype, shape: ctx.shape(0) }];
  };

/** Per-axis scales need one value per element of that axis of X. */
function checkQuantParams(ctx: InferContext, x: InferredOutput['shape'], scale: InferredOutput['shape']): void {
  if (x === undefined || scale === undefined || scale.length !== 1 || (ctx.int('block_size') ?? 0) > 0 || x.length === 0) return;
  const axis = normAxis(ctx, ctx.int('axis') ?? 1, x.length);
  if (scale[0] === 1) return;
  unifyDim(ctx, x[axis]!, scale[0]!, () => `scale ${fmt(scale)} must have one value per element of axis ${axis} of X ${fmt(x)}`);
}

export const TENSOR_OPS: readonly OpInfo[] = [
  defineOp({
    op: 'Constant',
    since: 1,
    inputs: [],
    outputs: ['output'],
    attrs: {
      value: spec.tensor(),
      sparse_value: spec.sparseTensor(),
      value_float: spec.float(),
      value_floats: spec.floats(),
      value_int: spec.int(),
      value_ints: spec.ints(),
      value_string: spec.string(),
      value_strings: spec.strings(),
    },
    traits: { category: 'generator' },
    infer: inferConstant,
    cost: NO_ARITHMETIC,
  }),
  defineOp({ op: 'ConstantOfShape', since: 9, inputs: ['input:config'], outputs: ['output'], attrs: { value: spec.tensor() }, traits: { category: 'generator' }, infer: inferConstantOfShape, cost: NO_ARITHMETIC }),
  defineOp({ op: 'Identity', since: 1, inputs: ['input'], outputs: ['output'], traits: { category: 'movement', movement: true, valuePreserving: true, view: true }, infer: inferIdentity, cost: NO_ARITHMETIC }),
  ...defineVersions(
    { op: 'Cast', since: 1, inputs: ['input'], outputs: ['output'], attrs: { to: spec.required('string') }, traits: { category: 'elementwise', elementwise: true, dtypeAttr: { key: 'to', absent: undefined } }, infer: inferCast, cost: NO_ARITHMETIC },
    [{ since: 1 }, { since: 6, attrs: { to: spec.required('int'), saturate: spec.int(1) } }],
  ),
  defineOp({ op: 'CastLike', since: 15, inputs: ['input', 'target_type'], outputs: ['output'], attrs: { saturate: spec.int(1) }, traits: { category: 'elementwise', elementwise: true }, infer: inferCastLike, cost: NO_ARITHMETIC }),
  defineOp({
    op: 'Range',
    since: 11,
    inputs: ['start:config', 'limit:config', 'delta:config'],
    outputs: ['output'],
    traits: { category: 'generator' },
    infer: inferRange,
    // start + i * delta
    cost: perOutputElement(2),
  }),
  defineOp({ op: 'EyeLike', since: 9, inputs: ['input'], outputs: ['output'], attrs: { dtype: spec.int(), k: spec.int(0) }, traits: { category: 'generator', dtypeAttr: { key: 'dtype', absent: undefined } }, infer: (ctx) => [{ dtype: dtypeAttr(ctx, ctx.dtype(0)), shape: ctx.shape(0) }], cost: NO_ARITHMETIC }),
  defineOp({ op: 'OneHot', since: 9, inputs: ['indices', 'depth:config', 'values:config'], outputs: ['output'], attrs: { axis: spec.int(-1) }, traits: { category: 'generator' }, infer: inferOneHot, cost: NO_ARITHMETIC }),
  defineOp({ op: 'Trilu', since: 14, inputs: ['input', 'k?:config'], outputs: ['output'], attrs: { upper: spec.int(1) }, traits: { category: 'movement' }, infer: (ctx) => [sameAsInput(ctx)], cost: NO_ARITHMETIC }),
  defineOp({
    op: 'RandomNormal',
    since: 1,
    inputs: [],
    outputs: ['output'],
    attrs: { shape: spec.required('ints'), dtype: spec.int(1), mean: spec.float(0), scale: spec.float(1), seed: spec.float() },
    traits: { ...RANDOM, dtypeAttr: { key: 'dtype', absent: 1 } },
    infer: (ctx) => [{ dtype: dtypeAttr(ctx, 'float32'), shape: ctx.ints('shape') }],
  }),
  defineOp({
    op: 'RandomUniform',
    since: 1,
    inputs: [],
    outputs: ['output'],
    attrs: { shape: spec.required('ints'), dtype: spec.int(1), low: spec.float(0), high: spec.float(1), seed: spec.float() },
    traits: { ...RANDOM, dtypeAttr: { key: 'dtype', absent: 1 } },
    infer: (ctx) => [{ dtype: dtypeAttr(ctx, 'float32'), shape: ctx.ints('shape') }],
  }),
  ...['RandomNormalLike', 'RandomUniformLike', 'Bernoulli'].map((op) =>
    defineOp({
      op,
      since: op === 'Bernoulli' ? 15 : 1,
      inputs: ['input'],
      outputs: ['output'],
      attrs: { dtype: spec.int(), seed: spec.float() },
      // Bernoulli: not retyped by FP16 conversion (it never was; a float16 Bernoulli is untested).
      traits: op === 'Bernoulli' ? RANDOM : { ...RANDOM, dtypeAttr: { key: 'dtype', absent: undefined } },
      infer: (ctx) => [{ dtype: dtypeAttr(ctx, ctx.dtype(0)), shape: ctx.shape(0) }],
    }),
  ),
  defineOp({
    op: 'Multinomial',
    since: 7,
    inputs: ['input'],
    outputs: ['output'],
    attrs: { dtype: spec.int(6), sample_size: spec.int(1), seed: spec.float() },
    traits: RANDOM,
    infer: (ctx) => [{ dtype: dtypeAttr(ctx, 'int32'), shape: [ctx.shape(0)?.[0] ?? null, ctx.int('sample_size') ?? 1] }],
  }),
  defineOp({
    op: 'QuantizeLinear',
    since: 10,
    inputs: ['x', 'y_scale:config', 'y_zero_point?:config'],
    outputs: ['y'],
    attrs: { axis: spec.int(1), saturate: spec.int(1), block_size: spec.int(0), output_dtype: spec.int(0) },
    traits: { category: 'quantization', elementwise: true },
    infer: inferQuantize,
    // x / scale, round, + zero point, saturate
    cost: perOutputElement(4),
  }),
  ...defineVersions(
    {
      op: 'DequantizeLinear',
      since: 10,
      inputs: ['x', 'x_scale:config', 'x_zero_point?:config'],
      outputs: ['y'],
      attrs: { axis: spec.int(1), block_size: spec.int(0) },
      traits: { category: 'quantization', elementwise: true },
      infer: inferDequantize(false),
      // (x - zero point) * scale
      cost: perOutputElement(2),
    },
    // From opset 19 the output takes the scale's type (float16, bfloat16) instead of always float32.
    [{ since: 10 }, { since: 19, infer: inferDequantize(true), attrs: { axis: spec.int(1), block_size: spec.int(0), output_dtype: spec.int(0) } }],
  ),
  defineOp({
    op: 'DynamicQuantizeLinear',
    since: 11,
    inputs: ['x'],
    outputs: ['y', 'y_scale', 'y_zero_point'],
    traits: { category: 'quantization' },
    infer: (ctx) => [
      { dtype: 'uint8', shape: ctx.shape(0) },
      { dtype: 'float32', shape: [] },
      { dtype: 'uint8', shape: [] },
    ],
    // min/max over x (2), then quantize (4)
    cost: perOutputElement(6),
  }),
];
