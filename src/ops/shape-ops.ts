import type { Dim, Shape } from '../ir/types.js';
import { NO_ARITHMETIC } from './cost-util.js';
import { defineOp, defineVersions, spec } from './define.js';
import { alignedDim, broadcastDim, checkDim, fmt, normAxes, normAxis, unifyDim, unknownDims } from './shape-util.js';
import { addDims, ceilDivDims, divDimsExact, dimsEqual, isNonNegativeDim, mulDims, productOfDims, subDims } from './symbolic.js';
import { broadcastMap, concatValues, elementsOf, sliceValues, transposeValues, type SymTensor } from './sym-tensor.js';
import type { InferContext, InferFn, InferredOutput, OpInfo } from './types.js';

const isStatic = (s: Shape | undefined): s is readonly number[] => s !== undefined && s.every((d) => typeof d === 'number');

/** The same values under new (static) dims. */
function reshapeValue(v: SymTensor | undefined, shape: Shape | undefined): SymTensor | undefined {
  if (v === undefined || !isStatic(shape) || elementsOf(shape) !== v.values.length) return undefined;
  return { dtype: v.dtype, dims: shape, values: v.values };
}

function withValue(dtype: InferredOutput['dtype'], shape: Shape | undefined, value: SymTensor | undefined): InferredOutput {
  return value === undefined ? { dtype, shape } : { dtype, shape, value };
}

// ---- Shape, Size ----

const inferShapeOp: InferFn = (ctx) => {
  const x = ctx.shape(0);
  if (x === undefined) return [{ dtype: 'int64', shape: [null] }];
  const r = x.length;
  const clamp = (v: number): number => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  const dims = x.slice(clamp(ctx.int('start') ?? 0), clamp(ctx.int('end') ?? r));
  return [{ dtype: 'int64', shape: [dims.length], value: { dtype: 'int64', dims: [dims.length], values: dims } }];
};

const inferSize: InferFn = (ctx) => {
  const x = ctx.shape(0);
  if (x === undefined) return [{ dtype: 'int64', shape: [] }];
  return [{ dtype: 'int64', shape: [], value: { dtype: 'int64', dims: [], values: [productOfDims(x)] } }];
};

// ---- Reshape, Flatten ----

function inferReshape(ctx: InferContext): readonly InferredOutput[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  let target: readonly Dim[] | undefined;
  if (ctx.inputIndex('shape') !== undefined) {
    const v = ctx.value(1);
    if (v !== undefined && v.dims.length !== 1) ctx.fail(`shape input has dims [${v.dims.join(', ')}]; it must be 1-D`);
    target = v?.values;
    if (target === undefined) {
      const n = ctx.shape(1)?.[0];
      return [{ dtype, shape: typeof n === 'number' ? unknownDims(n) : undefined }];
    }
  } else {
    target = ctx.ints('shape');
    if (target === undefined) return ctx.fail('the shape attribute is missing');
  }
  const allowZero = (ctx.int('allowzero') ?? 0) !== 0;
  let inferIndex = -1;
  const shape: Dim[] = target.map((t, i) => {
    if (t === -1) {
      if (inferIndex >= 0) ctx.fail(`shape [${target.join(', ')}] has more than one -1`);
      inferIndex = i;
      return null;
    }
    if (t === 0 && !allowZero) {
      if (x !== undefined && i >= x.length) ctx.fail(`shape [${target.join(', ')}] copies dim ${i} (a 0) from input ${fmt(x)}, which has no such dim`);
      return x?.[i] ?? null;
    }
    if (typeof t === 'number' && t < 0) ctx.fail(`shape [${target.join(', ')}] has ${t}; only -1 may be negative`);
    // A symbolic entry that might be negative (N-2) might mean -1 at run time; sizes from Shape are
    // taken as they are (a size of 0 would mean "copy", which only empty tensors meet).
    if (typeof t === 'string' && !isNonNegativeDim(t)) return null;
    return t;
  });
  const total = x === undefined ? null : productOfDims(x);
  const message = (): string => `cannot reshape ${fmt(x)} (${total} elements) to [${target.join(', ')}]`;
  if (inferIndex >= 0) {
    const known = productOfDims(shape.filter((_, i) => i !== inferIndex));
    if (typeof total === 'number' && typeof known === 'number') {
      if (known === 0 ? total !== 0 : total % known !== 0) ctx.fail(`${message()}: ${total} is not a multiple of ${known}`);
      shape[inferIndex] = known === 0 ? 0 : total / known;
    } else if (total !== null && known !== null) {
      shape[inferIndex] = divDimsExact(total, known);
    }
  } else {
    const count = productOfDims(shape);
    if (typeof total === 'number' && typeof count === 'number' && total !== count) ctx.fail(`${message()}: the new shape holds ${count}`);
  }
  return [withValue(dtype, shape, reshapeValue(ctx.value(0), shape))];
}

const inferFlatten: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (x === undefined) return [{ dtype, shape: [null, null] }];
  const axis = ctx.int('axis') ?? 1;
  // axis may equal the rank: the output is then [N, 1].
  if (axis < -x.length || axis > x.length) ctx.fail(`axis ${axis} is out of range for rank ${x.length}`);
  const a = axis < 0 ? axis + x.length : axis;
  const shape = [productOfDims(x.slice(0, a)), productOfDims(x.slice(a))];
  return [withValue(dtype, shape, reshapeValue(ctx.value(0), shape))];
};

// ---- Squeeze, Unsqueeze ----

function axesCount(ctx: InferContext): number | undefined {
  const n = ctx.shape(ctx.inputIndex('axes') ?? -1)?.[0];
  return typeof n === 'number' ? n : undefined;
}

const inferSqueeze: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const axes = ctx.intsParam('axes');
  if (x === undefined) return [{ dtype, shape: undefined }];
  if (axes === null) {
    const n = axesCount(ctx);
    return [{ dtype, shape: n === undefined ? undefined : unknownDims(x.length - n) }];
  }
  let drop: Set<number>;
  if (axes === undefined || axes.length === 0) {
    // Without axes every size-1 dim goes; a symbolic dim might be 1, so the rank is then unknown.
    if (!isStatic(x)) return [{ dtype, shape: undefined }];
    drop = new Set(x.flatMap((d, i) => (d === 1 ? [i] : [])));
  } else {
    drop = new Set(normAxes(ctx, axes, x.length));
    for (const a of drop) if (dimsEqual(x[a]!, 1) === false) ctx.fail(`cannot squeeze axis ${a} of ${fmt(x)}: its size is ${x[a]}, not 1`);
  }
  const shape = x.filter((_, i) => !drop.has(i));
  return [withValue(dtype, shape, reshapeValue(ctx.value(0), shape))];
};

const inferUnsqueeze: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const axes = ctx.intsParam('axes');
  if (axes === undefined) return ctx.fail('axes are missing');
  if (x === undefined) return [{ dtype, shape: undefined }];
  if (axes === null) {
    const n = axesCount(ctx);
    return [{ dtype, shape: n === undefined ? undefined : unknownDims(x.length + n) }];
  }
  const rank = x.length + axes.length;
  const at = new Set(normAxes(ctx, axes, rank));
  const shape: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : x[k++]!);
  return [withValue(dtype, shape, reshapeValue(ctx.value(0), shape))];
};

// ---- Transpose ----

const inferTranspose: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (x === undefined) return [{ dtype, shape: undefined }];
  const perm = ctx.ints('perm') ?? x.map((_, i) => x.length - 1 - i);
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.length || sorted.some((p, i) => p !== i)) ctx.fail(`perm [${perm.join(', ')}] is not a permutation of the ${x.length} axes of ${fmt(x)}`);
  const shape = perm.map((p) => x[p]!);
  const v = ctx.value(0);
  return [withValue(dtype, shape, v && isStatic(x) ? transposeValues(v, perm) : undefined)];
};

// ---- Expand, Tile ----

const inferExpand: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const v = ctx.value(1);
  let target: readonly Dim[] | undefined = v?.values;
  if (target === undefined) {
    // a rank past what unknownDims represents (or no number at all) leaves the output's rank unknown
    const n = ctx.shape(1)?.[0];
    const dims = typeof n === 'number' ? unknownDims(n) : undefined;
    if (dims === undefined) return [{ dtype, shape: undefined }];
    target = dims;
  }
  if (x === undefined) return [{ dtype, shape: unknownDims(target.length) }];
  const rank = Math.max(x.length, target.length);
  const shape: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const a = alignedDim(x, rank, i);
    const b = alignedDim(target, rank, i);
    const d = broadcastDim(a, b);
    if (d === 'mismatch') ctx.fail(`cannot expand ${fmt(x)} to [${target.join(', ')}]: dim ${i - rank} is ${a} vs ${b}`);
    shape.push(d);
  }
  const xv = ctx.value(0);
  const value = xv && isStatic(shape) ? broadcastMap([xv], shape, xv.dtype, ([e = null]) => e) : undefined;
  return [withValue(dtype, shape, value)];
};

const inferTile: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (x === undefined) return [{ dtype, shape: undefined }];
  const repeats = ctx.intsParam('repeats');
  if (repeats && repeats.length !== x.length) ctx.fail(`repeats [${repeats.join(', ')}] has ${repeats.length} values for input ${fmt(x)}`);
  return [{ dtype, shape: x.map((d, i) => mulDims(d, repeats ? repeats[i]! : null)) }];
};

// ---- Concat, Split ----

const inferConcat: InferFn = (ctx) => {
  const present: number[] = [];
  for (let i = 0; i < ctx.inputCount; i++) if (ctx.has(i)) present.push(i);
  const shapes = present.map((i) => ctx.shape(i));
  const dtype = present.map((i) => ctx.dtype(i)).find((t) => t !== undefined);
  const known = shapes.filter((s): s is Shape => s !== undefined);
  const first = known[0];
  if (first === undefined) return [{ dtype, shape: undefined }];
  const rank = first.length;
  if (rank === 0) ctx.fail('inputs are scalars; Concat needs rank ≥ 1');
  for (const s of known) if (s.length !== rank) ctx.fail(`inputs have different ranks: ${shapes.map(fmt).join(', ')}`);
  const axis = normAxis(ctx, ctx.int('axis') ?? 1, rank);
  const shape: Dim[] = [...first];
  for (let d = 0; d < rank; d++) {
    if (d === axis) {
      shape[d] = shapes.reduce<Dim>((acc, s) => (s === undefined ? null : addDims(acc, s[d]!)), 0);
    } else {
      for (const s of known) shape[d] = unifyDim(ctx, shape[d]!, s[d]!, () => `inputs ${shapes.map(fmt).join(', ')} differ in dim ${d} (concatenating on axis ${axis})`);
    }
  }
  const values = present.map((i) => ctx.value(i));
  let value: SymTensor | undefined;
  if (dtype && values.every((v) => v !== undefined)) value = concatValues(values, axis, dtype);
  return [withValue(dtype, shape, value)];
};

function inferSplit(ctx: InferContext): readonly InferredOutput[] {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  const n = ctx.outputCount;
  if (x === undefined) return new Array<InferredOutput>(n).fill({ dtype, shape: undefined });
  const axis = normAxis(ctx, ctx.int('axis') ?? 0, x.length);
  const dim = x[axis]!;
  let sizes: readonly Dim[] | undefined;
  let split = ctx.intsParam('split');
  // Opset 1 took split as an input or an attribute.
  if (split === undefined && ctx.info.since === 1) split = ctx.ints('split');
  if (split === null) sizes = new Array<Dim>(n).fill(null);
  else if (split !== undefined && split.length > 0) {
    if (split.length !== n) ctx.fail(`split [${split.join(', ')}] has ${split.length} sizes for ${n} outputs`);
    const sum = split.reduce((a, b) => a + b, 0);
    if (dimsEqual(dim, sum) === false) ctx.fail(`split [${split.join(', ')}] sums to ${sum}, but axis ${axis} of ${fmt(x)} has ${dim}`);
    sizes = split;
  } else {
    const parts = ctx.int('num_outputs') ?? n;
    if (parts !== n) ctx.fail(`num_outputs is ${parts} but the node has ${n} outputs`);
    if (ctx.int('num_outputs') !== undefined) {
      // Opset 18: chunks of ceil(dim / n), the last one smaller.
      const chunk = ceilDivDims(dim, n);
      const last = chunk === null ? null : subDims(dim, mulDims(chunk, n - 1));
      if (typeof last === 'number' && last <= 0) ctx.fail(`axis ${axis} of ${fmt(x)} (size ${dim}) cannot be split into ${n} non-empty chunks`);
      sizes = Array.from({ length: n }, (_, i) => (i === n - 1 ? last : chunk));
    } else {
      const each = divDimsExact(dim, n);
      if (typeof dim === 'number' && each === null) ctx.fail(`axis ${axis} of ${fmt(x)} (size ${dim}) does not split evenly into ${n} outputs`);
      sizes = new Array<Dim>(n).fill(each);
    }
  }
  const v = ctx.value(0);
  let offset = 0;
  return sizes.map((size) => {
    const shape = x.map((d, i) => (i === axis ? size : d));
    let value: SymTensor | undefined;
    if (v && isStatic(x) && typeof size === 'number') {
      value = sliceValues(v, x.map((d, i): [number, number, number] => (i === axis ? [offset, 1, size] : [0, 1, d])));
      offset += size;
    }
    return withValue(dtype, shape, value);
  });
}

// ---- Slice ----

/** The [start, step, count] a Slice takes of a dim of known size (ONNX clamping rules). */
export function sliceRange(size: number, start: number, end: number, step: number): [number, number, number] {
  let s = start < 0 ? start + size : start;
  let e = end < 0 ? end + size : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), size);
    e = Math.min(Math.max(e, 0), size);
  } else {
    s = Math.min(Math.max(s, 0), size - 1);
    e = Math.min(Math.max(e, -1), size - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return [s, step, count];
}

const inferSlice: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (x === undefined) return [{ dtype, shape: undefined }];
  const starts = ctx.intsParam('starts');
  const ends = ctx.intsParam('ends');
  const axesParam = ctx.intsParam('axes');
  const steps = ctx.intsParam('steps');
  if (starts === undefined || ends === undefined) return ctx.fail('starts and ends are required');
  if (starts === null || ends === null || axesParam === null || steps === null) {
    // The sliced axes are unknown, or their bounds are: those dims are unknown.
    const startsLength = ctx.shape(ctx.inputIndex('starts') ?? -1)?.[0];
    const n = starts?.length ?? ends?.length ?? (typeof startsLength === 'number' ? startsLength : undefined);
    const axes = axesParam === null ? undefined : axesParam === undefined ? (n === undefined ? undefined : Array.from({ length: n }, (_, i) => i)) : normAxes(ctx, axesParam, x.length);
    return [{ dtype, shape: axes === undefined ? unknownDims(x.length) : x.map((d, i) => (axes.includes(i) ? null : d)) }];
  }
  if (starts.length !== ends.length) ctx.fail(`starts [${starts.join(', ')}] and ends [${ends.join(', ')}] differ in length`);
  const axes = normAxes(ctx, axesParam ?? starts.map((_, i) => i), x.length);
  if (axes.length !== starts.length) ctx.fail(`axes [${axes.join(', ')}] and starts [${starts.join(', ')}] differ in length`);
  const stepOf = (k: number): number => steps?.[k] ?? 1;
  const ranges: ([number, number, number] | undefined)[] = x.map((d) => (typeof d === 'number' ? [0, 1, d] : undefined));
  const shape: Dim[] = [...x];
  axes.forEach((axis, k) => {
    const step = stepOf(k);
    if (step === 0) ctx.fail(`step of axis ${axis} is 0`);
    const size = x[axis]!;
    const start = starts[k]!;
    const end = ends[k]!;
    if (typeof size === 'number') {
      const r = sliceRange(size, start, end, step);
      ranges[axis] = r;
      shape[axis] = r[2];
    } else {
      // A symbolic dim is only known when the whole of it is taken.
      shape[axis] = size !== null && start === 0 && step === 1 && end >= 2 ** 31 - 1 ? size : null;
      ranges[axis] = undefined;
    }
  });
  const v = ctx.value(0);
  const value = v && ranges.every((r) => r !== undefined) ? sliceValues(v, ranges as [number, number, number][]) : undefined;
  return [withValue(dtype, shape, value)];
};

// ---- Pad ----

const inferPad: InferFn = (ctx) => {
  const x = ctx.shape(0);
  const dtype = ctx.dtype(0);
  if (x === undefined) return [{ dtype, shape: undefined }];
  const pads = ctx.info.attrs['paddings'] ? (ctx.ints('paddings') ?? null) : ctx.intsParam('pads');
  const axesParam = ctx.intsParam('axes');
  if (axesParam === null) return [{ dtype, shape: unknownDims(x.length) }];
  const axes = axesParam === undefined ? x.map((_, i) => i) : normAxes(ctx, axesParam, x.length);
  if (pads === undefined) return ctx.fail('pads are missing');
  if (pads === null) return [{ dtype, shape: x.map((d, i) => (axes.includes(i) ? null : d)) }];
  if (pads.length !== 2 * axes.length) ctx.fail(`pads [${pads.join(', ')}] has ${pads.length} values for ${axes.length} axes (2 per axis)`);
  const shape: Dim[] = [...x];
  axes.forEach((a, k) => {
    shape[a] = checkDim(ctx, addDims(x[a]!, pads[k]! + pads[k + axes.length]!), `padded axis ${a}`);
  });
  return [{ dtype, shape }];
};

// ---- DepthToSpace, SpaceToDepth ----

function blockRearrange(toSpace: boolean): InferFn {
  return (ctx) => {
    const x = ctx.shape(0);
    const dtype = ctx.dtype(0);
    if (x === undefined) return [{ dtype, shape: [null, null, null, null] }];
    if (x.length !== 4) ctx.fail(`input ${fmt(x)} must be [N, C, H, W]`);
    const b = ctx.int('blocksize');
    if (b === undefined || b < 1) return ctx.fail('blocksize must be ≥ 1');
    const [n, c, h, w] = x as [Dim, Dim, Dim, Dim];
    if (toSpace) {
      const cOut = divDimsExact(c, b * b);
      if (typeof c === 'number' && cOut === null) ctx.fail(`channels ${c} of ${fmt(x)} do not divide by blocksize² = ${b * b}`);
      return [{ dtype, shape: [n, cOut, mulDims(h, b), mulDims(w, b)] }];
    }
    const hOut = divDimsExact(h, b);
    const wOut = divDimsExact(w, b);
    if ((typeof h === 'number' && hOut === null) || (typeof w === 'number' && wOut === null)) ctx.fail(`H and W of ${fmt(x)} must divide by blocksize ${b}`);
    return [{ dtype, shape: [n, mulDims(c, b * b), hOut, wOut] }];
  };
}

const MOVE = { category: 'movement', movement: true } as const;
/** Reshape, Flatten, Squeeze, Unsqueeze: the same elements in the same order, a free view that TensorRT fuses through. */
const RESHAPE = { ...MOVE, valuePreserving: true, reshape: true, view: true, fusibleFollower: true } as const;

export const SHAPE_OPS: readonly OpInfo[] = [
  defineOp({
    op: 'Shape',
    since: 1,
    inputs: ['data'],
    outputs: ['shape'],
    attrs: { start: spec.int(0), end: spec.int() },
    traits: { category: 'shape', shapeOp: true },
    infer: inferShapeOp,
    cost: NO_ARITHMETIC,
  }),
  defineOp({ op: 'Size', since: 1, inputs: ['data'], outputs: ['size'], traits: { category: 'shape', shapeOp: true }, infer: inferSize, cost: NO_ARITHMETIC }),
  ...defineVersions(
    { op: 'Reshape', since: 1, inputs: ['data'], outputs: ['reshaped'], attrs: { shape: spec.ints() }, traits: RESHAPE, infer: inferReshape, cost: NO_ARITHMETIC },
    [{ since: 1 }, { since: 5, inputs: ['data', 'shape:config'], attrs: {} }, { since: 14, inputs: ['data', 'shape:config'], attrs: { allowzero: spec.int(0) } }],
  ),
  defineOp({ op: 'Flatten', since: 1, inputs: ['input'], outputs: ['output'], attrs: { axis: spec.int(1) }, traits: RESHAPE, infer: inferFlatten, cost: NO_ARITHMETIC }),
  ...defineVersions(
    { op: 'Squeeze', since: 1, inputs: ['data'], outputs: ['squeezed'], attrs: { axes: spec.ints() }, traits: RESHAPE, infer: inferSqueeze, cost: NO_ARITHMETIC },
    [{ since: 1 }, { since: 13, inputs: ['data', 'axes?:config'], attrs: {} }],
  ),
  ...defineVersions(
    { op: 'Unsqueeze', since: 1, inputs: ['data'], outputs: ['expanded'], attrs: { axes: spec.required('ints') }, traits: RESHAPE, infer: inferUnsqueeze, cost: NO_ARITHMETIC },
    [{ since: 1 }, { since: 13, inputs: ['data', 'axes:config'], attrs: {} }],
  ),
  defineOp({ op: 'Transpose', since: 1, inputs: ['data'], outputs: ['transposed'], attrs: { perm: spec.ints() }, traits: { ...MOVE, quantizable: true, valuePreserving: true, fusibleFollower: true }, infer: inferTranspose, cost: NO_ARITHMETIC }),
  defineOp({ op: 'Expand', since: 8, inputs: ['input', 'shape:config'], outputs: ['output'], traits: MOVE, infer: inferExpand, cost: NO_ARITHMETIC }),
  defineOp({ op: 'Tile', since: 6, inputs: ['input', 'repeats:config'], outputs: ['output'], traits: MOVE, infer: inferTile, cost: NO_ARITHMETIC }),
  ...defineVersions(
    { op: 'Concat', since: 1, inputs: ['inputs...'], outputs: ['concat_result'], attrs: { axis: spec.int(1) }, traits: { ...MOVE, quantizable: true }, infer: inferConcat, cost: NO_ARITHMETIC },
    [{ since: 1 }, { since: 4, attrs: { axis: spec.required('int') } }],
  ),
  ...defineVersions(
    { op: 'Split', since: 1, inputs: ['input', 'split?:config'], outputs: ['outputs...'], attrs: { axis: spec.int(0), split: spec.ints() }, traits: MOVE, infer: inferSplit, cost: NO_ARITHMETIC },
    [
      { since: 1 },
      { since: 2, inputs: ['input'] },
      { since: 13, inputs: ['input', 'split?:config'], attrs: { axis: spec.int(0) } },
      { since: 18, inputs: ['input', 'split?:config'], attrs: { axis: spec.int(0), num_outputs: spec.int() } },
    ],
  ),
  ...defineVersions(
    { op: 'Slice', since: 1, inputs: ['data'], outputs: ['output'], attrs: { starts: spec.required('ints'), ends: spec.required('ints'), axes: spec.ints() }, traits: MOVE, infer: inferSlice, cost: NO_ARITHMETIC },
    [{ since: 1 }, { since: 10, inputs: ['data', 'starts:config', 'ends:config', 'axes?:config', 'steps?:config'], attrs: {} }],
  ),
  ...defineVersions(
    { op: 'Pad', since: 1, inputs: ['data'], outputs: ['output'], attrs: { mode: spec.string('constant'), paddings: spec.required('ints'), value: spec.float(0) }, traits: MOVE, infer: inferPad, cost: NO_ARITHMETIC },
    [
      { since: 1 },
      { since: 2, attrs: { mode: spec.string('constant'), pads: spec.required('ints'), value: spec.float(0) } },
      { since: 11, inputs: ['data', 'pads:config', 'constant_value?:config'], attrs: { mode: spec.string('constant') } },
      { since: 18, inputs: ['data', 'pads:config', 'constant_value?:config', 'axes?:config'], attrs: { mode: spec.string('constant') } },
    ],
  ),
  defineOp({ op: 'DepthToSpace', since: 1, inputs: ['input'], outputs: ['output'], attrs: { blocksize: spec.required('int'), mode: spec.string('DCR') }, traits: { ...MOVE, valuePreserving: true }, infer: blockRearrange(true), cost: NO_ARITHMETIC }),
  defineOp({ op: 'SpaceToDepth', since: 1, inputs: ['input'], outputs: ['output'], attrs: { blocksize: spec.required('int') }, traits: { ...MOVE, valuePreserving: true }, infer: blockRearrange(false), cost: NO_ARITHMETIC }),
];
