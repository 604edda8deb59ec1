import { quote } from '../util/text.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { inferShapes, nodeCost } from '../ops/index.js';
import { TandemError } from '../util/errors.js';
import { checkTargetRules, type NodeCheck } from './check.js';
import { getTarget } from './profiles.js';
import { precisionDiagnostics, regionDiagnostics } from './diagnostics.js';
import { findRegions, nodeName } from './regions.js';
import type { Analysis, Diagnostic, NodeVerdict, Precision, TargetProfile } from './types.js';

/** The target analyze and prepare use when none is given. */
export const DEFAULT_TARGET = 'orin-dla';

/** Options of `analyze`. */
export interface AnalyzeOptions {
  /** Target name (see TARGETS): `orin-dla`, `orin-dla-trt10`, `xavier-dla`, `gpu`, `cpu`. @default 'orin-dla' */
  target?: string;
  /** Build precision. @default 'int8' for DLA targets, 'fp16' otherwise */
  precision?: Precision;
  /** Sizes for symbolic dims of the graph inputs ({ batch: 1 }), as for an optimization profile with min = opt = max. @default {} */
  dims?: Readonly<Record<string, number>>;
  /** A region doing less than this share of the model's FLOPs is flagged as too small for a DLA hop. @default 0.01 */
  minRegionFlopShare?: number;
}

export interface ResolvedAnalyzeOptions {
  readonly profile: TargetProfile;
  readonly precision: Precision;
  readonly dims: Readonly<Record<string, number>>;
  readonly minRegionFlopShare: number;
}

export function resolveAnalyzeOptions(options: AnalyzeOptions = {}): ResolvedAnalyzeOptions {
  const profile = getTarget(options.target ?? DEFAULT_TARGET);
  const share = options.minRegionFlopShare ?? 0.01;
  if (!(share >= 0 && share <= 1)) throw new TandemError('USAGE', `minRegionFlopShare must be within 0..1, got ${share}`);
  for (const [name, size] of Object.entries(options.dims ?? {})) {
    if (!Number.isSafeInteger(size) || size <= 0) throw new TandemError('USAGE', `dim ${quote(name)} must be a positive integer, got ${size}`);
  }
  return { profile, precision: options.precision ?? profile.defaultPrecision, dims: { ...(options.dims ?? {}) }, minRegionFlopShare: share };
}

const BASIS = 'modelled from the rules of the DLA support reference (TensorRT/DLA documentation), not measured: no DLA ran; FLOPs from the op cost table';

/**
 * Which node of the model's main graph runs on the target and why not: runs shape inference (writing
 * the model's inferred types), checks every node, groups target nodes into regions (one DLA loadable
 * each) and lists the tensors crossing between engines with their size at INT8 and FP16.
 *
 * @example
 * ```ts
 * const analysis = analyze(loadModel('model.onnx'), { target: 'orin-dla', dims: { batch: 1 } });
 * const { nodes, regions, crossings } = analysis.summary;
 * console.log(`${nodes.onTarget}/${nodes.total} nodes on the DLA in ${regions} regions, ${crossings} crossings`);
 * for (const v of analysis.nodes) if (!v.ok) console.log(v.name, v.rule, v.reason);
 * ```
 */
export function analyze(model: Model, options: AnalyzeOptions = {}): Analysis {
  const o = resolveAnalyzeOptions(options);
  const graph = model.graph;
  const shapes = inferShapes(model, { dims: o.dims, strict: false });
  const opset = model.opset('') ?? 17;
  const { checks, facts, ctx } = checkTargetRules(graph, o.profile, o.precision, opset);

  const flops = new Map<Node, number>();
  let unknownFlops = 0;
  for (const c of checks) {
    if (c.placement === 'build') continue;
    const f = nodeCost(graph, c.node, { dims: o.dims, opset }).flops;
    if (Number.isFinite(f)) flops.set(c.node, f);
    else unknownFlops++;
  }
  const { regions, crossings, regionOf } = findRegions(graph, checks, facts, ctx, flops, o.precision);
  const nodes = checks.map((c) => verdictOf(c, regionOf.get(c.node), flops.get(c.node)));

  let onTargetFlops = 0;
  let fallbackFlops = 0;
  for (const c of checks) {
    const f = flops.get(c.node) ?? 0;
    if (c.placement === 'target') onTargetFlops += f;
    else if (c.placement === 'fallback') fallbackFlops += f;
  }
  const totalFlops = onTargetFlops + fallbackFlops;
  const diagnostics: Diagnostic[] = [
    ...shapes.issues.map((i) => ({ rule: 'shape.inference', message: `${i.op} ${quote(i.node)}: ${i.message}` })),
    ...regionDiagnostics(o, regions, totalFlops),
    ...precisionDiagnostics(o, checks),
  ];
  if (unknownFlops > 0) diagnostics.push({ rule: 'cost.unknown', message: `${unknownFlops} node(s) have no known FLOP count (counted as 0)` });
  const count = (p: NodeCheck['placement']): number => checks.filter((c) => c.placement === p).length;
  let int8 = 0;
  for (const x of crossings) int8 += x.bytes.int8 ?? 0;
  return {
    target: o.profile.name,
    precision: o.precision,
    nodes,
    regions,
    crossings,
    diagnostics,
    summary: {
      nodes: { total: checks.length, onTarget: count('target'), fallback: count('fallback'), build: count('build') },
      flops: { total: totalFlops, onTarget: onTargetFlops, fallback: fallbackFlops, unknownNodes: unknownFlops },
      regions: regions.length,
      crossings: crossings.length,
      crossingBytes: { int8, fp16: 2 * int8 },
      warnings: diagnostics.map((d) => `${d.rule}: ${d.message}`),
      basis: BASIS,
    },
  };
}

function verdictOf(c: NodeCheck, region: string | undefined, flops: number | undefined): NodeVerdict {
  const first = c.problems[0];
  return {
    name: nodeName(c.node),
    op: c.node.op,
    inputs: [...c.node.inputs],
    outputs: [...c.node.outputs],
    ok: c.placement !== 'fallback',
    placement: c.placement,
    ...(first === undefined ? {} : { rule: first.rule, reason: first.reason, problems: c.problems.map(({ ok: _ok, ...finding }) => finding) }),
    ...(c.fix === undefined ? {} : { fix: c.fix }),
    ...(c.notes.length === 0 ? {} : { notes: c.notes }),
    ...(region === undefined ? {} : { region }),
    ...(flops === undefined ? {} : { flops }),
  };
}
