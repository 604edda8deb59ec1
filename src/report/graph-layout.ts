/**
 * A small layered (Sugiyama-style) layout for directed acyclic graphs, left to right: longest-path
 * layers, dummy points on edges that span several layers, barycentre ordering to cut crossings, then
 * vertical positions pulled towards each node's neighbours. Enough for a few hundred boxes; no
 * dependency.
 */

export interface LayoutNode {
  readonly width: number;
  readonly height: number;
}

/** An edge between node indices; edges that point backwards in the given order are ignored (they would make a cycle). */
export interface LayoutEdge {
  readonly from: number;
  readonly to: number;
}

export interface LayoutOptions {
  /** Horizontal space between layers. @default 56 */
  layerGap?: number;
  /** Vertical space between nodes of one layer. @default 14 */
  nodeGap?: number;
  /** Crossing-reduction sweeps. @default 8 */
  sweeps?: number;
  /** Margin around the drawing. @default 20 */
  margin?: number;
  /**
   * Wrap a drawing wider than this into bands stacked top to bottom, like lines of text (a deep network
   * laid out left to right is a long thin strip otherwise); edges that leave a band end in a stub at its
   * right edge and continue from the next band's left edge. @default Infinity
   */
  wrapWidth?: number;
  /** Vertical space between bands. @default 60 */
  bandGap?: number;
  /** Dummy points on long edges, at most; edges past the budget are drawn straight. @default 200000 */
  maxDummies?: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Layout {
  /** Top-left corner of each node. */
  readonly positions: readonly Point[];
  readonly layers: readonly number[];
  /**
   * Per input edge (same order), polylines from the source's right side to the target's left side (more
   * than one where the edge wraps from band to band); undefined for an ignored edge.
   */
  readonly routes: readonly (readonly (readonly Point[])[] | undefined)[];
  /** Bands the drawing was wrapped into (1 when it was not). */
  readonly bands: number;
  readonly width: number;
  readonly height: number;
}

interface Item {
  /** Index of a real node, or -1 for a dummy point of an edge. */
  readonly node: number;
  readonly height: number;
  pos: number;
  y: number;
  readonly up: Item[];
  readonly down: Item[];
}

/** Lays out nodes given in topological order (an edge from a later to an earlier node is dropped). */
export function layoutGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], options: LayoutOptions = {}): Layout {
  const layerGap = options.layerGap ?? 56;
  const nodeGap = options.nodeGap ?? 14;
  const sweeps = options.sweeps ?? 8;
  const margin = options.margin ?? 20;
  const n = nodes.length;

  const layer = new Array<number>(n).fill(0);
  const forward = edges.filter((e) => e.from < e.to && e.from >= 0 && e.to < n);
  const incoming: number[][] = Array.from({ length: n }, () => []);
  for (const e of forward) incoming[e.to]!.push(e.from);
  for (let v = 0; v < n; v++) for (const u of incoming[v]!) layer[v] = Math.max(layer[v]!, layer[u]! + 1);
  // Pull sources (graph inputs, constants) next to their first consumer instead of leaving them in layer 0.
  const outgoing: number[][] = Array.from({ length: n }, () => []);
  for (const e of forward) outgoing[e.from]!.push(e.to);
  for (let v = n - 1; v >= 0; v--) {
    if (incoming[v]!.length > 0 || outgoing[v]!.length === 0) continue;
    layer[v] = Math.max(0, Math.min(...outgoing[v]!.map((w) => layer[w]!)) - 1);
  }
  const depth = n === 0 ? 0 : Math.max(...layer) + 1;

  const rows: Item[][] = Array.from({ length: depth }, () => []);
  const items: Item[] = [];
  for (let v = 0; v < n; v++) {
    const it: Item = { node: v, height: nodes[v]!.height, pos: 0, y: 0, up: [], down: [] };
    items.push(it);
    rows[layer[v]!]!.push(it);
  }
  const chains: (Item[] | undefined)[] = edges.map(() => undefined);
  let budget = options.maxDummies ?? 200_000;
  edges.forEach((e, k) => {
    if (!(e.from < e.to && e.from >= 0 && e.to < n)) return;
    const chain: Item[] = [items[e.from]!];
    const span = layer[e.to]! - layer[e.from]! - 1;
    if (span > budget) {
      chain.push(items[e.to]!);
      chains[k] = chain;
      return;
    }
    budget -= span;
    for (let l = layer[e.from]! + 1; l < layer[e.to]!; l++) {
      const d: Item = { node: -1, height: 2, pos: 0, y: 0, up: [], down: [] };
      rows[l]!.push(d);
      chain.push(d);
    }
    chain.push(items[e.to]!);
    for (let i = 0; i + 1 < chain.length; i++) {
      chain[i]!.down.push(chain[i + 1]!);
      chain[i + 1]!.up.push(chain[i]!);
    }
    chains[k] = chain;
  });

  for (const row of rows) row.forEach((it, i) => (it.pos = i));
  const bary = (it: Item, side: Item[]): number => (side.length === 0 ? it.pos : side.reduce((s, o) => s + o.pos, 0) / side.length);
  for (let s = 0; s < sweeps; s++) {
    const down = s % 2 === 0;
    const order = down ? rows.keys() : [...rows.keys()].reverse().values();
    for (const l of order) {
      const row = rows[l]!;
      const key = new Map(row.map((it) => [it, bary(it, down ? it.up : it.down)]));
      row.sort((a, b) => key.get(a)! - key.get(b)! || a.pos - b.pos);
      row.forEach((it, i) => (it.pos = i));
    }
  }

  const widthOf = rows.map((row) => Math.max(0, ...row.map((it) => (it.node >= 0 ? nodes[it.node]!.width : 0))));
  const gapOf = (a: Item, b: Item): number => (a.node < 0 && b.node < 0 ? 4 : nodeGap);
  for (const row of rows) {
    let y = 0;
    row.forEach((it, i) => {
      if (i > 0) y += gapOf(row[i - 1]!, it);
      it.y = y + it.height / 2;
      y += it.height;
    });
  }
  const centre = (side: Item[]): number | undefined => (side.length === 0 ? undefined : side.reduce((s, o) => s + o.y, 0) / side.length);
  for (let pass = 0; pass < 6; pass++) {
    const down = pass % 2 === 0;
    const order = down ? [...rows.keys()] : [...rows.keys()].reverse();
    for (const l of order) {
      const row = rows[l]!;
      if (row.length === 0) continue;
      const want = row.map((it) => centre(down ? it.up : it.down) ?? centre(down ? it.down : it.up) ?? it.y);
      const ys: number[] = [];
      row.forEach((it, i) => {
        const min = i === 0 ? -Infinity : ys[i - 1]! + row[i - 1]!.height / 2 + gapOf(row[i - 1]!, it) + it.height / 2;
        ys.push(Math.max(want[i]!, min));
      });
      const shift = want.reduce((s, w, i) => s + (w - ys[i]!), 0) / row.length;
      row.forEach((it, i) => (it.y = ys[i]! + shift));
    }
  }

  const xOf: number[] = [];
  let x = margin;
  for (let l = 0; l < depth; l++) {
    xOf.push(x);
    x += widthOf[l]! + layerGap;
  }
  // Bands: consecutive layers whose span fits wrapWidth.
  const wrap = options.wrapWidth ?? Infinity;
  const bandOf: number[] = [];
  const bandStart: number[] = [];
  for (let l = 0; l < depth; l++) {
    const b = bandStart.length - 1;
    if (b < 0 || xOf[l]! + widthOf[l]! - xOf[bandStart[b]!]! > wrap) bandStart.push(l);
    bandOf.push(bandStart.length - 1);
  }
  const bands = Math.max(1, bandStart.length);
  const top = new Array<number>(bands).fill(Infinity);
  const bottom = new Array<number>(bands).fill(-Infinity);
  rows.forEach((row, l) => {
    for (const it of row) {
      const b = bandOf[l]!;
      top[b] = Math.min(top[b]!, it.y - it.height / 2);
      bottom[b] = Math.max(bottom[b]!, it.y + it.height / 2);
    }
  });
  const bandGap = options.bandGap ?? 60;
  const offsetY: number[] = [];
  let y = margin;
  for (let b = 0; b < bands; b++) {
    if (!Number.isFinite(top[b]!)) top[b] = bottom[b] = 0;
    offsetY.push(y);
    y += bottom[b]! - top[b]! + bandGap;
  }
  const shiftX = (l: number): number => (bandStart.length === 0 ? 0 : xOf[bandStart[bandOf[l]!]!]! - margin);
  const place = (px: number, py: number, l: number): Point => ({ x: px - shiftX(l), y: py - top[bandOf[l]!]! + offsetY[bandOf[l]!]! });
  let width = 2 * margin;
  for (let l = 0; l < depth; l++) width = Math.max(width, xOf[l]! + widthOf[l]! - shiftX(l) + margin);
  const positions = items.map((it) => {
    const l = layer[it.node]!;
    return place(xOf[l]! + (widthOf[l]! - nodes[it.node]!.width) / 2, it.y - it.height / 2, l);
  });
  const routes = chains.map((chain) => {
    if (chain === undefined) return undefined;
    const pts: { p: Point; l: number }[] = [];
    const l0 = layer[chain[0]!.node]!;
    chain.forEach((it, i) => {
      if (it.node >= 0) {
        const l = layer[it.node]!;
        const p = positions[it.node]!;
        pts.push({ p: { x: i === 0 ? p.x + nodes[it.node]!.width : p.x, y: p.y + it.height / 2 }, l });
      } else {
        const l = l0 + i;
        pts.push({ p: place(xOf[l]!, it.y, l), l }, { p: place(xOf[l]! + widthOf[l]!, it.y, l), l });
      }
    });
    const lines: Point[][] = [[]];
    pts.forEach((q, i) => {
      const prev = pts[i - 1];
      if (prev !== undefined && bandOf[prev.l] !== bandOf[q.l]) {
        lines[lines.length - 1]!.push({ x: prev.p.x + layerGap / 2, y: prev.p.y });
        lines.push([{ x: Math.max(0, q.p.x - layerGap / 2), y: q.p.y }]);
      }
      lines[lines.length - 1]!.push(q.p);
    });
    return lines;
  });
  return { positions, layers: layer, routes, width, height: y - bandGap + margin, bands };
}

/** An SVG path through a route's polylines: horizontal cubic curves between consecutive points. */
export function routePath(lines: readonly (readonly Point[])[]): string {
  const f = (v: number): string => (Math.round(v * 10) / 10).toString();
  let d = '';
  for (const points of lines) {
    if (points.length === 0) continue;
    d += `M${f(points[0]!.x)},${f(points[0]!.y)}`;
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1]!;
      const b = points[i]!;
      if (a.y === b.y) {
        d += `H${f(b.x)}`;
        continue;
      }
      const dx = Math.max(8, (b.x - a.x) / 2);
      d += `C${f(a.x + dx)},${f(a.y)} ${f(b.x - dx)},${f(b.y)} ${f(b.x)},${f(b.y)}`;
    }
  }
  return d;
}
