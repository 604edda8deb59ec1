import { quote } from '../../util/text.js';
import type { Tensor } from '../../ir/tensor.js';
import { TandemError } from '../../util/errors.js';
import { openCalibrationFolder, type ImagePreprocessOptions } from '../../quant/index.js';
import { syntheticFeeds } from './bench.js';
import type { PipelineInput } from './pipeline.js';

/** Frames to run: their ids (file names or `synthetic-<i>`), a description, and the feeds one by one. */
export interface FrameSource {
  readonly ids: readonly string[];
  readonly description: string;
  frames(): AsyncGenerator<Record<string, Tensor>>;
}

/** Options of `openFrameSource`. */
export interface FrameSourceOptions {
  /** How images become tensors (image folders). @default the input's size, ImageNet mean and std */
  readonly image?: ImagePreprocessOptions;
  /** Seed of synthetic frame 0 (frame i gets seed + i). @default 1 */
  readonly seed?: number;
}

/**
 * Frames from `synthetic:N` (N seeded random frames from the inputs' specs) or a folder of images,
 * `.npy` files (one input) or `.npz` files keyed by input name — read the same way as calibration data
 * (quant/calibration-source), one frame per file in code-point order, checked against the inputs.
 */
export function openFrameSource(spec: string, inputs: readonly PipelineInput[], options: FrameSourceOptions = {}): FrameSource {
  const synthetic = /^synthetic:(\d+)$/.exec(spec);
  if (synthetic) {
    const n = Number(synthetic[1]);
    if (!Number.isSafeInteger(n) || n < 1) throw new TandemError('USAGE', `--input synthetic:N needs N ≥ 1, got ${quote(spec)}`);
    const seed = options.seed ?? 1;
    return {
      ids: Array.from({ length: n }, (_, i) => `synthetic-${i}`),
      description: `${n} synthetic frames (seeded uniform random in [-1, 1], seeds ${seed}..${seed + n - 1})`,
      async *frames() {
        for (let i = 0; i < n; i++) yield syntheticFeeds(inputs, seed + i);
      },
    };
  }
  if (spec.startsWith('synthetic')) throw new TandemError('USAGE', `--input ${quote(spec)}: write synthetic:N with a frame count, e.g. synthetic:16`);
  const folder = openCalibrationFolder(spec, inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.dims })), options.image ? { image: options.image } : {});
  return {
    ids: folder.ids,
    description: folder.description,
    async *frames() {
      for (let i = 0; i < folder.ids.length; i++) yield await folder.read(i);
    },
  };
}
