import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { tensorValues } from '../ir/tensor-values.js';
import { broadcastAxis, onChannelAxis } from './channel-axis.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, replaceEachNode, findEachNode, type Rewrite } from './pass.js';
import { shapesEqual } from './remove-no-ops.js';

export interface WhereRewrite extends Rewrite {
  readonly axis: number;
  /** The condition along `axis` (1 true, 0 false). */
  readonly condition: readonly number[];
  readonly dtype: DataType;
}

/**
 * R-WHERE: Where with a constant condition that varies along one of C, H, W only (shape (1,C,1,1),
 * (1,1,H,1) or (1,1,1,W)) between two non-constant float tensors of one 4-D shape: Concat([X, Y], C)
 * and a 1×1 Conv (C, 2C) that takes channel c from X where the condition holds and from Y elsewhere.
 */
export const RECONSTRUCT_WHERE = definePass<WhereRewrite>({
  name: 'reconstruct-where',
  kind: 'reconstruction',
  summary: 'turns Where with a constant per-channel/row/column condition into Concat and a 1×1 Conv',
  recipes: ['R-WHERE'],
  find: findEachNode(plan),
  rewrite: replaceEachNode((e, node, r) => {
    const c = r.condition.length;
    const w = new Array<number>(c * 2 * c).fill(0);
    r.condition.forEach((on, o) => {
      w[o * 2 * c + (on ? o : c + o)] = 1;
    });
    const wName = e.floats('choose', [c, 2 * c, 1, 1], w, r.dtype);
    onChannelAxis(e, r.axis, [node.inputs[1]!, node.inputs[2]!], node.outputs[0]!, ([x, y], out) =>
      e.conv(e.concat([x!, y!], 1), wName, undefined, { kernel: [1, 1] }, out),
    );
  }),
});

function plan(f: GraphFacts, node: Node): WhereRewrite | undefined {
  if (node.op !== 'Where' || node.domain !== '') return undefined;
  const [cond, x, y] = [node.input(0), node.input(1), node.input(2)];
  const ct = f.constant(cond);
  if (ct === undefined || x === undefined || y === undefined || f.isConstant(x) || f.isConstant(y)) return undefined;
  const shape = f.staticShape(x);
  const dtype = f.dtype(x);
  if (shape?.length !== 4 || dtype === undefined || !isFloatType(dtype) || f.dtype(y) !== dtype || !shapesEqual(f.shape(y), shape)) return undefined;
  const axis = broadcastAxis(ct.dims, shape);
  if (axis === undefined || axis === 0) return undefined;
  const v = tensorValues(ct);
  const condition = v.length === 1 ? new Array<number>(shape[axis]!).fill(v[0]! ? 1 : 0) : v.map((b) => (b ? 1 : 0));
  return { nodes: [nodeKey(node)], summary: `${nodeLabel(node)} with a constant condition along axis ${axis} → Concat + 1×1 Conv`, axis, condition, dtype };
}

/** Where with a constant one-axis condition → Concat and a 1×1 Conv. */
export function reconstructWhere(model: Model): Model {
  return RECONSTRUCT_WHERE.run(model).model;
}
