import type { Node } from '../ir/node.js';
import { opInfo } from '../ops/index.js';

/** An elementwise op of one tensor input (Relu, Sigmoid, Exp, ...), per the op table. */
export function isUnaryElementwise(node: Node, opset: number): boolean {
  if (node.inputs.filter((i) => i !== '').length !== 1 || node.outputs.length !== 1) return false;
  const info = opInfo(node.op, node.domain, opset);
  return info !== undefined && info.traits.elementwise && info.inputs.filter((i) => i.role === 'data').length === 1;
}
