import type { Dim, Shape } from '../ir/types.js';
import { dimsEqual } from './symbolic.js';
import type { InferContext, InferredOutput } from './types.js';

/** "[N, 3, 224, 224]" with "?" for unknown dims; "?" for unknown rank. */
export function fmt(shape: Shape | undefined): string {
  if (shape === undefined) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Ranks beyond this are not believed: a file may declare any size for a shape vector. */
const MAX_RANK = 4096;

/** A shape of `rank` unknown dims; unknown rank when the rank is absent or not a plausible rank. */
export function unknownDims(rank: number | undefined): Shape | undefined {
  if (rank === undefined || !Number.isInteger(rank) || rank < 0 || rank > MAX_RANK) return undefined;
  return new Array<Dim>(rank).fill(null);
}

/** Dim `i` of a shape right-aligned to `rank` (missing leading dims are 1; an unknown dim stays null). */
export function alignedDim(shape: Shape, rank: number, i: number): Dim {
  const k = shape.length - rank + i;
  return k < 0 ? 1 : shape[k]!;
}

/** Broadcast of two dims, or 'mismatch' when they can never broadcast. */
export function broadcastDim(a: Dim, b: Dim): Dim | 'mismatch' {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') return 'mismatch';
  // A number other than 1 wins: the other side must be that number or 1.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return null;
}

/** Numpy (multidirectional) broadcast of several shapes; fails on incompatible dims. */
export function broadcastShapes(ctx: InferContext, shapes: readonly (Shape | undefined)[]): Shape | undefined {
  let acc: Shape | undefined;
  for (const s of shapes) {
    if (s === undefined) return undefined;
    // Most elementwise nodes see one shape or two equal ones; those need no new array.
    if (acc === undefined || s === acc || sameDims(s, acc)) {
      acc ??= s;
      continue;
    }
    const rank = Math.max(acc.length, s.length);
    const next = new Array<Dim>(rank);
    for (let i = 0; i < rank; i++) {
      const a = alignedDim(acc, rank, i);
      const b = alignedDim(s, rank, i);
      const d = broadcastDim(a, b);
      if (d === 'mismatch') {
        ctx.fail(`cannot broadcast shapes ${shapes.map(fmt).join(' and ')}: dim ${i - rank} is ${a} vs ${b} and neither is 1`);
      }
      next[i] = d;
    }
    acc = next;
  }
  return acc ?? [];
}

function sameDims(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] || a[i] === null) return false;
  return true;
}

/** Normalises a possibly negative axis against a rank; fails when out of range. */
export function normAxis(ctx: InferContext, axis: number, rank: number, what = 'axis'): number {
  if (axis < -rank || axis >= rank) ctx.fail(`${what} ${axis} is out of range for rank ${rank} (allowed ${-rank}..${rank - 1})`);
  return axis < 0 ? axis + rank : axis;
}

export function normAxes(ctx: InferContext, axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normAxis(ctx, a, rank, what));
  if (new Set(out).size !== out.length) ctx.fail(`${what} [${axes.join(', ')}] repeat an axis`);
  return out;
}

/**
 * Two dims that must be equal: the more specific of them (a number over a symbol over unknown);
 * fails when they certainly differ.
 */
export function unifyDim(ctx: InferContext, a: Dim, b: Dim, what: () => string): Dim {
  // The message is built only on failure: this runs for every Conv, MatMul and Concat.
  if (dimsEqual(a, b) === false) ctx.fail(`${what()}: ${a} vs ${b}`);
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return a ?? b;
}

/** The dim both branches agree on, else unknown (for If outputs and loop-carried values). */
function joinDim(a: Dim, b: Dim): Dim {
  return a === b ? a : null;
}

export function joinShapes(a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (a === undefined || b === undefined || a.length !== b.length) return undefined;
  return a.map((d, i) => joinDim(d, b[i]!));
}

/** Fails when a computed dim is certainly negative. */
export function checkDim(ctx: InferContext, d: Dim, what: string): Dim {
  if (typeof d === 'number' && d < 0) ctx.fail(`${what} would be ${d}; sizes cannot be negative`);
  return d;
}

/** Output same as input 0 (type and shape), for shape-preserving ops. */
export function sameAsInput(ctx: InferContext, i = 0): InferredOutput {
  return { dtype: ctx.dtype(i), shape: ctx.shape(i) };
}
