/**
 * Percentile and MSE threshold searches on an abs(x) histogram, as pytorch-quantization and ModelOpt
 * torch define them (reference §2.4).
 */

/**
 * Left edge of the first bin where the CDF of abs(x) reaches `percentile` (pytorch-quantization
 * `_compute_amax_percentile`: `edges[searchsorted(cumsum(hist / total), p / 100)]`).
 */
export function percentileAmax(counts: Float64Array, absMax: number, percentile: number): number {
  const n = counts.length;
  let total = 0;
  for (let k = 0; k < n; k++) total += counts[k]!;
  if (total === 0 || absMax === 0) return 0;
  const target = percentile / 100;
  let cum = 0;
  for (let k = 0; k < n; k++) {
    cum += counts[k]! / total;
    if (cum >= target) return (k * absMax) / n;
  }
  return absMax;
}

/**
 * The bin centre c_i (i ≥ startBin) that minimises Σ_k count_k · (fakeQuant(c_k; c_i) − c_k)², with
 * pytorch-quantization's narrow-range fake quantization (clamp to ±127, round half to even).
 */
export function mseAmax(counts: Float64Array, absMax: number, startBin = 128): number {
  const n = counts.length;
  if (absMax === 0) return 0;
  const w = absMax / n;
  // Only non-zero bins contribute: gather them once, with prefix sums of c, c·x, c·x².
  let used = 0;
  for (let k = 0; k < n; k++) if (counts[k] !== 0) used++;
  const xs = new Float64Array(used);
  const cs = new Float64Array(used);
  const c0 = new Float64Array(used + 1);
  const c1 = new Float64Array(used + 1);
  const c2 = new Float64Array(used + 1);
  for (let k = 0, u = 0; k < n; k++) {
    const c = counts[k]!;
    if (c === 0) continue;
    const x = (k + 0.5) * w;
    xs[u] = x;
    cs[u] = c;
    c0[u + 1] = c0[u]! + c;
    c1[u + 1] = c1[u]! + c * x;
    c2[u + 1] = c2[u]! + c * x * x;
    u++;
  }
  let best = Infinity;
  let bestI = n - 1;
  // Bins below `lo` quantize to 0 (y ≤ 0.5), bins from `hi` clamp to 127 (y > 126.5, ties to even); both
  // move up as amax grows, and their errors come from the prefix sums.
  let lo = 0;
  let hi = 0;
  for (let i = Math.min(startBin, n - 1); i < n; i++) {
    const amax = (i + 0.5) * w;
    const scale = 127 / amax;
    while (lo < used && xs[lo]! * scale <= 0.5) lo++;
    if (hi < lo) hi = lo;
    while (hi < used && xs[hi]! * scale <= 126.5) hi++;
    let err = c2[lo]! + amax * amax * (c0[used]! - c0[hi]!) - 2 * amax * (c1[used]! - c1[hi]!) + (c2[used]! - c2[hi]!);
    for (let u = lo; u < hi; u++) {
      const x = xs[u]!;
      const y = x * scale;
      let q = Math.round(y);
      if (q - y === 0.5 && (q & 1) === 1) q -= 1; // ties to even, as torch.round
      const d = q / scale - x;
      err += cs[u]! * d * d;
    }
    if (err < best) {
      best = err;
      bestI = i;
    }
  }
  return (bestI + 0.5) * w;
}
