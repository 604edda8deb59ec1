import { counted } from '../util/text.js';
import sharp from 'sharp';
import { TandemError } from '../util/errors.js';
import { Tensor } from '../ir/tensor.js';
import type { ResolvedImagePreprocess } from '../quant/image-preprocess.js';
import { packPixels, type PixelEncoding } from '../quant/image-pixels.js';
import type { LabeledFrame } from './datasets/types.js';
import { argmaxResampled, nearestAxis } from '../io/resample.js';
export { resizeBilinear } from '../io/resample.js';

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

/**
 * Argmax over the classes of logits [C, h, w], upsampled bilinearly (align_corners = false, as PyTorch's
 * F.interpolate and SegFormer's evaluation do) to H x W first.
 */
export function segmentationArgmax(logits: ArrayLike<number>, classes: number, h: number, w: number, H: number, W: number): Uint8Array {
  if (logits.length !== classes * h * w) throw new TandemError('INPUT_MISMATCH', `segmentation output has ${logits.length} values, expected ${classes} x ${h} x ${w}`);
  if (classes > 255) throw new TandemError('MODEL_UNSUITABLE', `segmentation with ${classes} classes does not fit 8-bit label maps`);
  const out = new Uint8Array(H * W);
  argmaxResampled(logits, classes, h, w, H, W, out);
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
  const ys = nearestAxis(h, H);
  const xs = nearestAxis(w, W);
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
