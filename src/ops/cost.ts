import { byteSize } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { elements } from './cost-util.js';
import { OPS } from './registry.js';
import { evaluateDim } from './symbolic.js';
import type { CostContext, OpInfo } from './types.js';

/**
 * Per-node cost from inferred shapes. Conventions (see cost-util.ts): MACs are the multiply-
 * accumulates of convolutions and matrix products; FLOPs = 2 × MACs plus one per element for every
 * other elementary operation; bytes read are every input (weights included), bytes written every
 * output, each once, in their stored element width.
 */

/** Options of `modelCost` (and `nodeCost`). */
export interface CostOptions {
  /** Sizes of symbolic dims by name ({ batch: 8 }); without one a symbolic node's cost is unknown. @default {} */
  dims?: Readonly<Record<string, number>>;
  /** ai.onnx opset whose op table rows to use. @default the newest */
  opset?: number;
}

/** One node's modelled cost per inference (multiply-accumulates, FLOPs, bytes moved, parameters). */
export interface NodeCost {
  macs: number;
  flops: number;
  bytesRead: number;
  bytesWritten: number;
  /** Elements of the initializers the node reads as data or weights (not config inputs such as shapes). */
  params: number;
  paramBytes: number;
  /** False when a figure could not be computed (a symbolic or unknown shape, an op without a cost model); such figures are NaN. */
  known: boolean;
}

/** Sums of node costs over a model. */
export interface CostTotals {
  macs: number;
  flops: number;
  bytesRead: number;
  bytesWritten: number;
  /** Each initializer counted once, however many nodes read it. */
  params: number;
  paramBytes: number;
}

/** The modelled cost of a model (`modelCost`): totals, per node, and what could not be costed. */
export interface ModelCost {
  /** Sums over the nodes where each figure is known. */
  totals: CostTotals;
  perNode: Map<Node, NodeCost>;
  /** Nodes with at least one unknown figure (their known figures are still in the totals). */
  unknownNodes: Node[];
  /** True when every node's cost is known. */
  known: boolean;
}

interface Sized {
  dims: number[] | undefined;
  bytes: number;
}

function sized(graph: Graph, name: string, sizes: Readonly<Record<string, number>>): Sized {
  const t = graph.tensorType(name);
  if (t?.shape === undefined) return { dims: undefined, bytes: NaN };
  const dims: number[] = [];
  for (const d of t.shape) {
    const v = evaluateDim(d, sizes);
    if (v === undefined) return { dims: undefined, bytes: NaN };
    dims.push(v);
  }
  const bytes = t.dtype === undefined || t.dtype === 'string' ? NaN : byteSize(t.dtype, elements(dims)!);
  return { dims, bytes };
}

function attrDefault<T>(info: OpInfo | undefined, name: string, pick: (d: unknown) => T | undefined): T | undefined {
  return pick(info?.attrs[name]?.default);
}

function costContext(node: Node, info: OpInfo, inputs: (number[] | undefined)[], outputs: (number[] | undefined)[]): CostContext {
  return {
    node,
    info,
    inputs,
    outputs,
    int: (name) => node.attrs.int(name) ?? attrDefault(info, name, (d) => (typeof d === 'number' ? d : undefined)),
    string: (name) => node.attrs.string(name) ?? attrDefault(info, name, (d) => (typeof d === 'string' ? d : undefined)),
    ints: (name) => node.attrs.ints(name) ?? attrDefault(info, name, (d) => (Array.isArray(d) ? (d as number[]) : undefined)),
  };
}

function roleOf(info: OpInfo | undefined, i: number): string {
  if (info === undefined) return 'data';
  const s = info.inputs[Math.min(i, info.inputs.length - 1)];
  return s?.role ?? 'data';
}

/** Cost of one node from the inferred types of its graph (run inferShapes first). */
export function nodeCost(graph: Graph, node: Node, options: CostOptions = {}): NodeCost {
  const sizes = options.dims ?? {};
  const info = OPS.get(node.op, node.domain, node.domain === '' || node.domain === 'ai.onnx' ? options.opset : undefined);
  let bytesRead = 0;
  let params = 0;
  let paramBytes = 0;
  let shapesKnown = true;
  const inputs = node.inputs.map((name, i) => {
    if (name === '') return undefined;
    const s = sized(graph, name, sizes);
    bytesRead += s.bytes;
    if (s.dims === undefined) shapesKnown = false;
    const init = graph.initializer(name);
    if (init !== undefined && roleOf(info, i) !== 'config') {
      params += init.size;
      paramBytes += init.byteLength;
    }
    return s.dims;
  });
  let bytesWritten = 0;
  const outputs = node.outputs.map((name) => {
    if (name === '') return undefined;
    const s = sized(graph, name, sizes);
    bytesWritten += s.bytes;
    if (s.dims === undefined) shapesKnown = false;
    return s.dims;
  });
  const arithmetic = shapesKnown && info?.cost ? info.cost(costContext(node, info, inputs, outputs)) : undefined;
  const macs = arithmetic?.macs ?? NaN;
  const flops = arithmetic?.flops ?? NaN;
  const known = [macs, flops, bytesRead, bytesWritten].every(Number.isFinite);
  return { macs, flops, bytesRead, bytesWritten, params, paramBytes, known };
}

/** Cost of every node of the main graph and the model totals (run inferShapes first). */
export function modelCost(model: Model, options: CostOptions = {}): ModelCost {
  const graph = model.graph;
  const opset = options.opset ?? model.opset('');
  const perNode = new Map<Node, NodeCost>();
  const unknownNodes: Node[] = [];
  const totals: CostTotals = { macs: 0, flops: 0, bytesRead: 0, bytesWritten: 0, params: 0, paramBytes: 0 };
  const counted = new Set<string>();
  for (const node of graph.nodes) {
    const c = nodeCost(graph, node, opset === undefined ? { ...options } : { ...options, opset });
    perNode.set(node, c);
    if (!c.known) unknownNodes.push(node);
    for (const k of ['macs', 'flops', 'bytesRead', 'bytesWritten'] as const) if (Number.isFinite(c[k])) totals[k] += c[k];
    const info = OPS.get(node.op, node.domain, opset);
    node.inputs.forEach((name, i) => {
      const init = name === '' || counted.has(name) ? undefined : graph.initializer(name);
      if (init === undefined || roleOf(info, i) === 'config') return;
      counted.add(name);
      totals.params += init.size;
      totals.paramBytes += init.byteLength;
    });
  }
  return { totals, perNode, unknownNodes, known: unknownNodes.length === 0 };
}
