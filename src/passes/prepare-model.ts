import { quote, siCount } from '../util/text.js';
import type { Model } from '../ir/model.js';
import { DEFAULT_TARGET, analyze, type Analysis, type AnalysisSummary, type Precision } from '../targets/index.js';
import { TandemError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { nodeKey } from './graph-facts.js';
import type { Pass, PassKind, PassPlan, Rewrite } from './pass.js';
import { PASS_NAMES, getPass } from './registry.js';

/** Options of `prepareModel`. */
export interface PrepareOptions {
  /** Target whose coverage the rewrites raise. @default 'orin-dla' */
  target?: string;
  /** Build precision for the analysis. @default the target's (INT8 for DLA targets) */
  precision?: Precision;
  /** Passes to run, by registry name, in this order. @default every pass of PASSES, in registry order */
  passes?: readonly string[];
  /**
   * Reconstructions are kept where the target's analysis gains (`coverage`: fewer fallback nodes, less
   * fallback compute or fewer crossings, none of them worse) or wherever their conditions hold (`all`).
   * Cleanups, fusions and conversions are always applied. @default 'coverage'
   */
  keep?: 'coverage' | 'all';
  /** Sizes for symbolic input dims, for the analysis. @default {} */
  dims?: Readonly<Record<string, number>>;
  /** Rounds over the pipeline at most (a round that changes nothing ends it). @default 4 */
  maxRounds?: number;
  /** Told after each pass of each round (`kind: 'pass'`). */
  onProgress?: ProgressCallback;
}

export interface ResolvedPrepareOptions {
  readonly target: string;
  readonly precision: Precision | undefined;
  readonly passes: readonly Pass[];
  readonly keep: 'coverage' | 'all';
  readonly dims: Readonly<Record<string, number>>;
  readonly maxRounds: number;
  readonly onProgress: ProgressCallback | undefined;
}

export function resolvePrepareOptions(options: PrepareOptions = {}): ResolvedPrepareOptions {
  const keep = options.keep ?? 'coverage';
  if (keep !== 'coverage' && keep !== 'all') throw new TandemError('USAGE', `keep must be "coverage" or "all", got ${quote(String(keep))}`);
  const maxRounds = options.maxRounds ?? 4;
  if (!Number.isSafeInteger(maxRounds) || maxRounds < 1) throw new TandemError('USAGE', `maxRounds must be a positive integer, got ${maxRounds}`);
  return {
    target: options.target ?? DEFAULT_TARGET,
    precision: options.precision,
    passes: (options.passes ?? PASS_NAMES).map(getPass),
    keep,
    dims: { ...(options.dims ?? {}) },
    maxRounds,
    onProgress: options.onProgress,
  };
}

/** A rewrite prepare did not keep, and the numbers that decided it. */
export interface RejectedRewrite {
  readonly rewrite: Rewrite;
  readonly reason: string;
}

/** What one pass did over all rounds: the rewrites kept and those rejected, with why. */
export interface PassRecord {
  readonly pass: string;
  readonly kind: PassKind;
  readonly applied: Rewrite[];
  readonly rejected: RejectedRewrite[];
}

/** What `prepareModel` did: each pass's record and the target coverage before and after. */
export interface PrepareReport {
  readonly target: string;
  readonly precision: Precision;
  readonly before: AnalysisSummary;
  readonly after: AnalysisSummary;
  /** One record per pass that was run, in pipeline order. */
  readonly passes: readonly PassRecord[];
  readonly rounds: number;
}

/** The rewritten model, the report, and the analysis of the result. */
export interface PrepareResult {
  readonly model: Model;
  readonly report: PrepareReport;
  /** The target analysis of the result. */
  readonly analysis: Analysis;
}

/**
 * Rewrites a model to raise its coverage on a target: runs the cleanups, fusions and conversions to a
 * fixpoint, then tries each reconstruction one rewrite at a time, keeping it where the target's
 * analysis (of the model after the follow-up cleanups) gains. Returns the new model, what each pass
 * changed, and the coverage before and after (modelled by the target's rules, not measured).
 * Verification against onnxruntime is the caller's (runtime/ sits above passes/).
 *
 * @example
 * ```ts
 * const { model: prepared, report } = prepareModel(loadModel('model.onnx'), { target: 'orin-dla' });
 * console.log(report.before.nodes.onTarget, '→', report.after.nodes.onTarget);
 * saveModel(prepared, 'model.prepared.onnx');
 * ```
 */
export function prepareModel(model: Model, options: PrepareOptions = {}): PrepareResult {
  const o = resolvePrepareOptions(options);
  const study = (m: Model): Analysis => analyze(m, { target: o.target, dims: o.dims, ...(o.precision !== undefined ? { precision: o.precision } : {}) });
  const records = new Map<string, PassRecord>(o.passes.map((p) => [p.name, { pass: p.name, kind: p.kind, applied: [], rejected: [] }]));
  const gated = (p: Pass): boolean => p.kind === 'reconstruction' && o.keep === 'coverage';
  const always = o.passes.filter((p) => !gated(p));
  const tried = new Set<string>();
  const refusedSeen = new Set<string>();
  // a pass's own refusals (a constant too large, an op the opset lacks) are rejected rewrites too, each listed once
  const noteRefused = (plan: PassPlan): void => {
    for (const x of plan.refused ?? []) {
      const key = `${plan.pass}:${x.rewrite.nodes.join('|')}:${x.reason}`;
      if (refusedSeen.has(key)) continue;
      refusedSeen.add(key);
      records.get(plan.pass)?.rejected.push({ rewrite: x.rewrite, reason: x.reason });
    }
  };

  const beforeAnalysis = study(model.clone());
  let current = model.clone();
  let currentAnalysis = beforeAnalysis;
  let rounds = 0;
  for (let round = 1; round <= o.maxRounds; round++) {
    rounds = round;
    let changed = false;
    const settled = settle(current, always, noteRefused, (pass, rewrites) => {
      for (const r of rewrites) records.get(pass)!.applied.push(r);
    });
    if (settled.changed) {
      current = settled.model;
      currentAnalysis = study(current);
      changed = true;
    }
    for (const pass of o.passes) {
      const record = records.get(pass.name)!;
      if (!gated(pass)) {
        o.onProgress?.({ kind: 'pass', round, pass: pass.name, applied: record.applied.length, rejected: 0 });
        continue;
      }
      // a plan is data about one model: planned again only once a candidate was kept (current changed)
      let planned: { model: Model; plan: PassPlan } | undefined;
      for (;;) {
        if (planned?.model !== current) planned = { model: current, plan: pass.plan(current) };
        const plan = planned.plan;
        noteRefused(plan);
        const candidate = plan.rewrites.find((r) => !tried.has(keyOf(pass, r)));
        if (candidate === undefined) break;
        tried.add(keyOf(pass, candidate));
        if (!touchesFallback(current, currentAnalysis, candidate)) {
          record.rejected.push({ rewrite: candidate, reason: 'its nodes already run on the target' });
          continue;
        }
        const follow: [string, Rewrite[]][] = [];
        const next = settle(pass.apply(current, { pass: pass.name, rewrites: [candidate] }), always, noteRefused, (p, rs) => follow.push([p, rs]));
        const nextAnalysis = study(next.model);
        const verdict = compare(currentAnalysis.summary, nextAnalysis.summary);
        if (verdict.better) {
          record.applied.push(candidate);
          for (const [p, rs] of follow) for (const r of rs) records.get(p)!.applied.push(r);
          current = next.model;
          currentAnalysis = nextAnalysis;
          changed = true;
        } else record.rejected.push({ rewrite: candidate, reason: verdict.text });
      }
      o.onProgress?.({ kind: 'pass', round, pass: pass.name, applied: record.applied.length, rejected: record.rejected.length });
    }
    if (!changed) break;
  }
  return {
    model: current,
    analysis: currentAnalysis,
    report: {
      target: beforeAnalysis.target,
      precision: beforeAnalysis.precision,
      before: beforeAnalysis.summary,
      after: currentAnalysis.summary,
      passes: [...records.values()],
      rounds,
    },
  };
}

/** Runs passes in order, again and again, until none changes anything. */
function settle(
  model: Model,
  passes: readonly Pass[],
  refused: (plan: PassPlan) => void,
  log: (pass: string, rewrites: Rewrite[]) => void,
): { model: Model; changed: boolean } {
  let current = model;
  let changed = false;
  for (let sweep = 0; sweep < 16; sweep++) {
    let any = false;
    for (const pass of passes) {
      const plan = pass.plan(current);
      refused(plan);
      if (plan.rewrites.length === 0) continue;
      current = pass.apply(current, plan);
      log(pass.name, [...plan.rewrites]);
      any = true;
    }
    if (!any) break;
    changed = true;
  }
  return { model: current, changed };
}

function keyOf(pass: Pass, r: Rewrite): string {
  return `${pass.name}:${r.nodes.join('|')}`;
}

/** Whether any node of the rewrite falls back now: a rewrite of nodes that run on the target cannot gain. */
function touchesFallback(model: Model, a: Analysis, r: Rewrite): boolean {
  const nodes = model.graph.nodes;
  // analyze lists the main graph's nodes in its topological order
  if (nodes.length !== a.nodes.length) return true;
  return nodes.some((n, i) => a.nodes[i]!.ok === false && r.nodes.includes(nodeKey(n)));
}

/**
 * Better: none of fallback nodes, fallback FLOPs and crossings worse, and at least one of them better.
 * Nodes of unknown cost count as 0 FLOPs, so where the rewrite adds such nodes a FLOP drop is no gain.
 */
export function compare(before: AnalysisSummary, after: AnalysisSummary): { better: boolean; text: string } {
  const moreUnknown = after.flops.unknownNodes - before.flops.unknownNodes;
  const flops = after.flops.fallback - before.flops.fallback;
  const d = [after.nodes.fallback - before.nodes.fallback, moreUnknown > 0 ? Math.max(0, flops) : flops, after.crossings - before.crossings];
  const better = d.every((x) => x <= 0) && d.some((x) => x < 0);
  const unknown = moreUnknown > 0 ? ` (${moreUnknown} more ${moreUnknown === 1 ? 'node' : 'nodes'} of unknown cost: FLOPs not compared)` : '';
  const delta = flops === 0 ? '' : ` (${flops > 0 ? '+' : '−'}${siCount(Math.abs(flops), 'FLOPs')})`;
  const text = `fallback nodes ${before.nodes.fallback} → ${after.nodes.fallback}, fallback FLOPs ${siCount(before.flops.fallback, 'FLOPs')} → ${siCount(after.flops.fallback, 'FLOPs')}${delta}${unknown}, crossings ${before.crossings} → ${after.crossings}`;
  return { better, text: better ? text : `no gain: ${text}` };
}
