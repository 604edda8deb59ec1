import { basename, dirname } from 'node:path';
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
  // A plan folder holds copies of quantize's scales.json: identical files are shown once.
  const identical = new Set<string>();
  for (const s of scales) {
    const key = `${s.data.stage}\u0000${s.data.method}\u0000${Object.entries(s.data.activations).map(([n, a]) => `${n}=${a.amax}`).join(',')}`;
    if (identical.has(key)) continue;
    identical.add(key);
    byStage.set(s.data.stage, [...(byStage.get(s.data.stage) ?? []), s]);
  }
  const parts: string[] = [];
  for (const [stage, list] of byStage) {
    // A method seen in several folders (quantize's, and the plans' copies) is told apart by its folder.
    const seen = list.map((s) => s.data.method);
    const methods = list.map((s) => (seen.filter((m) => m === s.data.method).length > 1 ? `${s.data.method} (${dirname(s.label) || '.'})` : s.data.method));
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
  if (typeof value === 'number') out.push([prefix, Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(5)))]);
  else if (typeof value === 'string' && value.length < 120) out.push([prefix, value]);
  else if (typeof value === 'object' && value !== null && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) scalarRows(prefix === '' ? k : `${prefix}.${k}`, v, out, depth + 1);
}


/** eval --json: metrics per task beside the reference's, the deltas and the agreement. */
function evalBlock(e: Loaded<EvalFile>): string {
  const d = e.data as EvalFile & Record<string, unknown>;
  const dataset = typeof d.dataset === 'string' ? d.dataset : (d.dataset.name ?? 'a dataset');
  const target: [string, string][] = [];
  scalarRows('', d.metrics, target);
  const ref: [string, string][] = [];
  if (d.referenceMetrics) scalarRows('', d.referenceMetrics, ref);
  const refOf = new Map(ref);
  const rows = target.map(([k, v]) => [esc(k), esc(v), esc(refOf.get(k) ?? '–')]);
  const what = `${d.target ? `${esc(basename(d.target))} ` : ''}on ${esc(dataset)}${d.frames === undefined ? '' : `, ${d.frames} frames`}${d.complete === false ? ' (PARTIAL: some shards only)' : ''}`;
  const parts = [`<h3>${esc(e.label)}: eval of ${what} ${badge('emulated', 'INT8 stages run as Q/DQ models on onnxruntime cpu (dla-emulated); FP32 stages on the engine the plan names')}</h3>`];
  parts.push(table(['metric', 'target', `reference${typeof d.reference === 'string' ? ` (${basename(d.reference)})` : ''}`], rows, [1, 2]));
  const extra: [string, string][] = [];
  if (d.deltas) scalarRows('delta', d.deltas, extra);
  if (d.agreement) scalarRows('agreement', d.agreement, extra);
  if (extra.length > 0) parts.push(table(['against the reference', 'value'], extra.map(([k, v]) => [esc(k), esc(v)]), [1]));
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
      )}`,
    );
  }
  return parts.join('');
}

/** quantize --keep-fp16 auto: per head, full INT8 vs mixed precision, the sensitivity ranking and the layers kept in FP16. */
function keepFp16Block(q: Loaded<QuantizeFile>): string {
  return (q.data.keepFp16 ?? [])
    .map((h, n) => {
      const unit = h.metric === 'miou' ? ' points' : '';
      const sens = h.sensitivity.slice(0, SENSITIVITY_SHOWN);
      const top = Math.max(...sens.map((r) => Math.abs(r.recovers)), 0);
      const kept = new Set(h.keep.map((k) => k.tensor));
      const args = h.trtexecArgs ? `<div class="cmd"><button class="copy" data-copy="fp16-${n}">copy</button><pre id="fp16-${n}"><code>${esc(h.trtexecArgs)}</code></pre></div>` : '';
      return (
        `<h4>${esc(h.stage)}: ${esc(h.metric)} FP32 ${h.fp32.toPrecision(4)} → full INT8 ${h.int8.toPrecision(4)} (loss ${h.int8Loss.toPrecision(3)}${unit}) → ${h.keep.length} tensor${h.keep.length === 1 ? '' : 's'} kept in FP16: ${h.mixed.toPrecision(4)} (loss ${h.mixedLoss.toPrecision(3)}${unit}) — ${h.withinBudget ? 'within' : '<b>not within</b>'} the budget${h.bisectionSteps === undefined ? '' : `, ${h.bisectionSteps} bisection steps`} ${badge('emulated')}</h4>` +
        (h.keep.length > 0 ? `<p>Layers kept in FP16: ${h.keep.map((k) => `<code>${esc(k.layer ?? k.tensor)}</code>`).join(', ')}</p>` : '') +
        args +
        (sens.length === 0
          ? ''
          : `<details${n === 0 ? ' open' : ''}><summary>sensitivity ranking of ${esc(h.stage)} (what keeping each tensor in FP16 recovers; ${h.sensitivity.length} tensors)</summary>${table(
              ['#', 'tensor', 'kind', 'layer', 'recovers'],
              sens.map((r, i) => [String(i + 1), `<code>${esc(r.tensor)}</code>${kept.has(r.tensor) ? ' <b>kept</b>' : ''}`, esc(r.kind ?? '–'), `<code>${esc(r.layer ?? '–')}</code>`, `${r.recovers.toPrecision(3)}${unit} ${bar(Math.abs(r.recovers), top)}`]),
              [4],
            )}</details>`)
      );
    })
    .join('');
}

/** The INT8 section: calibrator accuracy, scales compared, and eval's task metrics, sensitivity and FP16 layers. */
export function int8Section(quantizes: readonly Loaded<QuantizeFile>[], scales: readonly Loaded<ScalesFile>[], evals: readonly Loaded<EvalFile>[]): string {
  const parts: string[] = [];
  if (quantizes.length === 0 && scales.length === 0) parts.push(missing('quantize results', ['quantize', 'scales']));
  for (const q of quantizes) parts.push(quantizeBlock(q), keepFp16Block(q));
  if (scales.length > 0) parts.push(scalesBlock(scales));
  if (evals.length === 0) parts.push(missing('task metrics (eval)', ['eval']));
  if (!quantizes.some((q) => (q.data.keepFp16 ?? []).length > 0) && !evals.some((e) => (e.data.sensitivity ?? []).length > 0)) {
    parts.push(`<div class="missing"><strong>No sensitivity ranking or FP16 layers given.</strong> Produce them with <code>tandem quantize split.json --calib images/ --keep-fp16 auto --budget miou=0.5,absrel=2% --json &gt; quantize.json</code> and pass the file to <code>tandem report</code>.</div>`);
  }
  for (const e of evals) parts.push(evalBlock(e));
  return parts.join('');
}
