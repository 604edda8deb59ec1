import { quote } from '../util/text.js';
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { TandemError } from '../util/errors.js';
import type { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Tensor } from '../ir/tensor.js';
import type { Shape } from '../ir/types.js';
import { readNpy, readNpz } from '../io/npy.js';
import { imageToTensor, resolveImagePreprocess, type ImagePreprocessOptions } from './image-preprocess.js';
import { imageToPixels, resolvePixelPreprocess, type PixelInput } from './image-pixels.js';

/**
 * Calibration samples, read one at a time in a fixed order (file names sorted by code point), so that
 * memory holds one batch, never the dataset.
 */
export interface CalibrationSource {
  /** Sample ids (file names) in order. */
  readonly ids: readonly string[];
  /** What the samples are, for messages: "64 images in calib/ (stretch to 512x1024, nchw)". */
  readonly description: string;
  /** Feeds of sample `index`, keyed by input name, each with a leading batch dimension of 1. */
  read(index: number): Promise<Record<string, Tensor>>;
}

/** A model input: its name, element type and declared shape. */
export interface ModelInputSpec {
  readonly name: string;
  readonly dtype: DataType | undefined;
  readonly shape: Shape | undefined;
}

/** The runtime inputs of a model as specs. */
export function modelInputSpecs(model: Model): ModelInputSpec[] {
  return model.graph.runtimeInputs.map((name) => {
    const t = model.graph.value(name)?.type;
    return t?.kind === 'tensor' ? { name, dtype: t.dtype, shape: t.shape } : { name, dtype: undefined, shape: undefined };
  });
}

/** Options of `openCalibrationFolder`. */
export interface CalibrationFolderOptions {
  /** Use the first `limit` samples (after `offset`). @default all */
  limit?: number;
  /** Skip the first `offset` samples. @default 0 */
  offset?: number;
  /** How images become tensors (image folders only). @default the model input's size, ImageNet mean and std */
  image?: ImagePreprocessOptions;
  /**
   * The input takes pixels that the model normalises itself (a plan's `io.input`): images are resized as
   * usual and packed in its encoding instead of normalised. @default none (float input)
   */
  pixels?: PixelInput;
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);

/** The sample files of a folder by kind, sorted by code point. */
function listSamples(dir: string): { kind: 'image' | 'npz' | 'npy'; files: string[] } {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new TandemError('CALIB_DATA', `calibration data ${dir} is not a folder; give a folder of images, .npz or .npy files`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof TandemError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TandemError('FILE_NOT_FOUND', `calibration data folder ${dir} does not exist`, { cause: e });
    throw new TandemError('IO', `cannot read calibration data folder ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const byKind = { image: [] as string[], npz: [] as string[], npy: [] as string[] };
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const ext = extname(name).toLowerCase();
    if (IMAGE_EXT.has(ext)) byKind.image.push(name);
    else if (ext === '.npz') byKind.npz.push(name);
    else if (ext === '.npy') byKind.npy.push(name);
  }
  const kinds = (Object.keys(byKind) as (keyof typeof byKind)[]).filter((k) => byKind[k].length > 0);
  if (kinds.length === 0) {
    throw new TandemError('CALIB_DATA', `calibration data folder ${dir} holds no samples (${names.length} entries, none an image, .npz or .npy); put one file per sample there`);
  }
  if (kinds.length > 1) {
    throw new TandemError('CALIB_DATA', `calibration data folder ${dir} mixes ${kinds.map((k) => `${byKind[k].length} ${k}`).join(' and ')} files; keep one kind per folder`);
  }
  const kind = kinds[0]!;
  // Code-point order: the same on every machine and locale.
  return { kind, files: byKind[kind].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
}

function window<T>(items: readonly T[], o: CalibrationFolderOptions): T[] {
  const offset = o.offset ?? 0;
  if (o.limit !== undefined && (!Number.isSafeInteger(o.limit) || o.limit <= 0)) throw new TandemError('USAGE', `limit must be a positive integer, got ${o.limit}`);
  return items.slice(offset, o.limit === undefined ? undefined : offset + o.limit);
}

/**
 * Opens a folder of calibration samples for a model with the given inputs: images (one image input),
 * `.npz` files keyed by input name, or `.npy` files (single-input models). Throws `CALIB_DATA` for a
 * folder tandem cannot use, naming what is wrong.
 */
export function openCalibrationFolder(dir: string, inputs: readonly ModelInputSpec[], o: CalibrationFolderOptions = {}): CalibrationSource {
  const { kind, files: all } = listSamples(dir);
  const files = window(all, o);
  if (files.length === 0) throw new TandemError('CALIB_DATA', `calibration data folder ${dir} has ${all.length} samples, none left after offset ${o.offset ?? 0}`);
  if (inputs.length === 0) throw new TandemError('CALIB_DATA', 'the model has no runtime inputs to feed');
  if ((kind === 'npy' || kind === 'image') && inputs.length !== 1) {
    throw new TandemError('CALIB_DATA', `${dir} holds ${kind === 'npy' ? '.npy' : 'image'} files, which feed a single input, but the model takes ${inputs.length}: ${inputs.map((i) => `${quote(i.name)}`).join(', ')}; save one .npz per sample keyed by input name`);
  }
  const count = `${files.length} ${kind === 'image' ? 'images' : `${kind} files`} in ${dir}`;
  if (kind === 'image') {
    const input = inputs[0]!;
    const pixels = o.pixels;
    if (pixels !== undefined && pixels.name !== input.name) throw new TandemError('CALIB_DATA', `the pixel input is ${quote(pixels.name)}, the model's input ${quote(input.name)}`);
    if (pixels !== undefined) {
      const p = resolvePixelPreprocess(o.image ?? {}, pixels, input.shape);
      return {
        ids: files,
        description: `${count} (${p.resize} to ${p.height}x${p.width}, ${p.channelOrder}, as ${pixels.encoding} pixels, which the model normalises)`,
        read: async (i) => ({ [input.name]: checkFeed(await imageToPixels(join(dir, files[i]!), p, pixels.encoding), input, files[i]!) }),
      };
    }
    if (input.dtype !== undefined && input.dtype !== 'float32' && input.dtype !== 'float16') {
      throw new TandemError('CALIB_DATA', `${dir} holds images, which become float tensors, but input ${quote(input.name)} takes ${input.dtype}[${(input.shape ?? []).map((d) => d ?? '?').join(', ')}]; for a plan's pixel input, run the plan (its plan.json says the pixel encoding), or give .npy/.npz files of that type`);
    }
    const p = resolveImagePreprocess(o.image ?? {}, input.shape, input.name);
    return {
      ids: files,
      description: `${count} (${p.resize} to ${p.height}x${p.width}, ${p.channelOrder}, ${p.layout}, scale ${p.scale.toPrecision(4)}, mean ${p.mean.join('/')}, std ${p.std.join('/')})`,
      read: async (i) => ({ [input.name]: checkFeed(await imageToTensor(join(dir, files[i]!), p), input, files[i]!) }),
    };
  }
  return {
    ids: files,
    description: count,
    read: async (i) => {
      const file = join(dir, files[i]!);
      if (kind === 'npy') return { [inputs[0]!.name]: checkFeed(readNpy(file), inputs[0]!, files[i]!) };
      const arrays = readNpz(file);
      const feeds: Record<string, Tensor> = {};
      for (const input of inputs) {
        const t = arrays.get(input.name);
        if (t === undefined) {
          throw new TandemError('CALIB_DATA', `${file} has no array ${quote(input.name)} (it has ${[...arrays.keys()].map((k) => `${quote(k)}`).join(', ') || 'none'}); save each sample with np.savez(f, **{input_name: array})`);
        }
        feeds[input.name] = checkFeed(t, input, files[i]!);
      }
      return feeds;
    },
  };
}

/** Samples held in memory (generated inputs, tests). */
export function arraySource(samples: readonly Record<string, Tensor>[], description = `${samples.length} samples in memory`): CalibrationSource {
  return { ids: samples.map((_, i) => `sample-${i}`), description, read: async (i) => ({ ...samples[i]! }) };
}

/** Samples [start, end) of another source. */
export function sliceSource(source: CalibrationSource, start: number, end = source.ids.length): CalibrationSource {
  const ids = source.ids.slice(start, end);
  return { ids, description: `${ids.length} of ${source.description}`, read: (i) => source.read(start + i) };
}

/** Checks a sample against the input: dtype, and shape where static (a missing leading batch dim of 1 is added). */
function checkFeed(t: Tensor, input: ModelInputSpec, file: string): Tensor {
  if (input.dtype !== undefined && t.dtype !== input.dtype) {
    throw new TandemError('CALIB_DATA', `${file}: ${quote(input.name)} is ${t.dtype}, the model input is ${input.dtype}; convert it (e.g. x.astype(np.${input.dtype === 'float32' ? 'float32' : input.dtype}))`);
  }
  const shape = input.shape;
  if (shape === undefined) return t;
  let dims = t.dims;
  if (dims.length === shape.length - 1) dims = [1, ...dims];
  const fits = dims.length === shape.length && shape.every((d, i) => typeof d !== 'number' || d === dims[i] || (i === 0 && typeof d !== 'number'));
  if (!fits) {
    throw new TandemError('CALIB_DATA', `${file}: ${quote(input.name)} has shape [${t.dims.join(', ')}], the model input is [${shape.map((d) => d ?? '?').join(', ')}]`);
  }
  return dims === t.dims ? t : t.reshaped(dims);
}
