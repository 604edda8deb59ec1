import { TandemError } from '../util/errors.js';
import { unknownNameError } from '../util/registry.js';
import { cityscapesDataset, imageFolderDataset } from './datasets/folder-datasets.js';
import { syntheticDataset } from './datasets/scene-generator.js';
import type { FrameDataset } from './datasets/types.js';

/** The held-out seed of generated scenes: the reference model never saw it (it trained on seed 1). */
export const HELD_OUT_SEED = 1000;

/**
 * A dataset from its command-line form: `synthetic[:seed[,count]]` (generated at `size`, default the
 * model's input size), `cityscapes:<dir>`, `folder:<dir>`.
 */
export function openDatasetSpec(spec: string, size: { height: number; width: number }): FrameDataset {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? '' : spec.slice(colon + 1);
  if (kind === 'synthetic') {
    const m = /^(?:(\d+))?(?:,(\d+))?$/.exec(arg);
    if (!m) throw new TandemError('USAGE', `--dataset synthetic takes :seed,count (e.g. synthetic:${HELD_OUT_SEED},64), got "${spec}"`);
    return syntheticDataset({ seed: m[1] !== undefined ? Number(m[1]) : HELD_OUT_SEED, count: m[2] !== undefined ? Number(m[2]) : 64, ...size });
  }
  if (kind === 'cityscapes' || kind === 'folder') {
    if (arg === '') throw new TandemError('USAGE', `--dataset ${kind} needs a folder: ${kind}:<dir>`);
    return kind === 'cityscapes' ? cityscapesDataset(arg) : imageFolderDataset(arg);
  }
  throw unknownNameError('dataset kind', kind, ['synthetic', 'cityscapes', 'folder'], 'write synthetic[:seed,count], cityscapes:<dir> or folder:<dir>');
}
