import { quote } from '../../util/text.js';
import type { Tensor } from '../../ir/tensor.js';
import { TandemError } from '../../util/errors.js';
import { openCalibrationFolder, type ImagePreprocessOptions, type PixelInput } from '../../quant/index.js';
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
  /** The plan's pixel input (`plan.io.input`): images are packed as its pixels, not normalised. @default none */
  readonly pixels?: PixelInput;
}

/**
 * Frames from `synthetic:N` (N seeded random frames from the inputs' specs: floats in [-1, 1], pixels
 * uint8 0..255 or any uint32 RGBA) or a folder of images (pixels in the plan's encoding where
 * `options.pixels` says so),
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
      description: `${n} synthetic frames (seeded uniform random ${inputs.every((i) => i.dtype === 'uint8' || i.dtype === 'uint32') ? 'pixels' : 'in [-1, 1]'}, seeds ${seed}..${seed + n - 1})`,
      async *frames() {
        for (let i = 0; i < n; i++) yield syntheticFeeds(inputs, seed + i);
      },
    };
  }
  if (spec.startsWith('synthetic')) throw new TandemError('USAGE', `--input ${quote(spec)}: write synthetic:N with a frame count, e.g. synthetic:16`);
  const folder = openCalibrationFolder(spec, inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.dims })), { ...(options.image ? { image: options.image } : {}), ...(options.pixels ? { pixels: options.pixels } : {}) });
  return {
    ids: folder.ids,
    description: folder.description,
    async *frames() {
      for (let i = 0; i < folder.ids.length; i++) yield await folder.read(i);
    },
  };
}
