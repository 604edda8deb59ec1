import { basename } from 'node:path';
import { benchModes, benchSection } from './bench-section.js';
import { costSection, importSection, searchSection } from './target-section.js';
import { coverageSection } from './coverage-section.js';
import { exportSection } from './export-section.js';
import { badge, esc, formatBytes, formatFlops, missing, pct, section } from './html.js';
import { int8Section } from './int8-section.js';
import type { ReportInputs } from './load-inputs.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets.js';
import { picturesSection } from './pictures-section.js';
import { placementGraph } from './placement-section.js';
import { planDiagram } from './plan-section.js';
import { timelineSection } from './timeline-section.js';

/** Options of `buildReport` and `writeReport`. */
export interface ReportOptions {
  /** Page title. @default 'tandem report — <model>' */
  title?: string;
  /** When the report was made, shown in the header. @default now */
  date?: Date;
}

/** The sections of the page, in order: anchor id and title. */
export const REPORT_SECTIONS = [
  ['summary', 'Summary'],
  ['placement', 'Placement'],
  ['coverage', 'Coverage'],
  ['plan', 'Plan'],
  ['bench', 'Bench'],
  ['timeline', 'Timeline'],
  ['int8', 'INT8'],
  ['pictures', 'Pictures'],
  ['export', 'Export'],
] as const;

function modelName(i: ReportInputs): string {
  const source = i.stages.find((s) => s.data.source !== undefined)?.data.source ?? i.prepares[0]?.data.input;
  return source === undefined ? 'model' : basename(source);
}

function summarySection(i: ReportInputs): string {
  const measured: string[] = [];
  for (const b of i.benches) for (const m of benchModes(b.data)) measured.push(`${esc(m.mode)}: <b>${m.throughputFps.toFixed(1)} fps</b>, median ${m.latencyMs.median.toFixed(2)} ms, p99 ${m.latencyMs.p99.toFixed(2)} ms over ${m.frames} frames`);
  for (const b of i.benches) if (b.data.efficiency !== undefined) measured.push(`pipeline efficiency <b>${b.data.efficiency.toFixed(3)}</b>`);
  for (const m of i.imports) measured.push(`on the target (trtexec, TensorRT ${esc(m.data.trt)}): ${m.data.pipeline.measuredFps === undefined ? 'each engine alone' : `pipeline <b>${m.data.pipeline.measuredFps.toFixed(1)} fps</b>`} vs ${m.data.pipeline.predictedFps.toFixed(1)} fps predicted`);
  for (const t of i.traces) measured.push(`a timeline trace (${esc(t.label)})`);
  for (const p of i.prepares) if (p.data.verification) measured.push(`prepare verified on ${esc(p.data.verification.engine)}: outputs unchanged within ${p.data.verification.tolerance.toExponential(0)}`);
  for (const q of i.quantizes) if (q.data.calibration.wallMs !== undefined) measured.push(`calibration of ${q.data.calibration.samples} samples in ${(q.data.calibration.wallMs / 1000).toFixed(1)} s wall (onnxruntime cpu)`);
  const emulated: string[] = [];
  for (const q of i.quantizes) {
    const rows = q.data.fidelity?.rows ?? [];
    const best = new Map<string, (typeof rows)[number]>();
    for (const r of rows) {
      const k = `${r.stage} · ${r.output}`;
      if ((best.get(k)?.relL2 ?? Infinity) > r.relL2) best.set(k, r);
    }
    for (const [k, r] of best) emulated.push(`${esc(k)}: best INT8 calibrator <b>${esc(r.label)}</b>, rel L2 ${r.relL2.toFixed(4)}${r.argmaxAgreement === undefined ? '' : `, argmax agreement ${(r.argmaxAgreement * 100).toFixed(2)}%`}`);
  }
  for (const e of i.evals) {
    const m = e.data.metrics as { segmentation?: { mIoU?: number }; depth?: { absRel?: number } };
    const parts = [m.segmentation?.mIoU === undefined ? '' : `mIoU <b>${m.segmentation.mIoU.toFixed(2)}</b>`, m.depth?.absRel === undefined ? '' : `AbsRel <b>${m.depth.absRel.toFixed(4)}</b>`].filter((x) => x !== '');
    emulated.push(`eval on ${esc(typeof e.data.dataset === 'string' ? e.data.dataset : (e.data.dataset.name ?? 'a dataset'))}: ${parts.length > 0 ? parts.join(', ') : 'task metrics'} (${esc(e.label)})`);
  }
  for (const q of i.quantizes) for (const h of q.data.keepFp16 ?? []) emulated.push(`${esc(h.stage)}: ${h.keep.length} tensor${h.keep.length === 1 ? '' : 's'} kept in FP16 bring ${esc(h.metric)} loss ${h.int8Loss.toPrecision(3)} → ${h.mixedLoss.toPrecision(3)}`);
  const modelled: string[] = [];
  for (const a of i.analyses) {
    const s = a.data.summary;
    const n = s.nodes.total - s.nodes.build;
    modelled.push(`${esc(a.data.target)} ${esc(a.data.precision.toUpperCase())}: <b>${pct(s.nodes.onTarget, n)}</b> of nodes and <b>${pct(s.flops.onTarget, s.flops.total)}</b> of ${formatFlops(s.flops.total)} on the DLA, ${s.regions} regions, ${s.crossings} crossings (${formatBytes(s.crossingBytes.int8)} at INT8)`);
  }
  for (const p of i.prepares) modelled.push(`prepare: DLA nodes ${p.data.before.nodes.onTarget} → ${p.data.after.nodes.onTarget}, regions ${p.data.before.regions} → ${p.data.after.regions}`);
  for (const s of i.searches) modelled.push(`placement search: chosen <b>${s.data.chosen.fps.toFixed(1)} fps</b> vs GPU only ${s.data.gpuOnly.fps.toFixed(1)} fps${s.data.handPlacement ? `, hand placement ${s.data.handPlacement.fps.toFixed(1)} fps` : ''}`);
  for (const c of i.costs) modelled.push(`${esc(c.data.target ?? 'target')} pipeline: <b>${c.data.pipeline.fps.toFixed(1)} fps</b>, ${c.data.pipeline.latencyMs.toFixed(1)} ms latency`);
  const card = (basis: 'measured' | 'emulated' | 'modelled', what: string, lines: string[]): string =>
    `<div class="card ${basis}"><h3>${badge(basis)} ${esc(what)}</h3>${lines.length > 0 ? `<ul>${lines.map((l) => `<li>${l}</li>`).join('')}</ul>` : '<p class="muted">nothing of this kind in the files given</p>'}</div>`;
  const targets = [...new Set([...i.analyses.map((a) => `${a.data.target} (${a.data.precision.toUpperCase()})`), ...i.stages.flatMap((s) => (s.data.kind === 'plan' ? [`plan for ${s.data.target}`] : []))])];
  const files = [
    ...i.analyses.map((f) => ['analyze', f.label]),
    ...i.prepares.map((f) => ['prepare', f.label]),
    ...i.stages.map((f) => [f.data.kind, f.label]),
    ...i.quantizes.map((f) => ['quantize', f.label]),
    ...i.scales.map((f) => ['scales', f.label]),
    ...i.benches.map((f) => ['bench', f.label]),
    ...i.traces.map((f) => ['trace', f.label]),
    ...i.costs.map((f) => ['cost', f.label]),
    ...i.searches.map((f) => ['cost --search', f.label]),
    ...i.evals.map((f) => ['eval', f.label]),
    ...i.imports.map((f) => ['import', f.label]),
    ...i.manifests.map((f) => ['export manifest', f.label]),
    ...i.scripts.map((f) => ['export script', f.label]),
  ];
  return `<p class="lead">Model <b>${esc(modelName(i))}</b>${targets.length > 0 ? ` · target ${esc(targets.join(', '))}` : ''}. Every figure says how it was obtained: <b>measured</b> on an engine of the machine named, <b>emulated</b> (DLA numerics via Q/DQ on the CPU, not DLA speed) or <b>modelled</b> (from the DLA rules or a latency model; no DLA ran).</p>
<div class="cards">${card('measured', 'measured (each item names where)', measured)}${card('emulated', 'emulated DLA numerics', emulated)}${card('modelled', 'modelled for the target', modelled)}</div>
<details><summary>${files.length} result files read${i.ignored.length > 0 ? `, ${i.ignored.length} other files ignored` : ''}</summary><ul class="files">${files.map(([k, f]) => `<li><span class="kind">${esc(k!)}</span> <code>${esc(f!)}</code></li>`).join('')}${i.ignored.map((x) => `<li class="muted"><span class="kind">ignored</span> <code>${esc(x.label)}</code>: ${esc(x.why)}</li>`).join('')}</ul></details>`;
}

/** Builds the self-contained HTML page (inline CSS, script and SVG; no external asset, no network) from loaded results. */
export function buildReport(inputs: ReportInputs, options: ReportOptions = {}): string {
  const i = inputs;
  const body: Record<(typeof REPORT_SECTIONS)[number][0], string> = {
    summary: summarySection(i),
    placement: i.analyses.length === 0 ? missing('analysis', ['analysis']) : i.analyses.map((a, k) => placementGraph(a, k)).join(''),
    coverage: i.prepares.length === 0 ? missing('prepare report', ['prepare']) : i.prepares.map(coverageSection).join(''),
    plan: i.stages.length === 0 ? missing('split or plan', ['stages']) : [...i.stages].sort((a, b) => (a.data.kind === b.data.kind ? 0 : a.data.kind === 'plan' ? -1 : 1)).map((s, k) => planDiagram(s, k)).join(''),
    bench:
      (i.benches.length === 0 ? missing('bench results', ['bench']) : i.benches.map(benchSection).join('')) +
      (i.costs.length === 0 ? missing('predicted target numbers', ['cost']) : i.costs.map((c) => costSection(c, i.benches)).join('')) +
      i.searches.map(searchSection).join('') +
      i.imports.map(importSection).join(''),
    timeline: i.traces.length === 0 ? missing('trace', ['trace']) : i.traces.map((t, k) => timelineSection(t, k)).join(''),
    int8: int8Section(i.quantizes, i.scales, i.evals),
    pictures: '',
    export: i.scripts.length === 0 && i.manifests.length === 0 ? `<div class="missing"><strong>No export bundle given.</strong> Produce it with <code>tandem export plan.json --trt 8.6 -o bundle/</code> and pass the bundle folder to <code>tandem report</code>.</div>` : exportSection(i.scripts, i.manifests),
  };
  const pictures = picturesSection(i.evals, i.pictures);
  body.pictures = pictures.count > 0 ? pictures.html : `${missing('pictures', ['eval'])}${pictures.html}`;
  const title = options.title ?? `tandem report — ${modelName(i)}`;
  const date = (options.date ?? new Date()).toISOString().replace('T', ' ').slice(0, 16);
  const nav = REPORT_SECTIONS.map(([id, t]) => `<a href="#${id}">${esc(t)}</a>`).join('');
  const sections = REPORT_SECTIONS.map(([id, t]) => section(id, t, body[id])).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${esc(title)}</title><style>${PAGE_STYLE}</style></head>
<body><header><div class="brand">tandem</div><h1>${esc(title)}</h1><div class="date">${esc(date)} UTC</div><nav>${nav}</nav></header>
<main>
${sections}
</main>
<footer>Made by <code>tandem report</code> from result files; it reads no engine and contacts no network.</footer>
<script>${PAGE_SCRIPT}</script></body></html>
`;
}
