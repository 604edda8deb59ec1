import { quote } from '../util/text.js';
import { TandemError, assert, isTandemError } from '../util/errors.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Dim, Shape, TensorType, Value } from '../ir/types.js';
import { NodeContext } from './context.js';
import { outputProblems } from './output-problems.js';
import { OPS } from './registry.js';
import { evaluateDim } from './symbolic.js';
import { elementsOf } from './sym-tensor.js';
import type { SymTensor } from './sym-tensor.js';
import type { InferredOutput } from './types.js';
import { resetValueStore, valueStore } from './value-store.js';

/** Options of `inferShapes`. */
export interface InferShapesOptions {
  /**
   * Throw TandemError 'SHAPE_INFERENCE' on a contradiction, and 'GRAPH_INVALID' on a node that leaves a
   * required output unnamed (true), or record either in the report's `issues` (and leave that node's
   * outputs unknown) (false). @default true
   */
  strict?: boolean;
  /**
   * Sizes for symbolic dims of the graph inputs, by name ({ batch: 1 }): inference then works on these
   * numbers (written to the inputs' `inferred` types; declared types stay as they are). @default {}
   */
  dims?: Readonly<Record<string, number>>;
}

export interface ResolvedInferShapesOptions {
  readonly strict: boolean;
  readonly dims: Readonly<Record<string, number>>;
}

export function resolveInferShapesOptions(options: InferShapesOptions = {}): ResolvedInferShapesOptions {
  return { strict: options.strict ?? true, dims: { ...(options.dims ?? {}) } };
}

/** A contradiction found with `strict: false`. */
export interface ShapeIssue {
  readonly node: string;
  readonly op: string;
  readonly message: string;
}

/** What `inferShapes` could not settle: ops without a table row, unknown ranks, recorded issues. */
export interface ShapeInferenceReport {
  /** Op types (as `Op`, or `domain:Op` outside ai.onnx) that the op table has no row for at the model's opset. */
  unknownOps: string[];
  /** Node outputs whose rank stayed unknown (neither inferred nor declared). */
  unresolved: string[];
  /** Contradictions, when inference ran with `strict: false`. */
  issues: ShapeIssue[];
}

/**
 * Infers element types and shapes (with symbolic dims) of every node output of the model's graph
 * and its subgraphs, starting from the declared types of graph inputs and value_info, and writes
 * them to `Value.inferred`. Stale inferred types are cleared first. Small integer tensors (shape
 * vectors) have their values tracked, so `constantValue` can read folded results afterwards.
 */
export function inferShapes(model: Model, options: InferShapesOptions = {}): ShapeInferenceReport {
  const state = new InferState(model, resolveInferShapesOptions(options));
  const graphs = [...model.graph.walk()];
  for (const g of graphs) forgetInferred(g);
  state.inferGraph(model.graph, undefined);
  for (const g of graphs) pruneEmptyValues(g);
  return state.report();
}

/**
 * Forgets inferred types as Graph.clearInferred does, but keeps the Value entries until inference is
 * done: deleting and re-adding thousands of map entries on every run costs more than the inference.
 */
function forgetInferred(graph: Graph): void {
  for (const [name, v] of graph.values) {
    if (v.inferred === undefined) continue;
    delete v.inferred;
    // An entry inference cannot fill again (the name is no longer made here) goes now, so it cannot hide an outer-scope name.
    if (isEmpty(v) && graph.producer(name) === undefined && !graph.isGraphInput(name)) graph.values.delete(name);
  }
}

function isEmpty(v: Value): boolean {
  return v.inferred === undefined && v.type === undefined && v.doc === undefined && v.extra === undefined && v.metadata === undefined;
}

/** Drops the entries that are left with nothing (the ones Graph.clearInferred would have deleted). */
function pruneEmptyValues(graph: Graph): void {
  for (const [name, v] of graph.values) if (isEmpty(v)) graph.values.delete(name);
}

class InferState {
  readonly #model: Model;
  readonly #options: ResolvedInferShapesOptions;
  readonly #unknownOps = new Set<string>();
  readonly #unresolved: string[] = [];
  readonly #issues: ShapeIssue[] = [];
  readonly #opsets = new Map<string, number | undefined>();
  readonly #subgraphs = (g: Graph, inputs: readonly (TensorType | undefined)[], unreachable: boolean): (TensorType | undefined)[] => {
    if (!unreachable) return this.inferSubgraph(g, inputs);
    this.#unreachable++;
    try {
      return this.inferSubgraph(g, inputs);
    } finally {
      this.#unreachable--;
    }
  };
  /** Depth of subgraphs being inferred that can never run: problems there are not the model's. */
  #unreachable = 0;
  /** Subgraph passes can run twice (loop bodies); only the last pass's unresolved names count. */
  readonly #subgraphUnresolved = new Map<Graph, string[]>();

  constructor(model: Model, options: ResolvedInferShapesOptions) {
    this.#model = model;
    this.#options = options;
  }

  report(): ShapeInferenceReport {
    const unresolved = [...this.#unresolved];
    for (const names of this.#subgraphUnresolved.values()) for (const n of names) unresolved.push(n);
    return { unknownOps: [...this.#unknownOps].sort(), unresolved, issues: [...this.#issues] };
  }

  /** Infers every node of a graph; `inputs` gives the types of a subgraph's inputs. */
  inferGraph(graph: Graph, inputs: readonly (TensorType | undefined)[] | undefined): void {
    resetValueStore(graph, this.#model.irVersion < 4);
    if (inputs !== undefined) {
      graph.inputs.forEach((name, i) => {
        const merged = mergeDeclared(inputs[i], declaredType(graph, name));
        if (merged) graph.setInferred(name, merged);
      });
    } else if (Object.keys(this.#options.dims).length > 0) {
      for (const name of graph.runtimeInputs) {
        const t = declaredType(graph, name);
        if (t?.shape === undefined || !t.shape.some((d) => typeof d === 'string')) continue;
        const shape = t.shape.map((d): Dim => (typeof d === 'string' ? (evaluateDim(d, this.#options.dims) ?? d) : d));
        graph.setInferred(name, { kind: 'tensor', dtype: t.dtype, shape });
      }
    }
    const unresolved = inputs === undefined ? this.#unresolved : [];
    const store = valueStore(graph).values;
    for (const node of graph.nodes) this.#inferNode(graph, node, unresolved, store);
    // a branch that never runs leaves nothing unresolved that matters
    if (inputs !== undefined) this.#subgraphUnresolved.set(graph, this.#unreachable > 0 ? [] : unresolved);
  }

  inferSubgraph(graph: Graph, inputs: readonly (TensorType | undefined)[]): (TensorType | undefined)[] {
    // A loop body may be inferred more than once; each pass starts clean.
    for (const g of graph.walk()) forgetInferred(g);
    this.inferGraph(graph, inputs);
    return graph.outputs.map((name) => graph.tensorType(name));
  }

  #inferNode(graph: Graph, node: Node, unresolved: string[], store: Map<string, SymTensor | null>): void {
    let opset = this.#opsets.get(node.domain);
    if (opset === undefined && !this.#opsets.has(node.domain)) this.#opsets.set(node.domain, (opset = this.#model.opset(node.domain)));
    const info = OPS.get(node.op, node.domain, opset);
    let results: readonly (InferredOutput | undefined)[] = [];
    if (info === undefined) {
      this.#unknownOps.add(node.domain === '' || node.domain === 'ai.onnx' ? node.op : `${node.domain}:${node.op}`);
    } else {
      const unreachable = this.#unreachable > 0;
      for (const problem of unreachable ? [] : outputProblems(node, info)) {
        const message = `${node.label} ${problem}`;
        if (this.#options.strict) throw new TandemError('GRAPH_INVALID', `${message}; name the output or re-export the model`);
        this.#issues.push({ node: node.name, op: node.op, message });
      }
      const ctx = new NodeContext(graph, node, info, opset ?? info.since, this.#subgraphs);
      try {
        results = info.infer(ctx);
      } catch (e) {
        if (!isTandemError(e, 'SHAPE_INFERENCE')) throw e;
        if (!unreachable) {
          if (this.#options.strict) throw e;
          this.#issues.push({ node: node.name, op: node.op, message: e.message });
        }
        results = [];
      }
    }
    const outputs = node.outputs;
    for (let i = 0; i < outputs.length; i++) {
      const name = outputs[i]!;
      if (name === '') continue;
      const r = results[i];
      const declared = declaredType(graph, name);
      const merged = mergeDeclared(r, declared);
      if (merged) graph.setInferred(name, merged);
      if (merged?.shape === undefined) unresolved.push(name);
      if (r?.value !== undefined && merged?.shape !== undefined) {
        const v = r.value;
        assert(v.values.length === elementsOf(v.dims), `${node.label}: value of ${quote(name)} has ${v.values.length} elements for dims [${v.dims}]`);
        // Only keep a value that agrees with the shape the tensor ends up with.
        if (sameDims(merged.shape, v.dims)) store.set(name, v);
      }
    }
  }
}

function sameDims(shape: Shape, dims: readonly number[]): boolean {
  return shape.length === dims.length && shape.every((d, i) => d === dims[i]);
}

function declaredType(graph: Graph, name: string): TensorType | undefined {
  const t = graph.values.get(name)?.type;
  return t?.kind === 'tensor' ? t : undefined;
}

/**
 * Combines what inference found with what the file declares: inferred numbers win (as onnxruntime's
 * lenient merge does), a declared number fills an inferred symbol or unknown, a declared symbol fills
 * an unknown.
 */
function mergeDeclared(inferred: InferredOutput | TensorType | undefined, declared: TensorType | undefined): TensorType | undefined {
  if (declared === undefined) return inferred === undefined || (inferred.dtype === undefined && inferred.shape === undefined) ? undefined : { kind: 'tensor', dtype: inferred.dtype, shape: inferred.shape };
  const dtype = inferred?.dtype ?? declared?.dtype;
  const a = inferred?.shape;
  const b = declared?.shape;
  let shape: Shape | undefined;
  if (a === undefined) shape = b;
  else if (b === undefined || b.length !== a.length) shape = a;
  else {
    shape = a.map((d, i): Dim => {
      const e = b[i] ?? null;
      if (typeof d === 'number') return d;
      if (typeof e === 'number') return e;
      return d ?? e;
    });
  }
  if (dtype === undefined && shape === undefined) return undefined;
  return { kind: 'tensor', dtype, shape };
}
