import { quote } from '../util/text.js';
import type { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import { isStaticShape, type Shape } from '../ir/types.js';
import { OPS, constantValue, inferShapes } from '../ops/index.js';
import { TandemError } from '../util/errors.js';
import type { Rewrite } from './pass.js';

/**
 * What planning may know about a model's main graph: inferred types, statically known values, who reads
 * what. Read-only; built once per plan (after shape inference) and cached per name.
 */
export class GraphFacts {
  readonly model: Model;
  readonly graph: Graph;
  /** The ai.onnx opset the graph is written for. */
  readonly opset: number;
  readonly #constants = new Map<string, Tensor | undefined>();
  readonly #claimed = new Set<Node>();
  /** Rewrites `find` saw and will not make, with the reason (the plan reports them). */
  readonly refused: { rewrite: Rewrite; reason: string }[] = [];
  #reaches: Map<Node, string> | undefined;
  #nodes: readonly Node[] | undefined;

  private constructor(model: Model) {
    this.model = model;
    this.graph = model.graph;
    this.opset = defaultOpset(model);
  }

  /** Infers shapes on the model (replacing earlier inferred types) and wraps it. */
  static of(model: Model): GraphFacts {
    // lenient: a node inference cannot type only hides what passes could do there
    inferShapes(model, { strict: false });
    return new GraphFacts(model);
  }

  /**
   * The nodes that compute something: those with at least one named output. A node whose outputs are
   * all omitted ('') has no key for a plan to name it by and nothing to rewrite; remove-dead-nodes
   * drops it (it reads graph.nodes).
   */
  get nodes(): readonly Node[] {
    this.#nodes ??= this.graph.nodes.filter((n) => n.firstOutput !== undefined);
    return this.#nodes;
  }

  dtype(name: string): DataType | undefined {
    return this.graph.tensorType(name)?.dtype;
  }

  shape(name: string): Shape | undefined {
    return this.graph.tensorType(name)?.shape;
  }

  /** The shape when every dim is a known number. */
  staticShape(name: string): number[] | undefined {
    const s = this.shape(name);
    return isStaticShape(s) ? [...s] : undefined;
  }

  /**
   * The shape when every dim but the first (the batch) is a known number and the first is a number
   * or a symbol: what rewrites that never touch the batch dim need.
   */
  batchShape(name: string): { batch: number | string; rest: number[] } | undefined {
    const s = this.shape(name);
    if (s === undefined || s.length === 0 || s[0] === null || s[0] === undefined) return undefined;
    const rest = s.slice(1);
    if (!rest.every((d): d is number => typeof d === 'number')) return undefined;
    return { batch: s[0], rest };
  }

  /**
   * A Reshape target that turns `input` into `output`'s shape: the output's numbers, with 0 ("copy
   * the input's dim") for a symbolic batch dim that both share. Undefined where that cannot be said.
   */
  reshapeTarget(input: string, output: string): number[] | undefined {
    const a = this.shape(input);
    const b = this.shape(output);
    if (a === undefined || b === undefined || b.length === 0) return undefined;
    const target: number[] = [];
    for (let i = 0; i < b.length; i++) {
      const d = b[i];
      if (typeof d === 'number' && d > 0) target.push(d);
      else if (i === 0 && typeof d === 'string' && a[0] === d) target.push(0);
      else return undefined;
    }
    return target;
  }

  rank(name: string): number | undefined {
    return this.shape(name)?.length;
  }

  /** The statically known value of a tensor (initializer, Constant, folded shape arithmetic). */
  constant(name: string | undefined): Tensor | undefined {
    if (name === undefined || name === '') return undefined;
    if (!this.#constants.has(name)) this.#constants.set(name, constantValue(this.graph, name));
    return this.#constants.get(name);
  }

  /** A constant's elements as numbers (undefined for non-constants and non-real types). */
  values(name: string | undefined): number[] | undefined {
    const t = this.constant(name);
    if (t === undefined || t.dtype === 'string' || t.dtype === 'complex64' || t.dtype === 'complex128') return undefined;
    return tensorValues(t);
  }

  isConstant(name: string | undefined): boolean {
    return this.constant(name) !== undefined;
  }

  /**
   * Whether every config input the node has (axes, shape, pads ... by the op table's roles) is a
   * constant: only then does the node's result follow from its data input alone, and a rewrite may
   * write the result's shape in its place. False for ops the table does not know at this opset.
   */
  configIsConstant(node: Node): boolean {
    const row = OPS.get(node.op, node.domain, this.model.opset(node.domain));
    if (row === undefined) return false;
    return node.inputs.every((name, i) => name === '' || (row.inputs[Math.min(i, row.inputs.length - 1)]?.role ?? 'data') !== 'config' || this.isConstant(name));
  }

  producer(name: string): Node | undefined {
    return this.graph.producer(name);
  }

  consumers(name: string): readonly Node[] {
    return this.graph.consumers(name);
  }

  isGraphOutput(name: string): boolean {
    return this.graph.isGraphOutput(name);
  }

  /** The one node reading `name`, when it is the only reader and `name` is not a graph output. */
  soleConsumer(name: string): Node | undefined {
    if (this.graph.isGraphOutput(name)) return undefined;
    const c = this.graph.consumers(name);
    return c.length === 1 ? c[0] : undefined;
  }

  /**
   * Reserves nodes for one rewrite of a plan so that rewrites of one plan never overlap; false (and
   * nothing reserved) when one is taken already.
   */
  /** Records a rewrite the pass will not make, and why; prepare's report shows it as rejected. */
  refuse(rewrite: Rewrite, reason: string): void {
    this.refused.push({ rewrite, reason });
  }

  claim(nodes: readonly Node[]): boolean {
    if (nodes.some((n) => this.#claimed.has(n))) return false;
    for (const n of nodes) this.#claimed.add(n);
    return true;
  }

  isClaimed(node: Node): boolean {
    return this.#claimed.has(node);
  }

  /**
   * Which graph outputs depend on a node, as a key ("out_a|out_b"): nodes with equal keys belong to the
   * same heads, so merging them never moves work from one head into another.
   */
  outputsReached(node: Node): string {
    if (this.#reaches === undefined) {
      const g = this.graph;
      const sets = new Map<Node, Set<string>>();
      const nodes = g.nodes;
      for (let i = nodes.length - 1; i >= 0; i--) {
        const n = nodes[i]!;
        const s = new Set<string>();
        for (const o of n.outputs) {
          if (o === '') continue;
          if (g.isGraphOutput(o)) s.add(o);
          for (const c of g.consumers(o)) for (const x of sets.get(c) ?? []) s.add(x);
        }
        sets.set(n, s);
      }
      this.#reaches = new Map([...sets].map(([n, s]) => [n, [...s].sort().join('|')]));
    }
    return this.#reaches.get(node) ?? '';
  }

  /** Reduce/Squeeze/Unsqueeze axes from the attribute (old opsets) or the input (newer), normalised. */
  axes(node: Node, inputIndex: number, rank: number): number[] | 'dynamic' | undefined {
    const fromAttr = node.attrs.ints('axes');
    let raw: number[] | undefined = fromAttr;
    if (raw === undefined && node.input(inputIndex) !== undefined) {
      const v = this.values(node.input(inputIndex));
      if (v === undefined) return 'dynamic';
      raw = v;
    }
    if (raw === undefined) return undefined;
    return raw.map((a) => (a < 0 ? a + rank : a));
  }
}

/** The model's ai.onnx opset; every model tandem rewrites must import one. */
export function defaultOpset(model: Model): number {
  const v = model.opset('');
  if (v === undefined) {
    throw new TandemError('ONNX_UNSUPPORTED', 'the model imports no ai.onnx opset; tandem rewrites only standard ONNX graphs — export the model with an opset_import for the default domain');
  }
  return v;
}

/** A node's first output: how plans name nodes. */
export function nodeKey(node: Node): string {
  return node.firstOutput ?? node.name;
}

/** How plans and reports show a node: `Conv "conv1"` or `Conv (→ y)`. */
export function nodeLabel(node: Node): string {
  return node.name ? `${node.op} ${quote(node.name)}` : `${node.op} (→ ${node.firstOutput ?? 'nothing'})`;
}
