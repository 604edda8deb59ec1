import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { opHasTrait, opTraits } from '../ops/registry.js';

/**
 * The residual-Add rule (reference §6.1 step 1, §6.3): for an Add of two computed tensors, the input
 * produced by a fusible weighted-op branch ("backbone") is the non-residual one — TensorRT fuses that
 * Conv with the Add — and only the other (shortcut) input gets Q/DQ.
 */

/** Longest chain of followers walked up from an Add input. */
const MAX_WALK = 8;

/**
 * The weighted node whose output reaches `tensor` only through fusible single-consumer followers
 * (Add/Mul with a constant count as bias/scale; Mul(x, Sigmoid(x)) as SiLU), or undefined.
 */
export function fusibleBackbone(graph: Graph, tensor: string, constants: ReadonlySet<string>): Node | undefined {
  let name = tensor;
  for (let step = 0; step < MAX_WALK; step++) {
    const p = graph.producer(name);
    if (p === undefined || p.domain !== '') return undefined;
    if (opTraits(p.op)?.channelWeight !== undefined) {
      const w = p.input(1);
      return w !== undefined && constants.has(w) ? p : undefined;
    }
    const next = followerInput(graph, p, constants);
    if (next === undefined || graph.consumers(next.tensor).length !== next.uses) return undefined;
    name = next.tensor;
  }
  return undefined;
}

/** The activation input a fusible follower passes on (and how many readers it may have), or undefined when `node` is not one. */
function followerInput(graph: Graph, node: Node, constants: ReadonlySet<string>): { tensor: string; uses: number } | undefined {
  const a = node.input(0);
  const b = node.input(1);
  if (opHasTrait(node.op, 'fusibleFollower')) return a === undefined ? undefined : { tensor: a, uses: 1 };
  if ((node.op === 'Add' || node.op === 'Mul') && a !== undefined && b !== undefined) {
    if (constants.has(b) && !constants.has(a)) return { tensor: a, uses: 1 };
    if (constants.has(a) && !constants.has(b)) return { tensor: b, uses: 1 };
    // SiLU: Mul(x, Sigmoid(x)); x then feeds the Sigmoid and the Mul, which TensorRT's fusion allows.
    if (node.op === 'Mul') {
      if (graph.producer(b)?.op === 'Sigmoid' && graph.producer(b)?.input(0) === a) return { tensor: a, uses: 2 };
      if (graph.producer(a)?.op === 'Sigmoid' && graph.producer(a)?.input(0) === b) return { tensor: b, uses: 2 };
    }
  }
  return undefined;
}

/** Upward BFS distances from `tensor` to every tensor it depends on (constants excluded). */
function ancestorDistances(graph: Graph, tensor: string, constants: ReadonlySet<string>): Map<string, number> {
  const dist = new Map<string, number>([[tensor, 0]]);
  const queue = [tensor];
  for (let q = 0; q < queue.length; q++) {
    const name = queue[q]!;
    const p = graph.producer(name);
    if (p === undefined) continue;
    for (const i of p.inputs) {
      if (i === '' || constants.has(i) || dist.has(i)) continue;
      dist.set(i, dist.get(name)! + 1);
      queue.push(i);
    }
  }
  return dist;
}

export interface ResidualDecision {
  /** Input index that gets Q/DQ, or undefined when the Add is not a fusible residual Add. */
  readonly quantize: number | undefined;
  readonly reason: string;
}

/** Decides which input of a two-activation Add is the residual (quantized) one. */
export function residualAddInput(graph: Graph, add: Node, constants: ReadonlySet<string>): ResidualDecision {
  const [a, b] = [add.input(0), add.input(1)];
  if (a === undefined || b === undefined || constants.has(a) || constants.has(b)) return { quantize: undefined, reason: 'Add with a constant input (a bias): fused into its producer' };
  const ba = fusibleBackbone(graph, a, constants);
  const bb = fusibleBackbone(graph, b, constants);
  if (ba === undefined && bb === undefined) return { quantize: undefined, reason: 'neither input comes from a fusible Conv/Gemm/MatMul branch: TensorRT runs it as a pointwise op' };
  if (ba !== undefined && bb === undefined) return { quantize: 1, reason: `input 0 comes from ${ba.label} (fused with the Add); input 1 is the shortcut` };
  if (bb !== undefined && ba === undefined) return { quantize: 0, reason: `input 1 comes from ${bb.label} (fused with the Add); input 0 is the shortcut` };
  // Both branches end in weighted ops: the one on the longer path to the lowest common ancestor is the
  // main (non-residual) branch; the shorter one (e.g. a downsample Conv) is the shortcut.
  const da = ancestorDistances(graph, a, constants);
  const db = ancestorDistances(graph, b, constants);
  let best: [number, number] | undefined;
  for (const [name, x] of da) {
    const y = db.get(name);
    if (y === undefined) continue;
    if (best === undefined || x + y < best[0] + best[1]) best = [x, y];
  }
  if (best === undefined || best[0] === best[1]) return { quantize: 1, reason: 'both inputs come from fusible branches of equal depth: input 0 fuses with the Add, input 1 is quantized' };
  const shortcut = best[0] < best[1] ? 0 : 1;
  return { quantize: shortcut, reason: `both inputs come from weighted branches; input ${shortcut} is the shorter path to their common ancestor (the shortcut)` };
}
