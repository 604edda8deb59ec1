/**
 * An immutable set of small non-negative integers stored as sorted, disjoint, non-adjacent runs
 * [lo, hi]. Region ids are made in topological order, so the sets of regions upstream of a node are
 * mostly one or a few runs: unions stay cheap on long chains where plain sets would grow quadratically.
 */
export class IdRuns {
  static readonly EMPTY = new IdRuns([]);

  /** Flattened runs: lo0, hi0, lo1, hi1, ... */
  readonly #runs: readonly number[];

  private constructor(runs: readonly number[]) {
    this.#runs = runs;
  }

  static of(id: number): IdRuns {
    return new IdRuns([id, id]);
  }

  get isEmpty(): boolean {
    return this.#runs.length === 0;
  }

  has(id: number): boolean {
    const r = this.#runs;
    let lo = 0;
    let hi = r.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (id < r[2 * mid]!) hi = mid - 1;
      else if (id > r[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** this ∪ other; returns `this` (or `other`) itself when the result equals it. */
  union(other: IdRuns): IdRuns {
    const a = this.#runs;
    const b = other.#runs;
    if (b.length === 0 || a === b) return this;
    if (a.length === 0) return other;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    const push = (lo: number, hi: number): void => {
      const n = out.length;
      if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
      else out.push(lo, hi);
    };
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
        push(a[i]!, a[i + 1]!);
        i += 2;
      } else {
        push(b[j]!, b[j + 1]!);
        j += 2;
      }
    }
    if (sameRuns(out, a)) return this;
    if (sameRuns(out, b)) return other;
    return new IdRuns(out);
  }

  /** this without the given ids. */
  without(ids: readonly number[]): IdRuns {
    let runs: readonly number[] = this.#runs;
    for (const id of ids) {
      if (!this.has(id)) continue;
      const out: number[] = [];
      for (let k = 0; k < runs.length; k += 2) {
        const lo = runs[k]!;
        const hi = runs[k + 1]!;
        if (id < lo || id > hi) out.push(lo, hi);
        else {
          if (lo <= id - 1) out.push(lo, id - 1);
          if (id + 1 <= hi) out.push(id + 1, hi);
        }
      }
      runs = out;
    }
    return runs === this.#runs ? this : new IdRuns(runs);
  }
}

function sameRuns(x: readonly number[], y: readonly number[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
