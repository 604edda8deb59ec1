import { quote } from '../util/text.js';
import { runOrder } from '../io/stage-file/order.js';
import type { StageKind } from '../io/stage-file/types.js';
import type { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Shape } from '../ir/types.js';
import { inferShapes } from '../ops/index.js';
import { TandemError } from '../util/errors.js';
import { planPostprocessCut } from './cut-postprocessing.js';
import { ancestors, buildSubModel, constantNodes, nodeReads, withConstants } from './stage-graph.js';

/** Options of `splitModel`: where to cut (give `at` or `auto`). */
export interface SplitOptions {
  /** Cut tensors: the backbone is everything needed to compute them; the rest forms heads. @default [] (then `auto` is required) */
  at?: readonly string[];
  /** Find the shared trunk of a multi-output model (the nodes every output depends on). @default false */
  auto?: boolean;
  /** Put TopK, NonMaxSuppression, ArgMax/ArgMin and what follows them in their own GPU stages. @default true */
  postprocess?: boolean;
}

export interface ResolvedSplitOptions {
  readonly at: readonly string[];
  readonly auto: boolean;
  readonly postprocess: boolean;
}

/** Checks that exactly one way to cut is given; throws TandemError `USAGE` otherwise. */
export function resolveSplitOptions(options: SplitOptions = {}): ResolvedSplitOptions {
  const at = [...new Set(options.at ?? [])];
  const auto = options.auto ?? false;
  if (auto && at.length > 0) throw new TandemError('USAGE', 'split takes either cut tensors (--at) or --auto, not both');
  if (!auto && at.length === 0) throw new TandemError('USAGE', 'split needs to know where to cut: give tensors with --at t1,t2 or let it find the shared trunk with --auto');
  return { at, auto, postprocess: options.postprocess ?? true };
}

export type { StageKind } from '../io/stage-file/types.js';

/** One stage of a split: its model (a standalone ONNX model) and the tensors it reads and writes. */
export interface SplitStage {
  /** `backbone`, `head-<output>`, `post-<output>` (file-name safe). */
  readonly name: string;
  readonly kind: StageKind;
  readonly model: Model;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** The graph outputs of the whole model this stage produces. */
  readonly modelOutputs: readonly string[];
}

/** A tensor at a stage boundary. */
export interface SplitTensor {
  readonly name: string;
  readonly dtype: DataType | undefined;
  readonly shape: Shape | undefined;
  /** The stage that computes it; undefined for an input of the whole model. */
  readonly from: string | undefined;
  readonly to: readonly string[];
  readonly modelOutput: boolean;
}

/** Stages in an order that runs (each reads only model inputs and earlier stages' outputs). */
export interface SplitPlan {
  readonly stages: readonly SplitStage[];
  readonly tensors: readonly SplitTensor[];
  /** The tensors the backbone hands to the rest (given with `at`, or found by `auto`). */
  readonly cut: readonly string[];
}

/**
 * Cuts a model into stage models: a backbone (everything the cut tensors need; with `auto`, the nodes
 * every output depends on), one head per output (merged where heads share nodes), and with
 * `postprocess` the TopK/NMS tails as their own stages. Constant computations are copied into each
 * stage that reads them. Running the stages in order reproduces the model's outputs.
 *
 * @example
 * ```ts
 * const model = buildMultitask({ height: 64, width: 128 });
 * const split = splitModel(model, { auto: true });            // or { at: ['c1', 'c2', 'c3', 'c4'] }
 * for (const s of split.stages) console.log(s.name, s.kind, s.inputs, '→', s.outputs);
 * writeSplit(split, 'stages');                                  // stage .onnx files + split.json
 * ```
 */
export function splitModel(model: Model, options: SplitOptions = {}): SplitPlan {
  const o = resolveSplitOptions(options);
  const source = model.clone();
  inferShapes(source, { strict: false });
  const g = source.graph;
  const free = constantNodes(g);
  const outputs = [...g.outputs];

  let backbone: Set<Node>;
  if (o.auto) {
    if (outputs.length < 2) throw new TandemError('USAGE', `--auto finds the trunk that several outputs share, and the model has ${outputs.length} output; cut it with --at instead`);
    const per = outputs.map((out) => ancestors(g, [out], free));
    backbone = new Set([...per[0]!].filter((n) => per.every((s) => s.has(n))));
  } else {
    for (const name of o.at) {
      if (g.producer(name) === undefined && !g.isGraphInput(name)) {
        throw new TandemError('UNKNOWN_NAME', `cut tensor ${quote(name)} is not computed in the model; cut at tensors that nodes produce (model outputs: ${outputs.join(', ')})`);
      }
    }
    backbone = ancestors(g, o.at, free);
  }

  const live = ancestors(g, outputs, free);
  // post-processing nothing reads (a TopK whose results are unused) is dead code, not a stage
  const post = o.postprocess ? new Set(planPostprocessCut(g, backbone).nodes.map((k) => g.producer(k)!).filter((n) => live.has(n))) : new Set<Node>();
  const rest = new Set([...live].filter((n) => !backbone.has(n) && !post.has(n)));

  const cut = leaving(g, backbone, new Set([...rest, ...post]));
  if (!o.auto) {
    const extra = cut.filter((t) => !o.at.includes(t));
    if (extra.length > 0) {
      throw new TandemError(
        'USAGE',
        `the cut at ${o.at.join(', ')} does not separate the heads: they also read ${extra.map((t) => `${quote(t)}`).join(', ')} from the backbone; add ${extra.length === 1 ? 'it' : 'them'} to --at`,
      );
    }
  }

  const groups: { kind: StageKind; nodes: Set<Node>; outputs: string[] }[] = [];
  if (backbone.size > 0) groups.push({ kind: 'backbone', nodes: backbone, outputs: [] });
  groups.push(...groupByOutput(g, rest, outputs, free, 'head'), ...groupByOutput(g, post, outputs, free, 'postprocess'));

  const names = new Set<string>();
  const built = groups.map((grp) => {
    // '_' between outputs: a stage name is a file name ('+' is not in the stage-file schema's safe set)
    const name = uniqueName(grp.kind === 'backbone' ? 'backbone' : `${grp.kind === 'head' ? 'head' : 'post'}-${grp.outputs.map(safeName).join('_')}`, names);
    const all = withConstants(g, grp.nodes, free);
    const produced = new Set([...all].flatMap((n) => n.outputs).filter((x) => x !== ''));
    const inputs = [...new Set([...all].flatMap(nodeReads))].filter((r) => !produced.has(r) && !(g.isInitializer(r) && !g.isGraphInput(r)));
    const readElsewhere = (t: string): boolean => g.consumers(t).some((c) => !all.has(c) && live.has(c));
    const outs = g.nodes.filter((n) => grp.nodes.has(n)).flatMap((n) => n.outputs).filter((t) => t !== '' && (g.isGraphOutput(t) || readElsewhere(t)));
    const stageOutputs = [...outputs.filter((t) => outs.includes(t)), ...outs.filter((t) => !g.isGraphOutput(t))];
    return { name, kind: grp.kind, nodes: all, inputs, outputs: stageOutputs };
  });

  const ordered = runOrder(built);
  const stages: SplitStage[] = ordered.map((s) => ({
    name: s.name,
    kind: s.kind,
    model: buildSubModel(source, { name: s.name, nodes: s.nodes, inputs: s.inputs, outputs: s.outputs }),
    inputs: s.inputs,
    outputs: s.outputs,
    modelOutputs: s.outputs.filter((t) => g.isGraphOutput(t)),
  }));
  const boundary = [...new Set([...g.runtimeInputs.filter((i) => stages.some((s) => s.inputs.includes(i))), ...stages.flatMap((s) => s.outputs)])];
  const tensors: SplitTensor[] = boundary.map((name) => {
    const t = g.tensorType(name);
    return {
      name,
      dtype: t?.dtype,
      shape: t?.shape,
      from: stages.find((s) => s.outputs.includes(name))?.name,
      to: stages.filter((s) => s.inputs.includes(name)).map((s) => s.name),
      modelOutput: g.isGraphOutput(name),
    };
  });
  return { stages, tensors, cut };
}

/** Tensors produced inside `from` and read by nodes of `to`, in production order. */
function leaving(g: Graph, from: ReadonlySet<Node>, to: ReadonlySet<Node>): string[] {
  const out: string[] = [];
  for (const n of g.nodes) {
    if (!from.has(n)) continue;
    for (const t of n.outputs) if (t !== '' && g.consumers(t).some((c) => to.has(c))) out.push(t);
  }
  return out;
}

/** One group per model output (of the nodes each needs); groups that share a node merge. */
function groupByOutput(g: Graph, nodes: ReadonlySet<Node>, outputs: readonly string[], free: ReadonlySet<Node>, kind: StageKind): { kind: StageKind; nodes: Set<Node>; outputs: string[] }[] {
  const groups: { kind: StageKind; nodes: Set<Node>; outputs: string[] }[] = [];
  for (const out of outputs) {
    const mine = new Set([...ancestors(g, [out], free)].filter((n) => nodes.has(n)));
    if (mine.size === 0) continue;
    const overlapping = groups.filter((grp) => [...mine].some((n) => grp.nodes.has(n)));
    const merged = { kind, nodes: mine, outputs: [out] };
    for (const grp of overlapping) {
      for (const n of grp.nodes) merged.nodes.add(n);
      merged.outputs.unshift(...grp.outputs);
      groups.splice(groups.indexOf(grp), 1);
    }
    groups.push(merged);
  }
  const claimed = new Set(groups.flatMap((grp) => [...grp.nodes]));
  const orphans = [...nodes].filter((n) => !claimed.has(n));
  // nodes on a path to another stage only (a head's part that only post-processing reads) join the first group
  if (orphans.length > 0) {
    if (groups.length === 0) groups.push({ kind, nodes: new Set(orphans), outputs: [kind === 'postprocess' ? 'tail' : 'rest'] });
    else for (const n of orphans) groups[0]!.nodes.add(n);
  }
  return groups;
}

/** Output names can hold '/' or ':' (exporters write "/model/conv/Conv_output_0"). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'output';
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}
