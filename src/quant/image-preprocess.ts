import sharp from 'sharp';
import { TandemError, isTandemError } from '../util/errors.js';
import { readRegularFile } from '../util/fs.js';
import { checkedElementCount } from '../util/limits.js';
import { printable, quote } from '../util/text.js';
import { Tensor } from '../ir/tensor.js';

/** How an image becomes an input tensor: value = (pixel · scale − mean[c]) / std[c]. */
export interface ImagePreprocessOptions {
  /** Output width; @default the model input's static width */
  width?: number;
  /** Output height; @default the model input's static height */
  height?: number;
  /** 'stretch' ignores the aspect ratio; 'cover' scales the short side and crops the centre; 'contain' letterboxes with zeros. @default 'stretch' */
  resize?: 'stretch' | 'cover' | 'contain';
  /** Per-channel mean, after `scale`. @default [0.485, 0.456, 0.406] (ImageNet) */
  mean?: readonly number[];
  /** Per-channel standard deviation, after `scale`. @default [0.229, 0.224, 0.225] (ImageNet) */
  std?: readonly number[];
  /** Channel order of the tensor. @default 'rgb' */
  channelOrder?: 'rgb' | 'bgr';
  /** @default 'nchw' */
  layout?: 'nchw' | 'nhwc';
  /** Multiplies the 0..255 pixel first. @default 1/255 */
  scale?: number;
}

/** Image preprocessing with every option settled against the model input. */
export interface ResolvedImagePreprocess {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly resize: 'stretch' | 'cover' | 'contain';
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly channelOrder: 'rgb' | 'bgr';
  readonly layout: 'nchw' | 'nhwc';
  readonly scale: number;
}

/** Resolves the options against the model input's shape ([N, C, H, W] or [N, H, W, C]). */
export function resolveImagePreprocess(o: ImagePreprocessOptions, inputShape: readonly (number | string | null)[] | undefined, inputName: string): ResolvedImagePreprocess {
  const layout = o.layout ?? 'nchw';
  const dim = (i: number): number | undefined => {
    const d = inputShape?.[i];
    return typeof d === 'number' ? d : undefined;
  };
  const rank4 = inputShape?.length === 4;
  const c = rank4 ? dim(layout === 'nchw' ? 1 : 3) : undefined;
  const height = o.height ?? (rank4 ? dim(layout === 'nchw' ? 2 : 1) : undefined);
  const width = o.width ?? (rank4 ? dim(layout === 'nchw' ? 3 : 2) : undefined);
  if (inputShape !== undefined && !rank4) {
    throw new TandemError('CALIB_DATA', `input ${quote(inputName)} has rank ${inputShape.length}; images need a rank-4 input ([N, C, H, W] or [N, H, W, C]); give .npy/.npz tensors instead`);
  }
  if (width === undefined || height === undefined) {
    throw new TandemError('CALIB_DATA', `input ${quote(inputName)} has no static height and width; give the image size (--size HxW)`);
  }
  const channels = c ?? 3;
  if (channels !== 1 && channels !== 3) throw new TandemError('CALIB_DATA', `input ${quote(inputName)} has ${channels} channels; images give 1 (grey) or 3 (colour)`);
  const mean = o.mean ?? (channels === 3 ? [0.485, 0.456, 0.406] : [0.449]);
  const std = o.std ?? (channels === 3 ? [0.229, 0.224, 0.225] : [0.226]);
  if (mean.length !== channels || std.length !== channels) throw new TandemError('USAGE', `mean and std need ${channels} values each (one per channel), got ${mean.length} and ${std.length}`);
  if (std.some((s) => !(s !== 0 && Number.isFinite(s)))) throw new TandemError('USAGE', `std values must be finite and non-zero, got ${std.join(', ')}`);
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) throw new TandemError('USAGE', `image size must be positive integers, got ${height}x${width}`);
  checkedElementCount([height, width, channels], `input ${quote(inputName)} from images (height, width, channels)`, { remedy: 'give a smaller image size with --size HxW' });
  return Object.freeze({ width, height, channels, resize: o.resize ?? 'stretch', mean: [...mean], std: [...std], channelOrder: o.channelOrder ?? 'rgb', layout, scale: o.scale ?? 1 / 255 });
}

/** Largest image file read (a 100-megapixel PNG is far smaller). */
const MAX_IMAGE_FILE = 512 << 20;

const FIT = { stretch: 'fill', cover: 'cover', contain: 'contain' } as const;

/**
 * Decodes one image file and resizes it to `p`'s size as `p.resize` says: `p.channels` bytes a pixel
 * (RGB, or grey), row-major. The pixels imageToTensor normalises and imageToPixels packs.
 */
export async function decodeImage(file: string, p: ResolvedImagePreprocess): Promise<Uint8Array> {
  let pixels: Buffer;
  const bytes = readRegularFile(file, { maxBytes: MAX_IMAGE_FILE, what: 'image file' });
  try {
    let img = sharp(bytes, { failOn: 'error' }).resize(p.width, p.height, { fit: FIT[p.resize], background: { r: 0, g: 0, b: 0 } }).removeAlpha();
    img = p.channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
    pixels = await img.raw().toBuffer();
  } catch (e) {
    if (isTandemError(e)) throw e;
    throw new TandemError('CALIB_DATA', `cannot decode image ${printable(file)}: ${printable((e as Error).message)}; remove it from the calibration folder or convert it to PNG/JPEG`, { cause: e });
  }
  const { width: w, height: h, channels: c } = p;
  if (pixels.length !== w * h * c) throw new TandemError('CALIB_DATA', `image ${file} decoded to ${pixels.length} bytes, expected ${w}x${h}x${c}`);
  return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
}

/** Decodes and preprocesses one image file into a float32 tensor with a batch dimension of 1. */
export async function imageToTensor(file: string, p: ResolvedImagePreprocess): Promise<Tensor<'float32'>> {
  const pixels = await decodeImage(file, p);
  const { width: w, height: h, channels: c } = p;
  const out = new Float32Array(w * h * c);
  const mul = new Float64Array(c);
  const add = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    // Output channel ch reads source channel ch (rgb) or 2−ch (bgr).
    mul[ch] = p.scale / p.std[ch]!;
    add[ch] = -p.mean[ch]! / p.std[ch]!;
  }
  for (let ch = 0; ch < c; ch++) {
    const src = p.channelOrder === 'bgr' && c === 3 ? 2 - ch : ch;
    const m = mul[ch]!;
    const a = add[ch]!;
    if (p.layout === 'nchw') {
      const base = ch * w * h;
      for (let i = 0; i < w * h; i++) out[base + i] = pixels[i * c + src]! * m + a;
    } else {
      for (let i = 0; i < w * h; i++) out[i * c + ch] = pixels[i * c + src]! * m + a;
    }
  }
  const dims = p.layout === 'nchw' ? [1, c, h, w] : [1, h, w, c];
  return new Tensor('float32', dims, out);
}

/** The metadata key under which a model states its preprocessing (JSON, see preprocessFromMetadata). */
export const PREPROCESS_METADATA_KEY = 'tandem.preprocess';

/**
 * The preprocessing a model states in its ONNX metadata_props (`tandem.preprocess`: JSON with height,
 * width, mean, std, scale, channelOrder, layout, resize), as options; undefined where it states none.
 * Values of the wrong type are refused with MODEL_METADATA naming the key, not silently dropped.
 */
export function preprocessFromMetadata(metadata: readonly (readonly [string, string])[]): ImagePreprocessOptions | undefined {
  const raw = metadata.find(([k]) => k === PREPROCESS_METADATA_KEY)?.[1];
  if (raw === undefined) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    throw new TandemError('MODEL_METADATA', `the model's metadata "${PREPROCESS_METADATA_KEY}" is not JSON (${(e as Error).message}); fix or remove it, or give the preprocessing as flags`, { cause: e });
  }
  const out: ImagePreprocessOptions = {};
  const bad = (key: string): never => {
    throw new TandemError('MODEL_METADATA', `the model's metadata "${PREPROCESS_METADATA_KEY}" has ${key} = ${JSON.stringify(o[key])}, which is not valid; fix the metadata or give --${key} as a flag`);
  };
  const num = (key: string): number | undefined => (o[key] === undefined ? undefined : typeof o[key] === 'number' && Number.isFinite(o[key]) ? (o[key] as number) : bad(key));
  const nums = (key: string): number[] | undefined => (o[key] === undefined ? undefined : Array.isArray(o[key]) && (o[key] as unknown[]).every((v) => typeof v === 'number') ? (o[key] as number[]) : bad(key));
  const pick = <T extends string>(key: string, allowed: readonly T[]): T | undefined => (o[key] === undefined ? undefined : allowed.includes(o[key] as T) ? (o[key] as T) : bad(key));
  const height = num('height');
  const width = num('width');
  const scale = num('scale');
  const mean = nums('mean');
  const std = nums('std');
  const channelOrder = pick('channelOrder', ['rgb', 'bgr'] as const);
  const layout = pick('layout', ['nchw', 'nhwc'] as const);
  const resize = pick('resize', ['stretch', 'cover', 'contain'] as const);
  if (height !== undefined) out.height = height;
  if (width !== undefined) out.width = width;
  if (scale !== undefined) out.scale = scale;
  if (mean !== undefined) out.mean = mean;
  if (std !== undefined) out.std = std;
  if (channelOrder !== undefined) out.channelOrder = channelOrder;
  if (layout !== undefined) out.layout = layout;
  if (resize !== undefined) out.resize = resize;
  return out;
}
