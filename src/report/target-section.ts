/** The target's numbers: predicted by tandem cost (modelled), the placement search, and the measurements tandem import brings back. */
import { benchModes } from './bench-section.js';
import { badge, esc, formatMs, r1, table } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { BenchFile, CostFile, ImportFile, ScoredPlacement, SearchFile } from './schemas.js';

function ms(v: number | { median: number } | undefined): string {
  if (v === undefined) return '–';
  return formatMs(typeof v === 'number' ? v : v.median);
}

/** Predicted target numbers (cost --json, modelled) beside the measured per-stage times where a bench names the same stages. */
export function costSection(c: Loaded<CostFile>, benches: readonly Loaded<BenchFile>[]): string {
  const measured = new Map<string, { engine: string; ms: string }>();
  for (const b of benches) for (const m of benchModes(b.data)) for (const s of m.stages ?? []) if (!measured.has(s.name) && s.computeMs !== undefined) measured.set(s.name, { engine: s.engine ?? m.mode, ms: ms(s.computeMs) });
  const rows = c.data.stages.map((s) => {
    const got = measured.get(s.name);
    const b = s.breakdown;
    return [
      esc(s.name),
      esc(s.engine),
      esc(s.precision.toUpperCase()),
      `<b>${esc(formatMs(s.latencyMs))}</b>`,
      s.fps === undefined ? '–' : s.fps.toFixed(1),
      b === undefined ? '–' : esc([b.computeMs, b.memoryMs, b.overheadMs, b.submissionMs, b.fallbackMs, b.crossingMs].map((v) => v.toFixed(2)).join(' / ')),
      got === undefined ? '–' : esc(`${got.ms} on ${got.engine}`),
    ];
  });
  const p = c.data.pipeline;
  const d = c.data;
  const where = [d.target, d.platform, d.power, d.batch === undefined ? undefined : `batch ${d.batch}`].filter((x) => x !== undefined).join(', ') || 'the target';
  const basis = d.basis ?? 'tandem cost: latency model fitted on published Orin measurements; no Orin ran';
  return `<h3>${esc(c.label)}: predicted for ${esc(where)} ${badge('modelled', basis)}</h3><p class="basis">${esc(basis)}</p><p class="kpis"><span>pipeline <b>${p.fps.toFixed(1)} fps</b> (modelled)</span><span>latency <b>${esc(formatMs(p.latencyMs))}</b> (modelled)</span>${p.bottleneck ? `<span>bottleneck <b>${esc(p.bottleneck)}</b>${p.contentionMs ? `, DRAM contention ${esc(formatMs(p.contentionMs))}` : ''}</span>` : ''}</p>${table(['stage', 'engine', 'precision', 'latency (modelled)', 'fps (modelled)', 'compute / memory / overhead / DLA submit / GPU fallback / crossings, ms (modelled)', 'measured here (host engine)'], rows, [3, 4])}`;
}

/** The placement search: GPU-only, the hand placement and the choice side by side, and the Pareto set as a scatter (modelled). */
export function searchSection(l: Loaded<SearchFile>): string {
  const d = l.data;
  const rows: [string, ScoredPlacement][] = [['GPU only', d.gpuOnly], ...(d.handPlacement ? [['hand placement (the webinar\'s)', d.handPlacement] as [string, ScoredPlacement]] : []), ['chosen by the search', d.chosen]];
  const seg = (p: ScoredPlacement): string => p.segments.map((s) => `${s.name}: ${s.engine} ${s.precision.toUpperCase()}`).join(' → ');
  const tbl = table(
    ['placement', 'fps (modelled)', 'latency (modelled)', 'bottleneck', 'segments'],
    rows.map(([what, p]) => [esc(what), `<b>${p.fps.toFixed(1)}</b>`, esc(formatMs(p.latencyMs)), esc(p.bottleneck ?? '–'), esc(seg(p))]),
    [1, 2],
  );
  const all = [...d.pareto, ...rows.map(([, p]) => p)];
  const maxFps = Math.max(...all.map((p) => p.fps)) * 1.1;
  const maxLat = Math.max(...all.map((p) => p.latencyMs)) * 1.1;
  const W = 460;
  const H = 220;
  const x = (lat: number): number => 50 + (W * lat) / maxLat;
  const y = (fps: number): number => 10 + H - (H * fps) / maxFps;
  const dots = d.pareto.map((p) => `<circle cx="${r1(x(p.latencyMs))}" cy="${r1(y(p.fps))}" r="4" class="pareto"><title>${esc(`${seg(p)}: ${p.fps.toFixed(1)} fps, ${formatMs(p.latencyMs)} (modelled)`)}</title></circle>`).join('');
  const named = rows.map(([what, p]) => `<circle cx="${r1(x(p.latencyMs))}" cy="${r1(y(p.fps))}" r="6" class="named"/><text x="${r1(x(p.latencyMs) + 9)}" y="${r1(y(p.fps) + 4)}">${esc(what)}</text>`).join('');
  const plot = `<figure class="chart"><svg width="${W + 260}" height="${H + 46}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Pareto set"><line x1="50" y1="${H + 10}" x2="${W + 50}" y2="${H + 10}" class="axis"/><line x1="50" y1="10" x2="50" y2="${H + 10}" class="axis"/>${dots}${named}<text x="50" y="${H + 26}">0</text><text x="${W + 50}" y="${H + 26}" text-anchor="end">${esc(formatMs(maxLat))} latency</text><text x="4" y="18">${maxFps.toFixed(0)} fps</text></svg><figcaption>the Pareto set of ${d.pareto.length} placements (throughput vs latency, modelled)${d.scored === undefined ? '' : ` out of ${d.scored} scored`}${d.elapsedMs === undefined ? '' : ` in ${(d.elapsedMs / 1000).toFixed(1)} s`}</figcaption></figure>`;
  const why = (d.why ?? []).length > 0 ? `<ul>${d.why!.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  return `<h3>${esc(l.label)}: placement search ${badge('modelled', d.basis ?? 'latency model; no Orin ran')}</h3>${tbl}${why}${plot}`;
}

/** Target numbers brought back by tandem import: measured by trtexec on the Orin, beside the predicted (modelled) ones. */
export function importSection(l: Loaded<ImportFile>): string {
  const d = l.data;
  const pctText = (v: number | undefined): string => (v === undefined ? '–' : `${v > 0 ? '+' : ''}${v.toFixed(1)}%`);
  const rows = d.stages.map((s) => [
    esc(s.name),
    esc(s.engine),
    esc(s.precision.toUpperCase()),
    `<b>${esc(formatMs(s.alone.compute.medianMs))}</b> (${s.alone.qps.toFixed(1)} qps)`,
    esc(formatMs(s.predicted.aloneMs)),
    esc(pctText(s.errorPct.alone)),
    s.concurrent === undefined ? '–' : `<b>${esc(formatMs(s.concurrent.compute.medianMs))}</b> (${s.concurrent.qps.toFixed(1)} qps)`,
    esc(formatMs(s.predicted.concurrentMs)),
    esc(pctText(s.errorPct.concurrent)),
  ]);
  const p = d.pipeline;
  return `<h3>${esc(l.label)}: measured on the target, TensorRT ${esc(d.trt)} ${badge('measured', d.basis)} beside ${badge('modelled')}</h3><p class="basis">${esc(d.basis)}${d.environment ? ` · ${esc(d.environment.split('\n')[0] ?? '')}` : ''}</p><p class="kpis"><span>pipeline measured <b>${p.measuredFps === undefined ? '–' : `${p.measuredFps.toFixed(1)} fps`}</b>${d.windowMs === undefined ? '' : ` (window with every engine busy: ${esc(formatMs(d.windowMs))})`}</span><span>predicted ${p.predictedFps.toFixed(1)} fps (modelled)</span></p>${table(
    ['stage', 'engine', 'precision', 'alone: measured median', 'alone: predicted', 'error', 'all at once: measured median', 'all at once: predicted', 'error'],
    rows,
    [3, 4, 5, 6, 7, 8],
  )}`;
}
