import { DATA_TYPES, type DataType } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';
import { tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import type { Dim } from '../ir/types.js';

/**
 * The statically known value of a small tensor, element by element: a number, a symbolic dim (only
 * in integer tensors that hold sizes, e.g. the output of Shape), or null where that element is not
 * known. Dims are always concrete: a value is only tracked for tensors whose shape is known.
 */
export interface SymTensor {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  readonly values: readonly Dim[];
}

/**
 * Tensors up to this many elements have their values tracked (shape vectors, axes, scales, constants):
 * 1 MiB of float32, the most fold-constants writes for one node, so what it may fold is known here.
 */
export const MAX_VALUE_ELEMENTS = (1 << 20) / 4;

/** Integers beyond this lose precision as JS numbers; such elements are tracked as unknown. */
const SAFE = Number.MAX_SAFE_INTEGER;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** INT64_MAX and INT64_MIN (the "to the end" sentinels of Slice) as the nearest JS numbers, ±2^63. */
const BIG = 2 ** 63;

/** Element types whose values are tracked. */
export function isTrackedType(dtype: DataType): boolean {
  const k = DATA_TYPES[dtype].kind;
  return k === 'int' || k === 'uint' || k === 'bool' || dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

export function isIntegerLike(dtype: DataType): boolean {
  const k = DATA_TYPES[dtype].kind;
  return k === 'int' || k === 'uint' || k === 'bool';
}

export function elementsOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The value of a real tensor (undefined when too large or of an untracked type). */
export function symFromTensor(t: Tensor): SymTensor | undefined {
  if (t.size > MAX_VALUE_ELEMENTS || !isTrackedType(t.dtype)) return undefined;
  const values: Dim[] = tensorValues(t);
  if (t.is('int64')) {
    // Exact sentinels stay (as ±2^63); other integers beyond 2^53 would be rounded, so they are unknown.
    const data = t.data;
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i] as number) <= SAFE) continue;
      const b = data[i]!;
      values[i] = b === INT64_MAX ? BIG : b === INT64_MIN ? -BIG : null;
    }
  } else if (isIntegerLike(t.dtype)) {
    for (let i = 0; i < values.length; i++) if (Math.abs(values[i] as number) > SAFE) values[i] = null;
  }
  return { dtype: t.dtype, dims: [...t.dims], values };
}

/** True when every element is a number. */
export function isNumeric(s: SymTensor): s is SymTensor & { values: readonly number[] } {
  for (const v of s.values) if (typeof v !== 'number') return false;
  return true;
}

/** A real tensor holding the value, when every element is a number. */
export function symToTensor(s: SymTensor, name = ''): Tensor | undefined {
  if (!isNumeric(s)) return undefined;
  if (s.dtype === 'int64') {
    const data = BigInt64Array.from(s.values, (v) => (v >= BIG ? INT64_MAX : v <= -BIG ? INT64_MIN : BigInt(Math.trunc(v))));
    return new Tensor('int64', s.dims, data, { name });
  }
  return tensorFromValues(s.dtype, s.dims, s.values, name);
}

/** The numbers of a value, or undefined when any element is not a number. */
export function numbersOf(s: SymTensor | undefined): number[] | undefined {
  if (s === undefined || !isNumeric(s)) return undefined;
  return [...s.values];
}

/** Rounds a number to what the element type stores (int truncation, float32 rounding, bool). */
export function storeAs(dtype: DataType, v: number): Dim {
  if (Number.isNaN(v)) return isIntegerLike(dtype) ? null : v;
  switch (DATA_TYPES[dtype].kind) {
    case 'bool':
      return v !== 0 ? 1 : 0;
    case 'int':
    case 'uint': {
      if (!Number.isFinite(v)) return null;
      const t = Math.trunc(v);
      if (Math.abs(t) > SAFE) return null;
      const bits = DATA_TYPES[dtype].bits;
      if (bits >= 53) return DATA_TYPES[dtype].kind === 'uint' && t < 0 ? null : t;
      // Narrow integer types wrap like the C++ kernels do.
      const range = 2 ** bits;
      let w = ((t % range) + range) % range;
      if (DATA_TYPES[dtype].kind === 'int' && w >= range / 2) w -= range;
      return w;
    }
    default:
      return dtype === 'float32' ? Math.fround(v) : v;
  }
}

/** Row-major strides. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/**
 * Applies `fn` elementwise with numpy broadcasting to values whose dims are known; `outDims` is the
 * broadcast shape (the caller has checked it).
 */
export function broadcastMap(inputs: readonly SymTensor[], outDims: readonly number[], dtype: DataType, fn: (args: Dim[]) => Dim): SymTensor | undefined {
  const n = elementsOf(outDims);
  if (n > MAX_VALUE_ELEMENTS) return undefined;
  const rank = outDims.length;
  const outStrides = stridesOf(outDims);
  const inStrides = inputs.map((t) => {
    const s = stridesOf(t.dims);
    const offset = rank - t.dims.length;
    // Broadcast axes (size 1, or missing) step by 0.
    return outDims.map((_, ax) => (ax < offset || t.dims[ax - offset] === 1 ? 0 : s[ax - offset]!));
  });
  const values = new Array<Dim>(n);
  const args = new Array<Dim>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) {
      let idx = 0;
      let rem = i;
      const st = inStrides[k]!;
      for (let ax = 0; ax < rank; ax++) {
        const c = Math.floor(rem / outStrides[ax]!);
        rem -= c * outStrides[ax]!;
        idx += c * st[ax]!;
      }
      args[k] = inputs[k]!.values[idx] ?? null;
    }
    values[i] = fn(args);
  }
  return { dtype, dims: outDims, values };
}

/** Gathers along `axis` with normalised (non-negative, in range) integer indices of shape `indexDims`. */
export function gatherValues(data: SymTensor, axis: number, indices: readonly number[], indexDims: readonly number[]): SymTensor | undefined {
  const outer = elementsOf(data.dims.slice(0, axis));
  const inner = elementsOf(data.dims.slice(axis + 1));
  const axisSize = data.dims[axis]!;
  const dims = [...data.dims.slice(0, axis), ...indexDims, ...data.dims.slice(axis + 1)];
  if (elementsOf(dims) > MAX_VALUE_ELEMENTS) return undefined;
  const values: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const ix of indices) {
      for (let j = 0; j < inner; j++) values.push(data.values[(o * axisSize + ix) * inner + j] ?? null);
    }
  }
  return { dtype: data.dtype, dims, values };
}

/** Concatenates values along `axis` (dims other than `axis` already checked equal). */
export function concatValues(parts: readonly SymTensor[], axis: number, dtype: DataType): SymTensor | undefined {
  const first = parts[0];
  if (first === undefined) return undefined;
  const outer = elementsOf(first.dims.slice(0, axis));
  const inner = elementsOf(first.dims.slice(axis + 1));
  let total = 0;
  for (const p of parts) total += p.dims[axis]!;
  const dims = [...first.dims];
  dims[axis] = total;
  if (elementsOf(dims) > MAX_VALUE_ELEMENTS) return undefined;
  const values: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.dims[axis]! * inner;
      for (let j = 0; j < chunk; j++) values.push(p.values[o * chunk + j] ?? null);
    }
  }
  return { dtype, dims, values };
}

/** Slices with per-axis normalised [start, step, count]. */
export function sliceValues(data: SymTensor, ranges: readonly (readonly [number, number, number])[]): SymTensor {
  const dims = ranges.map((r) => r[2]);
  const inStrides = stridesOf(data.dims);
  const values: Dim[] = [];
  const n = elementsOf(dims);
  const outStrides = stridesOf(dims);
  for (let i = 0; i < n; i++) {
    let idx = 0;
    let rem = i;
    for (let ax = 0; ax < dims.length; ax++) {
      const c = Math.floor(rem / outStrides[ax]!);
      rem -= c * outStrides[ax]!;
      const [start, step] = ranges[ax]!;
      idx += (start + c * step) * inStrides[ax]!;
    }
    values.push(data.values[idx] ?? null);
  }
  return { dtype: data.dtype, dims, values };
}

/** Permutes axes of a value. */
export function transposeValues(data: SymTensor, perm: readonly number[]): SymTensor {
  const dims = perm.map((p) => data.dims[p]!);
  const inStrides = stridesOf(data.dims);
  const outStrides = stridesOf(dims);
  const n = data.values.length;
  const values = new Array<Dim>(n);
  for (let i = 0; i < n; i++) {
    let idx = 0;
    let rem = i;
    for (let ax = 0; ax < dims.length; ax++) {
      const c = Math.floor(rem / outStrides[ax]!);
      rem -= c * outStrides[ax]!;
      idx += c * inStrides[perm[ax]!]!;
    }
    values[i] = data.values[idx] ?? null;
  }
  return { dtype: data.dtype, dims, values };
}
