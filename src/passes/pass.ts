import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { inferShapes } from '../ops/index.js';
import { emittedNodeProblem } from './emitted-ops.js';
import { GraphEdit, type Emitter } from './graph-edit.js';
import { GraphFacts } from './graph-facts.js';

/**
 * What a pass is for. `cleanup` and `fusion` never make a graph worse for any target; `conversion` and
 * `reconstruction` swap ops for others that a target may or may not prefer (prepare lets the target's
 * analysis decide for reconstructions).
 */
export type PassKind = 'cleanup' | 'fusion' | 'conversion' | 'reconstruction';

/** One planned change. Plain data: it can be printed, compared with a golden file, and replayed. */
export interface Rewrite {
  /** The nodes the rewrite replaces or edits, each by the name of its first output (unique in a graph). */
  readonly nodes: readonly string[];
  /** One line for people: `BatchNormalization "bn1" folded into Conv "conv1"`. */
  readonly summary: string;
}

/** A rewrite a pass found and will not make, and why (a constant too large, an op the opset lacks ...). */
export interface RefusedRewrite<R extends Rewrite = Rewrite> {
  readonly rewrite: R;
  readonly reason: string;
}

/** What one pass will change in one model. */
export interface PassPlan<R extends Rewrite = Rewrite> {
  readonly pass: string;
  readonly rewrites: readonly R[];
  /** What it found and will not change, with the reason; absent when nothing was refused. */
  readonly refused?: readonly RefusedRewrite<R>[];
}

export interface PassInfo {
  /** Registry name, kebab-case (`fuse-conv-batchnorm`). */
  readonly name: string;
  readonly kind: PassKind;
  /** One sentence: what it rewrites, and when. */
  readonly summary: string;
  /** The recipes of dla-support.md §3 it implements (`R-GATHER`), if any. */
  readonly recipes: readonly string[];
}

/** A graph rewrite, split into a plan (what to change) and its application. */
export interface Pass<R extends Rewrite = Rewrite> extends PassInfo {
  /** Finds what to rewrite. Infers shapes on `model` (inferred types are a cache) and changes nothing else. */
  plan(model: Model): PassPlan<R>;
  /**
   * A rewritten copy of `model` (the input is not changed; weights are shared). `plan` must come from
   * this pass on this model or an equal one; an empty plan gives an unchanged copy.
   */
  apply(model: Model, plan: PassPlan<R>): Model;
  /** Plans and applies until nothing is left to do (chains such as Conv→Mul→Add fold one link a round). */
  run(model: Model, options?: RunPassOptions): PassResult<R>;
}

export interface RunPassOptions {
  /** Plan/apply rounds at most. @default 16 */
  maxRounds?: number;
}

export interface PassResult<R extends Rewrite = Rewrite> {
  model: Model;
  /** Every rewrite applied, in order, over all rounds. */
  applied: R[];
  /** Every rewrite refused (each once), with the reason. */
  refused: RefusedRewrite<R>[];
}

/** How a pass is written: find on read-only facts, rewrite through an edit. */
export interface PassSpec<R extends Rewrite> extends PassInfo {
  find(facts: GraphFacts): R[];
  rewrite(edit: GraphEdit, rewrite: R): void;
}

/**
 * A `find` for passes that rewrite one node at a time: `plan` each node, keep what it returns, and claim
 * the node so no other rewrite of the same pass touches it.
 */
export function findEachNode<R extends Rewrite>(plan: (facts: GraphFacts, node: Node) => R | undefined): (facts: GraphFacts) => R[] {
  return (facts) => {
    const out: R[] = [];
    for (const node of facts.nodes) {
      const r = plan(facts, node);
      if (r !== undefined && facts.claim([node])) out.push(r);
    }
    return out;
  };
}

/**
 * A `rewrite` for passes that replace one node by new ones: looks the node up, gives `build` an emitter
 * named after it, and swaps the node for what was emitted.
 */
export function replaceEachNode<R extends Rewrite>(build: (e: Emitter, node: Node, r: R, edit: GraphEdit) => void): (edit: GraphEdit, r: R) => void {
  return (edit, r) => {
    const node = edit.node(r.nodes[0]!);
    const e = edit.emitter(node.name || node.op);
    build(e, node, r, edit);
    edit.replace([node], e.nodes);
  };
}

/** Makes a Pass from a spec: planning infers shapes first, applying works on a copy and tidies after. */
export function definePass<R extends Rewrite>(spec: PassSpec<R>): Pass<R> {
  const pass: Pass<R> = {
    name: spec.name,
    kind: spec.kind,
    summary: spec.summary,
    recipes: spec.recipes,
    plan(model: Model): PassPlan<R> {
      const facts = GraphFacts.of(model);
      const found = spec.find(facts);
      const refused: RefusedRewrite<R>[] = facts.refused.map((x) => ({ rewrite: x.rewrite as R, reason: x.reason }));
      const invalid = found.length === 0 ? new Map<R, string>() : invalidAtOpset(model, spec, found);
      for (const [rewrite, reason] of invalid) refused.push({ rewrite, reason });
      const rewrites = invalid.size === 0 ? found : found.filter((r) => !invalid.has(r));
      return { pass: spec.name, rewrites, ...(refused.length > 0 ? { refused } : {}) };
    },
    apply(model: Model, plan: PassPlan<R>): Model {
      const copy = model.clone();
      if (plan.rewrites.length === 0) return copy;
      const edit = GraphEdit.begin(copy);
      for (const r of plan.rewrites) spec.rewrite(edit, r);
      edit.finish();
      return copy;
    },
    run(model: Model, options: RunPassOptions = {}): PassResult<R> {
      const maxRounds = options.maxRounds ?? 16;
      let current = model;
      const applied: R[] = [];
      const refused = new Map<string, RefusedRewrite<R>>();
      for (let round = 0; round < maxRounds; round++) {
        const plan = pass.plan(current);
        for (const x of plan.refused ?? []) refused.set(`${x.rewrite.nodes.join('|')}: ${x.reason}`, x);
        if (plan.rewrites.length === 0) break;
        current = pass.apply(current, plan);
        for (const r of plan.rewrites) applied.push(r);
      }
      return { model: current === model ? model.clone() : current, applied, refused: [...refused.values()] };
    },
  };
  return pass;
}

/**
 * The rewrites whose emitted nodes are not valid at the model's opset, with the reason: applies them
 * all to a scratch copy, checks each emitted (or in-place edited) node against the op table
 * (emittedNodeProblem), then infers
 * shapes on the result and takes a contradiction at an emitted node as that rewrite's. One check for
 * every pass: a rewrite that cannot be written at the model's opset does not apply.
 */
function invalidAtOpset<R extends Rewrite>(model: Model, spec: PassSpec<R>, rewrites: readonly R[]): Map<R, string> {
  const invalid = new Map<R, string>();
  const edit = GraphEdit.begin(model.clone());
  const owner = new Map<string, R>();
  for (const r of rewrites) {
    const from = edit.emitted.length;
    // nodes the rewrite names may be edited in place (a Conv given pads or a bias): judged like emitted
    // ones, but only where the edit made them invalid (the table need not know every exporter's attribute)
    const named = r.nodes.flatMap((key) => edit.graph.producer(key) ?? []);
    const validBefore = named.filter((n) => emittedNodeProblem(edit.model, n) === undefined);
    spec.rewrite(edit, r);
    for (const node of validBefore) {
      const problem = node.graph === edit.graph && !invalid.has(r) ? emittedNodeProblem(edit.model, node) : undefined;
      if (problem !== undefined) invalid.set(r, `not valid at the model's opset: ${problem.replace(/^it would emit/, 'it would leave')}`);
    }
    for (const node of edit.emitted.slice(from)) {
      owner.set(node.name, r);
      const problem = invalid.has(r) ? undefined : emittedNodeProblem(edit.model, node);
      if (problem !== undefined) invalid.set(r, `not valid at the model's opset: ${problem}`);
    }
  }
  if (edit.emitted.length === 0) return invalid;
  edit.finish();
  for (const issue of inferShapes(edit.model, { strict: false }).issues) {
    const r = owner.get(issue.node);
    // the issue's closing remedy is for a user's model; here the rewrite is what is wrong
    if (r !== undefined && !invalid.has(r)) invalid.set(r, `not valid at the model's opset: the emitted ${issue.message.replace(/; fix the model or the shapes of its inputs$/, '')}`);
  }
  return invalid;
}
