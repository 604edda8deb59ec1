import { quote } from '../../util/text.js';
import type { Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import { OPS, modelCost, opHasTrait } from '../../ops/index.js';
import { analyze, convSparsity, type Analysis } from '../../targets/index.js';
import { TandemError } from '../../util/errors.js';

/**
 * What the latency model needs to know about a model: per layer (a node TensorRT keeps after constant
 * folding) its op class, MACs, the elements it reads and writes, its weights, whether TensorRT fuses it
 * into the kernel before it (GPU and DLA fuse differently), whether the DLA can run it (analyze's
 * verdict) and its DLA region. All figures are per batch item. Plain data: it is stored as JSON for the
 * published models the parameters are fitted on (fit-workloads.json).
 */

/** How a layer's time is modelled: MAC-bound classes have an efficiency each; the rest move memory. */
export type LayerClass = 'conv' | 'matmul' | 'resize' | 'memory';

export interface WorkLayer {
  readonly name: string;
  readonly op: string;
  readonly cls: LayerClass;
  /** Multiply-accumulates per batch item. */
  readonly macs: number;
  /** Activation inputs: the producing layer's index (-1: a stage or model input) and the elements read. */
  readonly inputs: readonly (readonly [from: number, elements: number])[];
  readonly outElems: number;
  readonly weightElems: number;
  /** TensorRT fuses it into the GPU kernel that produces one of its inputs (pointwise fusion). */
  readonly fusedGpu: boolean;
  /** The DLA runs it in the same pass as the convolution before it (SDP after CONV). */
  readonly fusedDla: boolean;
  /** analyze (orin-dla) places it on the DLA; false: it falls back to the GPU. */
  readonly dla: boolean;
  /** The DLA region (loadable) analyze put it in. */
  readonly region?: string;
  /** A Conv whose weights qualify for 2:4 structured sparsity and follow the pattern (reference G18). */
  readonly sparse?: boolean;
  /** Indices of the model outputs it writes. */
  readonly modelOutputs?: readonly number[];
}

export interface Workload {
  readonly name: string;
  readonly layers: readonly WorkLayer[];
  /** Elements per batch item of each model input and output. */
  readonly inputElems: readonly number[];
  readonly outputElems: readonly number[];
}

/** Ops TensorRT turns into views of their input (no kernel, no copy). */

export interface WorkloadOptions {
  /** Name recorded in the workload. @default the graph's name */
  name?: string;
  /** Analysis of the same model for orin-dla (reused where the caller already has one). */
  analysis?: Analysis;
  /** Names of Convs whose weights are 2:4 sparse. @default those whose weights follow the pattern and qualify (G18) */
  sparseConvs?: ReadonlySet<string>;
}

function elementsOf(model: Model, name: string, batch: number): number {
  const t = model.graph.tensorType(name);
  if (t?.shape === undefined) return 0;
  let n = 1;
  for (const d of t.shape) {
    if (typeof d !== 'number') return 0;
    n *= d;
  }
  return n / batch;
}

function nodeName(n: Node): string {
  return n.name !== '' ? n.name : (n.outputs[0] ?? n.op);
}

/**
 * The workload of a model with static shapes (batch = the first dim of its first input). Runs analyze
 * for orin-dla (INT8) unless given; nodes folded at build time are left out, views cost nothing.
 */
export function modelWorkload(model: Model, options: WorkloadOptions = {}): Workload {
  const graph = model.graph;
  const analysis = options.analysis ?? analyze(model, { target: 'orin-dla', precision: 'int8' });
  const first = graph.runtimeInputs[0];
  const d0 = first === undefined ? undefined : graph.tensorType(first)?.shape?.[0];
  const batch = typeof d0 === 'number' && d0 > 0 ? d0 : 1;
  const costs = modelCost(model);
  if (!costs.known && costs.unknownNodes.length > 0 && costs.unknownNodes.some((n) => !opHasTrait(n.op, 'view'))) {
    const n = costs.unknownNodes[0]!;
    throw new TandemError('DYNAMIC_SHAPE', `the latency model needs static shapes: ${n.op} ${quote(n.name)} has an unknown cost (${costs.unknownNodes.length} such node(s)); give the symbolic dims a size (--dims) or export with static shapes`);
  }
  const verdicts = new Map(analysis.nodes.map((v) => [v.name, v]));
  const sparse = options.sparseConvs ?? new Set(convSparsity(model).filter((c) => c.qualifies && c.follows === true).map((c) => c.node));
  const opset = model.opset('');
  const index = new Map<string, number>();
  const kept: { node: Node; name: string }[] = [];
  graph.nodes.forEach((node) => {
    const name = nodeName(node);
    const v = verdicts.get(name);
    if (v?.placement === 'build' || node.op === 'Constant') return;
    kept.push({ node, name });
  });
  // a view passes its producer through: consumers read from the view's source layer
  const alias = new Map<string, string>();
  const layers: WorkLayer[] = [];
  const producerOf = (tensor: string): number => {
    let t = tensor;
    while (alias.has(t)) t = alias.get(t)!;
    return index.get(t) ?? -1;
  };
  const consumerCount = new Map<number, number>();
  for (const { node, name } of kept) {
    const info = OPS.get(node.op, node.domain, opset);
    const category = info?.traits.category;
    if (opHasTrait(node.op, 'view') || category === 'shape' || category === 'quantization') {
      if (node.inputs[0] !== undefined && node.outputs[0] !== undefined) alias.set(node.outputs[0], node.inputs[0]);
      continue;
    }
    const cost = costs.perNode.get(node);
    const cls: LayerClass = category === 'conv' ? 'conv' : category === 'linalg' ? 'matmul' : node.op === 'Resize' || node.op === 'Upsample' ? 'resize' : 'memory';
    const inputs: [number, number][] = [];
    let weightElems = 0;
    for (const t of node.inputs) {
      if (t === '') continue;
      const init = graph.initializer(t);
      if (init !== undefined) {
        weightElems += init.size;
        continue;
      }
      const from = producerOf(t);
      inputs.push([from, elementsOf(model, t, batch)]);
      if (from >= 0) consumerCount.set(from, (consumerCount.get(from) ?? 0) + 1);
    }
    let outElems = 0;
    for (const t of node.outputs) if (t !== '') outElems += elementsOf(model, t, batch);
    const v = verdicts.get(name);
    const idx = layers.length;
    for (const t of node.outputs) index.set(t, idx);
    const outs = node.outputs.map((t) => graph.outputs.indexOf(t)).filter((i) => i >= 0);
    layers.push({
      name,
      op: node.op,
      cls,
      macs: Number.isFinite(cost?.macs) ? cost!.macs / batch : 0,
      inputs,
      outElems,
      weightElems,
      fusedGpu: false,
      fusedDla: false,
      dla: v?.placement === 'target',
      ...(v?.region === undefined ? {} : { region: v.region }),
      ...(sparse.has(name) ? { sparse: true } : {}),
      ...(outs.length === 0 ? {} : { modelOutputs: outs }),
    });
  }
  // model outputs produced through a view
  graph.outputs.forEach((t, oi) => {
    const from = producerOf(t);
    const l = layers[from];
    if (l !== undefined && !(l.modelOutputs ?? []).includes(oi)) layers[from] = { ...l, modelOutputs: [...(l.modelOutputs ?? []), oi] };
  });
  const pointwise = (l: WorkLayer): boolean => l.cls === 'memory' && isPointwise(l.op, opset);
  const fused = layers.map((l) => {
    if (!pointwise(l)) return l;
    // TensorRT's pointwise fusion: into any producing conv, matmul or pointwise kernel
    const fusedGpu = l.inputs.some(([from]) => from >= 0 && (layers[from]!.cls === 'conv' || layers[from]!.cls === 'matmul' || pointwise(layers[from]!)));
    // the DLA's SDP runs one chain right after CONV: the first input's producer, a conv with no other reader
    const src = l.inputs[0]?.[0] ?? -1;
    const fusedDla = src >= 0 && (layers[src]!.cls === 'conv' || layers[src]!.fusedDla) && consumerCount.get(src) === 1;
    return { ...l, fusedGpu, fusedDla };
  });
  // fusedDla chains need the producer's final flag: resolve in order
  const out: WorkLayer[] = [];
  for (const l of fused) {
    const src = l.inputs[0]?.[0] ?? -1;
    const fusedDla = pointwise(l) && src >= 0 && (out[src]!.cls === 'conv' || out[src]!.fusedDla) && consumerCount.get(src) === 1;
    out.push(fusedDla === l.fusedDla ? l : { ...l, fusedDla });
  }
  return {
    name: options.name ?? graph.name,
    layers: out,
    inputElems: graph.runtimeInputs.map((t) => elementsOf(model, t, batch)),
    outputElems: graph.outputs.map((t) => elementsOf(model, t, batch)),
  };
}

function isPointwise(op: string, opset: number | undefined): boolean {
  const c = OPS.get(op, '', opset)?.traits;
  return c !== undefined && (c.elementwise || c.category === 'activation' || op === 'BatchNormalization');
}

/** The workload layers that produce the given tensors of the model (through views), e.g. a split's cut. */
export function cutLayersOf(model: Model, w: Workload, tensors: readonly string[]): number[] {
  const graph = model.graph;
  const byName = new Map(w.layers.map((l, i) => [l.name, i]));
  return tensors.map((t) => {
    let name = t;
    for (let guard = 0; guard < 64; guard++) {
      const node = graph.producer(name);
      if (node === undefined) break;
      const i = byName.get(nodeName(node));
      if (i !== undefined) return i;
      if (node.inputs[0] === undefined) break;
      name = node.inputs[0];
    }
    throw new TandemError('UNKNOWN_NAME', `tensor ${quote(t)} is not produced by a layer of the model (a graph input or a constant cannot be a cut)`);
  });
}
