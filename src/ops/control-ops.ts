import type { Graph } from '../ir/graph.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, spec } from './define.js';
import { fmt, joinShapes, normAxis, unifyDim } from './shape-util.js';
import type { InferContext, InferFn, InferredOutput, OpInfo } from './types.js';

/**
 * If, Loop and Scan. Their bodies are inferred with the types they are given (outer-scope names stay
 * visible). Where a value may take different shapes (two branches, loop iterations), only what all
 * of them agree on is kept, so results can be unknown but never wrong.
 */

function joinType(a: TensorType | undefined, b: TensorType | undefined): TensorType | undefined {
  if (a === undefined || b === undefined) return undefined;
  return { kind: 'tensor', dtype: a.dtype === b.dtype ? a.dtype : undefined, shape: joinShapes(a.shape, b.shape) };
}

function sameType(a: TensorType | undefined, b: TensorType | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.dtype !== b.dtype) return false;
  if (a.shape === undefined || b.shape === undefined) return a.shape === b.shape;
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape![i]);
}

function asOutput(t: TensorType | undefined): InferredOutput | undefined {
  return t === undefined ? undefined : { dtype: t.dtype, shape: t.shape };
}

function requireGraph(ctx: InferContext, name: string): Graph {
  const g = ctx.node.attrs.graph(name);
  if (g === undefined) ctx.fail(`the ${name} attribute (a graph) is missing`);
  return g;
}

const inferIf: InferFn = (ctx) => {
  // A condition known statically picks one branch; the other never runs, so its errors are not the model's.
  const cond = ctx.value(0)?.values[0];
  const taken = typeof cond === 'number' ? cond !== 0 : undefined;
  const thenOut = ctx.inferSubgraph(requireGraph(ctx, 'then_branch'), [], taken === false);
  const elseOut = ctx.inferSubgraph(requireGraph(ctx, 'else_branch'), [], taken === true);
  if (thenOut.length !== elseOut.length) ctx.fail(`then_branch has ${thenOut.length} outputs and else_branch ${elseOut.length}; they must match`);
  if (taken !== undefined) return (taken ? thenOut : elseOut).map(asOutput);
  return thenOut.map((t, i) => asOutput(joinType(t, elseOut[i])));
};

/**
 * Runs the body until the loop-carried types are stable: first with the initial types; where an
 * iteration changes them, again with only what both agree on; at last with unknown shapes.
 */
function inferCarried(
  ctx: InferContext,
  body: Graph,
  prefix: readonly (TensorType | undefined)[],
  initial: readonly (TensorType | undefined)[],
  rest: readonly (TensorType | undefined)[],
  carriedOffset: number,
): { carried: (TensorType | undefined)[]; outputs: (TensorType | undefined)[] } {
  let types = [...initial];
  for (let pass = 0; ; pass++) {
    const outputs = ctx.inferSubgraph(body, [...prefix, ...types, ...rest]);
    const next = types.map((t, i) => joinType(t, outputs[carriedOffset + i]));
    if (next.every((t, i) => sameType(t, types[i])) || pass === 2) return { carried: next, outputs };
    types = pass === 0 ? next : next.map((t) => (t === undefined ? t : { ...t, shape: undefined }));
  }
}

const SCALAR_INT64: TensorType = { kind: 'tensor', dtype: 'int64', shape: [] };
const SCALAR_BOOL: TensorType = { kind: 'tensor', dtype: 'bool', shape: [] };

const inferLoop: InferFn = (ctx) => {
  const body = requireGraph(ctx, 'body');
  const n = ctx.inputCount - 2;
  const initial = Array.from({ length: Math.max(0, n) }, (_, i) => ctx.type(i + 2));
  const { carried, outputs } = inferCarried(ctx, body, [SCALAR_INT64, SCALAR_BOOL], initial, [], 1);
  // The trip count is M when nothing can stop the loop early.
  const m = ctx.value(0)?.values[0];
  const trips: Dim = !ctx.has(1) && typeof m === 'number' ? m : null;
  const scans = outputs.slice(1 + carried.length).map((t): InferredOutput | undefined =>
    t === undefined ? undefined : { dtype: t.dtype, shape: t.shape === undefined ? undefined : [trips, ...t.shape] },
  );
  return [...carried.map(asOutput), ...scans];
};

const inferScan: InferFn = (ctx) => {
  const body = requireGraph(ctx, 'body');
  const m = ctx.int('num_scan_inputs') ?? 0;
  const n = ctx.inputCount - m;
  if (n < 0) ctx.fail(`num_scan_inputs ${m} exceeds the ${ctx.inputCount} inputs`);
  const inAxes = ctx.ints('scan_input_axes') ?? [];
  let length: Dim = null;
  let first = true;
  const slices = Array.from({ length: m }, (_, k): TensorType | undefined => {
    const t = ctx.type(n + k);
    if (t?.shape === undefined) return t === undefined ? undefined : { kind: 'tensor', dtype: t.dtype, shape: undefined };
    const axis = normAxis(ctx, inAxes[k] ?? 0, t.shape.length, 'scan_input_axes');
    const d = t.shape[axis]!;
    length = first ? d : unifyDim(ctx, length, d, () => `scan inputs differ in sequence length (${fmt(t.shape)})`);
    first = false;
    return { kind: 'tensor', dtype: t.dtype, shape: t.shape.filter((_, i) => i !== axis) };
  });
  const initial = Array.from({ length: n }, (_, i) => ctx.type(i));
  const { carried, outputs } = inferCarried(ctx, body, [], initial, slices, 0);
  const outAxes = ctx.ints('scan_output_axes') ?? [];
  const scans = outputs.slice(n).map((t, k): InferredOutput | undefined => {
    if (t === undefined) return undefined;
    if (t.shape === undefined) return { dtype: t.dtype, shape: undefined };
    const axis = normAxis(ctx, outAxes[k] ?? 0, t.shape.length + 1, 'scan_output_axes');
    const shape: Shape = [...t.shape.slice(0, axis), length, ...t.shape.slice(axis)];
    return { dtype: t.dtype, shape };
  });
  return [...carried.map(asOutput), ...scans];
};

export const CONTROL_OPS: readonly OpInfo[] = [
  defineOp({
    op: 'If',
    since: 1,
    inputs: ['cond'],
    outputs: ['outputs...'],
    attrs: { then_branch: spec.graph(), else_branch: spec.graph() },
    traits: { category: 'control' },
    infer: inferIf,
  }),
  defineOp({
    op: 'Loop',
    since: 1,
    inputs: ['M?:config', 'cond?', 'v_initial...'],
    outputs: ['v_final_and_scan_outputs...'],
    attrs: { body: spec.graph() },
    traits: { category: 'control' },
    infer: inferLoop,
  }),
  // Scan-8 (with a batch axis) has no row: its outputs stay unknown.
  defineOp({
    op: 'Scan',
    since: 9,
    inputs: ['initial_state_and_scan_inputs...'],
    outputs: ['final_state_and_scan_outputs...'],
    attrs: {
      body: spec.graph(),
      num_scan_inputs: spec.required('int'),
      scan_input_axes: spec.ints(),
      scan_input_directions: spec.ints(),
      scan_output_axes: spec.ints(),
      scan_output_directions: spec.ints(),
    },
    traits: { category: 'control' },
    infer: inferScan,
  }),
];
