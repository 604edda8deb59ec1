import { basename } from 'node:path';
import { badge, esc, formatBytes, formatFlops, pct, table } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { PrepareFile } from './schemas.js';

type Summary = PrepareFile['before'];

/** A before → after bar pair (share of a whole), as inline SVG. */
function bars(label: string, before: number, after: number, whole: number, beforeText: string, afterText: string): string {
  const w = 360;
  const b = whole > 0 ? (w * before) / whole : 0;
  const a = whole > 0 ? (w * after) / whole : 0;
  return `<div class="barpair"><div class="bl">${esc(label)}</div><svg width="${w + 260}" height="44" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}">
<rect x="0" y="2" width="${w}" height="16" class="track"/><rect x="0" y="2" width="${b.toFixed(1)}" height="16" class="before"/><text x="${w + 8}" y="15">before ${esc(beforeText)}</text>
<rect x="0" y="24" width="${w}" height="16" class="track"/><rect x="0" y="24" width="${a.toFixed(1)}" height="16" class="after"/><text x="${w + 8}" y="37">after ${esc(afterText)}</text></svg></div>`;
}

/** Coverage before and after prepare, and each pass's rewrites: those applied and those rejected with their numbers. */
export function coverageSection(p: Loaded<PrepareFile>): string {
  const d = p.data;
  const counted = (s: Summary): number => s.nodes.total - s.nodes.build;
  const b = d.before;
  const a = d.after;
  const head = `<h3>${esc(p.label)}: ${esc(d.input === undefined ? 'model' : basename(d.input))} → ${esc(d.output === undefined ? 'prepared model' : basename(d.output))} for ${esc(d.target)} ${esc(d.precision.toUpperCase())} ${badge('modelled', d.basis ?? a.basis)}</h3>`;
  const charts =
    bars('nodes on the DLA', b.nodes.onTarget, a.nodes.onTarget, Math.max(counted(b), counted(a)), `${b.nodes.onTarget} (${pct(b.nodes.onTarget, counted(b))})`, `${a.nodes.onTarget} (${pct(a.nodes.onTarget, counted(a))})`) +
    bars('FLOPs on the DLA', b.flops.onTarget, a.flops.onTarget, Math.max(b.flops.total, a.flops.total), `${formatFlops(b.flops.onTarget)} (${pct(b.flops.onTarget, b.flops.total)})`, `${formatFlops(a.flops.onTarget)} (${pct(a.flops.onTarget, a.flops.total)})`);
  const kpi = table(
    ['', 'before', 'after'],
    [
      ['nodes on DLA', `${b.nodes.onTarget}/${counted(b)} (${pct(b.nodes.onTarget, counted(b))})`, `${a.nodes.onTarget}/${counted(a)} (${pct(a.nodes.onTarget, counted(a))})`],
      ['nodes falling back', String(b.nodes.fallback), String(a.nodes.fallback)],
      ['FLOPs on DLA', `${formatFlops(b.flops.onTarget)} (${pct(b.flops.onTarget, b.flops.total)})`, `${formatFlops(a.flops.onTarget)} (${pct(a.flops.onTarget, a.flops.total)})`],
      ['DLA regions', String(b.regions), String(a.regions)],
      ['crossings', `${b.crossings} (${formatBytes(b.crossingBytes.int8)} INT8)`, `${a.crossings} (${formatBytes(a.crossingBytes.int8)} INT8)`],
    ].map((r) => r.map((c) => esc(c))),
    [1, 2],
  );
  const rows: string[][] = [];
  for (const pass of d.passes) {
    if (pass.applied.length === 0 && pass.rejected.length === 0) continue;
    const applied = pass.applied.slice(0, 8).map((r) => `<li>${esc(r.summary)}</li>`).join('') + (pass.applied.length > 8 ? `<li class="muted">… and ${pass.applied.length - 8} more</li>` : '');
    const rejected = pass.rejected.slice(0, 8).map((r) => `<li>${esc(r.rewrite.summary)} — <em>${esc(r.reason)}</em></li>`).join('') + (pass.rejected.length > 8 ? `<li class="muted">… and ${pass.rejected.length - 8} more</li>` : '');
    rows.push([`<code>${esc(pass.pass)}</code><br><span class="muted">${esc(pass.kind)}</span>`, String(pass.applied.length), applied === '' ? '–' : `<ul>${applied}</ul>`, String(pass.rejected.length), rejected === '' ? '–' : `<ul>${rejected}</ul>`]);
  }
  const passes = rows.length === 0 ? `<p>No pass found anything to rewrite (${d.passes.length} passes ran).</p>` : table(['pass', 'applied', 'rewrites applied', 'rejected', 'rewrites rejected, with why'], rows, [1, 3]);
  const v = d.verification;
  const verified =
    v === null || v === undefined
      ? '<p class="muted">Not verified (--no-verify).</p>'
      : `<p>Verified ${badge('measured', v.what)}: ${esc(v.what)}, ${v.trials} trials, tolerance ${v.tolerance.toExponential(0)}: ${v.outputs.map((o) => esc(`${o.name} ${o.exact ? 'exact' : `rel L2 ${(o.relL2 ?? NaN).toExponential(1)}`}`)).join(', ')}.</p>`;
  return `${head}<div class="cols"><div>${charts}</div><div>${kpi}</div></div>${verified}<h4>Rewrites (${d.rounds} round${d.rounds === 1 ? '' : 's'})</h4>${passes}`;
}
