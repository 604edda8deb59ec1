import type { Dim, Shape } from '../ir/types.js';
import { elements } from './cost-util.js';
import { defineOp, defineVersions, spec } from './define.js';
import { fmt, normAxes, unifyDim, unknownDims } from './shape-util.js';
import { mulDims } from './symbolic.js';
import type { CostFn, InferContext, InferFn, OpInfo } from './types.js';

/** floor(size × scale) in float32, as onnxruntime computes Resize/Upsample output sizes. */
function scaledDim(size: Dim, scale: number): Dim {
  if (typeof size === 'number') return Math.floor(Math.fround(Math.fround(size) * Math.fround(scale)));
  if (scale === 1) return size;
  // An integer scale multiplies exactly (float32 holds every size below 2^24 exactly).
  return Number.isInteger(scale) ? mulDims(size, scale) : null;
}

/** std::roundf: halves away from zero. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** The Dims of an input's value (symbolic entries kept), or null when unknown, or undefined when absent/empty. */
function dimsParam(ctx: InferContext, name: string): readonly Dim[] | null | undefined {
  const i = ctx.inputIndex(name);
  if (i === undefined || !ctx.has(i)) return undefined;
  const v = ctx.value(i);
  if (v === undefined) return ctx.shape(i)?.[0] === 0 ? undefined : null;
  // An empty tensor stands for "not given" (opset 11-12 models pass empty scales next to sizes).
  return v.values.length === 0 ? undefined : v.values;
}

const inferResize: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const sizes = dimsParam(ctx, 'sizes');
  const scalesParam = ctx.floatsParam('scales');
  const scales = scalesParam !== null && scalesParam !== undefined && scalesParam.length === 0 ? undefined : scalesParam;
  if (x === undefined) {
    const n = sizes?.length ?? scales?.length;
    return [{ dtype, shape: ctx.ints('axes') === undefined && n !== undefined ? unknownDims(n) : undefined }];
  }
  const axesAttr = ctx.ints('axes');
  const axes = axesAttr === undefined ? x.map((_, i) => i) : normAxes(ctx, axesAttr, x.length);
  const shape: Dim[] = [...x];
  if (sizes === null || (sizes === undefined && scales === null)) {
    for (const a of axes) shape[a] = null;
    return [{ dtype, shape }];
  }
  if (sizes !== undefined) {
    if (scales !== undefined && ctx.opset >= 13) ctx.fail('both scales and sizes are given; give one of them');
    if (sizes.length !== axes.length) ctx.fail(`sizes [${sizes.join(', ')}] has ${sizes.length} values for ${axes.length} axes of ${fmt(x)}`);
    const policy = ctx.string('keep_aspect_ratio_policy') ?? 'stretch';
    if (policy === 'stretch') {
      axes.forEach((a, k) => (shape[a] = sizes[k]!));
    } else {
      // One scale for all axes (the smallest or largest ratio), then rounded per axis.
      const ins = axes.map((a) => x[a]!);
      // onnxruntime 1.30 ignores sizes under this policy when axes are negative (the spec allows them):
      // the two disagree, so the size stays unknown there.
      const negativeAxes = (axesAttr ?? []).some((a) => a < 0);
      if (negativeAxes || !ins.every((d): d is number => typeof d === 'number') || !sizes.every((d): d is number => typeof d === 'number')) {
        for (const a of axes) shape[a] = null;
      } else {
        const ratios = sizes.map((s, k) => Math.fround(s / ins[k]!));
        const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
        axes.forEach((a, k) => (shape[a] = roundHalfAway(Math.fround(scale * ins[k]!))));
      }
    }
    return [{ dtype, shape }];
  }
  if (scales === undefined || scales === null) return ctx.fail('neither scales nor sizes is given');
  if (scales.length !== axes.length) ctx.fail(`scales [${scales.join(', ')}] has ${scales.length} values for ${axes.length} axes of ${fmt(x)}`);
  axes.forEach((a, k) => (shape[a] = scaledDim(x[a]!, scales[k]!)));
  return [{ dtype, shape }];
};

/** Interpolation FLOPs per output element: a weighted sum over 2^r (linear) or 4^r (cubic) taps, r = resized axes. */
const resizeCost: CostFn = (c) => {
  const x = c.inputs[0];
  const y = c.outputs[0];
  if (x === undefined || y === undefined) return undefined;
  const r = y.filter((d, i) => d !== x[i]).length;
  const mode = c.string('mode') ?? 'nearest';
  const taps = mode === 'linear' || mode === 'bilinear' ? 2 ** r : mode === 'cubic' || mode === 'bicubic' ? 4 ** r : 0;
  return { macs: 0, flops: taps === 0 ? 0 : elements(y)! * (2 * taps - 1) };
};

const inferNms: InferFn = () => [{ dtype: 'int64', shape: [null, 3] }];

const inferRoiAlign: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const rois = ctx.shape(1);
  const batch = ctx.shape(2);
  if (rois && (rois.length !== 2 || (typeof rois[1] === 'number' && rois[1] !== 4))) ctx.fail(`rois ${fmt(rois)} must be [num_rois, 4]`);
  const n = unifyDim(ctx, rois?.[0] ?? null, batch?.[0] ?? null, () => `rois ${fmt(rois)} and batch_indices ${fmt(batch)} differ in the number of rois`);
  return [{ dtype: ctx.dtype(0), shape: [n, x?.[1] ?? null, ctx.int('output_height') ?? 1, ctx.int('output_width') ?? 1] }];
};

const inferMaxRoiPool: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const pooled = ctx.ints('pooled_shape') ?? [];
  return [{ dtype: ctx.dtype(0), shape: [ctx.shape(1)?.[0] ?? null, x?.[1] ?? null, ...pooled] }];
};

const inferGridSample: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const grid = ctx.shape(1);
  if (grid === undefined) return [{ dtype: ctx.dtype(0), shape: x ? unknownDims(x.length) : undefined }];
  const n = unifyDim(ctx, x?.[0] ?? null, grid[0]!, () => `X ${fmt(x)} and grid ${fmt(grid)} differ in batch`);
  const spatial: Shape = grid.slice(1, -1);
  return [{ dtype: ctx.dtype(0), shape: [n, x?.[1] ?? null, ...spatial] }];
};

const RESIZE_ATTRS = {
  mode: spec.string('nearest'),
  coordinate_transformation_mode: spec.string('half_pixel'),
  cubic_coeff_a: spec.float(-0.75),
  exclude_outside: spec.int(0),
  extrapolation_value: spec.float(0),
  nearest_mode: spec.string('round_prefer_floor'),
};

export const VISION_OPS: readonly OpInfo[] = [
  ...defineVersions(
    {
      op: 'Resize',
      since: 10,
      inputs: ['X', 'scales:config'],
      attrs: { mode: spec.string('nearest') },
      traits: { category: 'vision', quantizable: true, fixedFloatInputs: [1, 2] },
      infer: inferResize,
      cost: resizeCost,
    },
    [
      { since: 10 },
      { since: 11, inputs: ['X', 'roi?:config', 'scales?:config', 'sizes?:config'], attrs: RESIZE_ATTRS },
      {
        since: 18,
        inputs: ['X', 'roi?:config', 'scales?:config', 'sizes?:config'],
        attrs: { ...RESIZE_ATTRS, antialias: spec.int(0), axes: spec.ints(), keep_aspect_ratio_policy: spec.string('stretch') },
      },
    ],
  ),
  ...defineVersions(
    { op: 'Upsample', since: 7, inputs: ['X'], attrs: { mode: spec.string('nearest'), scales: spec.required('floats') }, traits: { category: 'vision', quantizable: true, fixedFloatInputs: [1] }, infer: inferResize, cost: resizeCost },
    [{ since: 7 }, { since: 9, inputs: ['X', 'scales:config'], attrs: { mode: spec.string('nearest') } }],
  ),
  defineOp({
    op: 'NonMaxSuppression',
    since: 10,
    inputs: ['boxes', 'scores', 'max_output_boxes_per_class?:config', 'iou_threshold?:config', 'score_threshold?:config'],
    outputs: ['selected_indices'],
    attrs: { center_point_box: spec.int(0) },
    traits: { category: 'vision' },
    infer: inferNms,
  }),
  defineOp({
    op: 'RoiAlign',
    since: 10,
    inputs: ['X', 'rois', 'batch_indices'],
    attrs: { mode: spec.string('avg'), output_height: spec.int(1), output_width: spec.int(1), sampling_ratio: spec.int(0), spatial_scale: spec.float(1) },
    traits: { category: 'vision' },
    infer: inferRoiAlign,
  }),
  defineOp({
    op: 'MaxRoiPool',
    since: 1,
    inputs: ['X', 'rois'],
    attrs: { pooled_shape: spec.required('ints'), spatial_scale: spec.float(1) },
    traits: { category: 'pool' },
    infer: inferMaxRoiPool,
  }),
  defineOp({
    op: 'GridSample',
    since: 16,
    inputs: ['X', 'grid'],
    attrs: { align_corners: spec.int(0), mode: spec.string('bilinear'), padding_mode: spec.string('zeros') },
    traits: { category: 'vision' },
    infer: inferGridSample,
    cost: (c) => {
      const y = c.outputs[0];
      if (y === undefined) return undefined;
      const r = y.length - 2;
      const mode = c.string('mode') ?? 'bilinear';
      const taps = mode === 'nearest' ? 0 : mode === 'bicubic' || mode === 'cubic' ? 4 ** r : 2 ** r;
      return { macs: 0, flops: taps === 0 ? 0 : elements(y)! * (2 * taps - 1) };
    },
  }),
];
