import { renameSync, rmSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { TandemError } from '../util/errors.js';

/**
 * PNG files of frames and their ground truth: RGB images, 8-bit label maps (one id per pixel) and
 * 16-bit depth maps (metres × 256, 0 = no depth; KITTI's convention, 255.99 m at most). Writes go to a
 * temporary name and are renamed.
 */

/** Depth PNG units: value = round(metres × DEPTH_PNG_SCALE). */
export const DEPTH_PNG_SCALE = 256;

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** RGB, row-major, 3 bytes a pixel. */
  readonly data: Uint8Array;
}

async function writePng(path: string, img: Sharp): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await img.png({ compressionLevel: 6 }).toFile(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new TandemError('IO', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

export async function writeRgbPng(path: string, width: number, height: number, rgb: Uint8Array): Promise<void> {
  await writePng(path, sharp(rgb, { raw: { width, height, channels: 3 } }));
}

/** An 8-bit single-channel PNG (label ids). */
export async function writeGreyPng(path: string, width: number, height: number, values: Uint8Array): Promise<void> {
  await writePng(path, sharp(values, { raw: { width, height, channels: 1 } }).toColourspace('b-w'));
}

/** A 16-bit depth PNG from metres (0 = no depth; values past 255.99 m saturate). */
export async function writeDepthPng(path: string, width: number, height: number, metres: Float32Array): Promise<void> {
  const v = new Uint16Array(width * height);
  for (let i = 0; i < v.length; i++) {
    const d = metres[i]!;
    v[i] = d > 0 && Number.isFinite(d) ? Math.min(65535, Math.round(d * DEPTH_PNG_SCALE)) : 0;
  }
  await writePng(path, sharp(v, { raw: { width, height, channels: 1 } }).toColourspace('grey16'));
}

async function decode(path: string, what: string, op: (img: Sharp) => Sharp, depth: 'uchar' | 'ushort' = 'uchar'): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  try {
    const { data, info } = await op(sharp(path, { failOn: 'error' }))
      .raw({ depth })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || /missing|no such file/i.test((e as Error).message)) throw new TandemError('FILE_NOT_FOUND', `${what} ${path} does not exist`, { cause: e });
    throw new TandemError('DATASET', `cannot decode ${what} ${path}: ${(e as Error).message}; give a PNG or JPEG file`, { cause: e });
  }
}

/** Any image sharp decodes, as RGB (alpha dropped, grey expanded). */
export async function readRgbImage(path: string): Promise<RgbImage> {
  const { data, width, height } = await decode(path, 'image', (img) => img.removeAlpha().toColourspace('srgb'));
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A single-channel 8-bit image (label ids); a colour file is refused, since its values would not be ids. */
export async function readLabelPng(path: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const meta = await sharp(path).metadata().catch((e: unknown) => {
    throw new TandemError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'DATASET', `cannot read label map ${path}: ${(e as Error).message}`, { cause: e });
  });
  if ((meta.channels ?? 1) > 2 || meta.depth !== 'uchar') {
    throw new TandemError('DATASET', `label map ${path} has ${meta.channels} channels of ${meta.depth}; expected one 8-bit channel of class ids (a *_labelIds.png, not a *_color.png)`);
  }
  const { data, width, height } = await decode(path, 'label map', (img) => img.extractChannel(0));
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A 16-bit depth PNG as metres (value / 256; 0 stays 0 = no depth). */
export async function readDepthPng(path: string, scale = DEPTH_PNG_SCALE): Promise<{ width: number; height: number; data: Float32Array }> {
  const meta = await sharp(path).metadata().catch((e: unknown) => {
    throw new TandemError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'DATASET', `cannot read depth map ${path}: ${(e as Error).message}`, { cause: e });
  });
  if (meta.depth !== 'ushort' || (meta.channels ?? 1) !== 1) {
    throw new TandemError('DATASET', `depth map ${path} has ${meta.channels} channels of ${meta.depth}; expected one 16-bit channel (metres × ${scale}, 0 = no depth)`);
  }
  const { data, width, height } = await decode(path, 'depth map', (img) => img.toColourspace('grey16'), 'ushort');
  const raw = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]! / scale;
  return { width, height, data: out };
}
