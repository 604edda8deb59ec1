import { TandemError } from '../../util/errors.js';
import type { FrameDataset } from './types.js';

/** Frames [offset, size) of another dataset. */
export function offsetDataset(dataset: FrameDataset, offset: number): FrameDataset {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= dataset.size) throw new TandemError('USAGE', `offset ${offset} is outside ${dataset.description} (${dataset.size} frames)`);
  if (offset === 0) return dataset;
  return { description: dataset.description, size: dataset.size - offset, read: (i) => dataset.read(offset + i) };
}

/** A shard of a dataset: every `count`-th frame starting at `index` (0 ≤ index < count). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The frame indices of a shard, in order. */
export function shardIndices(size: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let i = shard.index; i < size; i += shard.count) out.push(i);
  return out;
}

/** Checks a shard; throws USAGE naming what is wrong. */
export function checkShard(shard: Shard): Shard {
  if (!Number.isSafeInteger(shard.count) || shard.count < 1) throw new TandemError('USAGE', `shard count is ${shard.count}; expected a positive integer`);
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) throw new TandemError('USAGE', `shard index is ${shard.index}; expected 0 to ${shard.count - 1} for ${shard.count} shards`);
  return shard;
}
