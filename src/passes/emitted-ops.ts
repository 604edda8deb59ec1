import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { OPS, outputProblems } from '../ops/index.js';

/**
 * Why a node a rewrite emitted is not valid at the model's opset, by the op table: the op has no row
 * at that version, or the row has no such attribute, or takes fewer inputs, or requires one the node
 * leaves out. Undefined when the row accepts it. (Shape inference of the rewritten graph then catches
 * the rest, such as pre-7 elementwise ops that broadcast only with `broadcast=1`.)
 */
export function emittedNodeProblem(model: Model, node: Node): string | undefined {
  const opset = model.opset(node.domain);
  const where = node.domain === '' ? 'ai.onnx' : node.domain;
  const row = OPS.get(node.op, node.domain, opset);
  if (row === undefined) {
    const first = OPS.versions(node.op, node.domain)[0];
    return first === undefined
      ? `it would emit ${node.op} (${where}), which tandem's op table does not know`
      : `it would emit ${node.op}, which starts at opset ${first.since} (the model imports ${where} opset ${opset ?? 'none'})`;
  }
  const at = `${node.op} at opset ${opset} (the row since ${row.since})`;
  for (const [name] of node.attrs) if (!Object.hasOwn(row.attrs, name)) return `it would emit ${at} with attribute ${name}, which that version does not have`;
  const variadic = row.inputs.at(-1)?.variadic === true;
  if (!variadic && node.inputs.length > row.inputs.length) return `it would emit ${at} with ${node.inputs.length} inputs; that version takes ${row.inputs.length}`;
  const missing = row.inputs.findIndex((s, i) => !s.optional && !s.variadic && (node.inputs[i] ?? '') === '');
  if (missing >= 0) return `it would emit ${at} without its required input ${missing} (${row.inputs[missing]!.name})`;
  const outputs = outputProblems(node, row);
  if (outputs.length > 0) return `it would emit ${at}, which ${outputs[0]}`;
  return undefined;
}
