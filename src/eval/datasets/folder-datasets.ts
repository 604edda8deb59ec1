import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { TandemError } from '../../util/errors.js';
import { readDepthPng, readLabelPng, readRgbImage } from '../image-io.js';
import { labelIdLookup } from './cityscapes-classes.js';
import type { FrameDataset, LabeledFrame } from './types.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp']);

function codePointSort(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function requireFolder(dir: string, what: string, remedy: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    throw new TandemError('FILE_NOT_FOUND', `${what} ${dir} does not exist; ${remedy}`);
  }
  if (!ok) throw new TandemError('DATASET', `${what} ${dir} is not a folder; ${remedy}`);
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else yield p;
  }
}

function checkSize(frameFile: string, what: string, file: string, w: number, h: number, ew: number, eh: number): void {
  if (w !== ew || h !== eh) throw new TandemError('DATASET', `${what} ${file} is ${h}x${w}, its image ${frameFile} is ${eh}x${ew}; ground truth must have the image's size`);
}

/**
 * A Cityscapes-style folder: `<dir>/leftImg8bit/**\/*_leftImg8bit.png` with
 * `<dir>/gtFine/<same path>_gtFine_labelIds.png` beside each (label ids mapped to the 19 train ids,
 * everything else 255). Every image must have its label file; a missing one is named in the error.
 */
export function cityscapesDataset(dir: string): FrameDataset {
  const images = join(dir, 'leftImg8bit');
  requireFolder(images, 'Cityscapes image folder', `expected ${dir} to hold leftImg8bit/ and gtFine/ as the Cityscapes download unpacks them`);
  requireFolder(join(dir, 'gtFine'), 'Cityscapes label folder', `expected ${dir} to hold leftImg8bit/ and gtFine/ as the Cityscapes download unpacks them`);
  const files = [...walk(images)].filter((f) => f.endsWith('_leftImg8bit.png')).sort(codePointSort);
  if (files.length === 0) throw new TandemError('DATASET', `${images} holds no *_leftImg8bit.png files`);
  const pairs = files.map((img) => {
    const rel = relative(images, img);
    const label = join(dir, 'gtFine', rel.replace(/_leftImg8bit\.png$/, '_gtFine_labelIds.png'));
    if (!existsSync(label)) throw new TandemError('DATASET', `image ${img} has no label file ${label}; each leftImg8bit image needs its gtFine *_gtFine_labelIds.png`);
    return { img, label, id: basename(img).replace(/_leftImg8bit\.png$/, '') };
  });
  const lut = labelIdLookup();
  return {
    description: `Cityscapes-style folder ${dir} (${pairs.length} frames, gtFine label ids → train ids)`,
    size: pairs.length,
    read: async (i) => {
      const p = pairs[i]!;
      const image = await readRgbImage(p.img);
      const label = await readLabelPng(p.label);
      checkSize(p.img, 'label file', p.label, label.width, label.height, image.width, image.height);
      const labels = new Uint8Array(label.data.length);
      for (let k = 0; k < labels.length; k++) labels[k] = lut[label.data[k]!]!;
      return { id: p.id, width: image.width, height: image.height, image: image.data, labels };
    },
  };
}

/**
 * A generic folder: `<dir>/images/<stem>.(png|jpg|webp)`, and optionally `<dir>/labels/<stem>.png`
 * (8-bit train ids, 255 = ignore) and `<dir>/depth/<stem>.png` (16-bit, metres × 256, 0 = none) — the
 * layout `tandem scenes` writes. Where labels/ or depth/ exist, every image needs its file there.
 */
export function imageFolderDataset(dir: string): FrameDataset {
  const images = join(dir, 'images');
  requireFolder(images, 'image folder', `expected ${dir} to hold images/ (and optionally labels/ and depth/), as tandem scenes writes`);
  const files = readdirSync(images).filter((f) => !f.startsWith('.') && IMAGE_EXT.has(extname(f).toLowerCase())).sort(codePointSort);
  if (files.length === 0) throw new TandemError('DATASET', `${images} holds no images (.png, .jpg, .webp)`);
  const labelsDir = join(dir, 'labels');
  const depthDir = join(dir, 'depth');
  const hasLabels = existsSync(labelsDir);
  const hasDepth = existsSync(depthDir);
  if (!hasLabels && !hasDepth) throw new TandemError('DATASET', `${dir} has images/ but neither labels/ nor depth/; eval needs ground truth`);
  const frames = files.map((f) => {
    const stem = f.slice(0, f.length - extname(f).length);
    const label = join(labelsDir, `${stem}.png`);
    const depth = join(depthDir, `${stem}.png`);
    if (hasLabels && !existsSync(label)) throw new TandemError('DATASET', `image ${join(images, f)} has no label file ${label}`);
    if (hasDepth && !existsSync(depth)) throw new TandemError('DATASET', `image ${join(images, f)} has no depth file ${depth}`);
    return { id: stem, img: join(images, f), label: hasLabels ? label : undefined, depth: hasDepth ? depth : undefined };
  });
  return {
    description: `image folder ${dir} (${frames.length} frames${hasLabels ? ', labels' : ''}${hasDepth ? ', depth' : ''})`,
    size: frames.length,
    read: async (i): Promise<LabeledFrame> => {
      const f = frames[i]!;
      const image = await readRgbImage(f.img);
      let labels: Uint8Array | undefined;
      let depth: Float32Array | undefined;
      if (f.label !== undefined) {
        const l = await readLabelPng(f.label);
        checkSize(f.img, 'label file', f.label, l.width, l.height, image.width, image.height);
        labels = l.data;
      }
      if (f.depth !== undefined) {
        const d = await readDepthPng(f.depth);
        checkSize(f.img, 'depth file', f.depth, d.width, d.height, image.width, image.height);
        depth = d.data;
      }
      return { id: f.id, width: image.width, height: image.height, image: image.data, ...(labels ? { labels } : {}), ...(depth ? { depth } : {}) };
    },
  };
}
