import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import type { Dim, Shape } from '../ir/types.js';
import { allTensors } from '../onnx/encode.js';
import { loadModel } from '../onnx/load-save.js';
import { inferShapes, modelCost, OPS } from '../ops/index.js';

/** Options of `inspectModel`. */
export interface InspectOptions {
  /** Infer shapes and compute the cost (FLOPs, bytes). @default true */
  shapes?: boolean;
  /** List every node with its inferred output shapes. @default false */
  nodes?: boolean;
  /** Sizes of symbolic input dims, for shapes and cost. @default {} */
  dims?: Readonly<Record<string, number>>;
}

/** A tensor for people and machines: shape entries are numbers, or strings for symbolic/unknown dims. */
export interface TensorInfo {
  name: string;
  dtype: DataType | 'unknown';
  /** null when even the rank is unknown. */
  shape: (number | string)[] | null;
}

/** One node in `ModelSummary.nodes`: its op, connections, output shapes and modelled cost. */
export interface NodeInfo {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: TensorInfo[];
  /** Modelled from inferred shapes; null when a shape is symbolic or the op has no cost model. */
  macs: number | null;
  flops: number | null;
}

/**
 * What `inspectModel` finds (and `tandem inspect --json` prints): opsets, inputs, outputs, op
 * histogram, parameter counts, and with shapes the modelled cost.
 */
export interface ModelSummary {
  path?: string;
  fileBytes?: number;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: { name?: string; version?: string };
  graphName: string;
  doc?: string;
  metadata: Record<string, string>;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Op histogram, most frequent first. */
  ops: { op: string; domain: string; count: number }[];
  counts: { nodes: number; initializers: number; subgraphs: number; functions: number };
  /** Initializer elements read as data or weights (not shape/axes constants), each counted once. */
  params: { count: number; bytes: number; byDtype: { dtype: DataType; count: number; bytes: number }[] };
  /** Modelled from inferred shapes (per inference, batch as declared or given by `dims`). */
  cost?: { macs: number; flops: number; bytesRead: number; bytesWritten: number; complete: boolean; nodesWithoutCost: number };
  shapeInference?: { unknownOps: string[]; unresolved: number };
  nodes?: NodeInfo[];
  /** Whether inspecting had to read any weight payload (it should not). */
  weightsRead: boolean;
}

/** Dims as JSON-friendly entries: numbers, symbol names, '?' for unknown. */
export function dimsForJson(shape: Shape | undefined): (number | string)[] | null {
  return shape === undefined ? null : shape.map((d: Dim) => (d === null ? '?' : d));
}

function tensorInfo(graph: Graph, name: string): TensorInfo {
  const t = graph.tensorType(name);
  return { name, dtype: t?.dtype ?? 'unknown', shape: dimsForJson(t?.shape) };
}

/** Payloads at least this large are "weights" for the weightsRead check (smaller ones come inline). */
const WEIGHT_BYTES = 1024;

/**
 * What a model is: opsets, inputs and outputs with shapes, op histogram, parameters, modelled FLOPs,
 * and optionally every node with its inferred output shapes. From a path, weights are left unread.
 *
 * @example
 * ```ts
 * const summary = inspectModel('model.onnx', { dims: { batch: 1 } });
 * console.log(summary.inputs, summary.params.count, summary.cost?.flops);
 * ```
 */
export function inspectModel(source: string | Model, options: InspectOptions = {}): ModelSummary {
  const model = source instanceof Model ? source : loadModel(source, { weights: 'lazy' });
  const graph = model.graph;
  const summary: ModelSummary = {
    irVersion: model.irVersion,
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version })),
    producer: { ...(model.producerName !== undefined ? { name: model.producerName } : {}), ...(model.producerVersion !== undefined ? { version: model.producerVersion } : {}) },
    graphName: graph.name,
    metadata: Object.fromEntries(model.metadata),
    inputs: [],
    outputs: [],
    ops: [],
    counts: { nodes: graph.nodes.length, initializers: graph.initializers.size, subgraphs: 0, functions: model.functions.length },
    params: paramsOf(model),
    weightsRead: false,
  };
  if (typeof source === 'string') {
    summary.path = resolve(source);
    summary.fileBytes = statSync(source).size;
  }
  if (model.doc !== undefined) summary.doc = model.doc;
  let subgraphs = -1;
  for (const _ of graph.walk()) subgraphs++;
  summary.counts.subgraphs = subgraphs;

  const histogram = new Map<string, { op: string; domain: string; count: number }>();
  for (const n of graph.nodes) {
    const key = `${n.domain}:${n.op}`;
    const h = histogram.get(key) ?? { op: n.op, domain: n.domain || 'ai.onnx', count: 0 };
    h.count++;
    histogram.set(key, h);
  }
  summary.ops = [...histogram.values()].sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));

  if (options.shapes !== false) {
    const report = inferShapes(model, { strict: false, ...(options.dims ? { dims: options.dims } : {}) });
    summary.shapeInference = { unknownOps: report.unknownOps, unresolved: report.unresolved.length };
    const cost = modelCost(model, options.dims ? { dims: options.dims } : {});
    summary.cost = {
      macs: cost.totals.macs,
      flops: cost.totals.flops,
      bytesRead: cost.totals.bytesRead,
      bytesWritten: cost.totals.bytesWritten,
      complete: cost.known,
      nodesWithoutCost: cost.unknownNodes.length,
    };
    if (options.nodes) {
      summary.nodes = graph.nodes.map((n) => {
        const c = cost.perNode.get(n);
        return {
          name: n.name,
          op: n.op,
          domain: n.domain || 'ai.onnx',
          inputs: [...n.inputs],
          outputs: n.outputs.filter((o) => o !== '').map((o) => tensorInfo(graph, o)),
          macs: c && Number.isFinite(c.macs) ? c.macs : null,
          flops: c && Number.isFinite(c.flops) ? c.flops : null,
        };
      });
    }
  } else if (options.nodes) {
    summary.nodes = graph.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      domain: n.domain || 'ai.onnx',
      inputs: [...n.inputs],
      outputs: n.outputs.filter((o) => o !== '').map((o) => tensorInfo(graph, o)),
      macs: null,
      flops: null,
    }));
  }
  summary.inputs = graph.runtimeInputs.map((n) => tensorInfo(graph, n));
  summary.outputs = graph.outputs.map((n) => tensorInfo(graph, n));
  summary.weightsRead = typeof source === 'string' && allTensors(model).some((t: Tensor) => t.byteLength >= WEIGHT_BYTES && t.isLoaded);
  return summary;
}

/** Parameters: initializers that nodes read as data or weights, each once (known without reading them). */
function paramsOf(model: Model): ModelSummary['params'] {
  const graph = model.graph;
  const opset = model.opset('');
  const seen = new Set<string>();
  const byDtype = new Map<DataType, { dtype: DataType; count: number; bytes: number }>();
  let count = 0;
  let bytes = 0;
  for (const n of graph.nodes) {
    const info = OPS.get(n.op, n.domain, opset);
    n.inputs.forEach((name, i) => {
      if (name === '' || seen.has(name)) return;
      const t = graph.initializers.get(name);
      const role = info?.inputs[Math.min(i, info.inputs.length - 1)]?.role ?? 'data';
      if (t === undefined || role === 'config') return;
      seen.add(name);
      count += t.size;
      bytes += t.byteLength;
      const d = byDtype.get(t.dtype) ?? { dtype: t.dtype, count: 0, bytes: 0 };
      d.count += t.size;
      d.bytes += t.byteLength;
      byDtype.set(t.dtype, d);
    });
  }
  return { count, bytes, byDtype: [...byDtype.values()].sort((a, b) => b.bytes - a.bytes) };
}
