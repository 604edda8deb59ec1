import { quote } from '../util/text.js';
import type { Model } from '../ir/model.js';
import { inferShapes } from '../ops/index.js';
import { TandemError } from '../util/errors.js';
import { ancestors, buildSubModel, constantNodes, withConstants } from './stage-graph.js';

/** Options of `extractSubgraph`: where the extracted model starts and ends. */
export interface ExtractOptions {
  /** Tensors that become the inputs of the extracted model (what it is fed). */
  inputs: readonly string[];
  /** Tensors that become its outputs. */
  outputs: readonly string[];
}

/** What an extraction takes: plain data. */
export interface ExtractPlan {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Model inputs the outputs also need, beyond the given inputs (kept as inputs). */
  readonly addedInputs: readonly string[];
  /** The nodes kept, by first output. */
  readonly nodes: readonly string[];
}

/** Plans the subgraph computing `outputs` from `inputs`: the nodes between them, constants included. */
export function planExtract(model: Model, options: ExtractOptions): ExtractPlan {
  const g = model.graph;
  inferShapes(model, { strict: false });
  for (const name of [...options.inputs, ...options.outputs]) {
    if (g.producer(name) === undefined && !g.isGraphInput(name) && !g.isInitializer(name)) {
      throw new TandemError('UNKNOWN_NAME', `tensor ${quote(name)} is not in the model; give names of node outputs or model inputs (model inputs: ${g.runtimeInputs.join(', ')}; outputs: ${g.outputs.join(', ')})`);
    }
  }
  const free = constantNodes(g);
  const stop = new Set(options.inputs);
  const nodes = withConstants(g, ancestors(g, options.outputs, free, stop), free);
  const reads = new Set([...nodes].flatMap((n) => n.inputs.filter((i) => i !== '')));
  const addedInputs = g.runtimeInputs.filter((i) => reads.has(i) && !stop.has(i));
  return {
    inputs: [...options.inputs],
    outputs: [...options.outputs],
    addedInputs,
    nodes: g.nodes.filter((n) => nodes.has(n)).map((n) => n.firstOutput ?? n.name),
  };
}

/**
 * The model between given input and output tensors: the nodes the outputs need, stopping at the
 * inputs (model inputs the outputs still need stay inputs), with the initializers they read.
 */
export function extractSubgraph(model: Model, options: ExtractOptions): Model {
  const source = model.clone();
  const plan = planExtract(source, options);
  const g = source.graph;
  const nodes = new Set(plan.nodes.map((k) => g.producer(k)!));
  return buildSubModel(source, { name: g.name, nodes, inputs: [...plan.inputs, ...plan.addedInputs], outputs: plan.outputs });
}
