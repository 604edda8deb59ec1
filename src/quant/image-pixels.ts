import { TandemError } from '../util/errors.js';
import { quote } from '../util/text.js';
import { Tensor } from '../ir/tensor.js';
import type { Shape } from '../ir/types.js';
import type { InputEncoding, PlanFrameIo } from '../io/stage-file/types.js';
import { decodeImage, resolveImagePreprocess, type ImagePreprocessOptions, type ResolvedImagePreprocess } from './image-preprocess.js';

/** A pixel encoding of an image input (plan/frame-io's encodeInput): everything but `'float'`. */
export type PixelEncoding = Exclude<InputEncoding, 'float'>;

/** The pixel input a plan's entry stage takes: `plan.io.input`. */
export type PixelInput = NonNullable<PlanFrameIo['input']>;

/** The float [N, C, H, W] shape a pixel input of `encoding` and `shape` stands for: encodeInput's inverse. */
export function pixelFloatShape(encoding: PixelEncoding, shape: Shape): Shape {
  if (encoding === 'rgba-uint32') return shape.length === 3 ? [shape[0]!, 3, shape[1]!, shape[2]!] : shape;
  if (encoding === 'uint8-hwc') return shape.length === 4 ? [shape[0]!, shape[3]!, shape[1]!, shape[2]!] : shape;
  return shape;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Resolves how images become the pixels of `input` (its pixel `shape`): size, resize and channel order
 * from `o`, normalisation from the plan (the entry stage applies it). A mean, std or scale in `o` that
 * differs from the plan's is refused: the pixels would be normalised with the plan's, not those.
 */
export function resolvePixelPreprocess(o: ImagePreprocessOptions, input: PixelInput, shape: Shape | undefined): ResolvedImagePreprocess {
  const given = { mean: o.mean, std: o.std, scale: o.scale };
  const differs = (given.mean !== undefined && (given.mean.length !== input.mean.length || given.mean.some((v, i) => !close(v, input.mean[i]!))))
    || (given.std !== undefined && (given.std.length !== input.std.length || given.std.some((v, i) => !close(v, input.std[i]!))))
    || (given.scale !== undefined && !close(given.scale, input.scale));
  if (differs) {
    throw new TandemError(
      'USAGE',
      `input ${quote(input.name)} takes ${input.encoding} pixels that the plan's entry stage normalises with mean ${input.mean.join('/')}, std ${input.std.join('/')}, scale ${input.scale}; the preprocessing asked for (the model's tandem.preprocess metadata or the options) says mean ${(given.mean ?? input.mean).join('/')}, std ${(given.std ?? input.std).join('/')}, scale ${given.scale ?? input.scale}. Leave mean, std and scale out (the plan has them), or plan again with the normalisation wanted`,
    );
  }
  const floatShape = shape === undefined ? undefined : pixelFloatShape(input.encoding, shape);
  return resolveImagePreprocess({ ...o, mean: input.mean, std: input.std, scale: input.scale, layout: 'nchw' }, floatShape, input.name);
}

/**
 * Packs decoded pixels (`p.channels` bytes a pixel, RGB or grey, row-major at p's size) as the pixel
 * input of `encoding` with a batch dimension of 1, channels in the model's order (`p.channelOrder`):
 * uint8 [1,H,W,C], uint8 [1,C,H,W], or uint32 [1,H,W] with model channel k in byte k (little-endian:
 * c0 + c1·2^8 + c2·2^16, and 255 in the top byte, the alpha encodeInput ignores).
 */
export function packPixels(pixels: Uint8Array, p: Pick<ResolvedImagePreprocess, 'width' | 'height' | 'channels' | 'channelOrder'>, encoding: PixelEncoding): Tensor<'uint8'> | Tensor<'uint32'> {
  const { width: w, height: h, channels: c } = p;
  const n = w * h;
  if (pixels.length !== n * c) throw new TandemError('INPUT_MISMATCH', `pixels hold ${pixels.length} bytes; ${h}x${w} with ${c} channels needs ${n * c}`);
  if (encoding === 'rgba-uint32' && c !== 3) throw new TandemError('MODEL_UNSUITABLE', `rgba-uint32 carries 3 colour channels; the input takes ${c}`);
  // model channel k reads source channel k (rgb) or 2 − k (bgr)
  const src = (k: number): number => (p.channelOrder === 'bgr' && c === 3 ? 2 - k : k);
  if (encoding === 'rgba-uint32') {
    const out = new Uint32Array(n);
    const [s0, s1, s2] = [src(0), src(1), src(2)];
    for (let i = 0; i < n; i++) out[i] = (pixels[i * 3 + s0]! | (pixels[i * 3 + s1]! << 8) | (pixels[i * 3 + s2]! << 16) | (255 << 24)) >>> 0;
    return new Tensor('uint32', [1, h, w], out);
  }
  const out = new Uint8Array(n * c);
  for (let k = 0; k < c; k++) {
    const s = src(k);
    if (encoding === 'uint8-hwc') for (let i = 0; i < n; i++) out[i * c + k] = pixels[i * c + s]!;
    else for (let i = 0; i < n; i++) out[k * n + i] = pixels[i * c + s]!;
  }
  return new Tensor('uint8', encoding === 'uint8-hwc' ? [1, h, w, c] : [1, c, h, w], out);
}

/** Decodes one image file, resized as the float path (imageToTensor) does, into the pixel input of `encoding`. */
export async function imageToPixels(file: string, p: ResolvedImagePreprocess, encoding: PixelEncoding): Promise<Tensor<'uint8'> | Tensor<'uint32'>> {
  return packPixels(await decodeImage(file, p), p, encoding);
}
