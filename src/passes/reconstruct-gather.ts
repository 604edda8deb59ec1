import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { tensorValues } from '../ir/tensor-values.js';
import { onChannelAxis, selectionWeights } from './channel-axis.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, replaceEachNode, findEachNode, type Rewrite } from './pass.js';

export interface GatherRewrite extends Rewrite {
  readonly axis: number;
  /** The selected positions along `axis` (non-negative). */
  readonly indices: readonly number[];
  /** Length of `axis` in the data. */
  readonly extent: number;
  readonly dtype: DataType;
}

/**
 * R-GATHER: a Gather with constant 1-D indices along axis 1, 2 or 3 of a 4-D float tensor selects
 * channels: a 1×1 Conv with one-hot weights (n, C, 1, 1), between Transposes that bring axis 2 or 3 to
 * the channel position. A GatherElements whose constant indices are such a list broadcast along the
 * other axes is the same selection and is rewritten the same way.
 */
export const RECONSTRUCT_GATHER = definePass<GatherRewrite>({
  name: 'reconstruct-gather',
  kind: 'reconstruction',
  summary: 'turns Gather/GatherElements with constant index lists on axis 1-3 of 4-D tensors into one-hot 1×1 Convs',
  recipes: ['R-GATHER'],
  find: findEachNode(plan),
  rewrite: replaceEachNode((e, node, r) => {
    const w = e.floats('select', [r.indices.length, r.extent, 1, 1], selectionWeights(r.indices.length, r.extent, (o) => r.indices[o]!), r.dtype);
    onChannelAxis(e, r.axis, [node.inputs[0]!], node.outputs[0]!, ([x], out) => e.conv(x!, w, undefined, { kernel: [1, 1] }, out));
  }),
});

function plan(f: GraphFacts, node: Node): GatherRewrite | undefined {
  if ((node.op !== 'Gather' && node.op !== 'GatherElements') || node.domain !== '') return undefined;
  const x = node.input(0);
  const idx = f.constant(node.input(1));
  const shape = x === undefined ? undefined : f.shape(x);
  const dtype = x === undefined ? undefined : f.dtype(x);
  if (x === undefined || idx === undefined || shape?.length !== 4 || dtype === undefined || !isFloatType(dtype) || f.isConstant(x)) return undefined;
  const rawAxis = node.attrs.int('axis', 0);
  const axis = rawAxis < 0 ? rawAxis + 4 : rawAxis;
  const extent = shape[axis];
  if (axis < 1 || axis > 3 || typeof extent !== 'number') return undefined;
  let list: number[] | undefined;
  if (node.op === 'Gather') {
    if (idx.dims.length !== 1) return undefined;
    list = tensorValues(idx);
  } else {
    const full = f.staticShape(x);
    list = full === undefined ? undefined : broadcastList(tensorValues(idx), idx.dims, full, axis);
  }
  if (list === undefined || list.length === 0) return undefined;
  const indices = list.map((i) => (i < 0 ? i + extent : i));
  if (indices.some((i) => !Number.isInteger(i) || i < 0 || i >= extent)) return undefined;
  return {
    nodes: [nodeKey(node)],
    summary: `${nodeLabel(node)} of ${indices.length} of ${extent} along axis ${axis} → ${axis === 1 ? '' : 'Transpose + '}1×1 Conv${axis === 1 ? '' : ' + Transpose'}`,
    axis,
    indices,
    extent,
    dtype,
  };
}

/**
 * The 1-D list when constant 4-D indices (of dims `dims`) repeat one list along `axis` and match the
 * data shape elsewhere; undefined otherwise.
 */
export function broadcastList(values: readonly number[], dims: readonly number[], shape: readonly number[], axis: number): number[] | undefined {
  if (dims.length !== shape.length || dims.some((d, i) => i !== axis && d !== shape[i])) return undefined;
  const n = dims[axis]!;
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const list = Array.from({ length: n }, (_, j) => values[j * strides[axis]!]!);
  for (let flat = 0; flat < values.length; flat++) {
    const j = Math.floor(flat / strides[axis]!) % n;
    if (values[flat] !== list[j]) return undefined;
  }
  return list;
}

/** Gather/GatherElements with constant index lists → one-hot 1×1 Convs. */
export function reconstructGather(model: Model): Model {
  return RECONSTRUCT_GATHER.run(model).model;
}
