import { quote } from '../util/text.js';
import { TandemError, isTandemError } from '../util/errors.js';
import type { Graph } from './graph.js';
import type { Model } from './model.js';

/** One broken invariant, with the graph path ("main/If_3.then_branch") and the offending name. */
export interface GraphProblem {
  readonly graph: string;
  readonly kind: 'undefined-input' | 'undefined-output' | 'redefined' | 'cycle' | 'empty-op';
  readonly message: string;
}

/**
 * Checks the IR invariants of a graph and its subgraphs: every name read is defined before it is read,
 * every output is defined, no tensor is defined twice, the nodes are acyclic. Reports all problems.
 */
export function checkGraph(graph: Graph, path = graph.name || 'main'): GraphProblem[] {
  const problems: GraphProblem[] = [];
  let nodes;
  try {
    nodes = graph.nodes;
  } catch (e) {
    if (isTandemError(e, 'GRAPH_CYCLE')) return [{ graph: path, kind: 'cycle', message: e.message }];
    throw e;
  }
  const defined = new Set<string>(graph.inputs);
  for (const name of graph.initializers.keys()) {
    if (defined.has(name) && !graph.isGraphInput(name)) {
      problems.push({ graph: path, kind: 'redefined', message: `initializer ${quote(name)} is defined twice` });
    }
    defined.add(name);
  }
  const visible = (name: string): boolean => defined.has(name) || (graph.parent?.isDefined(name) ?? false);
  for (const node of nodes) {
    if (!node.op) problems.push({ graph: path, kind: 'empty-op', message: `node ${quote(node.name)} has no op_type` });
    for (const input of node.inputs) {
      if (input !== '' && !visible(input)) {
        problems.push({ graph: path, kind: 'undefined-input', message: `${node.label} reads ${quote(input)}, which nothing defines` });
      }
    }
    for (const [attrName, a] of node.attrs) {
      const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      subs.forEach((sub, i) => {
        for (const p of checkGraph(sub, `${path}/${node.name || node.op}.${attrName}${subs.length > 1 ? `[${i}]` : ''}`)) problems.push(p);
      });
    }
    for (const output of node.outputs) {
      if (output === '') continue;
      if (defined.has(output)) {
        problems.push({ graph: path, kind: 'redefined', message: `${node.label} writes ${quote(output)}, which is already defined` });
      }
      defined.add(output);
    }
  }
  for (const output of graph.outputs) {
    if (!visible(output)) problems.push({ graph: path, kind: 'undefined-output', message: `graph output ${quote(output)} is not defined` });
  }
  return problems;
}

/** Throws TandemError `GRAPH_INVALID` (or `GRAPH_CYCLE`) listing the problems of the model's main graph. */
export function assertValidModel(model: Model): void {
  const problems = checkGraph(model.graph);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).map((p) => `${p.graph}: ${p.message}`);
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  const code = problems.some((p) => p.kind === 'cycle') ? 'GRAPH_CYCLE' : 'GRAPH_INVALID';
  throw new TandemError(code, `the model graph is invalid: ${shown.join('; ')}${more}`, { details: { problems } });
}
