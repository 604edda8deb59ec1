import { quote } from '../util/text.js';
import type { Graph } from '../ir/graph.js';
import { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { ValueType } from '../ir/types.js';
import { TandemError } from '../util/errors.js';
import { opHasTrait } from '../ops/registry.js';

/** Every name a node reads: its inputs and what its subgraphs read from outside. */
export function nodeReads(node: Node): string[] {
  const out = node.inputs.filter((i) => i !== '');
  for (const g of node.attrs.subgraphs()) for (const r of outerReads(g)) out.push(r);
  return [...new Set(out)];
}

function outerReads(g: Graph): string[] {
  const defined = new Set<string>([...g.inputs, ...g.initializers.keys()]);
  for (const n of g.nodes) for (const o of n.outputs) defined.add(o);
  const out = new Set<string>();
  for (const n of g.nodes) for (const r of nodeReads(n)) if (!defined.has(r)) out.add(r);
  for (const o of g.outputs) if (!defined.has(o)) out.add(o);
  return [...out];
}

/**
 * Nodes that compute constants (no path from a runtime input, deterministic): a stage that needs
 * one gets its own copy, so constants never become tensors passed between stages.
 */
export function constantNodes(g: Graph): Set<Node> {
  const free = new Set<Node>();
  for (const n of g.nodes) {
    // A random op's outputs differ run to run: never duplicated into several stages.
    if (opHasTrait(n.op, 'nondeterministic')) continue;
    const reads = nodeReads(n);
    const constant = reads.every((r) => {
      if (g.isInitializer(r) && !g.isGraphInput(r)) return true;
      const p = g.producer(r);
      return p !== undefined && free.has(p);
    });
    if (constant) free.add(n);
  }
  return free;
}

/** Producers, transitively, of `names` (stopping at `stop` names and at constant nodes). */
export function ancestors(g: Graph, names: Iterable<string>, free: ReadonlySet<Node>, stop: ReadonlySet<string> = new Set()): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...names];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (stop.has(name)) continue;
    const p = g.producer(name);
    if (p === undefined || seen.has(p) || free.has(p)) continue;
    seen.add(p);
    for (const r of nodeReads(p)) stack.push(r);
  }
  return seen;
}

/** Readers, transitively, of the outputs of `seeds` (seeds included). */
export function descendants(g: Graph, seeds: Iterable<Node>): Set<Node> {
  const seen = new Set<Node>(seeds);
  const stack = [...seen];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const o of n.outputs) {
      if (o === '') continue;
      for (const c of g.consumers(o)) {
        if (!seen.has(c)) {
          seen.add(c);
          stack.push(c);
        }
      }
    }
  }
  return seen;
}

/** What a stage needs beyond its own nodes: the constant nodes it reads, transitively. */
export function withConstants(g: Graph, nodes: ReadonlySet<Node>, free: ReadonlySet<Node>): Set<Node> {
  const all = new Set(nodes);
  const stack = [...nodes].flatMap(nodeReads);
  while (stack.length > 0) {
    const p = g.producer(stack.pop()!);
    if (p === undefined || all.has(p) || !free.has(p)) continue;
    all.add(p);
    for (const r of nodeReads(p)) stack.push(r);
  }
  return all;
}

export interface SubModelSpec {
  name: string;
  /** The nodes, any order (they keep the source's topological order). */
  nodes: ReadonlySet<Node>;
  inputs: readonly string[];
  outputs: readonly string[];
}

/**
 * A model of some nodes of `source` (whose graph must have inferred or declared types for `inputs`
 * and `outputs`): cloned nodes, the initializers they read (tensors shared), typed inputs and outputs,
 * the source's opsets and functions.
 */
export function buildSubModel(source: Model, spec: SubModelSpec): Model {
  const g = source.graph;
  const model = new Model({ irVersion: source.irVersion, opsetImports: source.opsetImports.map((o) => ({ ...o })) });
  if (source.producerName !== undefined) model.producerName = source.producerName;
  if (source.producerVersion !== undefined) model.producerVersion = source.producerVersion;
  model.functions = [...source.functions];
  const sub = model.graph;
  sub.name = spec.name;
  const nodes = g.nodes.filter((n) => spec.nodes.has(n));
  const reads = new Set(nodes.flatMap(nodeReads));
  for (const name of reads) {
    const t = g.initializers.get(name);
    if (t !== undefined && !g.isGraphInput(name)) sub.setInitializer(name, t);
  }
  for (const name of spec.inputs) sub.addInput(name, typeOf(g, name, spec.name, 'input'));
  for (const n of nodes) sub.addNode(n.clone());
  for (const name of spec.outputs) sub.addOutput(name, typeOf(g, name, spec.name, 'output'));
  for (const n of nodes) {
    for (const o of n.outputs) {
      const declared = g.value(o)?.type;
      if (o !== '' && declared !== undefined && !sub.isGraphOutput(o)) sub.setValueType(o, declared);
    }
  }
  return model;
}

function typeOf(g: Graph, name: string, stage: string, role: string): ValueType {
  const declared = g.value(name)?.type;
  if (declared?.kind === 'tensor' && declared.dtype !== undefined && declared.shape !== undefined) return declared;
  const t = g.tensorType(name);
  if (t?.dtype === undefined || t.shape === undefined) {
    throw new TandemError(
      'SHAPE_INFERENCE',
      `cannot give ${role} ${quote(name)} of ${quote(stage)} a type: its element type or rank is unknown after shape inference; declare it as value_info or give the model static input shapes`,
    );
  }
  return { kind: 'tensor', dtype: t.dtype, shape: t.shape };
}
