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

/**
 * The shard to evaluate, from a flag and the environment: "i/n" is explicit; "n" (or no flag) takes the
 * index from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or a Slurm job array (SLURM_ARRAY_TASK_ID
 * minus SLURM_ARRAY_TASK_MIN); with no flag, Slurm's SLURM_ARRAY_TASK_COUNT gives n. No flag and no such
 * variables: the whole dataset. A Kubernetes index with no count is refused rather than evaluating
 * everything once per pod.
 */
export function resolveShard(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): Shard {
  const int = (v: string, what: string): number => {
    if (!/^\d+$/.test(v.trim())) throw new TandemError('USAGE', `${what} is "${v}"; expected a non-negative integer`);
    return Number(v);
  };
  const envIndex = (): number | undefined => {
    if (env['JOB_COMPLETION_INDEX'] !== undefined) return int(env['JOB_COMPLETION_INDEX'], 'JOB_COMPLETION_INDEX');
    if (env['SLURM_ARRAY_TASK_ID'] !== undefined) return int(env['SLURM_ARRAY_TASK_ID'], 'SLURM_ARRAY_TASK_ID') - (env['SLURM_ARRAY_TASK_MIN'] !== undefined ? int(env['SLURM_ARRAY_TASK_MIN'], 'SLURM_ARRAY_TASK_MIN') : 0);
    return undefined;
  };
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (m) return checkShard({ index: Number(m[1]), count: Number(m[2]) });
    const count = int(flag, '--shard');
    const index = envIndex();
    if (index === undefined) throw new TandemError('USAGE', `--shard ${flag} gives the shard count only, and neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set; give --shard i/${count}`);
    return checkShard({ index, count });
  }
  if (env['SLURM_ARRAY_TASK_COUNT'] !== undefined && env['SLURM_ARRAY_TASK_ID'] !== undefined) return checkShard({ index: envIndex()!, count: int(env['SLURM_ARRAY_TASK_COUNT'], 'SLURM_ARRAY_TASK_COUNT') });
  if (env['JOB_COMPLETION_INDEX'] !== undefined) throw new TandemError('USAGE', `JOB_COMPLETION_INDEX=${env['JOB_COMPLETION_INDEX']} is set (a Kubernetes Indexed Job) but the shard count is not; give --shard <completions>`);
  return { index: 0, count: 1 };
}
