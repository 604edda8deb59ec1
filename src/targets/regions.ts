import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Shape } from '../ir/types.js';
import type { NodeCheck } from './check.js';
import { resolveAlias, type BuildFacts } from './context.js';
import { IdRuns } from './id-runs.js';
import { dlaBatch } from './rule-kit.js';
import type { Bytes, Crossing, Precision, Region, RuleContext } from './types.js';

/**
 * DLA regions and the tensors crossing between engines. A region is a maximal connected group of
 * target nodes that is also convex (no path leaves it and comes back, which TensorRT could not build
 * as one loadable) and has one DLA batch (reference G8); each becomes one DLA loadable.
 */

export interface RegionResult {
  readonly regions: readonly Region[];
  readonly crossings: readonly Crossing[];
  /** Region id of each target node. */
  readonly regionOf: ReadonlyMap<Node, string>;
}

type Side = 'target' | 'fallback' | 'build';

/**
 * Union-find over region ids. Sets of regions hold raw ids; a merged region answers for every raw id
 * of its class (`members`).
 */
class Regions {
  readonly parent: number[] = [];
  /** Raw ids of each canonical region's class. */
  readonly members: number[][] = [];
  /** Regions that reach this region along a path leaving it (raw ids). */
  readonly external: IdRuns[] = [];
  readonly batch: (number | null)[] = [];

  create(batch: number | null): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.members.push([id]);
    this.external.push(IdRuns.EMPTY);
    this.batch.push(batch);
    return id;
  }

  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }

  /** Whether a set of raw ids holds canonical region `r`. */
  holds(set: IdRuns, r: number): boolean {
    for (const e of this.members[r]!) if (set.has(e)) return true;
    return false;
  }

  merge(home: number, other: number): void {
    this.parent[other] = home;
    for (const m of this.members[other]!) this.members[home]!.push(m);
    this.members[other] = [];
    this.external[home] = this.external[home]!.union(this.external[other]!);
  }
}

/**
 * Groups target nodes into convex, connected, single-batch regions, in topological order. For each
 * node, `reach` is the set of regions upstream and `external` the regions with a path to it that
 * leaves them; a node joins a producer's region only when that region is not in its `external` set,
 * and two regions merge only when neither reaches the other from outside.
 */
function groupRegions(checks: readonly NodeCheck[], graph: Graph, facts: BuildFacts, ctx: RuleContext): { regionOf: Map<Node, number>; uf: Regions } {
  const uf = new Regions();
  const side = new Map<Node, Side>(checks.map((c) => [c.node, c.placement]));
  const reach = new Map<Node, IdRuns>();
  const external = new Map<Node, IdRuns>();
  const regionOf = new Map<Node, number>();
  for (const c of checks) {
    if (c.placement === 'build') continue;
    const v = c.node;
    let D = IdRuns.EMPTY;
    let X = IdRuns.EMPTY;
    const candidates = new Set<number>();
    for (const input of v.inputs) {
      if (input === '' || ctx.isConstant(input)) continue;
      const p = graph.producer(resolveAlias(facts.alias, input));
      const ps = p === undefined ? undefined : side.get(p);
      if (p === undefined || ps === undefined || ps === 'build') continue;
      const pd = reach.get(p) ?? IdRuns.EMPTY;
      X = X.union(external.get(p) ?? IdRuns.EMPTY);
      if (ps === 'target') {
        const r = uf.find(regionOf.get(p)!);
        candidates.add(r);
        D = D.union(pd).union(IdRuns.of(r));
        X = X.union(pd.without(uf.members[r]!));
      } else {
        D = D.union(pd);
        X = X.union(pd);
      }
    }
    if (c.placement === 'target') {
      const batch = outputBatch(v, ctx);
      const chosen: number[] = [];
      for (const r of [...candidates].sort((a, b) => a - b)) {
        if (uf.holds(X, r) || uf.batch[r] !== batch) continue;
        if (chosen.every((q) => !uf.holds(uf.external[q]!, r) && !uf.holds(uf.external[r]!, q))) chosen.push(r);
      }
      const home = chosen[0] ?? uf.create(batch);
      for (const other of chosen.slice(1)) uf.merge(home, other);
      uf.external[home] = uf.external[home]!.union(X);
      regionOf.set(v, home);
    }
    reach.set(v, D);
    external.set(v, X);
  }
  return { regionOf, uf };
}

function outputBatch(node: Node, ctx: RuleContext): number | null {
  const s = ctx.shape(node.outputs[0] ?? '');
  if (s === undefined || !s.every((d): d is number => typeof d === 'number')) return null;
  return dlaBatch(s);
}

function elementsOf(shape: Shape | undefined): number | null {
  if (shape === undefined) return null;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return null;
    n *= d;
  }
  return n;
}

export function bytesOf(shape: Shape | undefined): Bytes {
  const n = elementsOf(shape);
  return { int8: n, fp16: n === null ? null : 2 * n };
}

/** Regions, their crossings and the per-node region ids, from the checked nodes. */
export function findRegions(graph: Graph, checks: readonly NodeCheck[], facts: BuildFacts, ctx: RuleContext, flops: ReadonlyMap<Node, number>, precision: Precision): RegionResult {
  const { regionOf: raw, uf } = groupRegions(checks, graph, facts, ctx);
  const order = new Set<number>();
  for (const c of checks) {
    const r = raw.get(c.node);
    if (r !== undefined) order.add(uf.find(r));
  }
  const idOf = new Map([...order].map((r, i) => [r, `R${i + 1}`]));
  const regionOf = new Map<Node, string>();
  for (const [node, r] of raw) regionOf.set(node, idOf.get(uf.find(r))!);

  const fallbackSide = ctx.profile.fallback === 'none' ? 'host' : ctx.profile.fallback;
  const sideOf = (n: Node): string => regionOf.get(n) ?? fallbackSide;
  const placement = new Map(checks.map((c) => [c.node, c.placement]));

  /** Run-time readers of a tensor, looking through removed pass-through nodes. */
  const readers = (name: string, out: Node[] = []): Node[] => {
    for (const u of graph.consumers(name)) {
      if (placement.get(u) !== 'build') out.push(u);
      else for (const o of u.outputs) if (facts.alias.get(o) !== undefined) readers(o, out);
    }
    return out;
  };
  const isOutput = (name: string): boolean => graph.isGraphOutput(name) || graph.outputs.some((o) => resolveAlias(facts.alias, o) === name);

  const crossings: Crossing[] = [];
  const addCrossings = (tensor: string, from: string, firstReader: (to: string) => Node | undefined, tos: readonly string[]): void => {
    for (const to of tos) {
      const shape = ctx.shape(tensor);
      const format = formatHint(from, to, tensor, shape, firstReader(to), ctx, precision);
      crossings.push({ tensor, from, to, shape, bytes: bytesOf(shape), ...(format === undefined ? {} : { format }) });
    }
  };
  const produced = (tensor: string, from: string): void => {
    const users = readers(tensor);
    const tos = [...new Set(users.map(sideOf))].filter((to) => to !== from && !(from === fallbackSide && to === fallbackSide) && !(from === 'input' && to === fallbackSide));
    if (from !== fallbackSide && from !== 'input' && isOutput(tensor)) tos.push('output');
    addCrossings(tensor, from, (to) => users.find((u) => sideOf(u) === to), tos);
  };
  for (const input of graph.runtimeInputs) produced(input, 'input');
  for (const c of checks) {
    if (c.placement === 'build') continue;
    for (const o of c.node.outputs) if (o !== '') produced(o, sideOf(c.node));
  }

  const members = new Map<string, Node[]>();
  for (const c of checks) {
    const id = regionOf.get(c.node);
    if (id === undefined) continue;
    const list = members.get(id);
    if (list === undefined) members.set(id, [c.node]);
    else list.push(c.node);
  }
  const ins = new Map<string, Set<string>>();
  const outs = new Map<string, Set<string>>();
  for (const x of crossings) {
    ins.set(x.to, (ins.get(x.to) ?? new Set()).add(x.tensor));
    outs.set(x.from, (outs.get(x.from) ?? new Set()).add(x.tensor));
  }
  const regions: Region[] = [...order].map((r) => {
    const id = idOf.get(r)!;
    const nodes = members.get(id) ?? [];
    const inner = new Set(nodes);
    let intermediate = 0;
    let intermediateKnown = true;
    for (const n of nodes) {
      for (const o of n.outputs) {
        if (o === '' || isOutput(o) || !readers(o).every((u) => inner.has(u))) continue;
        const e = elementsOf(ctx.shape(o));
        if (e === null) intermediateKnown = false;
        else intermediate += e;
      }
    }
    return {
      id,
      nodes: nodes.map(nodeName),
      flops: nodes.reduce((s, n) => s + (flops.get(n) ?? 0), 0),
      batch: uf.batch[r] ?? null,
      inputs: [...(ins.get(id) ?? [])],
      outputs: [...(outs.get(id) ?? [])],
      intermediateBytes: intermediateKnown ? { int8: intermediate, fp16: 2 * intermediate } : { int8: null, fp16: null },
    };
  });
  return { regions, crossings, regionOf };
}

/** Node name for reports: its name, else its first output. */
export function nodeName(node: Node): string {
  return node.name !== '' ? node.name : (node.firstOutput ?? node.op);
}

/**
 * The trtexec I/O format that avoids a GPU reformat at a crossing (reference 4b, 4c): kDLA_HWC4 for an
 * image input of 1, 3 or 4 channels read by a conv with ≤ 4 groups at the build precision, else the
 * native kCHW32 (INT8) / kCHW16 (FP16) that both the GPU and the DLA read. These are formats of 4-D NCHW
 * tensors: a tensor of another rank (or unknown shape) gets none, and is reformatted wherever it crosses.
 */
function formatHint(from: string, to: string, tensor: string, shape: Shape | undefined, reader: Node | undefined, ctx: RuleContext, precision: Precision): string | undefined {
  if (ctx.profile.kind !== 'dla' || shape?.length !== 4) return undefined;
  const type = precision === 'int8' ? 'int8' : 'fp16';
  const native = precision === 'int8' ? 'int8:chw32' : 'fp16:chw16';
  if (from === 'input') {
    const c = shape[1];
    const hwc4 = reader?.op === 'Conv' && reader.input(0) === tensor && reader.attrs.int('group', 1) <= (ctx.limits?.conv.groupsMaxHwc4 ?? 4) && (c === 1 || c === 3 || c === 4);
    return `--inputIOFormats=${hwc4 ? `${type}:dla_hwc4` : native}`;
  }
  if (to === 'output') return `--outputIOFormats=${native}`;
  return native;
}
