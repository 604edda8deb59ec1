import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { tensorValues } from '../ir/tensor-values.js';
import { onChannelAxis, selectionWeights } from './channel-axis.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, replaceEachNode, findEachNode, type Rewrite } from './pass.js';
import { broadcastList } from './reconstruct-gather.js';

export interface ScatterRewrite extends Rewrite {
  readonly axis: number;
  /** Positions along `axis` that receive the updates, in update order (distinct, non-negative). */
  readonly indices: readonly number[];
  /** Length of `axis` in the data. */
  readonly extent: number;
  readonly dtype: DataType;
}

/**
 * R-SCATTER: ScatterElements (or the old Scatter) without reduction, with constant indices that are one
 * list of distinct positions broadcast along the other axes, over 4-D float data and updates on axis
 * 1-3: output = data ⊙ mask + Conv1×1(updates), mask 0 at the scattered positions and 1 elsewhere, the
 * conv placing update k at position idx[k]. Axes 2 and 3 go through Transposes as in R-GATHER.
 */
export const RECONSTRUCT_SCATTER = definePass<ScatterRewrite>({
  name: 'reconstruct-scatter',
  kind: 'reconstruction',
  summary: 'turns ScatterElements with constant broadcast index lists into a masked Mul, a 1×1 Conv and an Add',
  recipes: ['R-SCATTER'],
  find: findEachNode(plan),
  rewrite: replaceEachNode((e, node, r) => {
    const n = r.indices.length;
    const c = r.extent;
    const mask = new Array<number>(c).fill(1);
    for (const i of r.indices) mask[i] = 0;
    const m = e.floats('keep', [1, c, 1, 1], mask, r.dtype);
    const w = e.floats('place', [c, n, 1, 1], selectionWeights(c, n, (o) => r.indices.indexOf(o)), r.dtype);
    onChannelAxis(e, r.axis, [node.inputs[0]!, node.inputs[2]!], node.outputs[0]!, ([data, updates], out) =>
      e.binary('Add', e.binary('Mul', data!, m), e.conv(updates!, w, undefined, { kernel: [1, 1] }), out),
    );
  }),
});

function plan(f: GraphFacts, node: Node): ScatterRewrite | undefined {
  if ((node.op !== 'ScatterElements' && node.op !== 'Scatter') || node.domain !== '') return undefined;
  if (node.attrs.string('reduction', 'none') !== 'none') return undefined;
  const [data, indices, updates] = [node.input(0), node.input(1), node.input(2)];
  const idx = f.constant(indices);
  if (data === undefined || updates === undefined || idx === undefined || f.isConstant(data) || f.isConstant(updates)) return undefined;
  const shape = f.staticShape(data);
  const uShape = f.staticShape(updates);
  const dtype = f.dtype(data);
  if (shape?.length !== 4 || uShape?.length !== 4 || dtype === undefined || !isFloatType(dtype) || f.dtype(updates) !== dtype) return undefined;
  const rawAxis = node.attrs.int('axis', 0);
  const axis = rawAxis < 0 ? rawAxis + 4 : rawAxis;
  if (axis < 1 || axis > 3 || uShape.some((d, i) => i !== axis && d !== shape[i])) return undefined;
  const extent = shape[axis]!;
  const list = broadcastList(tensorValues(idx), idx.dims, uShape, axis)?.map((i) => (i < 0 ? i + extent : i));
  if (list === undefined || list.some((i) => !Number.isInteger(i) || i < 0 || i >= extent) || new Set(list).size !== list.length) return undefined;
  return {
    nodes: [nodeKey(node)],
    summary: `${nodeLabel(node)} of ${list.length} positions along axis ${axis} → Mul by a mask + 1×1 Conv + Add`,
    axis,
    indices: list,
    extent,
    dtype,
  };
}

/** ScatterElements with constant broadcast index lists → mask, 1×1 Conv and Add. */
export function reconstructScatter(model: Model): Model {
  return RECONSTRUCT_SCATTER.run(model).model;
}
