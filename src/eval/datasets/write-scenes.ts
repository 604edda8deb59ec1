import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TandemError } from '../../util/errors.js';
import { assertFolderFree, writeFolderAsync, type ReadPath, type StagedFolder } from '../../util/fs.js';
import type { ProgressCallback } from '../../util/progress.js';
import { DEPTH_PNG_SCALE, writeDepthPng, writeGreyPng, writeRgbPng } from '../image-io.js';
import type { FrameDataset, LabeledFrame } from './types.js';

/** How frames are written: one PNG triple per frame, or three stacked .npy arrays (for training scripts). */
export type SceneFormat = 'png' | 'npy';
export const SCENE_FORMATS: readonly SceneFormat[] = ['png', 'npy'];

/** Options of `writeScenes`. */
export interface WriteScenesOptions {
  /** File format: PNG images and labels, or .npy arrays. @default 'png' */
  format?: SceneFormat;
  /** Told after each frame written (`kind: 'frame'`). */
  onProgress?: ProgressCallback;
  /**
   * What the dataset reads (a folder dataset's folder): `dir` may not be, lie inside, or hold it where
   * images/, labels/, depth/ or the .npy files go (TandemError `FILE_EXISTS`). @default []
   */
  protect?: readonly (string | ReadPath)[];
}

/** What `writeScenes` wrote. */
export interface WriteScenesResult {
  readonly frames: number;
  readonly files: readonly string[];
}

/** The names each format writes in the folder. */
const SCENE_ENTRIES: Readonly<Record<SceneFormat, readonly string[]>> = {
  png: ['images', 'labels', 'depth'],
  npy: ['images.npy', 'labels.npy', 'depth.npy'],
};

/**
 * Writes a dataset to `dir`. 'png': images/<id>.png (RGB), labels/<id>.png (8-bit train ids, 255 =
 * ignore), depth/<id>.png (16-bit, metres × 256, 0 = none) — the layout the generic folder reader
 * reads back. 'npy': images.npy uint8 [N, H, W, 3], labels.npy uint8 [N, H, W], depth.npy uint16
 * [N, H, W] (metres × 256), written frame by frame, so memory holds one frame.
 *
 * The files are written under a hidden staging folder and renamed into `dir` when every frame is done:
 * a failure (a frame that cannot be read, sizes that differ in npy) leaves no final-named file; a
 * killed process leaves only the hidden staging folder (`.<dir>.tandem-tmp-*`, or `<dir>/.tandem-tmp-*`).
 */
export async function writeScenes(dataset: FrameDataset, dir: string, options: WriteScenesOptions = {}): Promise<WriteScenesResult> {
  const format = options.format ?? 'png';
  assertFolderFree(dir, options.protect ?? [], { entries: SCENE_ENTRIES[format] });
  await writeFolderAsync(dir, (out) => (format === 'png' ? writePngScenes(dataset, out, options) : writeNpyScenes(dataset, out, options)));
  return { frames: dataset.size, files: SCENE_ENTRIES[format].map((s) => join(dir, s)) };
}

async function writePngScenes(dataset: FrameDataset, out: StagedFolder, options: WriteScenesOptions): Promise<void> {
  const total = dataset.size;
  for (const sub of SCENE_ENTRIES.png) mkdirSync(out.at(sub), { recursive: true });
  for (let i = 0; i < total; i++) {
    const f = await dataset.read(i);
    await writeRgbPng(out.at(join('images', `${f.id}.png`)), f.width, f.height, f.image);
    if (f.labels) await writeGreyPng(out.at(join('labels', `${f.id}.png`)), f.width, f.height, f.labels);
    if (f.depth) await writeDepthPng(out.at(join('depth', `${f.id}.png`)), f.width, f.height, f.depth);
    options.onProgress?.({ kind: 'frame', done: i + 1, total });
  }
}

async function writeNpyScenes(dataset: FrameDataset, out: StagedFolder, options: WriteScenesOptions): Promise<void> {
  const total = dataset.size;
  const first = await dataset.read(0);
  const { width: w, height: h } = first;
  const arrays = [
    { name: 'images.npy', descr: '|u1', tail: [h, w, 3], bytes: (f: LabeledFrame) => f.image },
    { name: 'labels.npy', descr: '|u1', tail: [h, w], bytes: (f: LabeledFrame) => f.labels ?? new Uint8Array(w * h).fill(255) },
    { name: 'depth.npy', descr: '<u2', tail: [h, w], bytes: (f: LabeledFrame) => depthBytes(f.depth, w * h) },
  ];
  // Each array is written straight into the staging folder; the folder's commit is the one rename.
  const fds: number[] = [];
  try {
    for (const a of arrays) {
      fds.push(openSync(out.at(a.name), 'w'));
      writeSync(fds.at(-1)!, npyHeader(a.descr, [total, ...a.tail]));
    }
    for (let i = 0; i < total; i++) {
      const f = i === 0 ? first : await dataset.read(i);
      if (f.width !== w || f.height !== h) throw new TandemError('DATASET', `frame ${f.id} is ${f.height}x${f.width}, the first frame ${h}x${w}; .npy output needs one size`);
      arrays.forEach((a, k) => writeSync(fds[k]!, a.bytes(f)));
      options.onProgress?.({ kind: 'frame', done: i + 1, total });
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

function depthBytes(depth: Float32Array | undefined, n: number): Uint8Array {
  const v = new Uint16Array(n);
  if (depth) for (let i = 0; i < n; i++) v[i] = Math.min(65535, Math.round(depth[i]! * DEPTH_PNG_SCALE));
  return new Uint8Array(v.buffer);
}

function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  return out;
}
