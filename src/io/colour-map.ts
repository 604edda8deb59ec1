import sharp from 'sharp';
import { argmaxResampled, nearestAxis, resizeBilinear } from './resample.js';
import { TandemError } from '../util/errors.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';

/**
 * How an output is drawn: `classes` (argmax over channels, one colour per class), `ids` (class ids
 * already, one colour per id) or `scalar` (one channel, min–max scaled, turbo).
 */
export type ColourMapKind = 'classes' | 'ids' | 'scalar';

/** Cityscapes' 19 class colours; further classes get colours from a fixed hash. */
const CLASS_COLOURS: readonly (readonly [number, number, number])[] = [
  [128, 64, 128], [244, 35, 232], [70, 70, 70], [102, 102, 156], [190, 153, 153], [153, 153, 153], [250, 170, 30], [220, 220, 0], [107, 142, 35], [152, 251, 152],
  [70, 130, 180], [220, 20, 60], [255, 0, 0], [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 80, 100], [0, 0, 230], [119, 11, 32],
];

const INTEGER: ReadonlySet<string> = new Set(['int32', 'int64', 'uint8', 'int8', 'uint16', 'int16', 'uint32']);

function classColour(c: number): readonly [number, number, number] {
  const known = CLASS_COLOURS[c];
  if (known) return known;
  const h = Math.imul(c + 1, 0x9e3779b1) >>> 0;
  return [h & 255, (h >>> 8) & 255, (h >>> 16) & 255];
}

/** Google's Turbo colour map, polynomial approximation (t in [0, 1]). */
export function turbo(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  const r = 0.13572138 + x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
  const g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
  const b = 0.1066733 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
  const q = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [q(r), q(g), q(b)];
}

/**
 * Which map suits an output: [1, C≥2, H, W] → classes, [1, 1, H, W] or [1, H, W] → scalar, else none;
 * an integer [1, H, W] or [1, 1, H, W] said to be class ids (`form` 'argmax', a plan's compact output) → ids.
 */
export function colourMapKind(t: Tensor, form?: 'float' | 'argmax' | 'fp16'): ColourMapKind | undefined {
  const d = t.dims;
  if (form === 'argmax') return INTEGER.has(t.dtype) && d[0] === 1 && (d.length === 3 || (d.length === 4 && d[1] === 1)) ? 'ids' : undefined;
  const float = t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'float64';
  if (!float || d[0] !== 1) return undefined;
  if (d.length === 4 && d[1]! >= 2 && d[2]! >= 1 && d[3]! >= 1) return 'classes';
  if ((d.length === 4 && d[1] === 1) || d.length === 3) return 'scalar';
  return undefined;
}

/** The size to draw an output map at. */
export interface MapSize {
  readonly height: number;
  readonly width: number;
}

/**
 * RGB pixels (row-major, 3 bytes each) of an output drawn as `kind`, at its own size or at `size`
 * (the input image's, for a map the model makes at a stride): class logits upsampled bilinearly before
 * their argmax, class ids nearest, scalar maps bilinearly (io/resample, as eval scores them).
 */
export function colourMap(t: Tensor, kind: ColourMapKind, size?: MapSize): { width: number; height: number; rgb: Uint8Array } {
  const d = t.dims;
  const [h, w] = [d.at(-2)!, d.at(-1)!];
  const [H, W] = size === undefined ? [h, w] : [size.height, size.width];
  const pixels = H * W;
  const v = tensorValues(t) as number[];
  const rgb = new Uint8Array(pixels * 3);
  if (kind === 'ids') {
    const ys = nearestAxis(h, H);
    const xs = nearestAxis(w, W);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set(classColour(Number(v[ys[y]! * w + xs[x]!]!)), (y * W + x) * 3);
  } else if (kind === 'classes') {
    const ids = new Int32Array(pixels);
    argmaxResampled(v, d[1]!, h, w, H, W, ids);
    for (let p = 0; p < pixels; p++) rgb.set(classColour(ids[p]!), p * 3);
  } else {
    const m = resizeBilinear(v, h, w, H, W);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < pixels; p++) if (Number.isFinite(m[p]!)) [lo, hi] = [Math.min(lo, m[p]!), Math.max(hi, m[p]!)];
    const span = hi > lo ? hi - lo : 1;
    for (let p = 0; p < pixels; p++) rgb.set(turbo(Number.isFinite(m[p]!) ? (m[p]! - lo) / span : 0), p * 3);
  }
  return { width: W, height: H, rgb };
}

/** A PNG of an output drawn as `kind` (at `size` where given; see colourMap). */
export async function colourMapPng(t: Tensor, kind: ColourMapKind, size?: MapSize): Promise<Uint8Array> {
  const { width, height, rgb } = colourMap(t, kind, size);
  try {
    return await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
  } catch (e) {
    throw new TandemError('IO', `cannot encode a ${width}x${height} PNG: ${(e as Error).message}`, { cause: e });
  }
}
