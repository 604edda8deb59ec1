/**
 * Resampling of output maps to another size, the way segmentation and depth models are evaluated:
 * bilinear with align_corners = false (PyTorch's F.interpolate, SegFormer's evaluation), edges clamped;
 * class logits upsampled before their argmax; class ids by nearest neighbour (pixel centres).
 */

/** Source indices and weight of bilinear resampling along one axis, per output index. */
export interface BilinearAxis {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly f: Float32Array;
}

/** The bilinear sampling of `outSize` points from `inSize` (align_corners = false, edges clamped). */
export function bilinearAxis(inSize: number, outSize: number): BilinearAxis {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
    const lo = Math.floor(x);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    f[o] = x - lo;
  }
  return { i0, i1, f };
}

/**
 * Calls `at` for each pixel o of an H x W resampling of an h x w map with the four source indices (into
 * the h x w plane) and their bilinear weights.
 */
function eachBilinear(h: number, w: number, H: number, W: number, at: (o: number, i00: number, i01: number, i10: number, i11: number, w00: number, w01: number, w10: number, w11: number) => void): void {
  const ay = bilinearAxis(h, H);
  const ax = bilinearAxis(w, W);
  for (let y = 0; y < H; y++) {
    const r0 = ay.i0[y]! * w;
    const r1 = ay.i1[y]! * w;
    const fy = ay.f[y]!;
    for (let x = 0; x < W; x++) {
      const c0 = ax.i0[x]!;
      const c1 = ax.i1[x]!;
      const fx = ax.f[x]!;
      at(y * W + x, r0 + c0, r0 + c1, r1 + c0, r1 + c1, (1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx);
    }
  }
}

/**
 * Writes into `out` (H x W) the argmax over the classes of `logits` [classes, h, w], upsampled bilinearly
 * to H x W first (the plain argmax where the sizes agree).
 */
export function argmaxResampled(logits: ArrayLike<number>, classes: number, h: number, w: number, H: number, W: number, out: Uint8Array | Int32Array): void {
  const plane = h * w;
  if (h === H && w === W) {
    for (let p = 0; p < plane; p++) {
      let best = 0;
      let bestV = logits[p]!;
      for (let c = 1; c < classes; c++) {
        const v = logits[c * plane + p]!;
        if (v > bestV) [best, bestV] = [c, v];
      }
      out[p] = best;
    }
    return;
  }
  eachBilinear(h, w, H, W, (o, i00, i01, i10, i11, w00, w01, w10, w11) => {
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < classes; c++) {
      const b = c * plane;
      const v = w00 * logits[b + i00]! + w01 * logits[b + i01]! + w10 * logits[b + i10]! + w11 * logits[b + i11]!;
      if (v > bestV) [best, bestV] = [c, v];
    }
    out[o] = best;
  });
}

/** A single-channel map h x w resampled bilinearly (align_corners = false) to H x W. */
export function resizeBilinear(values: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  if (h === H && w === W) return values instanceof Float32Array ? values : Float32Array.from(values);
  const out = new Float32Array(H * W);
  eachBilinear(h, w, H, W, (o, i00, i01, i10, i11, w00, w01, w10, w11) => {
    out[o] = w00 * values[i00]! + w01 * values[i01]! + w10 * values[i10]! + w11 * values[i11]!;
  });
  return out;
}

/** The source index of each of `outSize` points sampled nearest (pixel centres) from `inSize`. */
export function nearestAxis(inSize: number, outSize: number): Int32Array {
  return Int32Array.from({ length: outSize }, (_, o) => Math.min(inSize - 1, Math.floor(((o + 0.5) * inSize) / outSize)));
}
