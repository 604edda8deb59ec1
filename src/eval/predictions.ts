import { counted } from '../util/text.js';
import sharp from 'sharp';
import { TandemError } from '../util/errors.js';
import { Tensor } from '../ir/tensor.js';
import type { ResolvedImagePreprocess } from '../quant/image-preprocess.js';
import { packPixels, type PixelEncoding } from '../quant/image-pixels.js';
import type { LabeledFrame } from './datasets/types.js';

/** A frame's RGB pixels at the input size of `p` (stretched where it differs: ground truth stays aligned). */
async function framePixels(frame: LabeledFrame, p: ResolvedImagePreprocess): Promise<Uint8Array> {
  if (p.channels !== 3) throw new TandemError('MODEL_UNSUITABLE', `eval feeds RGB frames; the model input takes ${counted(p.channels, 'channel')}`);
  if (frame.width === p.width && frame.height === p.height) return frame.image;
  if (p.resize !== 'stretch') throw new TandemError('MODEL_UNSUITABLE', `eval resizes frames by stretching only (ground truth must stay aligned); the model asks for "${p.resize}"`);
  const buf = await sharp(frame.image, { raw: { width: frame.width, height: frame.height, channels: 3 } }).resize(p.width, p.height, { fit: 'fill' }).raw().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** A frame's RGB image as the pixel input of a plan that normalises in its entry stage (same resize as frameToInput). */
export async function frameToPixels(frame: LabeledFrame, p: ResolvedImagePreprocess, encoding: PixelEncoding): Promise<Tensor> {
  return packPixels(await framePixels(frame, p), p, encoding);
}

/** A frame's RGB image as the model's input tensor (stretched to the input size where it differs). */
export async function frameToInput(frame: LabeledFrame, p: ResolvedImagePreprocess): Promise<Tensor<'float32'>> {
  const pixels = await framePixels(frame, p);
  const { width: w, height: h } = p;
  const out = new Float32Array(w * h * 3);
  for (let ch = 0; ch < 3; ch++) {
    const src = p.channelOrder === 'bgr' ? 2 - ch : ch;
    const m = p.scale / p.std[ch]!;
    const a = -p.mean[ch]! / p.std[ch]!;
    if (p.layout === 'nchw') {
      const base = ch * w * h;
      for (let i = 0; i < w * h; i++) out[base + i] = pixels[i * 3 + src]! * m + a;
    } else {
      for (let i = 0; i < w * h; i++) out[i * 3 + ch] = pixels[i * 3 + src]! * m + a;
    }
  }
  return new Tensor('float32', p.layout === 'nchw' ? [1, 3, h, w] : [1, h, w, 3], out);
}

/** Source coordinate and weights of bilinear resampling (align_corners = false, edges clamped), per output index. */
function axis(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
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
 * Argmax over the classes of logits [C, h, w], upsampled bilinearly (align_corners = false, as PyTorch's
 * F.interpolate and SegFormer's evaluation do) to H x W first.
 */
export function segmentationArgmax(logits: ArrayLike<number>, classes: number, h: number, w: number, H: number, W: number): Uint8Array {
  if (logits.length !== classes * h * w) throw new TandemError('INPUT_MISMATCH', `segmentation output has ${logits.length} values, expected ${classes} x ${h} x ${w}`);
  if (classes > 255) throw new TandemError('MODEL_UNSUITABLE', `segmentation with ${classes} classes does not fit 8-bit label maps`);
  const out = new Uint8Array(H * W);
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
    return out;
  }
  const ay = axis(h, H);
  const ax = axis(w, W);
  for (let y = 0; y < H; y++) {
    const r0 = ay.i0[y]! * w;
    const r1 = ay.i1[y]! * w;
    const fy = ay.f[y]!;
    for (let x = 0; x < W; x++) {
      const c0 = ax.i0[x]!;
      const c1 = ax.i1[x]!;
      const fx = ax.f[x]!;
      const w00 = (1 - fy) * (1 - fx);
      const w01 = (1 - fy) * fx;
      const w10 = fy * (1 - fx);
      const w11 = fy * fx;
      let best = 0;
      let bestV = -Infinity;
      for (let c = 0; c < classes; c++) {
        const b = c * plane;
        const v = w00 * logits[b + r0 + c0]! + w01 * logits[b + r0 + c1]! + w10 * logits[b + r1 + c0]! + w11 * logits[b + r1 + c1]!;
        if (v > bestV) [best, bestV] = [c, v];
      }
      out[y * W + x] = best;
    }
  }
  return out;
}

/** A single-channel map h x w resampled bilinearly (align_corners = false) to H x W. */
export function resizeBilinear(values: Float32Array, h: number, w: number, H: number, W: number): Float32Array {
  if (h === H && w === W) return values;
  const ay = axis(h, H);
  const ax = axis(w, W);
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const r0 = ay.i0[y]! * w;
    const r1 = ay.i1[y]! * w;
    const fy = ay.f[y]!;
    for (let x = 0; x < W; x++) {
      const c0 = ax.i0[x]!;
      const c1 = ax.i1[x]!;
      const fx = ax.f[x]!;
      out[y * W + x] = (1 - fy) * ((1 - fx) * values[r0 + c0]! + fx * values[r0 + c1]!) + fy * ((1 - fx) * values[r1 + c0]! + fx * values[r1 + c1]!);
    }
  }
  return out;
}

/**
 * Class ids [h, w] (a plan's argmax output) as an H x W label map, nearest neighbour (pixel centres) where
 * the sizes differ: the plan took the argmax before any upsampling, so at another size the ids can differ
 * from the argmax of bilinearly upsampled logits along class borders.
 */
export function segmentationIds(ids: ArrayLike<number>, classes: number, h: number, w: number, H: number, W: number): Uint8Array {
  if (ids.length !== h * w) throw new TandemError('INPUT_MISMATCH', `segmentation ids hold ${ids.length} values, expected ${h} x ${w}`);
  if (classes > 255) throw new TandemError('MODEL_UNSUITABLE', `segmentation with ${classes} classes does not fit 8-bit label maps`);
  const out = new Uint8Array(H * W);
  const ys = Int32Array.from({ length: H }, (_, y) => Math.min(h - 1, Math.floor(((y + 0.5) * h) / H)));
  const xs = Int32Array.from({ length: W }, (_, x) => Math.min(w - 1, Math.floor(((x + 0.5) * w) / W)));
  for (let y = 0; y < H; y++) {
    const row = ys[y]! * w;
    for (let x = 0; x < W; x++) {
      const id = ids[row + xs[x]!]!;
      if (!(id >= 0 && id < classes && Number.isInteger(id))) throw new TandemError('MODEL_UNSUITABLE', `the segmentation output gave class id ${id}; the model has ${classes} classes (ids 0..${classes - 1})`);
      out[y * W + x] = id;
    }
  }
  return out;
}
