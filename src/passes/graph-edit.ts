import { quote } from '../util/text.js';
import { attr, type AttributeInput } from '../ir/attribute.js';
import { dataTypeCode, type DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import { scalarTensor, tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import { constantValue, inferShapes } from '../ops/index.js';
import { assert } from '../util/errors.js';
import { defaultOpset } from './graph-facts.js';

/**
 * The apply side of a pass: looks nodes up by plan key, makes fresh names and initializers, swaps node
 * groups, and tidies at the end (initializers and value infos the rewrites left unused).
 */
export class GraphEdit {
  readonly model: Model;
  readonly graph: Graph;
  readonly opset: number;
  readonly #reserved = new Set<string>();
  /** Every node an Emitter of this edit made, in order (the new ops a plan's rewrites bring in). */
  readonly emitted: Node[] = [];
  readonly #usedInitializers: Set<string>;
  readonly #definedBefore: Set<string>;

  private constructor(model: Model) {
    this.model = model;
    this.graph = model.graph;
    this.opset = defaultOpset(model);
    this.#usedInitializers = new Set([...this.graph.initializers.keys()].filter((n) => this.graph.consumers(n).length > 0));
    this.#definedBefore = definedNames(this.graph);
  }

  /** Starts editing; infers shapes so that folded values (constantValue) are known on this copy too. */
  static begin(model: Model): GraphEdit {
    inferShapes(model, { strict: false });
    return new GraphEdit(model);
  }

  /** The node a plan names by its first output. */
  node(key: string): Node {
    const n = this.graph.producer(key);
    assert(n !== undefined, `plan names node ${quote(key)}, which the graph does not have (was the plan made on another model?)`);
    return n;
  }

  /** The value of a constant the plan relied on (weights, indices). */
  constant(name: string): Tensor {
    const t = constantValue(this.graph, name);
    assert(t !== undefined, `plan relies on ${quote(name)} being constant, and it is not (was the plan made on another model?)`);
    return t;
  }

  /** A constant's elements as numbers. */
  values(name: string): number[] {
    return tensorValues(this.constant(name));
  }

  /** A name unused in the graph and not handed out before. */
  fresh(base: string): string {
    for (let i = 0; ; i++) {
      const candidate = i === 0 ? base : `${base}_${i}`;
      if (!this.#reserved.has(candidate) && this.graph.freshName(candidate) === candidate) {
        this.#reserved.add(candidate);
        return candidate;
      }
    }
  }

  /** Adds an initializer under a fresh name. */
  initializer(base: string, tensor: Tensor): string {
    const name = this.fresh(base);
    this.graph.setInitializer(name, tensor);
    return name;
  }

  ints(base: string, values: readonly number[]): string {
    return this.initializer(base, tensorFromValues('int64', [values.length], values));
  }

  floats(base: string, dims: readonly number[], values: ArrayLike<number>, dtype: DataType = 'float32'): string {
    return this.initializer(base, tensorFromValues(dtype, dims, values));
  }

  scalar(base: string, value: number, dtype: DataType = 'float32'): string {
    return this.initializer(base, scalarTensor(dtype, value));
  }

  /** A node list to fill; names derive from `prefix` (usually the replaced node's name). */
  emitter(prefix: string): Emitter {
    return new Emitter(this, prefix);
  }

  /** Removes `old` and adds `added` where the last of `old` was. */
  replace(old: readonly Node[], added: readonly Node[]): void {
    const order = this.graph.nodes;
    const last = [...old].sort((a, b) => order.indexOf(a) - order.indexOf(b)).at(-1);
    const anchor = last === undefined ? undefined : order[order.indexOf(last) + 1];
    for (const n of old) this.graph.removeNode(n);
    const before = anchor !== undefined && !old.includes(anchor) ? anchor : undefined;
    this.graph.addNodes(added, before ? { before } : {});
  }

  /**
   * Removes a node whose output `to` equals its input `from`: readers of `to` read `from`. When `to` is
   * a graph output, `from` takes its name instead (possible when `from` is an intermediate tensor).
   * Returns false, changing nothing, where neither works.
   */
  bypass(node: Node, from: string, to: string): boolean {
    const g = this.graph;
    if (!g.isGraphOutput(to)) {
      g.removeNode(node);
      g.replaceUses(to, from);
      return true;
    }
    if (!canTakeOutputName(g, from)) return false;
    const declared = g.value(to)?.type;
    g.removeNode(node);
    g.values.delete(to);
    g.renameValue(from, to);
    if (declared !== undefined) g.setValueType(to, declared);
    return true;
  }

  /** Drops initializers the rewrites made unused and value infos of names that no longer exist. */
  finish(): void {
    const g = this.graph;
    for (const name of this.#usedInitializers) {
      if (g.isInitializer(name) && g.consumers(name).length === 0 && !g.isGraphOutput(name) && !g.isGraphInput(name)) g.removeInitializer(name);
    }
    for (const name of [...g.initializers.keys()]) {
      if (this.#reserved.has(name) && g.consumers(name).length === 0 && !g.isGraphOutput(name)) g.removeInitializer(name);
    }
    const now = definedNames(g);
    for (const name of this.#definedBefore) if (!now.has(name)) g.values.delete(name);
    g.clearInferred();
    g.topologicalSort();
  }
}

/** Whether an existing tensor may be renamed to a graph output's name. */
export function canTakeOutputName(g: Graph, name: string): boolean {
  return g.producer(name) !== undefined && !g.isGraphOutput(name) && !g.isGraphInput(name) && !g.isInitializer(name);
}

function definedNames(g: Graph): Set<string> {
  const s = new Set<string>([...g.inputs, ...g.initializers.keys()]);
  for (const n of g.nodes) for (const o of n.outputs) if (o !== '') s.add(o);
  return s;
}

export interface ConvAttrs {
  kernel: readonly number[];
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

/** Builds nodes for one rewrite with opset-correct forms (axes as inputs or attributes, Split sizes...). */
export class Emitter {
  readonly nodes: Node[] = [];
  readonly #edit: GraphEdit;
  readonly #prefix: string;

  constructor(edit: GraphEdit, prefix: string) {
    this.#edit = edit;
    this.#prefix = prefix;
  }

  get opset(): number {
    return this.#edit.opset;
  }

  /** A fresh tensor name under this rewrite's prefix. */
  tensor(suffix: string): string {
    return this.#edit.fresh(`${this.#prefix}/${suffix}`);
  }

  /** An initializer named under this rewrite's prefix. */
  initializer(suffix: string, tensor: Tensor): string {
    return this.#edit.initializer(`${this.#prefix}/${suffix}`, tensor);
  }

  floats(suffix: string, dims: readonly number[], values: ArrayLike<number>, dtype: DataType = 'float32'): string {
    return this.#edit.floats(`${this.#prefix}/${suffix}`, dims, values, dtype);
  }

  scalar(suffix: string, value: number, dtype: DataType = 'float32'): string {
    return this.#edit.scalar(`${this.#prefix}/${suffix}`, value, dtype);
  }

  op(op: string, inputs: readonly (string | undefined)[], attrs: Record<string, AttributeInput | undefined> = {}, outputs: readonly string[] | number = 1): string[] {
    const lower = op.charAt(0).toLowerCase() + op.slice(1);
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => this.tensor(outputs === 1 ? lower : `${lower}_${i}`)) : [...outputs];
    const node = new Node({ op, name: this.#edit.fresh(`${this.#prefix}/${op}`), inputs: inputs.map((i) => i ?? ''), outputs: outs, attrs });
    this.nodes.push(node);
    this.#edit.emitted.push(node);
    return outs;
  }

  op1(op: string, inputs: readonly (string | undefined)[], attrs: Record<string, AttributeInput | undefined> = {}, out?: string): string {
    return this.op(op, inputs, attrs, out === undefined ? 1 : [out])[0]!;
  }

  unary(op: string, x: string, out?: string): string {
    return this.op1(op, [x], {}, out);
  }

  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: string, b: string, out?: string): string {
    return this.op1(op, [a, b], {}, out);
  }

  reshape(x: string, shape: readonly number[], out?: string): string {
    return this.op1('Reshape', [x, this.#edit.ints(`${this.#prefix}/shape`, shape)], {}, out);
  }

  transpose(x: string, perm: readonly number[], out?: string): string {
    return this.op1('Transpose', [x], { perm: attr.ints(perm) }, out);
  }

  conv(x: string, w: string, b: string | undefined, a: ConvAttrs, out?: string): string {
    return this.op1('Conv', [x, w, b], convAttributes(a), out);
  }

  convTranspose(x: string, w: string, b: string | undefined, a: ConvAttrs, out?: string): string {
    return this.op1('ConvTranspose', [x, w, b], convAttributes(a), out);
  }

  concat(inputs: readonly string[], axis: number, out?: string): string {
    return this.op1('Concat', inputs, { axis: attr.int(axis) }, out);
  }

  split(x: string, sizes: readonly number[], axis: number, outputs: readonly string[] | number = sizes.length): string[] {
    if (this.opset >= 13) return this.op('Split', [x, this.#edit.ints(`${this.#prefix}/split`, sizes)], { axis: attr.int(axis) }, outputs);
    return this.op('Split', [x], { axis: attr.int(axis), split: attr.ints(sizes) }, outputs);
  }

  slice(x: string, starts: readonly number[], ends: readonly number[], axes: readonly number[], out?: string): string {
    if (this.opset >= 10) {
      const e = this.#edit;
      return this.op1('Slice', [x, e.ints(`${this.#prefix}/starts`, starts), e.ints(`${this.#prefix}/ends`, ends), e.ints(`${this.#prefix}/axes`, axes)], {}, out);
    }
    return this.op1('Slice', [x], { starts: attr.ints(starts), ends: attr.ints(ends), axes: attr.ints(axes) }, out);
  }

  /** ReduceMean/ReduceMax/ReduceSum with the axes form of this opset (ReduceSum takes an input from 13, the others from 18). */
  reduce(op: 'ReduceMean' | 'ReduceMax' | 'ReduceSum', x: string, axes: readonly number[], keepdims: boolean, out?: string): string {
    const asInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const keep = attr.int(keepdims ? 1 : 0);
    if (asInput) return this.op1(op, [x, this.#edit.ints(`${this.#prefix}/axes`, axes)], { keepdims: keep }, out);
    return this.op1(op, [x], { axes: attr.ints(axes), keepdims: keep }, out);
  }

  cast(x: string, to: DataType, out?: string): string {
    return this.op1('Cast', [x], { to: attr.int(dataTypeCode(to)) }, out);
  }

  clip(x: string, min: number, max: number, dtype: DataType, out?: string): string {
    if (this.opset >= 11) return this.op1('Clip', [x, this.#edit.scalar(`${this.#prefix}/min`, min, dtype), this.#edit.scalar(`${this.#prefix}/max`, max, dtype)], {}, out);
    return this.op1('Clip', [x], { min: attr.float(min), max: attr.float(max) }, out);
  }

  pool(op: 'AveragePool' | 'MaxPool', x: string, kernel: readonly number[], strides: readonly number[], out?: string): string {
    return this.op1(op, [x], { kernel_shape: attr.ints(kernel), strides: attr.ints(strides) }, out);
  }
}

function convAttributes(a: ConvAttrs): Record<string, AttributeInput | undefined> {
  return {
    kernel_shape: attr.ints(a.kernel),
    strides: a.strides ? attr.ints(a.strides) : undefined,
    pads: a.pads ? attr.ints(a.pads) : undefined,
    dilations: a.dilations ? attr.ints(a.dilations) : undefined,
    group: a.group !== undefined && a.group !== 1 ? attr.int(a.group) : undefined,
  };
}
