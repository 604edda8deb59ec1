/** Number formatting for people (the library returns raw numbers; only the CLI formats). */
import { siCount } from '../util/text.js';

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let u = 0;
  let v = n;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

/** 8.21e9 → "8.21 G". */
export function si(n: number, unit = ''): string {
  if (!Number.isFinite(n)) return '?';
  const prefixes: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, p] of prefixes) if (Math.abs(n) >= scale) return `${(n / scale).toFixed(n / scale >= 100 ? 0 : 2)} ${p}${unit}`;
  return `${n.toFixed(0)} ${unit}`.trim();
}

export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-';
}

export function shape(s: readonly (number | string)[] | null): string {
  return s === null ? '?' : `[${s.join(',')}]`;
}

/** Left-aligned text table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** "1 node", "2 nodes"; irregular plurals given: plural(n, 'fix', 'fixes'). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

/** 10142220288 → "10.1 GFLOPs"; 0 → "0 FLOPs". */
export function flops(n: number): string {
  return siCount(n, 'FLOPs');
}

/** Binary sizes as the DLA and TensorRT documents count them: 8659968 → "8.26 MiB"; null → "?". */
export function mib(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '?';
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Lines of a list cut to `limit`, with "… and N more (<how to see them>)". */
export function limited<T>(items: readonly T[], limit: number, line: (item: T) => string, more: string): string[] {
  const shown = items.slice(0, limit).map(line);
  return items.length > limit ? [...shown, `… and ${items.length - limit} more (${more})`] : shown;
}

/** Names joined for a table cell, cut to about `max` characters: "a, b … (+3 more)". */
export function names(list: readonly string[], max = 48): string {
  const all = list.join(', ');
  if (all.length <= max || list.length <= 1) return all;
  let shown = 0;
  let length = 0;
  while (shown < list.length && length + list[shown]!.length + 2 <= max) length += list[shown++]!.length + 2;
  shown = Math.max(1, shown);
  return `${list.slice(0, shown).join(', ')} … (+${list.length - shown} more)`;
}
