import type { Node } from '../ir/node.js';
import type { OpInfo } from './types.js';

/**
 * What is wrong with a node's output list by the op table. ONNX (IR.md, "optional inputs and
 * outputs"; onnx's OpSchema::Verify) lets a node leave an optional output unnamed ('') or drop it from
 * the end; a required output must be named, and a required variadic output needs at least one entry.
 * Ops the table does not know are not judged.
 */
export function outputProblems(node: Node, info: OpInfo): string[] {
  const problems: string[] = [];
  info.outputs.forEach((spec, i) => {
    if (spec.optional) return;
    if (spec.variadic) {
      if (node.outputs.length <= i) problems.push(`has no entry for its variadic output ${i} (${spec.name}); ${info.op} needs at least one`);
      return;
    }
    const name = node.outputs[i];
    if (name === undefined) problems.push(`has no output ${i} (${spec.name}), which ${info.op} requires`);
    else if (name === '') problems.push(`leaves its required output ${i} (${spec.name}) unnamed (""); ONNX allows "" only for optional outputs`);
  });
  return problems;
}
