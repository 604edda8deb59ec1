import { quote } from '../util/text.js';
import type { DataType } from '../ir/dtype.js';
import type { Dim, Shape } from '../ir/types.js';
import { elements } from './cost-util.js';
import { defineOp, spec } from './define.js';
import { alignedDim, broadcastDim, broadcastShapes, fmt, unifyDim } from './shape-util.js';
import type { CostContext, CostFn, InferContext, InferFn, OpInfo } from './types.js';

/** numpy matmul shapes: 1-D operands are promoted and their extra dim dropped again; batch dims broadcast. */
function matmulShape(ctx: InferContext, a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.length === 0 || b.length === 0) ctx.fail(`MatMul needs operands of rank ≥ 1, got ${fmt(a)} and ${fmt(b)}`);
  const A = a.length === 1 ? [1, a[0]!] : a;
  const B = b.length === 1 ? [b[0]!, 1] : b;
  unifyDim(ctx, A[A.length - 1]!, B[B.length - 2]!, () => `inner dims of ${fmt(a)} × ${fmt(b)} differ`);
  const batch = broadcastShapes(ctx, [A.slice(0, -2), B.slice(0, -2)])!;
  return [...batch, ...(a.length === 1 ? [] : [A[A.length - 2]!]), ...(b.length === 1 ? [] : [B[B.length - 1]!])];
}

function matmulInfer(aIndex: number, bIndex: number, dtypeOf: (ctx: InferContext) => DataType | undefined): InferFn {
  return (ctx) => [{ dtype: dtypeOf(ctx), shape: matmulShape(ctx, ctx.shape(aIndex), ctx.shape(bIndex)) }];
}

/** MatMul MACs: output elements × the inner dim. */
function matmulCost(aIndex: number): CostFn {
  return (c) => {
    const a = c.inputs[aIndex];
    const y = c.outputs[0];
    if (a === undefined || y === undefined) return undefined;
    const macs = elements(y)! * a[a.length - 1]!;
    return { macs, flops: 2 * macs };
  };
}

const inferGemm: InferFn = (ctx) => {
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  for (const [s, i] of [[a, 0], [b, 1]] as const) if (s && s.length !== 2) ctx.fail(`input ${i} has shape ${fmt(s)}; Gemm needs matrices`);
  const transA = (ctx.int('transA') ?? 0) !== 0;
  const transB = (ctx.int('transB') ?? 0) !== 0;
  const m = a ? a[transA ? 1 : 0]! : null;
  const n = b ? b[transB ? 0 : 1]! : null;
  if (a && b) unifyDim(ctx, a[transA ? 0 : 1]!, b[transB ? 1 : 0]!, () => `inner dims of A ${fmt(a)} and B ${fmt(b)} differ (transA ${+transA}, transB ${+transB})`);
  const c = ctx.shape(2);
  if (c && ctx.has(2)) {
    if (c.length > 2) ctx.fail(`C ${fmt(c)} has rank ${c.length}; it must broadcast to [M, N]`);
    const full = [m, n];
    c.forEach((d, i) => {
      const target = full[full.length - c.length + i]!;
      const r = broadcastDim(target, d);
      if (r === 'mismatch' || (typeof target === 'number' && r !== target)) ctx.fail(`C ${fmt(c)} does not broadcast to [M, N] = ${fmt(full)}`);
    });
  }
  return [{ dtype: ctx.dtype(0), shape: [m, n] }];
};

/** Gemm: M × N × K MACs; alpha scaling and the beta·C add count one FLOP per output element each. */
const gemmCost: CostFn = (c) => {
  const a = c.inputs[0];
  const y = c.outputs[0];
  if (a === undefined || y === undefined) return undefined;
  const k = a[(c.int('transA') ?? 0) !== 0 ? 0 : 1]!;
  const out = elements(y)!;
  const macs = out * k;
  const cFlops = c.inputs[2] !== undefined ? out : 0;
  return { macs, flops: 2 * macs + cFlops + (c.node.attrs.float('alpha', 1) !== 1 ? out : 0) + (c.inputs[2] !== undefined && c.node.attrs.float('beta', 1) !== 1 ? out : 0) };
};

// ---- Einsum ----

interface EinsumTerm {
  readonly letters: readonly string[];
  /** Index among the letters where "..." stands, or -1. */
  readonly ellipsisAt: number;
}

interface Equation {
  readonly inputs: readonly EinsumTerm[];
  readonly output: EinsumTerm | undefined;
}

function parseTerm(s: string): EinsumTerm | undefined {
  const at = s.indexOf('...');
  const rest = at < 0 ? s : s.slice(0, at) + s.slice(at + 3);
  if (!/^[A-Za-z]*$/.test(rest)) return undefined;
  return { letters: [...rest], ellipsisAt: at };
}

function parseEquation(eq: string): Equation | undefined {
  const [lhs = '', rhs, extra] = eq.replace(/\s+/g, '').split('->');
  if (extra !== undefined) return undefined;
  const inputs: EinsumTerm[] = [];
  for (const term of lhs.split(',')) {
    const t = parseTerm(term);
    if (t === undefined) return undefined;
    inputs.push(t);
  }
  if (rhs === undefined) return { inputs, output: undefined };
  const output = parseTerm(rhs);
  return output === undefined ? undefined : { inputs, output };
}

/** Letter sizes and the broadcast ellipsis dims of an equation over the input shapes. */
function einsumDims(
  terms: readonly EinsumTerm[],
  shapes: readonly Shape[],
  unify: (a: Dim, b: Dim, letter: string) => Dim,
  fail: (m: string) => never,
): { sizes: Map<string, Dim>; ellipsis: Dim[] } {
  const sizes = new Map<string, Dim>();
  let ellipsis: Dim[] = [];
  terms.forEach((t, k) => {
    const s = shapes[k]!;
    const nEll = s.length - t.letters.length;
    if (nEll < 0 || (t.ellipsisAt < 0 && nEll !== 0)) fail(`term ${k} of the equation has ${t.letters.length} labels for input shape ${fmt(s)}`);
    let pos = 0;
    const ell: Dim[] = [];
    for (let i = 0; i <= t.letters.length; i++) {
      if (i === t.ellipsisAt) for (let e = 0; e < nEll; e++) ell.push(s[pos++]!);
      const letter = t.letters[i];
      if (letter === undefined) break;
      const d = s[pos++]!;
      const prev = sizes.get(letter);
      sizes.set(letter, prev === undefined ? d : unify(prev, d, letter));
    }
    // Ellipsis dims broadcast against each other, right-aligned.
    const r = Math.max(ellipsis.length, ell.length);
    const merged: Dim[] = [];
    for (let i = 0; i < r; i++) {
      const a = alignedDim(ellipsis, r, i);
      const b = alignedDim(ell, r, i);
      const d = broadcastDim(a, b);
      if (d === 'mismatch') fail(`ellipsis dims ${fmt(ellipsis)} and ${fmt(ell)} do not broadcast`);
      merged.push(d);
    }
    ellipsis = merged;
  });
  return { sizes, ellipsis };
}

function outputTerm(eq: Equation): EinsumTerm {
  if (eq.output) return eq.output;
  // Implicit output: ellipsis dims, then the labels used once, in alphabetical order.
  const count = new Map<string, number>();
  for (const t of eq.inputs) for (const l of t.letters) count.set(l, (count.get(l) ?? 0) + 1);
  const once = [...count].filter(([, n]) => n === 1).map(([l]) => l).sort();
  return { letters: once, ellipsisAt: eq.inputs.some((t) => t.ellipsisAt >= 0) ? 0 : -1 };
}

const inferEinsum: InferFn = (ctx) => {
  const eqText = ctx.string('equation') ?? '';
  const eq = parseEquation(eqText);
  if (eq === undefined) return ctx.fail(`equation ${quote(eqText)} cannot be parsed`);
  if (eq.inputs.length !== ctx.inputCount) ctx.fail(`equation ${quote(eqText)} has ${eq.inputs.length} terms for ${ctx.inputCount} inputs`);
  const shapes = eq.inputs.map((_, i) => ctx.shape(i));
  const dtype = ctx.dtype(0);
  const out = outputTerm(eq);
  if (shapes.some((s) => s === undefined)) {
    // The rank is still known when the output has no ellipsis.
    return [{ dtype, shape: out.ellipsisAt < 0 ? new Array<Dim>(out.letters.length).fill(null) : undefined }];
  }
  const { sizes, ellipsis } = einsumDims(
    eq.inputs,
    shapes as Shape[],
    (a, b, l) => {
      // Size-1 labels broadcast in onnxruntime's Einsum.
      if (a === 1) return b;
      if (b === 1) return a;
      return unifyDim(ctx, a, b, () => `label ${quote(l)} of equation ${quote(eqText)} has two sizes`);
    },
    (m) => ctx.fail(m),
  );
  const shape: Dim[] = [];
  for (let i = 0; i <= out.letters.length; i++) {
    if (i === out.ellipsisAt) shape.push(...ellipsis);
    const l = out.letters[i];
    if (l === undefined) break;
    const d = sizes.get(l);
    if (d === undefined) return ctx.fail(`output label ${quote(l)} of equation ${quote(eqText)} appears in no input`);
    shape.push(d);
  }
  return [{ dtype, shape }];
};

class EinsumCostError extends Error {}

/** Einsum evaluated naively: one MAC per point of the full index space per extra operand. */
const einsumCost: CostFn = (c: CostContext) => {
  const eq = parseEquation(c.node.attrs.string('equation') ?? '');
  if (eq === undefined || eq.inputs.length !== c.inputs.length || c.inputs.some((s) => s === undefined)) return undefined;
  let dims;
  try {
    dims = einsumDims(eq.inputs, c.inputs as number[][], (a, b) => (a === 1 ? b : a), () => {
      throw new EinsumCostError();
    });
  } catch (e) {
    if (e instanceof EinsumCostError) return undefined;
    throw e;
  }
  let space = 1;
  for (const d of [...dims.sizes.values(), ...dims.ellipsis]) space *= d as number;
  if (eq.inputs.length === 1) return { macs: 0, flops: space };
  const macs = space * (eq.inputs.length - 1);
  return { macs, flops: 2 * macs };
};

export const LINALG_OPS: readonly OpInfo[] = [
  defineOp({
    op: 'MatMul',
    since: 1,
    inputs: ['A', 'B:weight'],
    traits: { category: 'linalg', quantizable: true, channelWeight: (_node, rank) => (rank >= 2 ? { input: 1, axis: rank - 1 } : undefined) },
    infer: matmulInfer(0, 1, (ctx) => ctx.dtype(0) ?? ctx.dtype(1)),
    cost: matmulCost(0),
  }),
  defineOp({
    op: 'MatMulInteger',
    since: 10,
    inputs: ['A', 'B:weight', 'a_zero_point?:config', 'b_zero_point?:config'],
    traits: { category: 'linalg' },
    infer: matmulInfer(0, 1, () => 'int32'),
    cost: matmulCost(0),
  }),
  defineOp({
    op: 'QLinearMatMul',
    since: 10,
    inputs: ['a', 'a_scale:config', 'a_zero_point:config', 'b:weight', 'b_scale:config', 'b_zero_point:config', 'y_scale:config', 'y_zero_point:config'],
    outputs: ['y'],
    traits: { category: 'linalg' },
    infer: matmulInfer(0, 3, (ctx) => ctx.dtype(7) ?? ctx.dtype(0)),
    cost: matmulCost(0),
  }),
  defineOp({
    op: 'Gemm',
    since: 1,
    inputs: ['A', 'B:weight', 'C?:weight'],
    attrs: { alpha: spec.float(1), beta: spec.float(1), transA: spec.int(0), transB: spec.int(0), broadcast: spec.int(0) },
    traits: { category: 'linalg', quantizable: true, channelWeight: (node) => ({ input: 1, axis: node.attrs.int('transB', 0) === 1 ? 0 : 1 }) },
    infer: inferGemm,
    cost: gemmCost,
  }),
  defineOp({
    op: 'Einsum',
    since: 12,
    inputs: ['Inputs...'],
    outputs: ['Output'],
    attrs: { equation: spec.required('string') },
    traits: { category: 'linalg' },
    infer: inferEinsum,
    cost: einsumCost,
  }),
];
