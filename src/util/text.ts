/**
 * Names and paths that come from files (tensor names, stage names, locations, entry names) are shown to
 * people through these helpers, so that a crafted name cannot move the cursor, recolour the terminal,
 * or split a one-line error into several.
 */

/** Longest name shown in full; longer ones are cut and their length given. */
const MAX_SHOWN = 200;

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides that reorder text.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

/** The text with control characters escaped as JSON writes them (`\n`, `\u001b`, `\u202e`), cut to a sane length. */
export function printable(text: string, max = MAX_SHOWN): string {
  const cut = text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
  return cut.replace(UNSAFE, escapeChar);
}

/**
 * A name from a file in double quotes, control characters, backslashes and quotes escaped:
 * `"a\u001b[31m"`. One parameter, so that `names.map(quote)` is safe; `quoteCut` cuts elsewhere.
 */
export function quote(name: string): string {
  return quoteCut(name, MAX_SHOWN);
}

/** `quote`, cut to `max` characters. */
export function quoteCut(name: string, max: number): string {
  return `"${printable(name.replace(/\\/g, '\\\\'), max).replace(/"/g, '\\"')}"`;
}

/**
 * A count for people with an SI prefix and three significant digits: 10142220288, 'FLOPs' → "10.1 GFLOPs".
 * Library messages that carry large counts use it (the CLI has its own formatters in cli/format.ts).
 */
export function siCount(n: number, unit: string): string {
  if (!Number.isFinite(n)) return `? ${unit}`;
  const prefixes: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, p] of prefixes) {
    const v = n / scale;
    if (Math.abs(v) >= 1) return `${v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)} ${p}${unit}`;
  }
  return `${Math.round(n)} ${unit}`;
}
