import { layoutGraph, routePath, type LayoutEdge } from './graph-layout.js';
import { badge, esc, formatBytes, formatFlops, jsonBlock, pct, r1, table } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { AnalysisFile, AnalysisNode } from './schemas.js';

const NODE_W = 156;
const NODE_H = 38;
/** Room between layers for a crossing's label (size, I/O format). */
const LAYER_GAP = 92;
/** Boxes drawn at most: a larger graph gets its tables only (the page must stay quick to open). */
export const MAX_BOXES = 4000;
/** Deep graphs wrap into bands (read like lines of text) between these widths. */
const MIN_WRAP = 1800;
const MAX_WRAP = 7000;
/** Region outline colours, cycled. */
const REGION_COLOURS = ['#2f7ed8', '#8e44ad', '#16a085', '#c0392b', '#d35400', '#2c3e50', '#7f8c8d', '#27ae60'];

/** A box of the drawing: one node, or a linear chain of nodes on one engine collapsed into one box. */
interface Group {
  readonly members: number[];
  /** Region id, or 'gpu' for nodes that fall back. */
  readonly engine: string;
}

/** What the page script reads when a box is clicked. */
interface NodeInfo {
  readonly name: string;
  readonly op: string;
  readonly placement: string;
  readonly region?: string;
  readonly flops?: number;
  readonly rule?: string;
  readonly reason?: string;
  readonly fix?: string;
  /** Failing rules after the first (which is `rule` and `reason`). */
  readonly problems?: readonly { rule: string; reason: string }[];
  readonly notes?: readonly string[];
}

/** Collapses linear chains: u → v joins u's box when u has one consumer, v one producer and both sit on one engine. */
function groupChains(drawn: readonly AnalysisNode[], edges: readonly LayoutEdge[], engineOf: (n: AnalysisNode) => string): { groups: Group[]; groupOf: number[] } {
  const outs = drawn.map(() => new Set<number>());
  const ins = drawn.map(() => new Set<number>());
  for (const e of edges) {
    outs[e.from]!.add(e.to);
    ins[e.to]!.add(e.from);
  }
  const groups: Group[] = [];
  const groupOf: number[] = [];
  drawn.forEach((node, v) => {
    const [u] = ins[v]!;
    if (ins[v]!.size === 1 && u !== undefined && outs[u]!.size === 1 && engineOf(drawn[u]!) === engineOf(node)) {
      const g = groupOf[u]!;
      const members = groups[g]!.members;
      if (members[members.length - 1] === u) {
        members.push(v);
        groupOf[v] = g;
        return;
      }
    }
    groupOf[v] = groups.length;
    groups.push({ members: [v], engine: engineOf(node) });
  });
  return { groups, groupOf };
}

function info(n: AnalysisNode): NodeInfo {
  return {
    name: n.name,
    op: n.op,
    placement: n.placement,
    ...(n.region === undefined ? {} : { region: n.region }),
    ...(n.flops === undefined ? {} : { flops: n.flops }),
    ...(n.rule === undefined ? {} : { rule: n.rule }),
    ...(n.reason === undefined ? {} : { reason: n.reason }),
    ...(n.fix === undefined ? {} : { fix: `${n.fix.kind}: ${n.fix.text}` }),
    // the first problem is rule + reason already
    ...((n.problems ?? []).length <= 1 ? {} : { problems: n.problems!.slice(1).map((p) => ({ rule: p.rule, reason: p.reason })) }),
    ...(n.notes === undefined ? {} : { notes: n.notes }),
  };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The ops of a chain as one short line: "Conv·Relu ×3". */
function chainLabel(ops: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ops.length; ) {
    let j = i;
    while (j < ops.length && ops[j] === ops[i]) j++;
    parts.push(j - i > 1 ? `${ops[i]}×${j - i}` : ops[i]!);
    i = j;
  }
  return parts.join('·');
}

/** The placement graph of one analysis (SVG with pan and zoom, click for the verdict) and its tables. */
export function placementGraph(a: Loaded<AnalysisFile>, index: number): string {
  const data = a.data;
  const drawn = data.nodes.filter((n) => n.placement !== 'build');
  const folded = data.nodes.length - drawn.length;
  const producer = new Map<string, number>();
  drawn.forEach((n, i) => {
    for (const t of n.outputs ?? []) producer.set(t, i);
  });
  const hasEdges = drawn.some((n) => n.inputs !== undefined);
  const edgeTensors = new Map<string, string[]>();
  const edges: LayoutEdge[] = [];
  drawn.forEach((n, v) => {
    for (const t of n.inputs ?? []) {
      const u = producer.get(t);
      if (u === undefined || u >= v) continue;
      const key = `${u}>${v}`;
      const list = edgeTensors.get(key);
      if (list === undefined) {
        edgeTensors.set(key, [t]);
        edges.push({ from: u, to: v });
      } else list.push(t);
    }
  });
  const engineOf = (n: AnalysisNode): string => (n.placement === 'target' ? (n.region ?? 'target') : 'gpu');
  const { groups, groupOf } = groupChains(drawn, edges, engineOf);
  const gEdges = new Map<string, { from: number; to: number; tensors: string[] }>();
  for (const e of edges) {
    const from = groupOf[e.from]!;
    const to = groupOf[e.to]!;
    if (from === to) continue;
    const key = `${from}>${to}`;
    const tensors = edgeTensors.get(`${e.from}>${e.to}`) ?? [];
    const had = gEdges.get(key);
    if (had === undefined) gEdges.set(key, { from, to, tensors: [...tensors] });
    else had.tensors.push(...tensors);
  }
  const edgeList = [...gEdges.values()];
  if (groups.length > MAX_BOXES) {
    return `<h3>${esc(a.label)}: ${esc(data.target)} ${esc(data.precision.toUpperCase())} ${badge('modelled', data.summary.basis)}</h3><p class="missing">${groups.length} boxes (${drawn.length} nodes) are more than the ${MAX_BOXES} the page draws; the tables below list the regions, crossings and fallbacks.</p>${tablesOf(data)}`;
  }
  const boxesIn = groups.map(() => ({ width: NODE_W, height: NODE_H }));
  // Wrap into bands so that the whole drawing is about as wide as a screen is, relative to its height.
  const strip = layoutGraph(boxesIn, edgeList, { layerGap: LAYER_GAP });
  const wrapWidth = Math.min(MAX_WRAP, Math.max(MIN_WRAP, Math.sqrt(strip.width * strip.height * 1.5)));
  const layout = layoutGraph(boxesIn, edgeList, { layerGap: LAYER_GAP, wrapWidth, bandGap: 70 });
  const regionIds = data.regions.map((r) => r.id);
  const colourOf = (region: string): string => REGION_COLOURS[Math.max(0, regionIds.indexOf(region)) % REGION_COLOURS.length]!;
  const crossings = new Map(data.crossings.map((x) => [x.tensor, x]));

  const halos: string[] = [];
  const labelled = new Set<string>();
  const boxes: string[] = [];
  groups.forEach((g, k) => {
    const p = layout.positions[k]!;
    const first = drawn[g.members[0]!]!;
    const onTarget = first.placement === 'target';
    if (onTarget) {
      const c = colourOf(g.engine);
      halos.push(`<rect class="halo" x="${r1(p.x - 7)}" y="${r1(p.y - 7)}" width="${NODE_W + 14}" height="${NODE_H + 14}" rx="10" fill="${c}" stroke="${c}"/>`);
      if (!labelled.has(g.engine)) {
        labelled.add(g.engine);
        halos.push(`<text class="region-label" x="${r1(p.x - 4)}" y="${r1(p.y - 11)}" fill="${c}">${esc(g.engine)}</text>`);
      }
    }
    const ops = g.members.map((m) => drawn[m]!.op);
    const title = g.members.length === 1 ? first.op : chainLabel(ops);
    const sub = g.members.length === 1 ? first.name : `${g.members.length} nodes: ${first.name}`;
    const cls = onTarget ? 'dla' : 'gpu';
    const flops = g.members.reduce((s, m) => s + (drawn[m]!.flops ?? 0), 0);
    boxes.push(
      `<g class="node ${cls}" data-group="${k}" tabindex="0" transform="translate(${r1(p.x)},${r1(p.y)})"><title>${esc(`${title} — ${sub}${flops > 0 ? ` — ${formatFlops(flops)}` : ''}`)}</title><rect width="${NODE_W}" height="${NODE_H}" rx="5"/>` +
        `<text x="8" y="15" class="op">${esc(truncate(title, 22))}</text><text x="8" y="30" class="name">${esc(truncate(sub, 26))}</text></g>`,
    );
  });
  const paths: string[] = [];
  const tags: string[] = [];
  edgeList.forEach((e, k) => {
    const route = layout.routes[k];
    if (route === undefined) return;
    const x = e.tensors.map((t) => crossings.get(t)).find((c) => c !== undefined);
    const crossing = x !== undefined && groups[e.from]!.engine !== groups[e.to]!.engine;
    paths.push(`<path class="edge${crossing ? ' crossing' : ''}" d="${routePath(route)}"/>`);
    if (crossing) {
      // The label sits in the gap just before the target box, where it overlaps nothing.
      const line = route[route.length - 1]!;
      const end = line[line.length - 1]!;
      const label = formatBytes(x.bytes.int8);
      const cx = end.x - LAYER_GAP / 2;
      const cy = end.y;
      tags.push(
        `<g class="xtag" transform="translate(${r1(cx)},${r1(cy)})"><title>${esc(`crossing ${x.tensor}: ${x.from} → ${x.to}, ${formatBytes(x.bytes.int8)} at INT8, ${formatBytes(x.bytes.fp16)} at FP16${x.format ? `, I/O format ${x.format}` : ''}`)}</title><rect x="-${LAYER_GAP / 2 - 6}" y="${x.format ? -14 : -8}" width="${LAYER_GAP - 12}" height="${x.format ? 28 : 16}" rx="3"/><text text-anchor="middle" y="${x.format ? -2 : 4}">${esc(label)}</text>${x.format ? `<text text-anchor="middle" y="10" class="fmt">${esc(x.format)}</text>` : ''}</g>`,
      );
    }
  });

  const payload = { nodes: drawn.map(info), groups: groups.map((g) => g.members) };
  const s = data.summary;
  const counted = s.nodes.total - s.nodes.build;
  const svgId = `graph-${index}`;
  const head = `<h3>${esc(a.label)}: ${esc(data.target)} ${esc(data.precision.toUpperCase())} ${badge('modelled', s.basis)}</h3>
<p class="kpis"><span><b>${s.nodes.onTarget}</b> of ${counted} nodes on the DLA (${pct(s.nodes.onTarget, counted)})</span><span><b>${pct(s.flops.onTarget, s.flops.total)}</b> of ${formatFlops(s.flops.total)} on the DLA</span><span><b>${s.regions}</b> DLA regions</span><span><b>${s.crossings}</b> crossings, ${formatBytes(s.crossingBytes.int8)} per inference at INT8</span></p>
<p class="basis">${esc(s.basis)}. ${groups.length} boxes for ${drawn.length} nodes (linear chains on one engine collapsed)${folded > 0 ? `; ${folded} nodes folded or removed at build time are not drawn` : ''}.${hasEdges ? '' : ' This analysis file has no edges (written before analyze recorded node inputs): boxes are drawn without connections; run analyze --json again.'}</p>`;
  const legend = `<div class="legend"><span class="sw dla"></span>runs on the DLA (halo: its region, one loadable)<span class="sw gpu"></span>falls back to the GPU<span class="sw xline"></span>crossing: size at INT8 · I/O format</div>`;
  const svg = `<div class="graph-wrap"><div class="zoom-bar" data-for="${svgId}"><button data-zoom="in" title="zoom in">+</button><button data-zoom="out" title="zoom out">−</button><button data-zoom="fit" title="fit the whole graph">fit</button><span class="hint">drag to pan · wheel to zoom · click a box</span></div>
<svg id="${svgId}" class="graph pan-zoom" data-details="details-${index}" data-width="${r1(layout.width)}" data-height="${r1(layout.height)}" viewBox="0 0 ${r1(layout.width)} ${r1(layout.height)}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="placement graph"><g class="viewport">${halos.join('')}${paths.join('')}${boxes.join('')}${tags.join('')}</g></svg>
<aside id="details-${index}" class="details" aria-live="polite"><p class="muted">Click a box to see each node's verdict: the rule, the reason with its numbers, and the fix.</p></aside></div>${jsonBlock(`${svgId}-data`, payload)}`;
  return head + legend + svg + tablesOf(data);
}

function tablesOf(d: AnalysisFile): string {
  const parts: string[] = [];
  if (d.regions.length > 0) {
    parts.push(
      `<details><summary>${d.regions.length} DLA regions</summary>${table(
        ['region', 'nodes', 'FLOPs', 'first node', 'last node'],
        d.regions.map((r) => [esc(r.id), String(r.nodes.length), esc(formatFlops(r.flops)), esc(r.nodes[0] ?? ''), esc(r.nodes[r.nodes.length - 1] ?? '')]),
        [1, 2],
      )}</details>`,
    );
  }
  if (d.crossings.length > 0) {
    parts.push(
      `<details><summary>${d.crossings.length} tensors crossing between engines</summary>${table(
        ['tensor', 'from → to', 'shape', 'INT8', 'FP16', 'I/O format'],
        d.crossings.map((x) => [
          `<code>${esc(x.tensor)}</code>`,
          esc(`${x.from} → ${x.to}`),
          esc(x.shape === undefined ? '?' : `[${x.shape.map((v) => (v === null ? '?' : String(v))).join(', ')}]`),
          esc(formatBytes(x.bytes.int8)),
          esc(formatBytes(x.bytes.fp16)),
          x.format === undefined ? '–' : `<code>${esc(x.format)}</code>`,
        ]),
        [3, 4],
      )}</details>`,
    );
  }
  const byRule = new Map<string, AnalysisNode[]>();
  for (const n of d.nodes) if (!n.ok && n.rule !== undefined) byRule.set(n.rule, [...(byRule.get(n.rule) ?? []), n]);
  if (byRule.size > 0) {
    parts.push(
      `<details open><summary>fallbacks by rule (${d.summary.nodes.fallback} nodes)</summary>${table(
        ['rule', 'nodes', 'example', 'reason', 'fix'],
        [...byRule]
          .sort((x, y) => y[1].length - x[1].length)
          .map(([rule, list]) => [`<code>${esc(rule)}</code>`, String(list.length), `<code>${esc(list[0]!.name)}</code>`, esc(list[0]!.reason ?? ''), esc(list.find((n) => n.fix)?.fix?.text ?? '–')]),
        [1],
      )}</details>`,
    );
  }
  if (d.summary.warnings.length > 0) parts.push(`<details><summary>${d.summary.warnings.length} warnings</summary><ul>${d.summary.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></details>`);
  return parts.join('');
}
