import type { PlanStage, PlanTensor, StageDocument } from '../io/stage-file/types.js';
import { layoutGraph, routePath } from './graph-layout.js';
import { badge, esc, r1, table } from './html.js';
import type { Loaded } from './load-inputs.js';

const BOX_W = 230;
const BOX_H = 92;
const ENGINE_CLASS: Readonly<Record<string, string>> = { gpu: 'gpu', webgpu: 'gpu', cuda: 'gpu', tensorrt: 'gpu', dla0: 'dla', dla1: 'dla', 'dla-emulated': 'dla', cpu: 'cpu' };

function shapeText(shape: PlanTensor['shape']): string {
  return shape === null ? '?' : `[${shape.map((d) => (d === null ? '?' : String(d))).join('×')}]`;
}

/**
 * A stage file as a diagram: a box per stage (engine, precision, how the engine was chosen), arrows for
 * the tensors between stages with their dtype, shape and INT8 scale; then the same as a table.
 */
export function planDiagram(l: Loaded<StageDocument>, index: number): string {
  const doc = l.data;
  const stages = doc.stages as readonly (PlanStage | (Omit<PlanStage, 'engine' | 'precision' | 'choice'> & Partial<PlanStage>))[];
  const tensors = doc.tensors as readonly PlanTensor[];
  const inputs = tensors.filter((t) => t.from === null);
  const outputs = tensors.filter((t) => t.modelOutput);
  // Boxes: one per model input group, one per stage, one for the outputs.
  const ids = new Map<string, number>();
  const boxes: { label: string; kind: 'io' | 'stage'; stage?: (typeof stages)[number] }[] = [];
  if (inputs.length > 0) boxes.push({ label: 'input', kind: 'io' });
  for (const s of stages) {
    ids.set(s.name, boxes.length);
    boxes.push({ label: s.name, kind: 'stage', stage: s });
  }
  const outBox = outputs.length > 0 ? boxes.length : -1;
  if (outputs.length > 0) boxes.push({ label: 'outputs', kind: 'io' });
  // One arrow per pair of boxes, carrying every tensor between them.
  const byPair = new Map<string, { from: number; to: number; tensors: PlanTensor[] }>();
  const link = (from: number, to: number, t: PlanTensor): void => {
    const key = `${from}>${to}`;
    const e = byPair.get(key);
    if (e === undefined) byPair.set(key, { from, to, tensors: [t] });
    else e.tensors.push(t);
  };
  for (const t of tensors) {
    const from = t.from === null ? 0 : ids.get(t.from);
    if (from === undefined) continue;
    for (const c of t.to) {
      const to = ids.get(c);
      if (to !== undefined) link(from, to, t);
    }
    if (t.modelOutput && outBox >= 0) link(from, outBox, t);
  }
  const edges = [...byPair.values()];
  // Stages are written in an order that runs; layoutGraph wants edges forward in the box order.
  const layout = layoutGraph(
    boxes.map((b) => (b.kind === 'io' ? { width: 110, height: 44 } : { width: BOX_W, height: BOX_H })),
    edges,
    { layerGap: 210, nodeGap: 46 },
  );
  const parts: string[] = [];
  edges.forEach((e, k) => {
    const route = layout.routes[k];
    if (route === undefined) return;
    const quantized = e.tensors.filter((t) => t.quantization !== undefined);
    parts.push(`<path class="edge${quantized.length > 0 ? ' int8' : ''}" d="${routePath(route)}" marker-end="url(#arrow-${index})"/>`);
    const line = route[route.length - 1]!;
    const last = line[line.length - 1]!;
    const prev = line[line.length - 2] ?? line[0]!;
    const x = (prev.x + last.x) / 2;
    const y = (prev.y + last.y) / 2;
    const names = e.tensors.map((t) => t.name).join(', ');
    const line1 = names.length > 30 ? `${names.slice(0, 29)}…` : names;
    const one = e.tensors.length === 1 ? e.tensors[0]! : undefined;
    const dtypes = [...new Set(e.tensors.map((t) => t.dtype ?? '?'))].join('/');
    const line2 = one !== undefined ? `${one.dtype ?? '?'} ${shapeText(one.shape)}` : `${e.tensors.length} tensors · ${dtypes}`;
    const scales = quantized.map((t) => t.quantization!.scale);
    const line3 = scales.length === 0 ? '' : scales.length === 1 ? `INT8 s=${scales[0]!.toPrecision(3)}` : `INT8 s=${Math.min(...scales).toPrecision(2)}–${Math.max(...scales).toPrecision(2)}`;
    const full = e.tensors.map((t) => `${t.name}: ${t.dtype ?? '?'} ${shapeText(t.shape)}${t.quantization ? `, INT8 scale ${t.quantization.scale}` : ''}`).join('\n');
    parts.push(`<g class="tlabel" transform="translate(${r1(x)},${r1(y)})"><title>${esc(full)}</title><text text-anchor="middle" y="${line3 ? -26 : -14}">${esc(line1)}</text><text text-anchor="middle" y="${line3 ? -14 : -2}">${esc(line2)}</text>${line3 ? `<text text-anchor="middle" y="-2" class="q">${esc(line3)}</text>` : ''}</g>`);
  });
  boxes.forEach((b, k) => {
    const p = layout.positions[k]!;
    if (b.kind === 'io') {
      parts.push(`<g class="io" transform="translate(${r1(p.x)},${r1(p.y)})"><rect width="110" height="44" rx="22"/><text x="55" y="27" text-anchor="middle">${esc(b.label)}</text></g>`);
      return;
    }
    const s = b.stage!;
    const engine = s.engine ?? 'engine not chosen (split)';
    const cls = ENGINE_CLASS[s.engine ?? ''] ?? 'none';
    const how = s.choice === undefined ? '' : `${s.choice.how}: ${s.choice.reason}`;
    parts.push(
      `<g class="stage ${cls}" transform="translate(${r1(p.x)},${r1(p.y)})"><title>${esc(`${s.name} (${s.kind}) on ${engine}${s.precision ? `, ${s.precision}` : ''}${how ? ` — ${how}` : ''}`)}</title><rect width="${BOX_W}" height="${BOX_H}" rx="8"/>` +
        `<text x="12" y="22" class="sname">${esc(s.name)}</text><text x="12" y="42">${esc(s.kind)}</text>` +
        `<text x="12" y="62" class="eng">${esc(engine)}${s.precision ? ` · ${esc(s.precision.toUpperCase())}` : ''}</text>` +
        `<text x="12" y="80" class="how">${esc(how.length > 34 ? `${how.slice(0, 33)}…` : how)}</text></g>`,
    );
  });
  const svg = `<svg class="plan-svg" viewBox="0 0 ${r1(layout.width)} ${r1(layout.height + 10)}" width="${r1(layout.width)}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="plan diagram"><defs><marker id="arrow-${index}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/></marker></defs>${parts.join('')}</svg>`;
  const planDoc = doc.kind === 'plan' ? doc : undefined;
  const title = planDoc ? `plan for ${planDoc.target}` : 'split (engines not chosen yet: tandem plan chooses them)';
  const basis =
    planDoc === undefined
      ? ''
      : planDoc.target === 'orin'
        ? ` ${badge('modelled', 'an orin plan is built on the target; its engines are chosen by layout or the latency model')}`
        : ` ${badge('measured', 'a host plan chooses engines by timing each stage on this machine')}`;
  const rows = stages.map((s) => [
    esc(s.name),
    esc(s.kind),
    esc(s.engine ?? '–'),
    esc(s.precision ?? '–'),
    esc(s.choice === undefined ? '–' : `${s.choice.how}: ${s.choice.reason}${s.choice.timingsMs ? ` (${Object.entries(s.choice.timingsMs).map(([e, ms]) => `${e} ${ms.toFixed(1)} ms`).join(', ')})` : ''}`),
    `<code>${esc(s.file)}</code>`,
  ]);
  const tensorRows = tensors.map((t) => [
    `<code>${esc(t.name)}</code>`,
    esc(t.from ?? 'model input'),
    esc(t.to.length > 0 ? t.to.join(', ') : t.modelOutput ? 'model output' : '–'),
    esc(`${t.dtype ?? '?'} ${shapeText(t.shape)}`),
    t.quantization ? esc(`INT8, scale ${t.quantization.scale.toPrecision(6)}`) : '–',
  ]);
  return `<h3>${esc(l.label)}: ${esc(title)}${basis}</h3><div class="plan-wrap">${svg}</div>${table(['stage', 'kind', 'engine', 'precision', 'how chosen', 'model'], rows)}<details><summary>${tensors.length} tensors at stage boundaries</summary>${table(['tensor', 'from', 'to', 'dtype, shape', 'hand-off'], tensorRows)}</details>`;
}
