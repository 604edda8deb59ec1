/**
 * KL-divergence (entropy) threshold search, in the three variants of reference §2.2–2.3. All work on
 * a histogram's counts and return an amax; none allocates per bin inside the candidate loop.
 */

/** Variants of the entropy search. `trt-gtc` is the default: the closest public spec of TensorRT's EntropyCalibration2. */
export const ENTROPY_VARIANTS = ['trt-gtc', 'pytorch-quantization', 'ort'] as const;
export type EntropyVariant = (typeof ENTROPY_VARIANTS)[number];

/** MXNet/GTC17 smoothing constant for zero bins (reference §2.3). */
const SMOOTH_EPS = 1e-4;
const LN_EPS = Math.log(SMOOTH_EPS);

/**
 * GTC17 (S. Migacz, "8-bit Inference with TensorRT") as MXNet implements it: abs(x) histogram, candidates
 * i = startBin … bins−1 (GTC's `range(128, 2048)`), P = bins[0..i−1] with the outliers added to P[i−1],
 * Q = bins[0..i−1] merged into `levels` groups of floor(i/levels) (remainder to the last group), spread over
 * the group's non-zero bins, zeros smoothed with eps 1e-4 on counts, KL(P‖Q); first minimum; T = (m + 0.5)·w.
 */
export function entropyAmaxTrtGtc(counts: Float64Array, absMax: number, startBin = 128, levels = 128): number {
  const n = counts.length;
  const pre = binPrefixSums(counts);
  const { sum, nz } = pre;
  const total = sum[n]!;
  if (total === 0 || absMax === 0) return 0;
  let best = Infinity;
  let bestI = n - 1;
  for (let i = Math.min(startBin, n - 1); i < n; i++) {
    const outliers = total - sum[i]!;
    const m = Math.floor(i / levels);
    const lastStart = (levels - 1) * m;
    const lastH = counts[i - 1]!;
    const lastP = lastH + outliers;
    // Bin i−1 is non-zero in P when it holds outliers, even if empty in the histogram.
    const extraNz = lastH === 0 && lastP !== 0 ? 1 : 0;
    const nzP = nz[i]! + extraNz;
    const zerosP = i - nzP;
    // Q is zero where P is (re-zeroed), and on P's non-zero bins of an all-empty group: only bin i−1 can be one.
    const lastSum = sum[i]! - sum[lastStart]!;
    const zerosQ = zerosP + (lastSum === 0 ? extraNz : 0);
    const nzQ = i - zerosQ;
    if (nzQ === 0) continue;
    const e1P = (SMOOTH_EPS * zerosP) / nzP;
    const e1Q = (SMOOTH_EPS * zerosQ) / nzQ;
    // Σ over non-zero P bins of P'·(ln P' − ln Q'); zero bins of P are zero in Q too: both smooth to eps and
    // add nothing. Bin i−1 is added on its own (it holds the outliers).
    let acc = 0;
    for (let j = 0; j < levels - 1; j++) {
      const a = j * m;
      const b = a + m;
      const gSum = sum[b]! - sum[a]!;
      if (gSum === 0) continue;
      const gNz = nz[b]! - nz[a]!;
      acc += smoothedXLogX(pre, a, b, e1P) - Math.log(gSum / gNz - e1Q) * (gSum - e1P * gNz);
    }
    const gNz = nz[i]! - nz[lastStart]! + extraNz;
    const lnQ = lastSum > 0 ? Math.log(lastSum / gNz - e1Q) : LN_EPS;
    const inner = i - 1;
    acc += smoothedXLogX(pre, lastStart, inner, e1P) - lnQ * (sum[inner]! - sum[lastStart]! - e1P * (nz[inner]! - nz[lastStart]!));
    if (lastP !== 0) acc += (lastP - e1P) * (Math.log(lastP - e1P) - lnQ);
    const kl = acc / total + Math.log(total - outliers) - Math.log(total);
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return ((bestI + 0.5) * absMax) / n;
}

/**
 * pytorch-quantization / ModelOpt torch `_compute_amax_entropy`: bins[0] := bins[1] (zero spike),
 * candidates i = startBin … bins (inclusive), levels by fractional boundaries (k·levels/i), empty bins
 * excluded from the average and kept at 0, no smoothing, last minimum, amax = left edge of bin i.
 */
export function entropyAmaxPytorch(counts: Float64Array, absMax: number, startBin = 128, levels = 128): number {
  const n = counts.length;
  const bins = Float64Array.from(counts);
  if (n > 1) bins[0] = bins[1]!;
  const pre = binPrefixSums(bins);
  const total = pre.sum[n]!;
  if (total === 0 || absMax === 0) return 0;
  let best = Infinity;
  let bestI = n;
  for (let i = Math.min(startBin, n); i <= n; i++) {
    const outliers = total - pre.sum[i]!;
    const sq = total - outliers;
    const lastH = bins[i - 1]!;
    // P > 0 where Q = 0 (an empty last bin that received the outliers): KL is infinite.
    if (sq === 0 || (lastH === 0 && outliers !== 0)) continue;
    let acc = 0;
    for (let j = 0; j < levels; j++) {
      // Level j holds the bins k with floor(k·levels / i) = j.
      const a = Math.ceil((j * i) / levels);
      const b = Math.min(Math.ceil(((j + 1) * i) / levels), i);
      if (b <= a) continue;
      const gNz = pre.nz[b]! - pre.nz[a]!;
      if (gNz === 0) continue;
      const gSum = pre.sum[b]! - pre.sum[a]!;
      const lnQ = Math.log(gSum / gNz);
      acc += pre.xlogx[b]! - pre.xlogx[a]! - lnQ * gSum;
      if (b === i && outliers !== 0) {
        // Bin i−1 carries the outliers in P: replace its term.
        const p = lastH + outliers;
        acc += p * (Math.log(p) - lnQ) - lastH * (Math.log(lastH) - lnQ);
      }
    }
    const kl = acc / total + Math.log(sq) - Math.log(total);
    if (kl <= best) {
      best = kl;
      bestI = i;
    }
  }
  return (bestI * absMax) / n;
}

/**
 * ONNX Runtime 1.30 `HistogramCollector.get_entropy_threshold` on a signed histogram over
 * [−absMax, absMax]: half-widths i = levels/2 … bins/2, window [zero−i, zero+i+1), integer groups of
 * floor(size/levels) with the remainder summed into (but not spread over) the last group, per-bin
 * averages truncated to integers and written to every bin of a group, eps 1e-4 smoothing, first
 * minimum; the window edges clipped to the observed (min, max); amax = max(|lo|, |hi|).
 */
export function entropyAmaxOrt(counts: Float64Array, absMax: number, min: number, max: number, levels = 128): number {
  const n = counts.length;
  const pre = binPrefixSums(counts);
  const { sum, nz } = pre;
  const total = sum[n]!;
  if (total === 0 || absMax === 0) return 0;
  const zero = n >> 1;
  const half = levels >> 1;
  const qv = new Float64Array(levels);
  let best = Infinity;
  let bestStart = 0;
  let bestEnd = n;
  for (let i = half; i <= zero; i++) {
    const start = zero - i;
    const end = Math.min(zero + i + 1, n);
    const size = end - start;
    const m = Math.floor(size / levels);
    if (m === 0) continue;
    const full = m * levels;
    // P = the window with the outliers added to its first and last bins.
    const firstP = counts[start]! + sum[start]!;
    const lastP = counts[end - 1]! + (total - sum[end]!);
    const fix = (k: number, p: number): number => (counts[k] === 0 && p !== 0 ? 1 : 0);
    const nzFirst = fix(start, firstP);
    const nzLast = fix(end - 1, lastP);
    const nzP = nz[end]! - nz[start]! + nzFirst + nzLast;
    // Q: each group's average (truncated: ORT writes floats into an int64 array) on all its bins;
    // the remainder bins past levels·m stay 0.
    let sumQ = 0;
    let zerosQ = size - full;
    for (let j = 0; j < levels; j++) {
      const a = start + j * m;
      const b = a + m;
      const g = nz[b]! - nz[a]! + (j === 0 ? nzFirst : 0) + (b === end ? nzLast : 0);
      // The last group's total also takes the remainder bins (which it does not spread over).
      const groupTotal = sum[j === levels - 1 ? end : b]! - sum[a]!;
      qv[j] = g > 0 ? Math.trunc(groupTotal / g) : 0;
      sumQ += qv[j]! * m;
      if (qv[j] === 0) zerosQ += m;
    }
    const nzQ = size - zerosQ;
    if (nzQ === 0) continue;
    const zerosP = size - nzP;
    const e1P = (SMOOTH_EPS * zerosP) / nzP;
    const e1Q = (SMOOTH_EPS * zerosQ) / nzQ;
    // Σ P'(ln P' − ln Q') over the window: bins 1..size−2 from prefix sums, the two outlier bins on their own.
    const range = (a: number, b: number, lq: number): number => {
      if (b <= a) return 0;
      const nzr = nz[b]! - nz[a]!;
      return smoothedXLogX(pre, a, b, e1P) - lq * (sum[b]! - sum[a]! - e1P * nzr) + (b - a - nzr) * SMOOTH_EPS * (LN_EPS - lq);
    };
    const single = (p: number, lq: number): number => (p === 0 ? SMOOTH_EPS * (LN_EPS - lq) : (p - e1P) * (Math.log(p - e1P) - lq));
    let acc = 0;
    for (let j = 0; j <= levels; j++) {
      // j = levels: the remainder bins [start + full, end), where Q is 0.
      const a = start + j * m;
      const b = j === levels ? end : a + m;
      const lq = j === levels || qv[j] === 0 ? LN_EPS : Math.log(qv[j]! - e1Q);
      acc += range(Math.max(a, start + 1), Math.min(b, end - 1), lq);
      if (a === start && b > a) acc += single(firstP, lq);
      if (b === end && b > a) acc += single(lastP, lq);
    }
    const kl = acc / total + Math.log(sumQ) - Math.log(total);
    if (kl < best) {
      best = kl;
      bestStart = start;
      bestEnd = end;
    }
  }
  const edge = (k: number): number => -absMax + (2 * k * absMax) / n;
  const lo = Math.max(edge(bestStart), min);
  const hi = Math.min(edge(bestEnd), max);
  return Math.max(Math.abs(lo), Math.abs(hi));
}

/** Prefix sums over bins (index k = sum of bins 0..k−1), over the non-zero bins for the logarithmic ones. */
interface BinPrefixSums {
  sum: Float64Array;
  nz: Float64Array;
  /** Σ h ln h */
  xlogx: Float64Array;
  /** Σ ln h */
  logx: Float64Array;
  /** Σ 1/h, Σ 1/h², Σ 1/h³ */
  inv1: Float64Array;
  inv2: Float64Array;
  inv3: Float64Array;
}

function binPrefixSums(counts: Float64Array): BinPrefixSums {
  const n = counts.length;
  const p: BinPrefixSums = {
    sum: new Float64Array(n + 1),
    nz: new Float64Array(n + 1),
    xlogx: new Float64Array(n + 1),
    logx: new Float64Array(n + 1),
    inv1: new Float64Array(n + 1),
    inv2: new Float64Array(n + 1),
    inv3: new Float64Array(n + 1),
  };
  for (let k = 0; k < n; k++) {
    const h = counts[k]!;
    const nonzero = h !== 0;
    const lh = nonzero ? Math.log(h) : 0;
    const r = nonzero ? 1 / h : 0;
    p.sum[k + 1] = p.sum[k]! + h;
    p.nz[k + 1] = p.nz[k]! + (nonzero ? 1 : 0);
    p.xlogx[k + 1] = p.xlogx[k]! + h * lh;
    p.logx[k + 1] = p.logx[k]! + lh;
    p.inv1[k + 1] = p.inv1[k]! + r;
    p.inv2[k + 1] = p.inv2[k]! + r * r;
    p.inv3[k + 1] = p.inv3[k]! + r * r * r;
  }
  return p;
}

/**
 * Σ (h − e)·ln(h − e) over the non-zero bins in [a, b), from prefix sums: exact for e = 0, else the
 * Taylor series in e to 4th order (e ≤ 1e-4·bins is small against counts ≥ 1; the dropped e⁵/(20h⁴)
 * term is below 1e-4 per bin even at e = 0.2).
 */
function smoothedXLogX(p: BinPrefixSums, a: number, b: number, e: number): number {
  if (b <= a) return 0;
  const base = p.xlogx[b]! - p.xlogx[a]!;
  if (e === 0) return base;
  const nz = p.nz[b]! - p.nz[a]!;
  const e2 = e * e;
  return base - e * (p.logx[b]! - p.logx[a]! + nz) + (e2 / 2) * (p.inv1[b]! - p.inv1[a]!) + ((e2 * e) / 6) * (p.inv2[b]! - p.inv2[a]!) + ((e2 * e2) / 12) * (p.inv3[b]! - p.inv3[a]!);
}
