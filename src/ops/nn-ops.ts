import { quote } from '../util/text.js';
import { dataTypeFromCode, type DataType } from '../ir/dtype.js';
import type { Dim, Shape } from '../ir/types.js';
import { elements, NO_ARITHMETIC, perInputElement, perOutputElement } from './cost-util.js';
import { defineOp, defineVersions, spec } from './define.js';
import { checkDim, fmt, normAxis, sameAsInput, unifyDim } from './shape-util.js';
import { addDims, ceilDivDims, floorDivDims, mulDims, subDims } from './symbolic.js';
import type { CostFn, InferContext, InferFn, InferredOutput, OpInfo } from './types.js';

// ---- convolution and pooling windows ----

interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** [begin..., end...] */
  readonly pads: readonly number[];
  readonly autoPad: string;
  readonly ceil: boolean;
}

const AUTO_PADS: ReadonlySet<string> = new Set(['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']);

function readWindow(ctx: InferContext, spatial: number, kernel: readonly number[]): Window {
  const fill = (name: string, v: number, n: number): readonly number[] => {
    const a = ctx.ints(name);
    if (a === undefined || a.length === 0) return new Array<number>(n).fill(v);
    if (a.length !== n) ctx.fail(`${name} has ${a.length} values, expected ${n}`);
    return a;
  };
  const autoPad = ctx.string('auto_pad') ?? 'NOTSET';
  if (!AUTO_PADS.has(autoPad)) ctx.fail(`auto_pad ${quote(autoPad)} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  if (kernel.length !== spatial) ctx.fail(`kernel_shape [${kernel.join(', ')}] has ${kernel.length} dims for ${spatial} spatial dims`);
  const w: Window = {
    kernel,
    strides: fill('strides', 1, spatial),
    dilations: fill('dilations', 1, spatial),
    pads: fill('pads', 0, spatial * 2),
    autoPad,
    ceil: (ctx.int('ceil_mode') ?? 0) !== 0,
  };
  checkPositive(ctx, 'kernel_shape', w.kernel);
  checkPositive(ctx, 'strides', w.strides);
  checkPositive(ctx, 'dilations', w.dilations);
  return w;
}

function checkPositive(ctx: InferContext, name: string, list: readonly number[]): void {
  for (let i = 0; i < list.length; i++) if (!(list[i]! >= 1)) ctx.fail(`${name} [${list.join(', ')}] must all be ≥ 1`);
}

/** Output size of one spatial axis of a convolution or pooling window (ONNX Conv/MaxPool formulas). */
function windowOutput(ctx: InferContext, w: Window, axis: number, size: Dim): Dim {
  const k = w.kernel[axis]!;
  const s = w.strides[axis]!;
  const d = w.dilations[axis]!;
  const extent = (k - 1) * d + 1;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return ceilDivDims(size, s);
  const padBegin = w.autoPad === 'VALID' ? 0 : w.pads[axis]!;
  const padded = w.autoPad === 'VALID' ? size : addDims(size, padBegin + w.pads[axis + w.kernel.length]!);
  const span = subDims(padded, extent);
  if (typeof span === 'number' && span < 0) {
    ctx.fail(`spatial axis ${axis}: input ${size} padded to ${padded} is smaller than the window ${extent} (kernel ${k}, dilation ${d})`);
  }
  if (!w.ceil) {
    const q = floorDivDims(span, s);
    return q === null ? null : addDims(q, 1);
  }
  if (typeof span !== 'number' || typeof size !== 'number') return s === 1 ? addDims(span, 1) : null;
  let n = Math.ceil(span / s) + 1;
  // The last window must start inside the input or its begin padding (onnx/onnx#5741).
  if ((n - 1) * s >= size + padBegin) n -= 1;
  return n;
}

/** The kernel's spatial size: kernel_shape, else the weight's dims. */
function kernelOf(ctx: InferContext, weight: Shape | undefined): readonly number[] | undefined {
  const k = ctx.ints('kernel_shape');
  if (k !== undefined) return k;
  const w = weight?.slice(2);
  return w?.every((d): d is number => typeof d === 'number') ? w : undefined;
}

function convLike(xIndex: number, wIndex: number, dtypeOf: (ctx: InferContext) => DataType | undefined): InferFn {
  return (ctx) => {
    const x = ctx.shape(xIndex);
    const w = ctx.shape(wIndex);
    const dtype = dtypeOf(ctx);
    const rank = x?.length ?? w?.length;
    if (rank === undefined) return [{ dtype, shape: undefined }];
    if (rank < 3) ctx.fail(`input has rank ${rank}; Conv needs [N, C, spatial...]`);
    if (x && w && x.length !== w.length) ctx.fail(`input ${fmt(x)} and weight ${fmt(w)} differ in rank`);
    const group = ctx.int('group') ?? 1;
    if (x && w) unifyDim(ctx, x[1]!, mulDims(w[1]!, group), () => `input channels ${fmt(x)} must equal weight channels × group (${fmt(w)}, group ${group})`);
    const m = w?.[0] ?? null;
    if (typeof m === 'number' && m % group !== 0) ctx.fail(`weight ${fmt(w)}: ${m} output channels do not divide into ${group} groups`);
    const kernel = kernelOf(ctx, w);
    const shape: Dim[] = new Array<Dim>(rank).fill(null);
    shape[0] = x?.[0] ?? null;
    shape[1] = m;
    if (x && kernel) {
      const win = readWindow(ctx, rank - 2, kernel);
      for (let i = 0; i < rank - 2; i++) shape[i + 2] = windowOutput(ctx, win, i, x[i + 2]!);
    }
    return [{ dtype, shape }];
  };
}

/** Conv MACs: N × M × out spatial × (C / group) × kernel; FLOPs 2 × MACs plus the bias add. */
function convCost(wIndex: number, biasIndex: number): CostFn {
  return (c) => {
    const w = c.inputs[wIndex];
    const y = c.outputs[0];
    if (w === undefined || y === undefined) return undefined;
    const outElems = elements(y)!;
    const macs = outElems * elements(w.slice(1))!;
    return { macs, flops: 2 * macs + (c.inputs[biasIndex] !== undefined ? outElems : 0) };
  };
}

function inferConvTranspose(ctx: InferContext): readonly InferredOutput[] {
  const x = ctx.shape(0);
  const w = ctx.shape(1);
  const dtype = ctx.dtype(0);
  const rank = x?.length ?? w?.length;
  if (rank === undefined) return [{ dtype, shape: undefined }];
  if (rank < 3) ctx.fail(`input has rank ${rank}; ConvTranspose needs [N, C, spatial...]`);
  const group = ctx.int('group') ?? 1;
  if (x && w) unifyDim(ctx, x[1]!, w[0]!, () => `input channels ${fmt(x)} must equal weight dim 0 (${fmt(w)})`);
  const m = w ? mulDims(w[1]!, group) : null;
  const spatial: Dim[] = new Array<Dim>(rank - 2).fill(null);
  const outputShape = ctx.ints('output_shape');
  const kernel = kernelOf(ctx, w);
  if (outputShape !== undefined && outputShape.length > 0) {
    const s = outputShape.length === rank ? outputShape.slice(2) : outputShape;
    if (s.length !== rank - 2) ctx.fail(`output_shape [${outputShape.join(', ')}] does not match ${rank - 2} spatial dims`);
    spatial.splice(0, rank - 2, ...s);
  } else if (x && kernel) {
    const win = readWindow(ctx, rank - 2, kernel);
    const outPad = ctx.ints('output_padding') ?? [];
    for (let i = 0; i < rank - 2; i++) {
      const s = win.strides[i]!;
      const inSize = x[i + 2]!;
      if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') {
        spatial[i] = mulDims(inSize, s);
        continue;
      }
      const pads = win.autoPad === 'VALID' ? 0 : win.pads[i]! + win.pads[i + rank - 2]!;
      const extent = (win.kernel[i]! - 1) * win.dilations[i]! + 1;
      const size = addDims(mulDims(subDims(inSize, 1), s), (outPad[i] ?? 0) + extent - pads);
      spatial[i] = checkDim(ctx, size, `spatial dim ${i}`);
    }
  }
  return [{ dtype, shape: [x?.[0] ?? null, m, ...spatial] }];
}

/** ConvTranspose MACs: every input element meets (M / group) × kernel weights. */
const convTransposeCost: CostFn = (c) => {
  const x = c.inputs[0];
  const w = c.inputs[1];
  const y = c.outputs[0];
  if (x === undefined || w === undefined || y === undefined) return undefined;
  const macs = elements(x)! * elements(w.slice(1))!;
  return { macs, flops: 2 * macs + (c.inputs[2] !== undefined ? elements(y)! : 0) };
};

function inferPool(indices: boolean): InferFn {
  return (ctx) => {
    const x = ctx.shape(0);
    const dtype = ctx.dtype(0);
    if (x === undefined) return [{ dtype, shape: undefined }, { dtype: 'int64', shape: undefined }];
    if (x.length < 3) ctx.fail(`input ${fmt(x)} has rank ${x.length}; pooling needs [N, C, spatial...]`);
    const kernel = ctx.ints('kernel_shape');
    if (kernel === undefined) return ctx.fail('kernel_shape is missing');
    const win = readWindow(ctx, x.length - 2, kernel);
    const same = win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER';
    // onnxruntime pads dilated SAME pooling as if undilated, which differs from the spec's ceil(in / stride).
    const spatial = x.slice(2).map((d, i) => (same && win.dilations[i]! > 1 ? null : windowOutput(ctx, win, i, d)));
    const shape = [x[0]!, x[1]!, ...spatial];
    return indices ? [{ dtype, shape }, { dtype: 'int64', shape }] : [{ dtype, shape }];
  };
}

/** Window ops: one FLOP (add or compare) per kernel element per output element. */
function windowCost(perTap: number): CostFn {
  return (c) => {
    const y = c.outputs[0];
    const k = c.ints('kernel_shape');
    if (y === undefined || k === undefined) return undefined;
    return { macs: 0, flops: elements(y)! * elements(k)! * perTap };
  };
}

const inferGlobalPool: InferFn = (ctx) => {
  const x = ctx.shape(0);
  if (x !== undefined && x.length < 3) ctx.fail(`input ${fmt(x)} has rank ${x.length}; global pooling needs [N, C, spatial...]`);
  return [{ dtype: ctx.dtype(0), shape: x ? [x[0]!, x[1]!, ...x.slice(2).map(() => 1)] : undefined }];
};

// ---- normalization ----

/** Per-channel parameter inputs must have C elements (the channel dim of X). */
function checkChannelParams(ctx: InferContext, from: number, to: number): Dim {
  const x = ctx.shape(0);
  let c: Dim = x && x.length > 1 ? x[1]! : null;
  for (let i = from; i <= to; i++) {
    const s = ctx.shape(i);
    if (s === undefined || !ctx.has(i)) continue;
    if (s.length !== 1) ctx.fail(`input ${i} (${ctx.node.inputs[i]}) has shape ${fmt(s)}; expected [C]`);
    c = unifyDim(ctx, c, s[0]!, () => `input ${i} (${ctx.node.inputs[i]}) ${fmt(s)} must have one value per channel of X ${fmt(x)}`);
  }
  return c;
}

const inferBatchNorm: InferFn = (ctx) => {
  // spatial = 0 (opset < 9) takes parameters of X's shape without N, not per channel.
  const c = (ctx.int('spatial') ?? 1) === 0 ? (ctx.shape(0)?.[1] ?? null) : checkChannelParams(ctx, 1, 4);
  const stat: InferredOutput = { dtype: ctx.dtype(3) ?? ctx.dtype(1), shape: [c] };
  return [sameAsInput(ctx), stat, stat, stat, stat];
};

const inferInstanceNorm: InferFn = (ctx) => {
  checkChannelParams(ctx, 1, 2);
  return [sameAsInput(ctx)];
};

const inferLayerNorm: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const stashType = dataTypeFromCode(ctx.int('stash_type') ?? 1);
  if (x === undefined) return [sameAsInput(ctx), { dtype: stashType, shape: undefined }, { dtype: stashType, shape: undefined }];
  const axis = normAxis(ctx, ctx.int('axis') ?? -1, x.length);
  const scale = ctx.shape(1);
  if (scale && scale.length > x.length - axis) ctx.fail(`scale ${fmt(scale)} has more dims than the normalized part of X ${fmt(x)} (from axis ${axis})`);
  const stat = x.map((d, i) => (i < axis ? d : 1));
  return [sameAsInput(ctx), { dtype: stashType, shape: stat }, { dtype: stashType, shape: stat }];
};

const inferGroupNorm: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const groups = ctx.int('num_groups');
  const c = x?.[1];
  if (typeof c === 'number' && groups !== undefined && c % groups !== 0) ctx.fail(`${c} channels of X ${fmt(x)} do not divide into num_groups ${groups}`);
  return [sameAsInput(ctx)];
};

const inferDropout =
  (maskBool: boolean): InferFn =>
  (ctx) => [sameAsInput(ctx), { dtype: maskBool ? 'bool' : ctx.dtype(0), shape: ctx.shape(0) }];

// Normalization FLOPs per element, from the formula: mean (1 add), variance ((x - mean)^2 summed: 3),
// normalise ((x - mean) / sqrt(var + eps): 2), affine (scale, bias: 2).
const NORM_FLOPS = 8;

const POOL_ATTRS = {
  auto_pad: spec.string('NOTSET'),
  kernel_shape: spec.required('ints'),
  pads: spec.ints(),
  strides: spec.ints(),
  dilations: spec.ints(),
  ceil_mode: spec.int(0),
};

const CONV_ATTRS = {
  auto_pad: spec.string('NOTSET'),
  kernel_shape: spec.ints(),
  pads: spec.ints(),
  strides: spec.ints(),
  dilations: spec.ints(),
  group: spec.int(1),
};

export const NN_OPS: readonly OpInfo[] = [
  defineOp({
    op: 'Conv',
    since: 1,
    inputs: ['X', 'W:weight', 'B?:weight'],
    attrs: CONV_ATTRS,
    traits: { category: 'conv', quantizable: true, channelWeight: () => ({ input: 1, axis: 0 }) },
    infer: convLike(0, 1, (ctx) => ctx.dtype(0)),
    cost: convCost(1, 2),
  }),
  defineOp({
    op: 'ConvInteger',
    since: 10,
    inputs: ['x', 'w:weight', 'x_zero_point?:config', 'w_zero_point?:config'],
    outputs: ['y'],
    attrs: CONV_ATTRS,
    traits: { category: 'conv' },
    infer: convLike(0, 1, () => 'int32'),
    cost: convCost(1, -1),
  }),
  defineOp({
    op: 'QLinearConv',
    since: 10,
    inputs: ['x', 'x_scale:config', 'x_zero_point:config', 'w:weight', 'w_scale:config', 'w_zero_point:config', 'y_scale:config', 'y_zero_point:config', 'B?:weight'],
    outputs: ['y'],
    attrs: CONV_ATTRS,
    traits: { category: 'conv' },
    infer: convLike(0, 3, (ctx) => ctx.dtype(7) ?? ctx.dtype(0)),
    cost: convCost(3, 8),
  }),
  defineOp({
    op: 'ConvTranspose',
    since: 1,
    inputs: ['X', 'W:weight', 'B?:weight'],
    attrs: { ...CONV_ATTRS, output_padding: spec.ints(), output_shape: spec.ints() },
    traits: { category: 'conv', quantizable: true, channelWeight: () => ({ input: 1, axis: 1 }) },
    infer: inferConvTranspose,
    cost: convTransposeCost,
  }),
  defineOp({
    op: 'MaxPool',
    since: 1,
    outputs: ['Y', 'Indices?'],
    attrs: { ...POOL_ATTRS, storage_order: spec.int(0) },
    traits: { category: 'pool', quantizable: true },
    infer: inferPool(true),
    cost: windowCost(1),
  }),
  defineOp({
    op: 'AveragePool',
    since: 1,
    attrs: { ...POOL_ATTRS, count_include_pad: spec.int(0) },
    traits: { category: 'pool', quantizable: true },
    infer: inferPool(false),
    // k - 1 adds and one divide per output element
    cost: windowCost(1),
  }),
  defineOp({
    op: 'LpPool',
    since: 1,
    attrs: { ...POOL_ATTRS, p: spec.int(2) },
    traits: { category: 'pool' },
    infer: inferPool(false),
    // |x|^p per tap (2) and the sum (1)
    cost: windowCost(3),
  }),
  defineOp({ op: 'GlobalAveragePool', since: 1, traits: { category: 'pool', quantizable: true }, infer: inferGlobalPool, cost: perInputElement(1) }),
  defineOp({ op: 'GlobalMaxPool', since: 1, traits: { category: 'pool', quantizable: true }, infer: inferGlobalPool, cost: perInputElement(1) }),
  defineOp({ op: 'GlobalLpPool', since: 2, attrs: { p: spec.int(2) }, traits: { category: 'pool' }, infer: inferGlobalPool, cost: perInputElement(3) }),
  defineOp({
    op: 'BatchNormalization',
    since: 1,
    inputs: ['X', 'scale:weight', 'B:weight', 'input_mean:weight', 'input_var:weight'],
    outputs: ['Y', 'running_mean?', 'running_var?', 'saved_mean?', 'saved_var?'],
    attrs: { epsilon: spec.float(1e-5), momentum: spec.float(0.9), training_mode: spec.int(0), spatial: spec.int(1) },
    traits: { category: 'normalization', fusibleFollower: true },
    infer: inferBatchNorm,
    // (x - mean) / sqrt(var + eps) * scale + bias: sub, div, mul, add (the per-channel sqrt is not counted)
    cost: perOutputElement(4),
  }),
  defineOp({
    op: 'InstanceNormalization',
    since: 1,
    inputs: ['input', 'scale:weight', 'B:weight'],
    outputs: ['output'],
    attrs: { epsilon: spec.float(1e-5) },
    traits: { category: 'normalization' },
    infer: inferInstanceNorm,
    cost: perOutputElement(NORM_FLOPS),
  }),
  defineOp({
    op: 'LayerNormalization',
    since: 17,
    inputs: ['X', 'Scale:weight', 'B?:weight'],
    outputs: ['Y', 'Mean?', 'InvStdDev?'],
    attrs: { axis: spec.int(-1), epsilon: spec.float(1e-5), stash_type: spec.int(1) },
    traits: { category: 'normalization' },
    infer: inferLayerNorm,
    cost: perOutputElement(NORM_FLOPS),
  }),
  defineOp({
    op: 'GroupNormalization',
    since: 18,
    inputs: ['X', 'scale:weight', 'bias:weight'],
    attrs: { epsilon: spec.float(1e-5), num_groups: spec.required('int'), stash_type: spec.int(1) },
    traits: { category: 'normalization' },
    infer: inferGroupNorm,
    cost: perOutputElement(NORM_FLOPS),
  }),
  defineOp({
    op: 'LRN',
    since: 1,
    attrs: { alpha: spec.float(0.0001), beta: spec.float(0.75), bias: spec.float(1), size: spec.required('int') },
    traits: { category: 'normalization' },
    infer: (ctx) => [sameAsInput(ctx)],
    // x / (bias + alpha / size * sum(x^2 over size channels))^beta: size squares-and-adds, then mul, add, pow, div
    cost: perOutputElement((c) => 2 * (c.int('size') ?? 1) + 4),
  }),
  defineOp({
    op: 'LpNormalization',
    since: 1,
    attrs: { axis: spec.int(-1), p: spec.int(2) },
    traits: { category: 'normalization' },
    infer: (ctx) => [sameAsInput(ctx)],
    // x / norm(x): power, sum and divide per element
    cost: perOutputElement(3),
  }),
  defineOp({
    op: 'MeanVarianceNormalization',
    since: 9,
    attrs: { axes: spec.ints([0, 2, 3]) },
    traits: { category: 'normalization' },
    infer: (ctx) => [sameAsInput(ctx)],
    // mean (1), variance (3), (x - mean) / sqrt(var) (2)
    cost: perOutputElement(6),
  }),
  ...defineVersions(
    {
      op: 'Dropout',
      since: 1,
      inputs: ['data'],
      outputs: ['output', 'mask?'],
      attrs: { ratio: spec.float(0.5), is_test: spec.int(0) },
      traits: { category: 'other', view: true },
      infer: inferDropout(false),
      // an identity at inference
      cost: NO_ARITHMETIC,
    },
    [
      { since: 1 },
      { since: 10, attrs: { ratio: spec.float(0.5) }, infer: inferDropout(true) },
      { since: 12, inputs: ['data', 'ratio?:config', 'training_mode?:config'], attrs: { seed: spec.int() }, infer: inferDropout(true) },
    ],
  ),
];
