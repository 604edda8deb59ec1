import { counted } from '../util/text.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface DeadCodeRewrite extends Rewrite {
  /** Initializers no node reads (and that are neither graph inputs nor outputs). */
  readonly initializers: readonly string[];
  /** Nodes that name no output (every output omitted as ''): no key names them, so they go by this count. */
  readonly unnamed?: number;
}

/** Nodes no graph output depends on, and initializers nothing reads. */
export const REMOVE_DEAD_NODES = definePass<DeadCodeRewrite>({
  name: 'remove-dead-nodes',
  kind: 'cleanup',
  summary: 'removes nodes that no graph output depends on and initializers that nothing reads',
  recipes: [],
  find(facts) {
    const dead = deadNodes(facts);
    const deadSet = new Set(dead);
    const rewrites: DeadCodeRewrite[] = dead
      .filter((n) => n.firstOutput !== undefined)
      .map((n) => ({ nodes: [nodeKey(n)], summary: `${nodeLabel(n)} computes nothing a graph output needs`, initializers: [] }));
    const unnamed = dead.filter((n) => n.firstOutput === undefined).length;
    if (unnamed > 0) rewrites.push({ nodes: [], summary: `${counted(unnamed, 'node')} that ${unnamed === 1 ? 'names' : 'name'} no output (all omitted as "")`, initializers: [], unnamed });
    const g = facts.graph;
    const unused = [...g.initializers.keys()].filter(
      (name) => !g.isGraphOutput(name) && !g.isGraphInput(name) && g.consumers(name).every((c) => deadSet.has(c)),
    );
    const orphaned = unused.filter((name) => g.consumers(name).length === 0);
    if (orphaned.length > 0) rewrites.push({ nodes: [], summary: `${counted(orphaned.length, 'initializer')} that nothing reads`, initializers: orphaned });
    return rewrites;
  },
  rewrite(edit, r) {
    for (const key of r.nodes) edit.graph.removeNode(edit.node(key));
    if (r.unnamed !== undefined) for (const n of edit.graph.nodes.filter((x) => x.firstOutput === undefined)) edit.graph.removeNode(n);
    for (const name of r.initializers) edit.graph.removeInitializer(name);
  },
});

/** Nodes none of whose outputs is a graph output or read by a live node (decided in reverse order). */
function deadNodes(facts: GraphFacts): Node[] {
  const g = facts.graph;
  const live = new Set<Node>();
  const nodes = g.nodes;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const needed = n.outputs.some((o) => o !== '' && (g.isGraphOutput(o) || g.consumers(o).some((c) => live.has(c))));
    if (needed) live.add(n);
  }
  return nodes.filter((n) => !live.has(n));
}

/** Removes nodes no graph output depends on and initializers nothing reads. */
export function removeDeadNodes(model: Model): Model {
  return REMOVE_DEAD_NODES.run(model).model;
}
