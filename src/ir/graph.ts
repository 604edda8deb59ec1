import { quote } from '../util/text.js';
import { TandemError, assert } from '../util/errors.js';
import type { Node } from './node.js';
import type { Preserved } from './preserved.js';
import type { SparseTensor } from './sparse.js';
import type { Tensor } from './tensor.js';
import type { TensorType, Value, ValueType } from './types.js';

/** GraphProto.quantization_annotation: a tensor and the names of its quantization parameter tensors. */
export interface QuantizationAnnotation {
  tensorName: string;
  quantParameterTensorNames: (readonly [string, string])[];
  extra?: Preserved;
}

/** Where `Graph.addNode` places a node: after one node or before another (else at the end). */
export interface NodePosition {
  before?: Node;
  after?: Node;
}

/**
 * A computation graph. `nodes` is kept in topological order (re-sorted lazily after mutations);
 * producer and consumer indices follow every mutation made through the graph or `Node.setInput/Output`.
 * A subgraph (If/Loop/Scan body) has `parent` set and may read names of its enclosing graphs.
 */
export class Graph {
  name: string;
  doc?: string;
  metadata?: (readonly [string, string])[];
  extra?: Preserved;
  quantizationAnnotations: QuantizationAnnotation[] = [];
  sparseInitializers: SparseTensor[] = [];
  /** Declared and inferred value types by tensor name (graph inputs, outputs, value_info). */
  readonly values = new Map<string, Value>();
  /** The enclosing graph, for subgraphs. */
  parent: Graph | undefined;

  #nodes: Node[] = [];
  #sorted = true;
  #position = new Map<Node, number>();
  #inputs: string[] = [];
  #outputs: string[] = [];
  #initializers = new Map<string, Tensor>();
  #producer = new Map<string, Node>();
  #consumers = new Map<string, Node[]>();
  #nodeNames = new Map<string, number>();

  constructor(name = '') {
    this.name = name;
  }

  // ---- reading ----

  /** Nodes in topological order. Throws TandemError `GRAPH_CYCLE` when there is none. */
  get nodes(): readonly Node[] {
    if (!this.#sorted) this.#sort();
    return this.#nodes;
  }

  get inputs(): readonly string[] {
    return this.#inputs;
  }

  get outputs(): readonly string[] {
    return this.#outputs;
  }

  get initializers(): ReadonlyMap<string, Tensor> {
    return this.#initializers;
  }

  /** Graph inputs that are not initializers: what a caller must feed. */
  get runtimeInputs(): string[] {
    return this.#inputs.filter((n) => !this.#initializers.has(n));
  }

  producer(name: string): Node | undefined {
    return this.#producer.get(name);
  }

  /** Nodes that read `name`, directly or from inside their subgraphs, in topological order. */
  consumers(name: string): readonly Node[] {
    const list = this.#consumers.get(name);
    if (list === undefined || list.length === 0) return [];
    // a copy: callers often remove the nodes they iterate over
    if (list.length === 1) return [list[0]!];
    if (!this.#sorted) this.#sort();
    return [...list].sort((a, b) => this.#position.get(a)! - this.#position.get(b)!);
  }

  /** Whether a name is visible here: a graph input, initializer, node output, or a name of an enclosing graph. */
  isDefined(name: string): boolean {
    if (this.#producer.has(name) || this.#initializers.has(name) || this.#inputs.includes(name)) return true;
    return this.parent?.isDefined(name) ?? false;
  }

  isInitializer(name: string): boolean {
    return this.#initializers.has(name);
  }

  /** The initializer of this graph or, for subgraphs, of an enclosing graph. */
  initializer(name: string): Tensor | undefined {
    return this.#initializers.get(name) ?? (this.#producer.has(name) || this.#inputs.includes(name) ? undefined : this.parent?.initializer(name));
  }

  isGraphInput(name: string): boolean {
    return this.#inputs.includes(name);
  }

  isGraphOutput(name: string): boolean {
    return this.#outputs.includes(name);
  }

  value(name: string): Value | undefined {
    return this.values.get(name);
  }

  /** The best-known tensor type of a name: inferred, else declared, else from an initializer. */
  tensorType(name: string): TensorType | undefined {
    const v = this.values.get(name);
    if (v?.inferred) return v.inferred;
    if (v?.type?.kind === 'tensor') return v.type;
    const t = this.#initializers.get(name);
    if (t) return { kind: 'tensor', dtype: t.dtype, shape: t.dims };
    // a Value entry without a type (only a doc, say) must not hide the enclosing graph's type
    if (!this.#producer.has(name) && !this.#inputs.includes(name)) return this.parent?.tensorType(name);
    return undefined;
  }

  /** Index of a node in `nodes`. */
  positionOf(node: Node): number {
    if (!this.#sorted) this.#sort();
    const p = this.#position.get(node);
    if (p === undefined) throw new TandemError('GRAPH_INVALID', `${node.label} is not part of graph ${quote(this.name)}`);
    return p;
  }

  /** Finds a node by name. */
  node(name: string): Node | undefined {
    if (!this.#nodeNames.has(name)) return undefined;
    return this.#nodes.find((n) => n.name === name);
  }

  // ---- mutation: nodes ----

  /** Adds a node (placed after `after` / before `before` when given, else at the end; order is re-checked lazily). */
  addNode(node: Node, position: NodePosition = {}): Node {
    if (node._graph !== undefined) throw new TandemError('GRAPH_INVALID', `${node.label} already belongs to a graph; clone it first`);
    for (const out of node.outputs) {
      if (out === '') continue;
      const other = this.#producer.get(out);
      if (other) {
        throw new TandemError('GRAPH_INVALID', `tensor ${quote(out)} would be produced by both ${other.label} and ${node.label}; each tensor must have one producer`);
      }
    }
    let index = this.#nodes.length;
    if (position.after) index = this.#nodes.indexOf(position.after) + 1;
    else if (position.before) index = Math.max(0, this.#nodes.indexOf(position.before));
    this.#nodes.splice(index, 0, node);
    node._graph = this;
    this.#index(node);
    this.#sorted = false;
    return node;
  }

  addNodes(nodes: readonly Node[], position: NodePosition = {}): void {
    let after = position.after;
    let before = position.before;
    for (const n of nodes) {
      this.addNode(n, after ? { after } : before ? { before } : {});
      if (after || before) {
        after = n;
        before = undefined;
      }
    }
  }

  removeNode(node: Node): void {
    const i = this.#nodes.indexOf(node);
    if (i < 0) throw new TandemError('GRAPH_INVALID', `${node.label} is not part of graph ${quote(this.name)}`);
    this.#nodes.splice(i, 1);
    this.#unindex(node);
    node._graph = undefined;
    this.#sorted = false;
  }

  /** Removes `old` and puts `replacement` where it was. */
  replaceNode(old: Node, replacement: readonly Node[]): void {
    const i = this.#nodes.indexOf(old);
    if (i < 0) throw new TandemError('GRAPH_INVALID', `${old.label} is not part of graph ${quote(this.name)}`);
    const anchor = this.#nodes[i + 1];
    this.removeNode(old);
    this.addNodes(replacement, anchor ? { before: anchor } : {});
  }

  /** Re-reads a node's subgraphs for the outer names they use (call after editing a subgraph in place). */
  refreshNode(node: Node): void {
    assert(node._graph === this, 'refreshNode on a foreign node');
    this.#unindex(node);
    this.#index(node);
    this.#sorted = false;
  }

  // ---- mutation: graph inputs, outputs, initializers ----

  setInputs(names: readonly string[]): void {
    this.#inputs = [...names];
  }

  addInput(name: string, type?: ValueType): void {
    if (!this.#inputs.includes(name)) this.#inputs.push(name);
    if (type) this.setValueType(name, type);
  }

  setOutputs(names: readonly string[]): void {
    this.#outputs = [...names];
  }

  addOutput(name: string, type?: ValueType): void {
    if (!this.#outputs.includes(name)) this.#outputs.push(name);
    if (type) this.setValueType(name, type);
  }

  setInitializer(name: string, tensor: Tensor): void {
    tensor.name = name;
    this.#initializers.set(name, tensor);
  }

  removeInitializer(name: string): void {
    this.#initializers.delete(name);
  }

  /** Declares the type of a value (written to the file as input/output/value_info). */
  setValueType(name: string, type: ValueType): void {
    const v = this.values.get(name);
    if (v) v.type = type;
    else this.values.set(name, { name, type });
  }

  setInferred(name: string, type: TensorType): void {
    const v = this.values.get(name);
    if (v) v.inferred = type;
    else this.values.set(name, { name, inferred: type });
  }

  /** Forgets all inferred types (of this graph and its subgraphs). */
  clearInferred(): void {
    for (const [name, v] of this.values) {
      delete v.inferred;
      if (v.type === undefined && v.doc === undefined && v.extra === undefined && v.metadata === undefined) this.values.delete(name);
    }
    for (const n of this.#nodes) for (const g of n.attrs.subgraphs()) g.clearInferred();
  }

  // ---- mutation: names ----

  /** Makes every reader of `oldName` (nodes, subgraphs and, unless told otherwise, graph outputs) read `newName`. */
  replaceUses(oldName: string, newName: string, options: { graphOutputs?: boolean } = {}): void {
    for (const node of [...(this.#consumers.get(oldName) ?? [])]) {
      if (node.inputs.includes(oldName)) node.setInputs(node.inputs.map((n) => (n === oldName ? newName : n)));
      if (node._implicit?.includes(oldName)) {
        for (const g of node.attrs.subgraphs()) renameOuterReads(g, oldName, newName);
        this.refreshNode(node);
      }
    }
    if (options.graphOutputs !== false) this.#outputs = this.#outputs.map((n) => (n === oldName ? newName : n));
  }

  /** Renames a tensor everywhere: its producer or initializer or input, its readers, outputs and value info. */
  renameValue(oldName: string, newName: string): void {
    if (oldName === newName) return;
    if (this.#producer.has(newName) || this.#initializers.has(newName) || this.#inputs.includes(newName)) {
      throw new TandemError('GRAPH_INVALID', `cannot rename ${quote(oldName)} to ${quote(newName)}: that name is already defined in graph ${quote(this.name)}`);
    }
    const producer = this.#producer.get(oldName);
    if (producer) producer.setOutputs(producer.outputs.map((n) => (n === oldName ? newName : n)));
    const init = this.#initializers.get(oldName);
    if (init) {
      const entries = [...this.#initializers].map(([k, v]): [string, Tensor] => (k === oldName ? [newName, v] : [k, v]));
      this.#initializers = new Map(entries);
      init.name = newName;
    }
    this.#inputs = this.#inputs.map((n) => (n === oldName ? newName : n));
    this.replaceUses(oldName, newName);
    const v = this.values.get(oldName);
    if (v) {
      // The new name may already carry a declaration (e.g. a graph output's type): merge, the new name's
      // declaration winning, so neither is silently dropped.
      const existing = this.values.get(newName);
      const merged: Value = { ...v, ...existing, name: newName };
      if (merged.type === undefined && v.type !== undefined) merged.type = v.type;
      const entries = [...this.values]
        .filter(([k]) => k !== newName)
        .map(([k, val]): [string, Value] => (k === oldName ? [newName, merged] : [k, val]));
      this.values.clear();
      for (const [k, val] of entries) this.values.set(k, val);
    }
    for (const a of this.quantizationAnnotations) if (a.tensorName === oldName) a.tensorName = newName;
  }

  /** A name not yet used for a tensor or node in this graph: `base`, else `base_1`, `base_2`, ... */
  freshName(base: string): string {
    if (!this.#isUsed(base)) return base;
    for (let i = 1; ; i++) {
      const candidate = `${base}_${i}`;
      if (!this.#isUsed(candidate)) return candidate;
    }
  }

  // ---- whole-graph operations ----

  /** Sorts now; throws TandemError `GRAPH_CYCLE` naming the cycle. */
  topologicalSort(): void {
    this.#sort();
  }

  /** This graph and every subgraph below it, depth first. */
  *walk(): Generator<Graph> {
    yield this;
    for (const n of this.#nodes) for (const g of n.attrs.subgraphs()) yield* g.walk();
  }

  /** A deep copy of the structure (nodes, attributes, subgraphs, values); tensor data is shared. */
  clone(): Graph {
    const g = new Graph(this.name);
    if (this.doc !== undefined) g.doc = this.doc;
    if (this.metadata !== undefined) g.metadata = [...this.metadata];
    if (this.extra !== undefined) g.extra = this.extra;
    g.quantizationAnnotations = this.quantizationAnnotations.map((a) => ({ ...a, quantParameterTensorNames: [...a.quantParameterTensorNames] }));
    g.sparseInitializers = [...this.sparseInitializers];
    for (const [k, v] of this.values) g.values.set(k, { ...v });
    g.#inputs = [...this.#inputs];
    g.#outputs = [...this.#outputs];
    for (const [k, t] of this.#initializers) g.#initializers.set(k, t);
    for (const n of this.#nodes) {
      const copy = n.clone();
      for (const sub of copy.attrs.subgraphs()) sub.parent = g;
      g.addNode(copy);
    }
    g.parent = this.parent;
    return g;
  }

  // ---- internals ----

  /** @internal */
  _inputsChanged(node: Node, old: readonly string[]): void {
    for (const name of old) this.#removeConsumer(name, node);
    for (const name of node.inputs) if (name !== '') this.#addConsumer(name, node);
    for (const name of node._implicit ?? []) this.#addConsumer(name, node);
    this.#sorted = false;
  }

  /** @internal */
  _outputsChanged(node: Node, old: readonly string[]): void {
    for (const name of old) if (this.#producer.get(name) === node) this.#producer.delete(name);
    for (const name of node.outputs) {
      if (name === '') continue;
      const other = this.#producer.get(name);
      if (other && other !== node) {
        throw new TandemError('GRAPH_INVALID', `tensor ${quote(name)} would be produced by both ${other.label} and ${node.label}`);
      }
      this.#producer.set(name, node);
    }
    this.#sorted = false;
  }

  #index(node: Node): void {
    for (const out of node.outputs) if (out !== '') this.#producer.set(out, node);
    const subgraphs = node.attrs.subgraphs();
    node._implicit = subgraphs.length > 0 ? outerReads(subgraphs) : undefined;
    for (const sub of subgraphs) sub.parent = this;
    for (const name of node.inputs) if (name !== '') this.#addConsumer(name, node);
    for (const name of node._implicit ?? []) this.#addConsumer(name, node);
    if (node.name) this.#nodeNames.set(node.name, (this.#nodeNames.get(node.name) ?? 0) + 1);
  }

  #unindex(node: Node): void {
    for (const out of node.outputs) if (this.#producer.get(out) === node) this.#producer.delete(out);
    for (const name of node.inputs) this.#removeConsumer(name, node);
    for (const name of node._implicit ?? []) this.#removeConsumer(name, node);
    if (node.name) {
      const c = (this.#nodeNames.get(node.name) ?? 1) - 1;
      if (c <= 0) this.#nodeNames.delete(node.name);
      else this.#nodeNames.set(node.name, c);
    }
  }

  #addConsumer(name: string, node: Node): void {
    const list = this.#consumers.get(name);
    if (list === undefined) this.#consumers.set(name, [node]);
    else if (!list.includes(node)) list.push(node);
  }

  #removeConsumer(name: string, node: Node): void {
    const list = this.#consumers.get(name);
    if (!list) return;
    const i = list.indexOf(node);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#consumers.delete(name);
  }

  #isUsed(name: string): boolean {
    return (
      this.#producer.has(name) ||
      this.#initializers.has(name) ||
      this.#consumers.has(name) ||
      this.values.has(name) ||
      this.#inputs.includes(name) ||
      this.#outputs.includes(name) ||
      this.#nodeNames.has(name)
    );
  }

  /** Depth-first post-order from the current order: an already sorted list stays as it is. */
  #sort(): void {
    const nodes = this.#nodes;
    const state = new Map<Node, 1 | 2>(); // 1: on the stack, 2: placed
    const order: Node[] = [];
    const deps = (n: Node): Node[] => {
      const out: Node[] = [];
      for (const name of n.inputs) {
        const p = name === '' ? undefined : this.#producer.get(name);
        if (p) out.push(p);
      }
      for (const name of n._implicit ?? []) {
        const p = this.#producer.get(name);
        if (p) out.push(p);
      }
      return out;
    };
    for (const root of nodes) {
      if (state.has(root)) continue;
      const stack: { node: Node; deps: Node[]; next: number }[] = [{ node: root, deps: deps(root), next: 0 }];
      state.set(root, 1);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.next < top.deps.length) {
          const d = top.deps[top.next++]!;
          const s = state.get(d);
          if (s === 2) continue;
          if (s === 1) throw cycleError(stack.map((f) => f.node), d);
          state.set(d, 1);
          stack.push({ node: d, deps: deps(d), next: 0 });
        } else {
          stack.pop();
          state.set(top.node, 2);
          order.push(top.node);
        }
      }
    }
    this.#nodes = order;
    this.#position = new Map(order.map((n, i) => [n, i]));
    this.#sorted = true;
  }
}

function cycleError(stack: Node[], back: Node): TandemError {
  const start = stack.indexOf(back);
  const cycle = stack.slice(start).concat(back);
  const text = cycle.map((n) => n.label).join(' → ');
  return new TandemError('GRAPH_CYCLE', `the graph has a cycle: ${text}; ONNX graphs must be acyclic`, {
    details: { cycle: cycle.map((n) => n.name || n.outputs[0]) },
  });
}

/** Names read inside subgraphs that none of them defines: what the owning node takes from outer scope. */
function outerReads(subgraphs: readonly Graph[]): string[] {
  const out = new Set<string>();
  for (const g of subgraphs) {
    const defined = new Set<string>([...g.inputs, ...g.initializers.keys()]);
    for (const n of g.nodes) for (const o of n.outputs) defined.add(o);
    for (const n of g.nodes) {
      for (const i of n.inputs) if (i !== '' && !defined.has(i)) out.add(i);
      for (const i of n._implicit ?? []) if (!defined.has(i)) out.add(i);
    }
    for (const o of g.outputs) if (!defined.has(o)) out.add(o);
  }
  return [...out];
}

function renameOuterReads(g: Graph, oldName: string, newName: string): void {
  if (g.isInitializer(oldName) || g.isGraphInput(oldName) || g.producer(oldName)) return; // shadowed
  g.replaceUses(oldName, newName);
}
