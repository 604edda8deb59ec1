/*
 * The report page's script (runs in the browser; compiled and inlined into the HTML by
 * scripts/build-report-page.ts). Pan and zoom of the placement graphs, the verdict panel, the
 * zoomable timeline and the copy buttons. No network, no dependency.
 */

interface NodeInfo {
  name: string;
  op: string;
  placement: string;
  region?: string;
  flops?: number;
  rule?: string;
  reason?: string;
  fix?: string;
  problems?: { rule: string; reason: string }[];
  notes?: string[];
}

interface GraphData {
  nodes: NodeInfo[];
  groups: number[][];
}

interface TimelineData {
  tracks: string[];
  names: string[];
  slices: [number, number, number, number, number, number][];
  flows: [number, number, number, number][];
  start: number;
  end: number;
}

interface Zoomable {
  zoom(factor: number, cx?: number, cy?: number): void;
  fit(): void;
}

const zoomables = new Map<string, Zoomable>();

function readJson<T>(id: string): T | undefined {
  const el = document.getElementById(id);
  return el?.textContent ? (JSON.parse(el.textContent) as T) : undefined;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls !== undefined) e.className = cls;
  return e;
}

function flopsText(f: number): string {
  if (f >= 1e9) return `${(f / 1e9).toFixed(2)} GFLOP`;
  if (f >= 1e6) return `${(f / 1e6).toFixed(2)} MFLOP`;
  if (f >= 1e3) return `${(f / 1e3).toFixed(1)} kFLOP`;
  return `${f} FLOP`;
}

function verdictBlock(n: NodeInfo): HTMLElement {
  const box = el('div', undefined, `verdict ${n.placement}`);
  const h = el('h4');
  h.append(el('span', n.op, 'op'), document.createTextNode(' '), el('code', n.name));
  box.append(h);
  const where = n.placement === 'target' ? `runs on the DLA${n.region ? `, region ${n.region}` : ''}` : n.placement === 'fallback' ? 'falls back to the GPU' : 'folded at build time';
  box.append(el('p', `verdict: ${where}${n.flops !== undefined ? ` · ${flopsText(n.flops)}` : ''}`, 'where'));
  const dl = el('dl');
  const row = (k: string, v: string): void => {
    dl.append(el('dt', k), el('dd', v));
  };
  if (n.rule !== undefined) row('rule', n.rule);
  if (n.reason !== undefined) row('reason', n.reason);
  if (n.fix !== undefined) row('fix', n.fix);
  for (const p of n.problems ?? []) row('also', `${p.rule}: ${p.reason}`);
  for (const note of n.notes ?? []) row('note', note);
  if (dl.childElementCount > 0) box.append(dl);
  return box;
}

function showGroup(panel: HTMLElement, data: GraphData, group: number): void {
  const members = data.groups[group] ?? [];
  panel.replaceChildren();
  if (members.length > 1) {
    const falls = members.filter((m) => data.nodes[m]?.placement === 'fallback').length;
    panel.append(el('p', `${members.length} nodes collapsed into one box (a linear chain on one engine)${falls > 0 ? `; ${falls} fall back` : ''}:`, 'chain'));
  }
  for (const m of members) {
    const n = data.nodes[m];
    if (n !== undefined) panel.append(verdictBlock(n));
  }
}

function setupGraph(svg: SVGSVGElement): void {
  const W = Number(svg.dataset['width']);
  const H = Number(svg.dataset['height']);
  const data = readJson<GraphData>(`${svg.id}-data`);
  const panel = document.getElementById(svg.dataset['details'] ?? '');
  const view = { x: 0, y: 0, w: W, h: H };
  const aspect = (): number => Math.max(0.1, svg.clientHeight / Math.max(1, svg.clientWidth));
  const apply = (): void => svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  const fit = (): void => {
    const a = aspect();
    view.w = Math.max(W, H / a);
    view.h = view.w * a;
    view.x = (W - view.w) / 2;
    view.y = (H - view.h) / 2;
    apply();
  };
  const start = (): void => {
    // Readable from the first box: about 1 screen pixel per unit, unless the whole graph fits at a readable scale.
    const a = aspect();
    const fitScale = svg.clientWidth / Math.max(W, H / a);
    if (fitScale >= 0.6) return fit();
    view.w = svg.clientWidth / 0.9;
    view.h = view.w * a;
    view.x = 0;
    view.y = 0;
    apply();
  };
  const toSvg = (clientX: number, clientY: number): [number, number] => {
    const r = svg.getBoundingClientRect();
    return [view.x + ((clientX - r.left) / r.width) * view.w, view.y + ((clientY - r.top) / r.height) * view.h];
  };
  const zoom = (factor: number, cx?: number, cy?: number): void => {
    const [px, py] = cx === undefined || cy === undefined ? [view.x + view.w / 2, view.y + view.h / 2] : toSvg(cx, cy);
    const w = Math.min(Math.max(view.w / factor, 40), Math.max(W, H) * 4);
    const k = w / view.w;
    view.x = px - (px - view.x) * k;
    view.y = py - (py - view.y) * k;
    view.w = w;
    view.h = w * aspect();
    apply();
  };
  zoomables.set(svg.id, { zoom, fit });
  svg.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      zoom(Math.exp(-e.deltaY * 0.0015), e.clientX, e.clientY);
    },
    { passive: false },
  );
  let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | undefined;
  svg.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
  });
  svg.addEventListener('pointermove', (e) => {
    if (drag === undefined) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) svg.setPointerCapture(e.pointerId);
    drag.moved = true;
    const r = svg.getBoundingClientRect();
    view.x = drag.vx - (dx / r.width) * view.w;
    view.y = drag.vy - (dy / r.height) * view.h;
    apply();
  });
  const select = (target: EventTarget | null): void => {
    const g = target instanceof Element ? target.closest<SVGGElement>('g.node') : null;
    if (g === null || data === undefined || panel === null) return;
    svg.querySelectorAll('g.node.selected').forEach((s) => s.classList.remove('selected'));
    g.classList.add('selected');
    showGroup(panel, data, Number(g.dataset['group']));
  };
  svg.addEventListener('pointerup', (e) => {
    if (drag !== undefined && !drag.moved) select(e.target);
    drag = undefined;
  });
  svg.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select(e.target);
    }
  });
  start();
}

const FRAME_HUES = [210, 30, 130, 280, 0, 180, 55, 320, 95, 240];
const LABEL_W = 210;
const TRACK_H = 30;

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function timeText(us: number): string {
  return Math.abs(us) >= 1000 ? `${(us / 1000).toFixed(us % 1000 === 0 ? 0 : 1)} ms` : `${us.toFixed(0)} µs`;
}

function setupTimeline(div: HTMLElement): void {
  const data = readJson<TimelineData>(`${div.id}-data`);
  if (data === undefined) return;
  const span = Math.max(1, data.end - data.start);
  let t0 = data.start;
  let t1 = data.end;
  const height = 26 + data.tracks.length * TRACK_H + 8;
  let pending = false;
  const draw = (): void => {
    pending = false;
    const width = Math.max(200, div.clientWidth - LABEL_W - 10);
    const x = (t: number): number => LABEL_W + ((t - t0) / (t1 - t0)) * width;
    const parts: string[] = [
      `<defs><pattern id="${div.id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="3"/></pattern><clipPath id="${div.id}-clip"><rect x="${LABEL_W}" y="0" width="${width}" height="${height}"/></clipPath></defs>`,
    ];
    const step = niceStep(t1 - t0, 8);
    for (let t = Math.ceil((t0 - data.start) / step) * step; t <= t1 - data.start; t += step) {
      const px = x(data.start + t);
      parts.push(`<line class="tick" x1="${px}" x2="${px}" y1="20" y2="${height}"/><text class="ticklabel" x="${px + 3}" y="14">${escapeXml(timeText(t))}</text>`);
    }
    parts.push(`<g clip-path="url(#${div.id}-clip)">`);
    const rows: string[][] = data.tracks.map(() => []);
    const waits: string[][] = data.tracks.map(() => []);
    for (const [track, ts, dur, frame, wait, name] of data.slices) {
      if (ts + dur < t0 || ts > t1) continue;
      const y = 26 + track * TRACK_H + 3;
      const x0 = x(ts);
      const w = Math.max(0.8, x(ts + dur) - x0);
      const hue = FRAME_HUES[((frame % FRAME_HUES.length) + FRAME_HUES.length) % FRAME_HUES.length] ?? 210;
      const colour = frame < 0 ? '#7a8ca3' : `hsl(${hue} 62% ${wait ? 45 : 58}%)`;
      const fill = wait ? `url(#${div.id}-hatch)` : colour;
      const label = `${data.names[name] ?? ''}${frame >= 0 ? ` · frame ${frame}` : ''} · ${timeText(dur)}${wait ? ' (queue wait)' : ''}`;
      const full = frame >= 0 ? `f${frame} ${data.names[name] ?? ''}` : (data.names[name] ?? '');
      const fits = Math.floor((w - 8) / 6.4);
      const shown = fits >= full.length ? full : fits >= 4 ? `${full.slice(0, fits - 1)}…` : '';
      const text = shown === '' ? '' : `<text x="${x0 + 4}" y="${y + 16}" class="slabel">${escapeXml(shown)}</text>`;
      // A queue wait is a low hatched band under the lane, so the compute slices of the same stream stay readable.
      const h = wait ? 8 : TRACK_H - 6;
      const top = wait ? y + TRACK_H - 6 - h : y;
      (wait ? waits : rows)[track]?.push(`<g class="slice${wait ? ' wait' : ''}"><title>${escapeXml(label)}</title><rect x="${x0}" y="${top}" width="${w}" height="${h}" fill="${fill}" stroke="${colour}"/>${wait ? '' : text}</g>`);
    }
    data.tracks.forEach((_, i) => parts.push(`<g class="track" data-track="${i}"><rect class="lane" x="${LABEL_W}" y="${26 + i * TRACK_H}" width="${width}" height="${TRACK_H}"/>${waits[i]!.join('')}${rows[i]!.join('')}</g>`));
    for (const [a, ta, b, tb] of data.flows) {
      if (Math.max(a, b) < t0 || Math.min(a, b) > t1) continue;
      parts.push(`<line class="flow" x1="${x(a)}" y1="${26 + ta * TRACK_H + TRACK_H / 2}" x2="${x(b)}" y2="${26 + tb * TRACK_H + TRACK_H / 2}"/>`);
    }
    parts.push('</g>');
    data.tracks.forEach((t, i) => parts.push(`<text class="tracklabel" x="6" y="${26 + i * TRACK_H + 19}">${escapeXml(t.length > 28 ? `${t.slice(0, 27)}…` : t)}<title>${escapeXml(t)}</title></text>`));
    div.innerHTML = `<svg width="${LABEL_W + width + 10}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
  };
  const redraw = (): void => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(draw);
    }
  };
  const timeAt = (clientX: number): number => {
    const r = div.getBoundingClientRect();
    const width = Math.max(200, div.clientWidth - LABEL_W - 10);
    return t0 + ((clientX - r.left - LABEL_W) / width) * (t1 - t0);
  };
  const zoom = (factor: number, cx?: number): void => {
    const c = cx === undefined ? (t0 + t1) / 2 : Math.min(t1, Math.max(t0, timeAt(cx)));
    const w = Math.min(span * 1.05, Math.max(span * 1e-5, 2, (t1 - t0) / factor));
    const k = w / (t1 - t0);
    t0 = c - (c - t0) * k;
    t1 = t0 + w;
    redraw();
  };
  zoomables.set(div.id, {
    zoom,
    fit: () => {
      t0 = data.start;
      t1 = data.end;
      redraw();
    },
  });
  div.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      zoom(Math.exp(-e.deltaY * 0.002), e.clientX);
    },
    { passive: false },
  );
  let drag: { x: number; t0: number; t1: number } | undefined;
  div.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, t0, t1 };
    div.setPointerCapture(e.pointerId);
  });
  div.addEventListener('pointermove', (e) => {
    if (drag === undefined) return;
    const width = Math.max(200, div.clientWidth - LABEL_W - 10);
    const dt = ((e.clientX - drag.x) / width) * (drag.t1 - drag.t0);
    t0 = drag.t0 - dt;
    t1 = drag.t1 - dt;
    redraw();
  });
  div.addEventListener('pointerup', () => (drag = undefined));
  window.addEventListener('resize', redraw);
  draw();
}

function setupZoomBars(): void {
  document.querySelectorAll<HTMLElement>('.zoom-bar').forEach((bar) => {
    bar.addEventListener('click', (e) => {
      const b = e.target instanceof Element ? e.target.closest<HTMLButtonElement>('button[data-zoom]') : null;
      const z = zoomables.get(bar.dataset['for'] ?? '');
      if (b === null || z === undefined) return;
      const what = b.dataset['zoom'];
      if (what === 'in') z.zoom(1.5);
      else if (what === 'out') z.zoom(1 / 1.5);
      else z.fit();
    });
  });
}

function setupCopy(): void {
  document.querySelectorAll<HTMLButtonElement>('button.copy').forEach((b) => {
    b.addEventListener('click', () => {
      const text = document.getElementById(b.dataset['copy'] ?? '')?.textContent ?? '';
      const done = (): void => {
        b.textContent = 'copied';
        setTimeout(() => (b.textContent = 'copy'), 1200);
      };
      const fallback = (): void => {
        const area = document.createElement('textarea');
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand('copy');
        area.remove();
        done();
      };
      if (navigator.clipboard !== undefined) navigator.clipboard.writeText(text).then(done, fallback);
      else fallback();
    });
  });
}

document.querySelectorAll<SVGSVGElement>('svg.pan-zoom').forEach(setupGraph);
document.querySelectorAll<HTMLElement>('div.timeline').forEach(setupTimeline);
setupZoomBars();
setupCopy();
document.documentElement.dataset['ready'] = String(Math.round(performance.now()));
