import { TandemError } from '../util/errors.js';
import type { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Shape, TensorType } from '../ir/types.js';
import { numbersOf, type SymTensor } from './sym-tensor.js';
import type { AttrDefault, InferContext, OpInfo } from './types.js';
import { lookupValue } from './value-store.js';

export type SubgraphInferrer = (graph: Graph, inputs: readonly (TensorType | undefined)[], unreachable: boolean) => (TensorType | undefined)[];

/** The InferContext of one node: its input types and values, and its attributes with the table's defaults. */
export class NodeContext implements InferContext {
  readonly inputCount: number;
  readonly outputCount: number;
  readonly #subgraphs: SubgraphInferrer;
  #types: (TensorType | undefined)[] | undefined;

  constructor(
    readonly graph: Graph,
    readonly node: Node,
    readonly info: OpInfo,
    readonly opset: number,
    subgraphs: SubgraphInferrer,
  ) {
    this.inputCount = node.inputs.length;
    this.outputCount = node.outputs.length;
    this.#subgraphs = subgraphs;
  }

  has(i: number): boolean {
    const name = this.node.inputs[i];
    return name !== undefined && name !== '';
  }

  wantsOutput(i: number): boolean {
    const name = this.node.outputs[i];
    return name !== undefined && name !== '';
  }

  type(i: number): TensorType | undefined {
    // Ops ask for the same input's type, dtype and shape several times.
    this.#types ??= this.node.inputs.map((name) => (name === '' ? undefined : this.graph.tensorType(name)));
    return this.#types[i];
  }

  dtype(i: number): DataType | undefined {
    return this.type(i)?.dtype;
  }

  shape(i: number): Shape | undefined {
    return this.type(i)?.shape;
  }

  value(i: number): SymTensor | undefined {
    const name = this.node.inputs[i];
    return name === undefined || name === '' ? undefined : lookupValue(this.graph, name);
  }

  #default(name: string): AttrDefault | undefined {
    return this.info.attrs[name]?.default;
  }

  int(name: string): number | undefined {
    const d = this.#default(name);
    return this.node.attrs.int(name) ?? (typeof d === 'number' ? d : undefined);
  }

  float(name: string): number | undefined {
    const d = this.#default(name);
    return this.node.attrs.float(name) ?? (typeof d === 'number' ? d : undefined);
  }

  string(name: string): string | undefined {
    const d = this.#default(name);
    return this.node.attrs.string(name) ?? (typeof d === 'string' ? d : undefined);
  }

  ints(name: string): readonly number[] | undefined {
    const d = this.#default(name);
    return this.node.attrs.ints(name) ?? (Array.isArray(d) ? (d as readonly number[]) : undefined);
  }

  floats(name: string): readonly number[] | undefined {
    const d = this.#default(name);
    return this.node.attrs.floats(name) ?? (Array.isArray(d) ? (d as readonly number[]) : undefined);
  }

  inputIndex(name: string): number | undefined {
    const i = this.info.inputs.findIndex((s) => s.name === name);
    return i < 0 ? undefined : i;
  }

  intsParam(name: string): readonly number[] | null | undefined {
    const i = this.inputIndex(name);
    if (i === undefined) return this.ints(name);
    if (!this.has(i)) return undefined;
    const v = numbersOf(this.value(i));
    return v === undefined || v.some((x) => !Number.isInteger(x)) ? null : v;
  }

  floatsParam(name: string): readonly number[] | null | undefined {
    const i = this.inputIndex(name);
    if (i === undefined) return this.floats(name);
    if (!this.has(i)) return undefined;
    return numbersOf(this.value(i)) ?? null;
  }

  fail(message: string): never {
    throw new TandemError('SHAPE_INFERENCE', `${this.node.label}: ${message}; fix the model or the shapes of its inputs`, {
      details: { node: this.node.name, op: this.node.op },
    });
  }

  inferSubgraph(graph: Graph, inputs: readonly (TensorType | undefined)[], unreachable = false): (TensorType | undefined)[] {
    return this.#subgraphs(graph, inputs, unreachable);
  }
}
