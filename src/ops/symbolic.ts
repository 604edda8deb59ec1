import type { Dim } from '../ir/types.js';

/**
 * Symbolic dimension arithmetic. A string dim is either an opaque name from the file ("batch",
 * "unk__12") or an integer polynomial over such names that inference derived ("batch*3", "H-2").
 * Polynomials have one canonical spelling, so two equal strings always mean equal sizes; anything
 * that cannot be expressed exactly (a division that does not divide) becomes null, never a guess.
 */

/** Monomial key (sorted symbol names joined by '*', '' for the constant) → integer coefficient. */
type Poly = ReadonlyMap<string, number>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const parseCache = new Map<string, Poly | null>();

/** The polynomial a dim stands for: numbers are constants; a string parses, or is one opaque atom. */
function toPoly(d: Dim): Poly | undefined {
  if (d === null) return undefined;
  if (typeof d === 'number') return new Map([['', d]]);
  let p = parseCache.get(d);
  if (p === undefined) {
    p = parse(d);
    if (parseCache.size > 100_000) parseCache.clear();
    parseCache.set(d, p);
  }
  return p ?? undefined;
}

/** Parses our own canonical spelling; a plain identifier is an atom; anything else is opaque (null). */
function parse(s: string): Poly | null {
  if (IDENT.test(s)) return new Map([[s, 1]]);
  const terms = s.match(/[+-]?[^+-]+/g);
  if (terms === null || terms.join('') !== s) return null;
  const out = new Map<string, number>();
  for (const term of terms) {
    const sign = term.startsWith('-') ? -1 : 1;
    const body = term.replace(/^[+-]/, '');
    let coeff = sign;
    const symbols: string[] = [];
    for (const f of body.split('*')) {
      if (/^\d+$/.test(f)) coeff *= Number(f);
      else if (IDENT.test(f)) symbols.push(f);
      else return null;
    }
    const key = symbols.sort().join('*');
    out.set(key, (out.get(key) ?? 0) + coeff);
  }
  const p = normalize(out);
  // Only our canonical spelling is read as an expression; "2*N" from a file stays an opaque name.
  if (p.size === 1 && p.has('')) return null;
  return render(p) === s ? p : null;
}

function normalize(p: Map<string, number>): Map<string, number> {
  for (const [k, c] of p) if (c === 0) p.delete(k);
  return p;
}

function degree(key: string): number {
  return key === '' ? 0 : key.split('*').length;
}

function termOrder(a: string, b: string): number {
  return degree(b) - degree(a) || (a < b ? -1 : a > b ? 1 : 0);
}

function render(p: Poly): string {
  const keys = [...p.keys()].sort(termOrder);
  let s = '';
  for (const key of keys) {
    const c = p.get(key)!;
    const abs = Math.abs(c);
    const body = key === '' ? String(abs) : abs === 1 ? key : `${key}*${abs}`;
    s += c < 0 ? `-${body}` : s === '' ? body : `+${body}`;
  }
  return s === '' ? '0' : s;
}

function fromPoly(p: Poly): Dim {
  if (p.size === 0) return 0;
  if (p.size === 1 && p.has('')) return p.get('')!;
  for (const c of p.values()) if (!Number.isSafeInteger(c)) return null;
  return render(p);
}

function combine(a: Poly, b: Poly, sign: 1 | -1): Poly {
  const out = new Map(a);
  for (const [k, c] of b) out.set(k, (out.get(k) ?? 0) + sign * c);
  return normalize(out);
}

function multiply(a: Poly, b: Poly): Poly {
  const out = new Map<string, number>();
  for (const [ka, ca] of a) {
    for (const [kb, cb] of b) {
      const key = ka === '' ? kb : kb === '' ? ka : [...ka.split('*'), ...kb.split('*')].sort().join('*');
      out.set(key, (out.get(key) ?? 0) + ca * cb);
    }
  }
  return normalize(out);
}

/** a / b when it divides exactly as polynomials (integer coefficients), else undefined. */
function divideExact(a: Poly, b: Poly): Poly | undefined {
  if (b.size !== 1) {
    // A constant multiple: a = q * b term by term.
    let q: number | undefined;
    if (a.size !== b.size) return undefined;
    for (const [k, cb] of b) {
      const ca = a.get(k);
      if (ca === undefined || ca % cb !== 0) return undefined;
      const r = ca / cb;
      if (q !== undefined && r !== q) return undefined;
      q = r;
    }
    return q === undefined ? undefined : new Map([['', q]]);
  }
  const [[kb, cb]] = [...b] as [[string, number]];
  if (cb === 0) return undefined;
  const divisor = kb === '' ? [] : kb.split('*');
  const out = new Map<string, number>();
  for (const [ka, ca] of a) {
    if (ca % cb !== 0) return undefined;
    const rest = ka === '' ? [] : ka.split('*');
    for (const sym of divisor) {
      const i = rest.indexOf(sym);
      if (i < 0) return undefined;
      rest.splice(i, 1);
    }
    const key = rest.join('*');
    out.set(key, (out.get(key) ?? 0) + ca / cb);
  }
  return normalize(out);
}

// ---- public dim arithmetic (numbers take a fast path; symbolic results are memoised) ----

const memo = new Map<string, Dim>();

/** Symbolic a ∘ b, computed once per distinct operands (models repeat the same expressions per layer). */
function symbolic(op: string, a: string | number, b: string | number, f: (pa: Poly, pb: Poly) => Dim): Dim {
  const key = `${op}${typeof a === 'number' ? '#' : '$'}${a}\u0000${typeof b === 'number' ? '#' : '$'}${b}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const pa = toPoly(a);
  const pb = toPoly(b);
  const r = pa && pb ? f(pa, pb) : null;
  if (memo.size > 100_000) memo.clear();
  memo.set(key, r);
  return r;
}

export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === null || b === null) return null;
  return symbolic('+', a, b, (pa, pb) => fromPoly(combine(pa, pb, 1)));
}

export function subDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === null || b === null) return null;
  return symbolic('-', a, b, (pa, pb) => fromPoly(combine(pa, pb, -1)));
}

export function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  // 0 times anything (even unknown) is 0.
  if (a === 0 || b === 0) return 0;
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === null || b === null) return null;
  return symbolic('*', a, b, (pa, pb) => fromPoly(multiply(pa, pb)));
}

/** a / b when the division is exact (b divides a for every value of the symbols), else null. */
export function divDimsExact(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return b !== 0 && a % b === 0 ? a / b : null;
  if (a === null || b === null) return null;
  if (a === b) return 1;
  return symbolic('/', a, b, (pa, pb) => {
    const q = divideExact(pa, pb);
    return q ? fromPoly(q) : null;
  });
}

/** floor(a / b): exact for numbers; for symbols only where the division is exact. */
export function floorDivDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : Math.floor(a / b);
  return divDimsExact(a, b);
}

/** ceil(a / b): exact for numbers; for symbols only where the division is exact. */
export function ceilDivDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? null : Math.ceil(a / b);
  return divDimsExact(a, b);
}

export function productOfDims(dims: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of dims) {
    p = mulDims(p, d);
    if (p === null) {
      // Still 0 when a later dim is 0.
      return dims.includes(0) ? 0 : null;
    }
  }
  return p;
}

/** true / false when the dims are certainly (un)equal for every value of the symbols; undefined when it depends. */
export function dimsEqual(a: Dim, b: Dim): boolean | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null) return undefined;
  if (a === b) return true;
  const pa = toPoly(a);
  const pb = toPoly(b);
  if (!pa || !pb) return undefined;
  const diff = combine(pa, pb, -1);
  // A nonzero constant difference (N+1 vs N) can never be zero.
  if (diff.size === 1 && diff.has('')) return false;
  if (typeof a === 'number' || typeof b === 'number') {
    // A size symbol is never negative: N+1 is never 0, and never equals a negative number.
    const n = (typeof a === 'number' ? a : b) as number;
    const p = typeof a === 'number' ? pb : pa;
    if (isNonNegativePoly(p) && (n < 0 || (n === 0 && (p.get('') ?? 0) > 0))) return false;
  }
  return undefined;
}

function isNonNegativePoly(p: Poly): boolean {
  for (const c of p.values()) if (c < 0) return false;
  return true;
}

/** Whether a dim is certainly ≥ 0 (sizes and polynomials with non-negative coefficients). */
export function isNonNegativeDim(d: Dim): boolean {
  if (typeof d === 'number') return d >= 0;
  const p = toPoly(d);
  return p !== undefined && isNonNegativePoly(p);
}

/**
 * The number a dim stands for under a map of symbol sizes (numbers as they are; opaque strings only
 * when listed by their exact spelling), or undefined.
 */
export function evaluateDim(d: Dim, sizes: Readonly<Record<string, number>> = {}): number | undefined {
  if (typeof d === 'number') return d;
  if (d === null) return undefined;
  const direct = sizes[d];
  if (direct !== undefined) return direct;
  const p = toPoly(d);
  if (!p) return undefined;
  let total = 0;
  for (const [key, c] of p) {
    let term = c;
    if (key !== '') {
      for (const sym of key.split('*')) {
        const v = sizes[sym];
        if (v === undefined) return undefined;
        term *= v;
      }
    }
    total += term;
  }
  return total;
}

/** The symbol names a dim refers to. */
export function dimSymbols(d: Dim): string[] {
  if (typeof d !== 'string') return [];
  const p = toPoly(d);
  if (!p) return [d];
  const out = new Set<string>();
  for (const key of p.keys()) if (key !== '') for (const s of key.split('*')) out.add(s);
  return [...out];
}
