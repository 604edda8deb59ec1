/**
 * Mutators for the fuzz suite. A mutation is plain data (`Mutation`), applied by `applyMutations`;
 * fast-check generates (and shrinks) lists of them (arbitraries.ts). Byte mutations suit every format;
 * `json` and `lines` mutations know the text formats.
 */

/** Values that break size and offset arithmetic when they land in a length, a count or a dim. */
export const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x100000];
export const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1a, 0x22, 0x3a];

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'set32'; at: number; value: number }
  | { kind: 'varint'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: readonly number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; other: number; from: number; length: number }
  | { kind: 'json'; path: number; value: number }
  | { kind: 'lines'; at: number; op: number; value: number };

/** Fractions in [0, 1) locate positions so that one mutation applies to inputs of any length. */
function pos(fraction: number, length: number): number {
  return Math.min(length, Math.floor(fraction * (length + 1)));
}

/** Replacement values a JSON mutation writes: wrong types, hostile strings, huge and negative numbers. */
export const JSON_VALUES: readonly unknown[] = [
  null, true, 0, -1, 1e308, -5, 2 ** 53 + 2, 1.5, '', '../../x', '/etc/passwd', 'a\u0000b', 'x\x1b[31m', '..', 'C:\\x', 'ok', [], [null], {}, { name: 'x' },
  'a'.repeat(300), ['a', 'b'], [1, 2, 3], 'stages', 'file', 'name', 'version', 'fifo', 'zero', 'model.onnx',
];

function jsonPaths(doc: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(doc)) doc.forEach((v, i) => jsonPaths(v, [...prefix, i], out));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) jsonPaths(v, [...prefix, k], out);
  return out;
}

function mutateJson(bytes: Uint8Array, m: { path: number; value: number }): Uint8Array {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return bytes;
  }
  const paths = jsonPaths(doc);
  const path = paths[Math.floor(m.path * paths.length)]!;
  const value = JSON_VALUES[Math.floor(m.value * JSON_VALUES.length)];
  if (path.length === 0) return new TextEncoder().encode(JSON.stringify(value));
  let parent = doc as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  // A third of the time delete the entry, otherwise replace it.
  if (m.value * 3 % 1 < 0.33 && !Array.isArray(parent)) delete parent[last];
  else parent[last] = value;
  return new TextEncoder().encode(JSON.stringify(doc));
}

const LINE_VALUES = ['', 'TRT-8601-EntropyCalibration2', 'x: 3c010204', 'x: ffffffff', 'x: 7fc00000', 'x: 00000000', 'a: b: c', ': 3c010204', 'x:3c010204', 'x: 3c0102040', 'x: zz', 'TRT-99999999999999999999-X', 'é: 3c010204', 'x: 80000001'];

function mutateLines(bytes: Uint8Array, m: { at: number; op: number; value: number }): Uint8Array {
  const lines = new TextDecoder().decode(bytes).split('\n');
  const i = Math.min(lines.length - 1, Math.floor(m.at * lines.length));
  const v = LINE_VALUES[Math.floor(m.value * LINE_VALUES.length)]!;
  const op = Math.floor(m.op * 4);
  if (op === 0) lines[i] = v;
  else if (op === 1) lines.splice(i, 0, v);
  else if (op === 2) lines.splice(i, 1);
  else lines.splice(i, 0, lines[i]!);
  return new TextEncoder().encode(lines.join(m.op > 0.9 ? '\r\n' : '\n'));
}

/** Applies mutations in order to a copy of `seed`; `others` are splice partners. */
export function applyMutations(seed: Uint8Array, mutations: readonly Mutation[], others: readonly Uint8Array[] = []): Uint8Array {
  let b: Uint8Array = new Uint8Array(seed);
  for (const m of mutations) {
    const n = b.length;
    switch (m.kind) {
      case 'flip':
        if (n > 0) b[Math.min(n - 1, Math.floor(m.at * n))]! ^= 1 << (m.bit & 7);
        break;
      case 'set':
        if (n > 0) b[Math.min(n - 1, Math.floor(m.at * n))] = m.value & 0xff;
        break;
      case 'set32': {
        if (n < 4) break;
        const at = Math.min(n - 4, Math.floor(m.at * (n - 3)));
        new DataView(b.buffer, b.byteOffset).setUint32(at, m.value >>> 0, true);
        break;
      }
      case 'varint': {
        // A run of continuation bytes: protobuf lengths and counts that overflow or run past the end.
        const at = pos(m.at, n);
        const run = new Uint8Array(Math.max(1, m.length % 11)).fill(0xff);
        run[run.length - 1] = 0x0f;
        b = concat(b.subarray(0, at), run, b.subarray(Math.min(n, at + run.length)));
        break;
      }
      case 'insert': {
        const at = pos(m.at, n);
        b = concat(b.subarray(0, at), Uint8Array.from(m.bytes), b.subarray(at));
        break;
      }
      case 'delete': {
        const at = pos(m.at, n);
        b = concat(b.subarray(0, at), b.subarray(Math.min(n, at + m.length)));
        break;
      }
      case 'duplicate': {
        const at = pos(m.at, n);
        const chunk = b.slice(at, Math.min(n, at + m.length));
        const to = pos(m.to, n);
        b = concat(b.subarray(0, to), chunk, b.subarray(to));
        break;
      }
      case 'truncate':
        b = b.slice(0, pos(m.at, n));
        break;
      case 'splice': {
        const other = others.length > 0 ? others[m.other % others.length]! : b;
        const from = pos(m.from, other.length);
        const at = pos(m.at, n);
        b = concat(b.subarray(0, at), other.subarray(from, Math.min(other.length, from + m.length)), b.subarray(Math.min(n, at + m.length)));
        break;
      }
      case 'json':
        b = new Uint8Array(mutateJson(b, m));
        break;
      case 'lines':
        b = new Uint8Array(mutateLines(b, m));
        break;
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The mutation kinds that make sense for a format. */
export type Format = 'binary' | 'json' | 'lines';
