import type { Model } from '../ir/model.js';
import { TandemError } from '../util/errors.js';
import { ORIN_PARAMS } from './cost/orin.js';
import { stageLatency, type CostEngineKind, type CostPrecision, type StageLatency } from './cost/latency.js';
import { param, type LatencyParams, type PowerMode } from './cost/params.js';
import { ancestors, outputLayers } from './cost/partition.js';
import { PIPELINE_ENGINES, type PipelineEngine } from './cost/pipeline.js';
import { cutLayersOf, modelWorkload, type Workload } from './cost/workload.js';

/**
 * Placement search on Orin (modelled): the model is cut into segments — the trunk (layers more than one
 * output needs) before and after a trunk cut, and each head before and after a head cut — and every
 * segment gets an engine (gpu, dla0, dla1) and a precision. Cut points are positions in topological
 * order where few tensors are live (a cut the split can make), spread by MACs. Each combination is
 * scored with the latency model as a pipeline: throughput from the busiest engine with DRAM contention,
 * latency along the critical path. analyze's verdicts decide what of a DLA segment falls back to the GPU
 * (at a reformat per crossing); a DLA core holds at most 16 loadables. Returns the Pareto set over
 * (throughput ↑, latency ↓, INT8 share of the MACs ↓: less quantization risk) and the chosen plan.
 */

/** What `searchPlacement` optimises: frames per second, or the latency of one frame. */
export type SearchObjective = 'throughput' | 'latency';

/** Options of `searchPlacement`. */
export interface SearchOptions {
  /** What to optimise. @default 'throughput' */
  objective?: SearchObjective;
  /** Plans slower than this (ms, modelled) are not chosen. @default none */
  maxLatencyMs?: number;
  /** Frames per inference. @default 1 */
  batch?: number;
  /** Orin power mode. @default 'maxn' */
  power?: PowerMode;
  /** Platform the parameters are for. @default 'agx-orin-64gb' */
  platform?: string;
  /** Latency parameters. @default ORIN_PARAMS */
  params?: LatencyParams;
  /** Precisions allowed per engine kind. @default { gpu: ['fp16', 'int8'], dla: ['int8', 'fp16'] } */
  precisions?: { gpu?: readonly CostPrecision[]; dla?: readonly CostPrecision[] };
  /** Trunk cut candidates besides "no cut". @default 3 */
  trunkCuts?: number;
  /** Head cut candidates per head besides "no cut". @default 2 */
  headCuts?: number;
  /** Tensors where the trunk hands over to the heads (the reference model's features). @default derived from the model */
  features?: readonly string[];
}

/** A segment of a placement: its layers, engine and precision. */
export interface SegmentPlacement {
  /** trunk, trunk_tail, <head>_pre, <head>. */
  readonly name: string;
  readonly engine: PipelineEngine;
  readonly precision: CostPrecision;
  /** Node names of the segment's layers. */
  readonly nodes: readonly string[];
  /** The model output a head segment leads to (absent for the trunk). */
  readonly modelOutput?: string;
  /** Modelled latency of the segment alone (ms). */
  readonly aloneMs: number;
  readonly loadables: number;
  readonly fallbackLayers: number;
}

/** A candidate placement with its modelled throughput and latency. */
export interface ScoredPlacement {
  readonly segments: readonly SegmentPlacement[];
  /** Modelled. */
  readonly fps: number;
  /** Modelled. */
  readonly latencyMs: number;
  /** Share of the MACs run in INT8 (0..1). */
  readonly int8Share: number;
  readonly engineLoadMs: Readonly<Record<PipelineEngine, number>>;
  readonly bottleneck: PipelineEngine;
  /** One line: what it is. */
  readonly label: string;
}

/** The outcome of `searchPlacement`: the Pareto set, the chosen placement, and why. */
export interface SearchResult {
  readonly basis: string;
  readonly scored: number;
  readonly infeasible: number;
  readonly pareto: readonly ScoredPlacement[];
  readonly chosen: ScoredPlacement;
  readonly why: readonly string[];
  readonly gpuOnly: ScoredPlacement;
  /** The webinar's hand placement (trunk FP16 GPU, heads INT8 on dla0 / dla1) where the model has two heads. */
  readonly handPlacement?: ScoredPlacement;
  readonly elapsedMs: number;
}

interface Segment {
  name: string;
  modelOutput?: string;
  layers: number[];
  macs: number;
  /** Alone cost per engine kind and precision. */
  cost: Record<`${CostEngineKind}-${CostPrecision}`, StageLatency>;
}

interface Variant {
  /** Chain of segment groups: group 0 = trunk segments in order, then per head its segments in order. */
  trunk: Segment[];
  heads: Segment[][];
  /** Indices (in trunk-then-heads order) of the two sides of each cut. */
  pairs: [number, number][];
}

/** Positions k in `layers` (sorted) where at most `maxLive` layer outputs cross from [0,k) to [k,n). */
function cutPositions(w: Workload, layers: readonly number[], count: number, maxLive = 4): number[] {
  if (count <= 0 || layers.length < 4) return [];
  const pos = new Map(layers.map((l, i) => [l, i]));
  const lastUse = new Map<number, number>();
  layers.forEach((l, i) => {
    for (const [from] of w.layers[l]!.inputs) if (pos.has(from)) lastUse.set(from, Math.max(lastUse.get(from) ?? 0, i));
  });
  const macs = layers.map((l) => w.layers[l]!.macs);
  const total = macs.reduce((a, b) => a + b, 0);
  const ok: { k: number; at: number }[] = [];
  let acc = 0;
  for (let k = 1; k < layers.length; k++) {
    acc += macs[k - 1]!;
    let live = 0;
    for (let j = 0; j < k; j++) if ((lastUse.get(layers[j]!) ?? -1) >= k) live++;
    if (live >= 1 && live <= maxLive) ok.push({ k, at: total > 0 ? acc / total : k / layers.length });
  }
  const picks = new Set<number>();
  for (let q = 1; q <= count; q++) {
    const target = q / (count + 1);
    let best: { k: number; at: number } | undefined;
    for (const c of ok) if (best === undefined || Math.abs(c.at - target) < Math.abs(best.at - target)) best = c;
    if (best !== undefined) picks.add(best.k);
  }
  return [...picks].sort((a, b) => a - b);
}

const KEYS = ['gpu-int8', 'gpu-fp16', 'dla-int8', 'dla-fp16'] as const;

/**
 * Searches engine, precision and cuts for a model on Orin (see the file header).
 *
 * @example
 * ```ts
 * const result = searchPlacement(buildMultitask(), { objective: 'throughput', maxLatencyMs: 30 });
 * console.log(result.chosen.segments.map((s) => `${s.name}: ${s.engine} ${s.precision}`), result.why);
 * ```
 */
export function searchPlacement(model: Model, options: SearchOptions = {}): SearchResult {
  const t0 = performance.now();
  const params = options.params ?? ORIN_PARAMS;
  const batch = options.batch ?? 1;
  const settings = { params, batch, power: options.power ?? 'maxn', platform: options.platform ?? 'agx-orin-64gb' } as const;
  const objective = options.objective ?? 'throughput';
  const allowed = { gpu: options.precisions?.gpu ?? ['fp16', 'int8'], dla: options.precisions?.dla ?? ['int8', 'fp16'] } as const;
  if (allowed.gpu.length === 0 || allowed.dla.length === 0) throw new TandemError('USAGE', 'each engine kind needs at least one allowed precision');
  const w = modelWorkload(model, { name: model.graph.name || 'model' });
  const outs = outputLayers(w);
  // the trunk: layers more than one output needs (or the given features' ancestors)
  let trunkSet: Set<number>;
  if (options.features !== undefined && options.features.length > 0) trunkSet = ancestors(w, cutLayersOf(model, w, options.features));
  else {
    const count = new Map<number, number>();
    for (const roots of outs) for (const i of ancestors(w, roots)) count.set(i, (count.get(i) ?? 0) + 1);
    trunkSet = new Set([...count].filter(([, n]) => n > 1 || outs.length === 1).map(([i]) => i));
  }
  const trunk = [...trunkSet].sort((a, b) => a - b);
  const headLayers = outs.length === 1 ? [] : outs.map((roots) => [...ancestors(w, roots)].filter((i) => !trunkSet.has(i)).sort((a, b) => a - b));
  const headNames = model.graph.outputs.map((o) => o.replace(/[^A-Za-z0-9_.-]/g, '_'));
  const macsOf = (ls: readonly number[]): number => ls.reduce((s, i) => s + w.layers[i]!.macs, 0);
  const totalMacs = macsOf(w.layers.map((_, i) => i)) || 1;
  const cache = new Map<string, Segment>();
  const outputOfName = new Map(headNames.map((n, i) => [n, model.graph.outputs[i]!]));
  const segment = (name: string, layers: number[]): Segment => {
    const key = `${name}:${layers[0]}:${layers.length}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const cost = Object.fromEntries(KEYS.map((k) => {
      const [e, p] = k.split('-') as [CostEngineKind, CostPrecision];
      return [k, stageLatency(w, layers, e, p, settings)];
    })) as Segment['cost'];
    const out = outputOfName.get(name.replace(/_pre$/, ''));
    const s: Segment = { name, layers, macs: macsOf(layers), cost, ...(out === undefined ? {} : { modelOutput: out }) };
    cache.set(key, s);
    return s;
  };
  const splitAt = (name: string, tail: string, layers: number[], k: number): Segment[] =>
    k <= 0 || k >= layers.length ? [segment(name, layers)] : [segment(name, layers.slice(0, k)), segment(tail, layers.slice(k))];
  const trunkCuts = [0, ...cutPositions(w, trunk, options.trunkCuts ?? 3)];
  const headCuts = headLayers.map((h) => [0, ...cutPositions(w, h, options.headCuts ?? 2)]);
  const variants: Variant[] = [];
  const headCombos = headCuts.reduce<number[][]>((acc, cs) => acc.flatMap((a) => cs.map((c) => [...a, c])), [[]]);
  for (const t of trunkCuts) {
    for (const hc of headCombos) {
      const v: Variant = {
        trunk: trunk.length === 0 ? [] : splitAt('trunk', 'trunk_tail', trunk, t),
        heads: headLayers.map((h, i) => (h.length === 0 ? [] : hc[i]! === 0 ? [segment(headNames[i]!, h)] : [segment(`${headNames[i]}_pre`, h.slice(0, hc[i])), segment(headNames[i]!, h.slice(hc[i]))])),
        pairs: [],
      };
      let at = 0;
      for (const chain of [v.trunk, ...v.heads]) {
        for (let k = 1; k < chain.length; k++) v.pairs.push([at + k - 1, at + k]);
        at += chain.length;
      }
      variants.push(v);
    }
  }

  const limit = param(params, 'dlaLoadablesPerCore');
  const contention = param(params, 'contention');
  const peak = param(params, 'dramGBs') * 1e6 * (params.power[settings.power]?.dram ?? 1) * (params.platforms[settings.platform]?.dram ?? 1);
  const choices: { engine: PipelineEngine; precision: CostPrecision }[] = [];
  for (const engine of PIPELINE_ENGINES) for (const precision of engine === 'gpu' ? allowed.gpu : allowed.dla) choices.push({ engine, precision });
  let infeasible = 0;
  let scored = 0;

  /** Per segment and choice: gpu ms, gpu memory-bound ms, gpu bytes, dla ms, dla memory-bound ms, dla bytes, loadables, int8 MACs. */
  const table = (s: Segment): Float64Array[] =>
    choices.map((c) => {
      const cost = s.cost[`${c.engine === 'gpu' ? 'gpu' : 'dla'}-${c.precision}`];
      const g = cost.load.gpu;
      const d = cost.load.dla;
      return Float64Array.of(g.ms, g.memoryBoundMs, g.bytes, d.ms, d.memoryBoundMs, d.bytes, cost.counts.loadables, c.precision === 'int8' ? s.macs : 0);
    });
  const engineIndex = choices.map((c) => PIPELINE_ENGINES.indexOf(c.engine));

  /** Scores one assignment: [fps, latency, int8 share, gpu, dla0, dla1 shared loads] or undefined when a DLA core is over its loadables. */
  const evaluate = (v: Variant, tabs: Float64Array[][], pick: readonly number[]): number[] | undefined => {
    const ms = [0, 0, 0];
    const mem = [0, 0, 0];
    const bytes = [0, 0, 0];
    const loadables = [0, 0, 0];
    let int8 = 0;
    for (let i = 0; i < pick.length; i++) {
      const t = tabs[i]![pick[i]!]!;
      const e = engineIndex[pick[i]!]!;
      ms[0]! += t[0]!;
      mem[0]! += t[1]!;
      bytes[0]! += t[2]!;
      if (e > 0) {
        ms[e]! += t[3]!;
        mem[e]! += t[4]!;
        bytes[e]! += t[5]!;
        loadables[e]! += t[6]!;
      }
      int8 += t[7]!;
    }
    if (loadables[1]! > limit || loadables[2]! > limit) return undefined;
    const shared = [...ms];
    for (let it = 0; it < 8; it++) {
      const period = Math.max(shared[0]!, shared[1]!, shared[2]!);
      const d = shared.map((x, e) => (x > 0 ? bytes[e]! / period / peak : 0));
      for (let e = 0; e < 3; e++) shared[e] = ms[e]! + mem[e]! * contention * (d[0]! + d[1]! + d[2]! - d[e]!);
    }
    const period = Math.max(shared[0]!, shared[1]!, shared[2]!);
    const stretch = shared.map((x, e) => (ms[e]! > 0 ? x / ms[e]! : 1));
    const segMs = (i: number): number => {
      const t = tabs[i]![pick[i]!]!;
      const e = engineIndex[pick[i]!]!;
      return t[0]! * stretch[0]! + (e > 0 ? t[3]! * stretch[e]! : 0);
    };
    let latency = 0;
    let i = 0;
    for (; i < v.trunk.length; i++) latency += segMs(i);
    let headMs = 0;
    for (const h of v.heads) {
      let m = 0;
      for (let k = 0; k < h.length; k++, i++) m += segMs(i);
      headMs = Math.max(headMs, m);
    }
    return [(batch * 1000) / period, latency + headMs, int8 / totalMacs, shared[0]!, shared[1]!, shared[2]!];
  };

  const build = (v: Variant, pick: readonly number[], r: readonly number[]): ScoredPlacement => {
    const segs = [...v.trunk, ...v.heads.flat()];
    const segments = segs.map((s, i): SegmentPlacement => {
      const c = choices[pick[i]!]!;
      const cost = s.cost[`${c.engine === 'gpu' ? 'gpu' : 'dla'}-${c.precision}`];
      return { name: s.name, engine: c.engine, precision: c.precision, nodes: s.layers.map((l) => w.layers[l]!.name), ...(s.modelOutput === undefined ? {} : { modelOutput: s.modelOutput }), aloneMs: cost.latencyMs, loadables: cost.counts.loadables, fallbackLayers: c.engine === 'gpu' ? 0 : cost.counts.fallbackLayers };
    });
    const engineLoadMs = { gpu: r[3]!, dla0: r[4]!, dla1: r[5]! };
    const bottleneck = PIPELINE_ENGINES.reduce((a, b) => (engineLoadMs[b] > engineLoadMs[a] ? b : a));
    return { segments, fps: r[0]!, latencyMs: r[1]!, int8Share: r[2]!, engineLoadMs, bottleneck, label: segments.map((s) => `${s.name}→${s.engine}/${s.precision}`).join(' ') };
  };
  const score = (v: Variant, pick: readonly number[]): ScoredPlacement | undefined => {
    const tabs = [...v.trunk, ...v.heads.flat()].map(table);
    const r = evaluate(v, tabs, pick);
    return r === undefined ? undefined : build(v, pick, r);
  };

  // a running Pareto front of raw scores; placements are built only for its members
  let front: { v: Variant; pick: number[]; r: number[] }[] = [];
  // the best placement that keeps the whole trunk in FP16 (the webinar's accuracy choice), for the explanation
  let bestFp16Trunk: { v: Variant; pick: number[]; r: number[] } | undefined;
  const beats = (a: readonly number[], b: readonly number[]): boolean => (objective === 'throughput' ? a[0]! > b[0]! || (a[0] === b[0] && a[1]! < b[1]!) : a[1]! < b[1]! || (a[1] === b[1] && a[0]! > b[0]!));
  const dominatesRaw = (a: readonly number[], b: readonly number[]): boolean =>
    a[0]! >= b[0]! && a[1]! <= b[1]! && a[2]! <= b[2]! && (a[0]! > b[0]! || a[1]! < b[1]! || a[2]! < b[2]!);
  const sameRaw = (a: readonly number[], b: readonly number[]): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
  for (const v of variants) {
    const tabs = [...v.trunk, ...v.heads.flat()].map(table);
    const n = tabs.length;
    const pick = new Array<number>(n).fill(0);
    for (;;) {
      // dla0 and dla1 are the same: keep only assignments whose first DLA used is dla0
      let firstDla = 0;
      for (const p of pick) if (engineIndex[p]! > 0) {
        firstDla = engineIndex[p]!;
        break;
      }
      // a cut whose two sides get the same engine and precision is the uncut variant again
      let redundant = false;
      for (const [a, b] of v.pairs) if (pick[a] === pick[b]) redundant = true;
      if (firstDla !== 2 && !redundant) {
        scored++;
        const r = evaluate(v, tabs, pick);
        if (r !== undefined && (options.maxLatencyMs === undefined || r[1]! <= options.maxLatencyMs)) {
          let fp16 = true;
          for (let i = 0; i < v.trunk.length; i++) if (choices[pick[i]!]!.precision !== 'fp16') fp16 = false;
          if (fp16 && (bestFp16Trunk === undefined || beats(r, bestFp16Trunk.r))) bestFp16Trunk = { v, pick: [...pick], r };
        }
        if (r === undefined) infeasible++;
        else if (!front.some((f) => dominatesRaw(f.r, r) || sameRaw(f.r, r))) {
          front = front.filter((f) => !dominatesRaw(r, f.r));
          front.push({ v, pick: [...pick], r });
        }
      }
      let i = 0;
      while (i < n && ++pick[i]! === choices.length) pick[i++] = 0;
      if (i === n) break;
    }
  }
  if (front.length === 0) throw new TandemError('PLAN_COST', `no placement fits: every one of ${scored} needs more than ${limit} DLA loadables on a core`);
  const all = front.map((f) => build(f.v, f.pick, f.r));

  const pareto = paretoSet(all);
  const within = (p: ScoredPlacement): boolean => options.maxLatencyMs === undefined || p.latencyMs <= options.maxLatencyMs;
  const better = (a: ScoredPlacement, b: ScoredPlacement): number =>
    objective === 'throughput' ? b.fps - a.fps || a.latencyMs - b.latencyMs || a.int8Share - b.int8Share : a.latencyMs - b.latencyMs || b.fps - a.fps || a.int8Share - b.int8Share;
  const eligible = pareto.filter(within).sort(better);
  const chosen = eligible[0] ?? [...pareto].sort((a, b) => a.latencyMs - b.latencyMs)[0]!;

  const gpuPick = (v: Variant): number[] => new Array<number>(v.trunk.length + v.heads.flat().length).fill(choices.findIndex((c) => c.engine === 'gpu' && c.precision === (allowed.gpu.includes('fp16') ? 'fp16' : allowed.gpu[0])));
  const base = variants[0]!;
  const gpuOnly = score(base, gpuPick(base))!;
  let handPlacement: ScoredPlacement | undefined;
  if (headLayers.length === 2) {
    const idx = (engine: PipelineEngine, precision: CostPrecision): number => choices.findIndex((c) => c.engine === engine && c.precision === precision);
    const pick = [idx('gpu', 'fp16'), idx('dla0', 'int8'), idx('dla1', 'int8')];
    if (pick.every((p) => p >= 0) && base.trunk.length === 1) handPlacement = score(base, pick);
  }
  const fp16Best = bestFp16Trunk === undefined ? undefined : build(bestFp16Trunk.v, bestFp16Trunk.pick, bestFp16Trunk.r);
  const why = explain(fp16Best, chosen, gpuOnly, handPlacement, objective, options.maxLatencyMs, eligible.length);
  return {
    basis: 'modelled by the Orin latency model (src/plan/cost), not measured',
    scored,
    infeasible,
    pareto: [...pareto].sort(better),
    chosen,
    why,
    gpuOnly,
    ...(handPlacement === undefined ? {} : { handPlacement }),
    elapsedMs: performance.now() - t0,
  };
}

function dominates(a: ScoredPlacement, b: ScoredPlacement): boolean {
  const ge = a.fps >= b.fps && a.latencyMs <= b.latencyMs && a.int8Share <= b.int8Share;
  const gt = a.fps > b.fps || a.latencyMs < b.latencyMs || a.int8Share < b.int8Share;
  return ge && gt;
}

/** Non-dominated placements over (fps ↑, latency ↓, INT8 share ↓), one per distinct score. */
export function paretoSet(all: readonly ScoredPlacement[]): ScoredPlacement[] {
  const sorted = [...all].sort((a, b) => b.fps - a.fps || a.latencyMs - b.latencyMs || a.int8Share - b.int8Share);
  const front: ScoredPlacement[] = [];
  for (const p of sorted) {
    if (front.some((f) => dominates(f, p) || (f.fps === p.fps && f.latencyMs === p.latencyMs && f.int8Share === p.int8Share))) continue;
    front.push(p);
  }
  return front;
}

const f1 = (x: number): string => x.toFixed(1);
const pctChange = (a: number, b: number): string => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(0)}%`;

function explain(fp16Best: ScoredPlacement | undefined, chosen: ScoredPlacement, gpuOnly: ScoredPlacement, hand: ScoredPlacement | undefined, objective: SearchObjective, maxLatency: number | undefined, eligible: number): string[] {
  const why: string[] = [];
  if (eligible === 0) why.push(`no Pareto placement meets --max-latency ${maxLatency} ms: the one with the lowest latency is shown`);
  why.push(
    objective === 'throughput'
      ? `highest modelled throughput on the Pareto set${maxLatency === undefined ? '' : ` within ${maxLatency} ms`}: ${f1(chosen.fps)} fps, bottleneck ${chosen.bottleneck} at ${f1(chosen.engineLoadMs[chosen.bottleneck])} ms per frame (gpu ${f1(chosen.engineLoadMs.gpu)}, dla0 ${f1(chosen.engineLoadMs.dla0)}, dla1 ${f1(chosen.engineLoadMs.dla1)} ms with DRAM contention)`
      : `lowest modelled latency on the Pareto set: ${f1(chosen.latencyMs)} ms along the critical path, ${f1(chosen.fps)} fps`,
  );
  why.push(`vs GPU-only (FP16): ${f1(gpuOnly.fps)} fps, ${f1(gpuOnly.latencyMs)} ms → ${pctChange(chosen.fps, gpuOnly.fps)} throughput`);
  if (hand !== undefined) why.push(`vs the webinar's hand placement (trunk GPU FP16, heads INT8 on dla0 / dla1): ${f1(hand.fps)} fps, ${f1(hand.latencyMs)} ms → ${pctChange(chosen.fps, hand.fps)} throughput`);
  if (chosen.segments.some((s) => s.name.startsWith('trunk') && s.precision !== 'fp16') && fp16Best !== undefined) {
    const b = fp16Best;
    why.push(`keeping the trunk in FP16 (the webinar's choice for feature accuracy), the best is ${f1(b.fps)} fps, ${f1(b.latencyMs)} ms: ${b.label}`);
  }
  why.push(`INT8 runs ${(chosen.int8Share * 100).toFixed(0)}% of the MACs (placements with less INT8 are kept on the Pareto set for accuracy)`);
  return why;
}
