import { badge, esc, formatMs, r1, table } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { BenchFile, BenchMode, StageProfileFile } from './schemas.js';

/** The modes of a bench file, whichever of its two forms it has. */
export function benchModes(b: BenchFile): readonly BenchMode[] {
  return b.modes;
}

function ms(v: number | { median: number } | undefined): string {
  if (v === undefined) return '–';
  return formatMs(typeof v === 'number' ? v : v.median);
}

/** Histogram of per-frame latencies, inline SVG. */
export function histogram(samples: readonly number[], label: string): string {
  const finite = samples.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of finite) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const bins = Math.min(40, Math.max(5, Math.ceil(Math.sqrt(finite.length))));
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of finite) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  const top = Math.max(...counts);
  const W = 520;
  const H = 150;
  const bw = W / bins;
  const bars = counts.map((c, i) => `<rect x="${r1(40 + i * bw)}" y="${r1(10 + H - (H * c) / top)}" width="${r1(Math.max(1, bw - 1))}" height="${r1((H * c) / top)}"><title>${esc(`${formatMs(lo + i * width)} – ${formatMs(lo + (i + 1) * width)}: ${c} frames`)}</title></rect>`).join('');
  return `<figure class="chart"><svg width="${W + 60}" height="${H + 44}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}"><g class="hist">${bars}</g><line x1="40" y1="${H + 10}" x2="${W + 40}" y2="${H + 10}" class="axis"/><text x="40" y="${H + 26}">${esc(formatMs(lo))}</text><text x="${W + 40}" y="${H + 26}" text-anchor="end">${esc(formatMs(hi))}</text><text x="4" y="18">${top}</text><text x="4" y="${H + 10}">0</text></svg><figcaption>${esc(label)}</figcaption></figure>`;
}

/** Percentiles of each mode on one axis: min–max line, p50/p90/p99 marks. */
function percentileStrip(modes: readonly BenchMode[]): string {
  const hi = Math.max(...modes.map((m) => m.latencyMs.max));
  if (!(hi > 0)) return '';
  const W = 520;
  const x = (v: number): number => 110 + (W * v) / hi;
  const rows = modes
    .map((m, i) => {
      const y = 24 + i * 34;
      const l = m.latencyMs;
      const marks = (['median', 'p90', 'p99'] as const).map((k) => `<line x1="${r1(x(l[k]))}" x2="${r1(x(l[k]))}" y1="${y - 9}" y2="${y + 9}" class="mark ${k}"><title>${k} ${esc(formatMs(l[k]))}</title></line>`).join('');
      return `<text x="4" y="${y + 4}">${esc(m.mode)}</text><line x1="${r1(x(l.min))}" x2="${r1(x(l.max))}" y1="${y}" y2="${y}" class="range"/><rect x="${r1(x(l.median))}" y="${y - 6}" width="${r1(Math.max(1, x(l.p90) - x(l.median)))}" height="12" class="iqr"/>${marks}<text x="${r1(x(l.max) + 6)}" y="${y + 4}" class="small">max ${esc(formatMs(l.max))}</text>`;
    })
    .join('');
  const h = 24 + modes.length * 34;
  return `<figure class="chart"><svg width="${W + 200}" height="${h + 20}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="latency percentiles">${rows}<line x1="110" x2="${110 + W}" y1="${h}" y2="${h}" class="axis"/><text x="110" y="${h + 14}">0</text><text x="${110 + W}" y="${h + 14}" text-anchor="end">${esc(formatMs(hi))}</text></svg><figcaption>latency per frame: min–max line, box median–p90, marks at median, p90, p99</figcaption></figure>`;
}

/** Bench results: percentiles per mode, histogram, throughput, speed-up and efficiency; per-stage times. */
export function benchSection(l: Loaded<BenchFile>): string {
  const modes = benchModes(l.data);
  const top = l.data;
  const measured = top.measured !== undefined ? top.measured : `measured by tandem bench on this machine's engines (${[...new Set(modes.flatMap((m) => (m.stages ?? []).map((s) => s.engine).filter((e): e is string => e !== undefined)))].join(', ') || 'engines per plan'})`;
  const rows = modes.map((m) => [
    esc(m.mode),
    String(m.frames),
    `<b>${m.throughputFps.toFixed(2)}</b>`,
    ...(['min', 'mean', 'median', 'p90', 'p95', 'p99', 'max'] as const).map((k) => esc(formatMs(m.latencyMs[k]))),
    (m.latencyCv ?? m.cv) === undefined ? '–' : `${((m.latencyCv ?? m.cv)! * 100).toFixed(1)}%`,
    m.hostOverheadMs === undefined ? '–' : esc(formatMs(m.hostOverheadMs)),
  ]);
  const seq = modes.find((m) => m.mode === 'sequential');
  const pipe = modes.find((m) => m.mode === 'pipelined');
  const speedup = top.speedup ?? (seq && pipe ? pipe.throughputFps / seq.throughputFps : undefined);
  const kpis: string[] = [];
  if (speedup !== undefined) kpis.push(`<span>speed-up <b>${speedup.toFixed(2)}×</b> (pipelined fps ÷ sequential fps)</span>`);
  if (top.efficiency !== undefined) kpis.push(`<span>pipeline efficiency <b>${top.efficiency.toFixed(3)}</b> (pipelined fps ÷ the slowest stream's rate alone${top.slowestStream ? `: ${esc(top.slowestStream.name)}, ${top.slowestStream.fps.toFixed(1)} fps` : ''})</span>`);
  const charts = [percentileStrip(modes), ...modes.filter((m) => m.samplesMs !== undefined).map((m) => histogram(m.samplesMs!, `${m.mode}: latency histogram over ${m.samplesMs!.length} frames`))].join('');
  const stageTables = modes
    .filter((m) => (m.stages ?? []).length > 0)
    .map((m) => `<h4>${esc(m.mode)}: per stage (median compute, mean queue wait)</h4>${table(['stage', 'engine', 'stream', 'compute', 'queue wait'], (m.stages ?? []).map((s) => [esc(s.name), esc(s.engine ?? '–'), esc(s.stream ?? '–'), ms(s.computeMs), ms(s.queueWaitMs)]), [3, 4])}`)
    .join('');
  const profiles = (top.profile ?? []).map(profileTable).join('');
  return `<h3>${esc(l.label)} ${badge('measured', measured)}</h3><p class="basis">${esc(measured)}</p>${kpis.length > 0 ? `<p class="kpis">${kpis.join('')}</p>` : ''}${table(['mode', 'frames', 'fps', 'min', 'mean', 'median', 'p90', 'p95', 'p99', 'max', 'CV', 'host/frame'], rows, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])}<div class="charts">${charts}</div>${stageTables}${profiles}`;
}

/** Where one stage's frame goes per op type (`bench --profile`): GPU time where the engine has timestamps, else CPU kernel time, as a table with a bar per op. */
function profileTable(s: StageProfileFile): string {
  const p = s.profile;
  const gpu = p.gpu;
  const total = gpu ? gpu.busyMs : p.kernelCpuMs;
  const bar = (v: number): string => `<svg class="profile-bar" width="120" height="10" aria-hidden="true"><rect width="${r1(total > 0 ? (120 * v) / total : 0)}" height="10"/></svg>`;
  const top = p.ops.slice(0, 12);
  const rows = top.map((o) => {
    const v = gpu ? (o.gpuMs ?? 0) : o.cpuMs;
    return [esc(o.op), esc(formatMs(v)), `${total > 0 ? ((100 * v) / total).toFixed(1) : '0.0'}%`, bar(v), ...(gpu ? [String(Math.round(o.dispatches ?? 0)), esc(formatMs(o.cpuMs))] : []), String(Math.round(o.nodes))];
  });
  const what = gpu
    ? `GPU busy ${formatMs(gpu.busyMs)} per frame in ${Math.round(gpu.dispatches)} dispatches (GPU timestamps); CPU inside the kernels ${formatMs(p.kernelCpuMs)}`
    : `CPU inside the kernels ${formatMs(p.kernelCpuMs)} per frame`;
  const more = p.ops.length > top.length ? `<p class="small">${p.ops.length - top.length} more op types in the bench JSON</p>` : '';
  return `<h4>where the frame goes: ${esc(s.stage)} alone on ${esc(s.engine)}${s.engine === 'dla-emulated' ? ' (INT8 numerics on the CPU, not DLA speed)' : ''} (onnxruntime's profiler, ${p.frames} frames; ${esc(formatMs(s.medianMs))} per frame profiled)</h4><p class="basis">${esc(what)}</p>${table(['op type', gpu ? 'GPU time' : 'CPU time', 'share', '', ...(gpu ? ['dispatches', 'CPU time'] : []), 'nodes'], rows, gpu ? [1, 2, 4, 5, 6] : [1, 2, 4])}${more}`;
}
