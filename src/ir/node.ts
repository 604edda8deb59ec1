import { quote } from '../util/text.js';
import { Attrs, type Attribute, type AttributeInput } from './attribute.js';
import type { Graph } from './graph.js';
import type { Preserved } from './preserved.js';

/** Options of `new Node(init)`: the op, its input and output tensor names, attributes by name. */
export interface NodeInit {
  op: string;
  inputs?: readonly string[];
  outputs?: readonly string[];
  name?: string;
  /** '' (the default) is the standard ai.onnx domain. */
  domain?: string;
  attrs?: Attrs | Readonly<Record<string, AttributeInput | undefined>> | Iterable<[string, Attribute]>;
  doc?: string;
}

/**
 * One operator application. Inputs and outputs are tensor names; '' marks an omitted optional input
 * or output (ONNX IR: optional outputs are left unnamed or dropped from the end). A node whose outputs
 * are all omitted computes nothing anyone can read: it is dead code, not an error of the IR (the op
 * table says which outputs an op may omit; see ops' `outputProblems`).
 * Once the node belongs to a graph, change its connections through `setInput`/`setOutput` so the
 * graph's producer and consumer indices stay right.
 */
export class Node {
  name: string;
  op: string;
  domain: string;
  overload?: string;
  readonly attrs: Attrs;
  doc?: string;
  metadata?: (readonly [string, string])[];
  extra?: Preserved;
  #inputs: string[];
  #outputs: string[];
  /** @internal set by Graph */
  _graph: Graph | undefined;
  /** @internal outer-scope names read by this node's subgraphs, cached by Graph */
  _implicit: readonly string[] | undefined;

  constructor(init: NodeInit) {
    this.op = init.op;
    this.name = init.name ?? '';
    this.domain = init.domain ?? '';
    this.#inputs = [...(init.inputs ?? [])];
    this.#outputs = [...(init.outputs ?? [])];
    this.attrs = toAttrs(init.attrs);
    this.attrs.setOwner(this.name || this.op);
    if (init.doc !== undefined) this.doc = init.doc;
  }

  get inputs(): readonly string[] {
    return this.#inputs;
  }

  get outputs(): readonly string[] {
    return this.#outputs;
  }

  /** The graph this node belongs to, if any. */
  get graph(): Graph | undefined {
    return this._graph;
  }

  /** Input `i`, or undefined when absent or omitted (''). */
  input(i: number): string | undefined {
    const name = this.#inputs[i];
    return name === '' ? undefined : name;
  }

  setInput(index: number, name: string): void {
    const next = [...this.#inputs];
    while (next.length <= index) next.push('');
    next[index] = name;
    this.setInputs(next);
  }

  setInputs(names: readonly string[]): void {
    const old = this.#inputs;
    this.#inputs = [...names];
    this._graph?._inputsChanged(this, old);
  }

  setOutput(index: number, name: string): void {
    const next = [...this.#outputs];
    while (next.length <= index) next.push('');
    next[index] = name;
    this.setOutputs(next);
  }

  setOutputs(names: readonly string[]): void {
    const old = this.#outputs;
    this.#outputs = [...names];
    this._graph?._outputsChanged(this, old);
  }

  /** The first output that is produced (not ''); undefined when the node names no output. */
  get firstOutput(): string | undefined {
    return this.#outputs.find((o) => o !== '');
  }

  /** A short label for messages: `Conv "conv1"`. */
  get label(): string {
    if (this.name) return `${this.op} ${quote(this.name)}`;
    const out = this.firstOutput;
    return out === undefined ? `${this.op} (unnamed, no named output)` : `${this.op} (unnamed, output ${quote(out)})`;
  }

  /** A detached copy (same attribute values, subgraphs deep-copied). */
  clone(): Node {
    const n = new Node({ op: this.op, name: this.name, domain: this.domain, inputs: this.#inputs, outputs: this.#outputs });
    for (const [k, a] of this.attrs) {
      if (a.type === 'graph') n.attrs.set(k, { ...a, value: a.value.clone() });
      else if (a.type === 'graphs') n.attrs.set(k, { ...a, value: a.value.map((g) => g.clone()) });
      else n.attrs.set(k, { ...a, value: Array.isArray(a.value) ? [...a.value] : a.value } as Attribute);
    }
    if (this.overload !== undefined) n.overload = this.overload;
    if (this.doc !== undefined) n.doc = this.doc;
    if (this.metadata !== undefined) n.metadata = [...this.metadata];
    if (this.extra !== undefined) n.extra = this.extra;
    return n;
  }
}

function toAttrs(init: NodeInit['attrs']): Attrs {
  if (init instanceof Attrs) return init;
  const attrs = new Attrs();
  if (init === undefined) return attrs;
  if (Symbol.iterator in init) {
    for (const [k, v] of init as Iterable<[string, Attribute]>) attrs.set(k, v);
    return attrs;
  }
  for (const [k, v] of Object.entries(init as Record<string, AttributeInput | undefined>)) {
    if (v !== undefined) attrs.set(k, v);
  }
  return attrs;
}
