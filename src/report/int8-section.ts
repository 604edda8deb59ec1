import { badge, esc, formatMs, missing, table } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { EvalFile, QuantizeFile, ScalesFile } from './schemas.js';

/** Tensors listed per stage in the calibrator comparison. */
const TENSORS_SHOWN = 16;
/** Sensitivity rows listed. */
const SENSITIVITY_SHOWN = 20;

function bar(value: number, max: number, width = 90): string {
  const w = max > 0 ? Math.max(1, Math.min(width, (width * value) / max)) : 0;
  return `<svg width="${width}" height="10" class="inline-bar" aria-hidden="true"><rect width="${w.toFixed(1)}" height="10"/></svg>`;
}

/** quantize --json: calibration, artifacts, and the fidelity table per stage, output and calibrator. */
function quantizeBlock(q: Loaded<QuantizeFile>): string {
  const d = q.data;
  const cal = d.calibration;
  const parts = [
    `<h3>${esc(q.label)}</h3><p>Calibrated on ${cal.samples} samples (${esc(cal.source)})${cal.wallMs === undefined ? '' : ` in ${esc(formatMs(cal.wallMs))} wall ${badge('measured', cal.measured ?? 'wall time on this machine')}`}.</p>`,
    table(
      ['stage', 'method', 'algorithm', 'activation scales', 'weight tensors', 'Q/DQ pairs'],
      d.artifacts.map((a) => [esc(a.stage), esc(a.method), esc(a.algorithm), String(a.tensors), String(a.weights), a.qdqPairs === undefined ? '–' : String(a.qdqPairs)]),
      [3, 4, 5],
    ),
  ];
  const f = d.fidelity;
  if (f === undefined) {
    parts.push(`<p class="muted">No fidelity table in this file: run quantize with <code>--compare</code>.</p>`);
    return parts.join('');
  }
  const best = new Map<string, number>();
  for (const r of f.rows) best.set(`${r.stage}/${r.output}`, Math.min(best.get(`${r.stage}/${r.output}`) ?? Infinity, r.relL2));
  const maxRel = Math.max(...f.rows.map((r) => r.relL2));
  const rows = f.rows.map((r) => {
    const isBest = best.get(`${r.stage}/${r.output}`) === r.relL2;
    return [
      esc(r.stage),
      `<code>${esc(r.output)}</code>`,
      `${isBest ? '<b>' : ''}${esc(r.label)}${isBest ? ' ★</b>' : ''}`,
      `${r.relL2.toFixed(4)} ${bar(r.relL2, maxRel)}`,
      r.cosine.toFixed(5),
      r.argmaxAgreement === undefined ? '–' : `${(r.argmaxAgreement * 100).toFixed(2)}%`,
      r.maxAbs.toPrecision(3),
    ];
  });
  parts.push(`<h4>Accuracy per calibrator ${badge('emulated', f.what)}</h4><p class="basis">${esc(f.what)}; ${f.samples} held-out samples; ★ lowest relative L2 error per output.</p>`);
  parts.push(table(['stage', 'output', 'calibrator', 'rel L2 (lower is better)', 'cosine', 'argmax agree', 'max |diff|'], rows, [4, 5, 6]));
  return parts.join('');
}

/** scales.json files: amax per tensor for each calibrator side by side, and the clipping each one causes. */
function scalesBlock(scales: readonly Loaded<ScalesFile>[]): string {
  const byStage = new Map<string, Loaded<ScalesFile>[]>();
  for (const s of scales) byStage.set(s.data.stage, [...(byStage.get(s.data.stage) ?? []), s]);
  const parts: string[] = [];
  for (const [stage, list] of byStage) {
    const methods = list.map((s) => s.data.method);
    const first = list[0]!.data;
    // The tensors the calibrators disagree on most (max/min amax ratio) are where the choice matters.
    const names = Object.keys(first.activations);
    const spread = (n: string): number => {
      const v = list.map((s) => s.data.activations[n]?.amax ?? NaN).filter((x) => x > 0);
      return v.length > 1 ? Math.max(...v) / Math.min(...v) : 1;
    };
    const shown = [...names].sort((a, b) => spread(b) - spread(a)).slice(0, TENSORS_SHOWN);
    const rows = shown.map((n) => [
      `<code>${esc(n)}</code>`,
      ...list.map((s) => {
        const a = s.data.activations[n];
        if (a === undefined) return '–';
        const clip = a.histogram.clippedFraction;
        return `${a.amax.toPrecision(4)}${clip === undefined ? '' : ` <span class="muted">(${(clip * 100).toFixed(clip < 0.001 ? 3 : 2)}% clipped)</span>`}`;
      }),
      spread(n).toFixed(2),
    ]);
    parts.push(
      `<h4>Scales of ${esc(stage)}: ${names.length} activation tensors, ${Object.keys(first.weights).length} weights (per channel) — ${esc(first.scheme)}</h4><p class="basis">The ${shown.length} tensors where the calibrators disagree most (amax, and the share of calibration values above it that INT8 clips). Calibrated on ${first.samples} samples.</p>` +
        table(['tensor', ...methods.map((m) => `amax · ${m}`), 'max/min'], rows, [...methods.map((_, i) => i + 1), methods.length + 1]),
    );
  }
  return parts.join('');
}

function scalarRows(prefix: string, value: unknown, out: [string, string][], depth = 0): void {
  if (out.length > 200 || depth > 4) return;
  if (typeof value === 'number') out.push([prefix, Number.isInteger(value) ? String(value) : value.toPrecision(5)]);
  else if (typeof value === 'string' && value.length < 120) out.push([prefix, value]);
  else if (typeof value === 'object' && value !== null && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) scalarRows(prefix === '' ? k : `${prefix}.${k}`, v, out, depth + 1);
}

function stringsUnder(o: Record<string, unknown>, keys: readonly string[]): string[] {
  for (const k of keys) {
    const v = o[k];
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : typeof x === 'object' && x !== null && 'name' in x ? String((x as { name: unknown }).name) : JSON.stringify(x)));
  }
  return [];
}

/** eval --json: metrics per task (and deltas to the reference), the sensitivity ranking, layers kept in FP16. */
function evalBlock(e: Loaded<EvalFile>): string {
  const d = e.data as EvalFile & Record<string, unknown>;
  const metrics: [string, string][] = [];
  scalarRows('', d.metrics, metrics);
  const parts = [`<h3>${esc(e.label)}: eval on ${esc(typeof d.dataset === 'string' ? d.dataset : JSON.stringify(d.dataset))} ${badge('emulated', 'INT8 stages run as Q/DQ models on onnxruntime cpu (dla-emulated); FP32 measured on the engine named')}</h3>`];
  parts.push(table(['metric', 'value'], metrics.map(([k, v]) => [esc(k), esc(v)]), [1]));
  if (d.reference !== undefined) {
    const ref: [string, string][] = [];
    scalarRows('', d.reference, ref);
    if (ref.length > 0) parts.push(`<h4>Against the reference</h4>${table(['metric', 'value'], ref.map(([k, v]) => [esc(k), esc(v)]), [1])}`);
  }
  const sens = d.sensitivity ?? [];
  if (sens.length > 0) {
    const keys = [...new Set(sens.slice(0, SENSITIVITY_SHOWN).flatMap((r) => Object.keys(r).filter((k) => ['string', 'number'].includes(typeof (r as Record<string, unknown>)[k]))))];
    parts.push(
      `<h4>Sensitivity: error each quantized tensor contributes (ranked)</h4>${table(
        ['#', ...keys],
        sens.slice(0, SENSITIVITY_SHOWN).map((r, i) => [String(i + 1), ...keys.map((k) => {
          const v = (r as Record<string, unknown>)[k];
          return esc(typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v ?? '–'));
        })]),
      )}${sens.length > SENSITIVITY_SHOWN ? `<p class="muted">… and ${sens.length - SENSITIVITY_SHOWN} more tensors.</p>` : ''}`,
    );
  }
  const fp16 = stringsUnder(d, ['keepFp16', 'fp16Layers', 'keptFp16', 'layersFp16']);
  if (fp16.length > 0) parts.push(`<h4>Layers kept in FP16 (${fp16.length})</h4><ul class="cols3">${fp16.map((n) => `<li><code>${esc(n)}</code></li>`).join('')}</ul>`);
  return parts.join('');
}

/** The INT8 section: calibrator accuracy, scales compared, and eval's task metrics, sensitivity and FP16 layers. */
export function int8Section(quantizes: readonly Loaded<QuantizeFile>[], scales: readonly Loaded<ScalesFile>[], evals: readonly Loaded<EvalFile>[]): string {
  const parts: string[] = [];
  if (quantizes.length === 0 && scales.length === 0) parts.push(missing('quantize results', ['quantize', 'scales']));
  for (const q of quantizes) parts.push(quantizeBlock(q));
  if (scales.length > 0) parts.push(scalesBlock(scales));
  if (evals.length === 0) parts.push(missing('task metrics, sensitivity ranking or FP16 layers (eval)', ['eval']));
  for (const e of evals) parts.push(evalBlock(e));
  return parts.join('');
}
