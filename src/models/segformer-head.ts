import { assert } from '../util/errors.js';
import { uniformStats } from './activation-stats.js';
import type { FeatureMap } from './mit-encoder.js';
import type { ModuleWriter } from './module-writer.js';

/** How the head writes its per-stage linear layers. */
export type SegHeadLinear = 'matmul' | 'conv';

export const SEG_HEAD_LINEARS: readonly SegHeadLinear[] = ['matmul', 'conv'];

export interface SegFormerHeadSpec {
  /** Module path, e.g. 'seg_head'. */
  readonly path: string;
  readonly batch: number;
  /** Common embedding width E. */
  readonly embedDim: number;
  readonly classes: number;
  readonly linear: SegHeadLinear;
  /** Name of the logits tensor. */
  readonly output: string;
}

/**
 * SegFormer's all-MLP decoder with the webinar's change: the per-stage features are summed instead of
 * concatenated. Each stage feature c_i goes through a Linear C_i→E (SegFormer's `linear_c{i}.proj`),
 * the 1/8..1/32 ones are resized bilinearly to 1/4 resolution, the four are summed (c4 + c3 + c2 + c1),
 * then `linear_fuse` (1x1 conv E→E without bias, BatchNorm, ReLU; with the sum it is E→E, not 4E→E) and
 * `linear_pred` (1x1 conv E→classes). The logits stay at 1/4 of the input, as SegFormer outputs them;
 * upsampling them or their argmax to full size is post-processing (on the GPU, not the DLA).
 *
 * `linear: 'matmul'` writes each Linear on tokens as PyTorch exports SegFormer's MLP (Reshape,
 * Transpose, MatMul, Add, Transpose, Reshape); `'conv'` writes the same weights as a 1x1 Conv on the
 * NCHW map, the DLA-friendly form.
 */
export function writeSegFormerHead(m: ModuleWriter, features: readonly FeatureMap[], spec: SegFormerHeadSpec): string {
  const { path, batch: B, embedDim: E } = spec;
  const c1 = features[0];
  assert(c1 !== undefined, 'the segmentation head needs at least one feature map');
  const projected: string[] = [];
  // SegFormer projects and resizes the deepest feature first.
  for (let i = features.length; i >= 1; i--) {
    const f = features[i - 1]!;
    // The encoder's stage outputs are LayerNorm outputs: about zero mean and unit variance per channel.
    const normalised = uniformStats(f.channels, 0, 1);
    const mlp = `${path}.linear_c${i}`;
    let y: string;
    if (spec.linear === 'conv') {
      m.setStatistics(f.name, normalised);
      y = m.linearAsConv(`${mlp}.proj`, f.name, f.channels, E);
    } else {
      const tokens = m.transpose(mlp, m.reshape(mlp, f.name, [B, f.channels, f.height * f.width]), [0, 2, 1]);
      m.setStatistics(tokens, normalised);
      const p = m.linear(`${mlp}.proj`, tokens, f.channels, E);
      y = m.reshape(path, m.transpose(path, p, [0, 2, 1]), [B, E, f.height, f.width]);
      const stats = m.statistics(p);
      if (stats !== undefined) m.setStatistics(y, stats);
    }
    if (i > 1) y = m.resizeBilinear(path, y, [B, E, c1.height, c1.width]);
    projected.push(y);
  }
  let fused = projected[0]!;
  for (const y of projected.slice(1)) fused = m.add(path, fused, y);
  fused = m.conv2dBatchNorm(`${path}.linear_fuse.conv`, `${path}.linear_fuse.bn`, fused, { inChannels: E, outChannels: E, kernel: 1, bias: false });
  fused = m.relu(`${path}.linear_fuse.activate`, fused);
  return m.conv2d(`${path}.linear_pred`, fused, { inChannels: E, outChannels: spec.classes, kernel: 1, gain: 1 }, spec.output);
}
