/**
 * Pooling chains for reductions over H and W within DLA pooling limits (L-POOL P3/P4: window 1..8,
 * stride 1..16).
 */

/** DLA pooling window limit per dim (L-POOL P3). */
export const MAX_POOL_WINDOW = 8;
/** DLA pooling stride limit per dim (L-POOL P4). */
export const MAX_POOL_STRIDE = 16;

export interface PoolStep {
  /** [kH, kW] */
  readonly kernel: readonly [number, number];
  /** [sH, sW] */
  readonly strides: readonly [number, number];
}

/**
 * Windows ≤ 8 whose product is `extent`, largest first, for exact averaging by non-overlapping pools
 * (the mean of equal-sized block means is the mean); undefined when a prime factor above 7 stops it.
 */
export function averageFactors(extent: number): number[] | undefined {
  const out: number[] = [];
  let rest = extent;
  while (rest > 1) {
    let f = Math.min(MAX_POOL_WINDOW, rest);
    while (f > 1 && rest % f !== 0) f--;
    if (f === 1) return undefined;
    out.push(f);
    rest /= f;
  }
  return out;
}

/**
 * Max-pooling steps that reduce `extent` to 1. Windows may overlap (max is idempotent), so every
 * extent works: each step takes the window k ≤ 8 and stride s ≤ k with (extent − k) divisible by s
 * that leaves the fewest positions.
 */
export function maxSteps(extent: number): { k: number; s: number }[] {
  const out: { k: number; s: number }[] = [];
  let rest = extent;
  while (rest > 1) {
    if (rest <= MAX_POOL_WINDOW) {
      out.push({ k: rest, s: 1 });
      break;
    }
    let best = { k: MAX_POOL_WINDOW, s: 1, left: rest - MAX_POOL_WINDOW + 1 };
    for (let k = 2; k <= MAX_POOL_WINDOW; k++) {
      for (let s = 1; s <= k; s++) {
        if ((rest - k) % s !== 0) continue;
        const left = (rest - k) / s + 1;
        if (left < best.left || (left === best.left && k > best.k)) best = { k, s, left };
      }
    }
    out.push({ k: best.k, s: best.s });
    rest = best.left;
  }
  return out;
}

/** Pairs per-dim windows into 2-D steps (a dim that runs out gets window 1). */
export function averageSteps(h: readonly number[], w: readonly number[]): PoolStep[] {
  return Array.from({ length: Math.max(h.length, w.length) }, (_, i) => {
    const kh = h[i] ?? 1;
    const kw = w[i] ?? 1;
    return { kernel: [kh, kw] as const, strides: [kh, kw] as const };
  });
}

export function maxPoolSteps(h: readonly { k: number; s: number }[], w: readonly { k: number; s: number }[]): PoolStep[] {
  return Array.from({ length: Math.max(h.length, w.length) }, (_, i) => {
    const a = h[i] ?? { k: 1, s: 1 };
    const b = w[i] ?? { k: 1, s: 1 };
    return { kernel: [a.k, b.k] as const, strides: [a.s, b.s] as const };
  });
}
