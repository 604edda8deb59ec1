import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';
import { shapesEqual } from './remove-no-ops.js';

export interface LogicRewrite extends Rewrite {
  /** Bool tensors entering the group (cast to float once each). */
  readonly inputs: readonly string[];
  /** Bool tensors leaving the group (cast back, under their own names). */
  readonly outputs: readonly string[];
  /** The 4-D shape of each node's input, in `nodes` order (Not needs a ones tensor of it). */
  readonly shapes: readonly (readonly number[])[];
}

const LOGIC_OPS: ReadonlySet<string> = new Set(['And', 'Or', 'Xor', 'Not']);

/**
 * R-AND, R-OR, R-XOR, R-NOT: connected groups of And/Or/Xor/Not on non-constant bool tensors of one
 * 4-D shape compute on float 0/1 instead: a·b, clip(a+b, 0, 1), |a−b|, 1−a. Each bool tensor entering
 * the group is cast to float once, each leaving it cast back, so the graph's types do not change.
 */
export const RECONSTRUCT_LOGIC = definePass<LogicRewrite>({
  name: 'reconstruct-logic',
  kind: 'reconstruction',
  summary: 'turns groups of And/Or/Xor/Not on 4-D bool tensors into Mul, Add+Clip, Sub+Abs and 1−x on float 0/1',
  recipes: ['R-AND', 'R-OR', 'R-XOR', 'R-NOT'],
  find(facts) {
    const members = facts.nodes.filter((n) => qualifies(facts, n));
    const set = new Set(members);
    const parent = new Map<Node, Node>(members.map((n) => [n, n]));
    const root = (n: Node): Node => {
      while (parent.get(n) !== n) n = parent.get(n)!;
      return n;
    };
    for (const n of members) {
      for (const i of n.inputs) {
        const p = facts.producer(i);
        if (p !== undefined && set.has(p)) parent.set(root(p), root(n));
      }
    }
    const groups = new Map<Node, Node[]>();
    for (const n of members) groups.set(root(n), [...(groups.get(root(n)) ?? []), n]);
    const out: LogicRewrite[] = [];
    for (const group of groups.values()) {
      const inside = new Set(group.flatMap((n) => n.outputs));
      const inputs = [...new Set(group.flatMap((n) => n.inputs.filter((i) => !inside.has(i))))];
      const outputs = group.flatMap((n) => n.outputs).filter((o) => facts.isGraphOutput(o) || facts.consumers(o).some((c) => !set.has(c) || !group.includes(c)));
      if (!facts.claim(group)) continue;
      out.push({
        nodes: group.map(nodeKey),
        summary: `${group.map(nodeLabel).join(', ')} → float 0/1 arithmetic (${inputs.length} cast in, ${outputs.length} cast out)`,
        inputs,
        outputs,
        shapes: group.map((n) => facts.staticShape(n.inputs[0]!)!),
      });
    }
    return out;
  },
  rewrite(edit, r) {
    const nodes = r.nodes.map((k) => edit.node(k));
    const e = edit.emitter(nodes[0]!.name || 'logic');
    const asFloat = new Map<string, string>(r.inputs.map((i) => [i, e.cast(i, 'float32')]));
    nodes.forEach((n, idx) => {
      const [a, b] = n.inputs.map((i) => asFloat.get(i)!);
      const y = n.outputs[0]!;
      const leaves = r.outputs.includes(y);
      const out = e.tensor(`${n.op.toLowerCase()}_f`);
      switch (n.op) {
        case 'And':
          e.binary('Mul', a!, b!, out);
          break;
        case 'Or':
          e.clip(e.binary('Add', a!, b!), 0, 1, 'float32', out);
          break;
        case 'Xor':
          e.unary('Abs', e.binary('Sub', a!, b!), out);
          break;
        default: {
          const shape = r.shapes[idx]!;
          const ones = e.floats('ones', shape, new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(1));
          e.binary('Sub', ones, a!, out);
        }
      }
      asFloat.set(y, out);
      if (leaves) e.cast(out, 'bool', y);
    });
    edit.replace(nodes, e.nodes);
  },
});

function qualifies(f: GraphFacts, n: Node): boolean {
  if (!LOGIC_OPS.has(n.op) || n.domain !== '' || n.outputs.length !== 1) return false;
  const arity = n.op === 'Not' ? 1 : 2;
  const ins = n.inputs.filter((i) => i !== '');
  if (ins.length !== arity) return false;
  const shape = f.staticShape(ins[0]!);
  if (shape?.length !== 4) return false;
  return ins.every((i) => f.dtype(i) === 'bool' && !f.isConstant(i) && shapesEqual(f.shape(i), shape));
}

/** And/Or/Xor/Not groups on 4-D bool tensors → float 0/1 arithmetic. */
export function reconstructLogic(model: Model): Model {
  return RECONSTRUCT_LOGIC.run(model).model;
}
