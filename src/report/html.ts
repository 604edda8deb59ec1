import { commandFor, type InputKind } from './load-inputs.js';

/** Escapes text for HTML element content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no `</script>` can close it. */
export function jsonBlock(id: string, value: unknown): string {
  return `<script type="application/json" id="${esc(id)}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`;
}

export function formatFlops(flops: number): string {
  if (flops >= 1e9) return `${(flops / 1e9).toFixed(2)} GFLOP`;
  if (flops >= 1e6) return `${(flops / 1e6).toFixed(2)} MFLOP`;
  if (flops >= 1e3) return `${(flops / 1e3).toFixed(1)} kFLOP`;
  return `${flops} FLOP`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '? B';
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 0.1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

export function pct(part: number, whole: number, digits = 1): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(digits)}%` : '–';
}

/** How a figure was obtained, in the CLI's words: a badge next to every number block. */
export type Basis = 'measured' | 'emulated' | 'modelled';

export function badge(basis: Basis, detail?: string): string {
  return `<span class="badge ${basis}"${detail === undefined ? '' : ` title="${esc(detail)}"`}>${basis}</span>`;
}

/** A note where a section's data is missing: which result file would fill it, and the command that writes it. */
export function missing(what: string, kinds: readonly InputKind[]): string {
  return `<div class="missing"><strong>No ${esc(what)} given.</strong> ${kinds.map((k) => `Produce it with <code>${esc(commandFor(k))}</code>`).join('; ')} and pass the file (or its folder) to <code>tandem report</code>.</div>`;
}

/** A section of the page: anchor id, heading, optional lead line, body. */
export function section(id: string, title: string, body: string, lead?: string): string {
  return `<section id="${esc(id)}" data-section="${esc(id)}"><h2>${esc(title)}</h2>${lead === undefined ? '' : `<p class="lead">${lead}</p>`}${body}</section>`;
}

/** A table from a header row and body rows (cells are HTML). `numeric` marks right-aligned columns by index. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  const cls = (i: number): string => (numeric.includes(i) ? ' class="num"' : '');
  return `<table><thead><tr>${header.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Rounds a coordinate for SVG output (keeps files small). */
export function r1(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}
