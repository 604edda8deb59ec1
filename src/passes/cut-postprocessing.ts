import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { nodeKey } from './graph-facts.js';
import { constantNodes, descendants, nodeReads } from './stage-graph.js';

/**
 * Ops that start post-processing: no DLA path through TensorRT (R-TOP: Top-K and NMS stay on the GPU in
 * NVIDIA's reference models; ArgMax/ArgMin are TopK layers in TensorRT).
 */
export const POSTPROCESS_OPS: Readonly<Record<string, string>> = {
  TopK: 'ITopKLayer has no DLA path (R-TOP: classifier Top-K runs on the GPU)',
  NonMaxSuppression: 'INMSLayer has no DLA path (R-TOP: detection NMS runs on the GPU)',
  ArgMax: 'the TensorRT parser makes ArgMax a TopK layer, which has no DLA path',
  ArgMin: 'the TensorRT parser makes ArgMin a TopK layer, which has no DLA path',
};

/** Where post-processing starts and what it takes: plain data. */
export interface PostprocessCut {
  /** The TopK/NMS/ArgMax nodes found (by first output). */
  readonly seeds: readonly string[];
  /** Every node of the tails (seeds and everything that reads their results), by first output. */
  readonly nodes: readonly string[];
  /** Tensors computed before post-processing that it reads: where the cut lies. */
  readonly cut: readonly string[];
}

/**
 * Finds TopK, NonMaxSuppression, ArgMax and ArgMin and every node downstream of them (constant
 * computations excluded), and the tensors they take from the rest of the network. `exclude` nodes
 * (e.g. a backbone chosen already) stay where they are.
 */
export function planPostprocessCut(g: Graph, exclude: ReadonlySet<Node> = new Set()): PostprocessCut {
  const free = constantNodes(g);
  const seeds = g.nodes.filter((n) => n.domain === '' && Object.hasOwn(POSTPROCESS_OPS, n.op) && !exclude.has(n));
  const tail = [...descendants(g, seeds)].filter((n) => !exclude.has(n) && !free.has(n));
  const inTail = new Set(tail);
  const produced = new Set(tail.flatMap((n) => n.outputs));
  const cut = new Set<string>();
  for (const n of tail) {
    for (const r of nodeReads(n)) {
      const p = g.producer(r);
      if (produced.has(r) || (g.isInitializer(r) && !g.isGraphInput(r)) || (p !== undefined && free.has(p))) continue;
      cut.add(r);
    }
  }
  const ordered = g.nodes.filter((n) => inTail.has(n));
  return { seeds: seeds.map(nodeKey), nodes: ordered.map(nodeKey), cut: [...cut] };
}
