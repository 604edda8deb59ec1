import { assert } from '../util/errors.js';
import type { ModuleWriter } from './module-writer.js';

/** One stage of a Mix Transformer (MiT) encoder. */
export interface MiTStage {
  /** Embedding width C of the stage. */
  readonly channels: number;
  /** Attention heads (C / heads = 32 in every MiT variant). */
  readonly heads: number;
  /** Sequence-reduction ratio R: keys and values come from a conv with kernel = stride = R, then LayerNorm. */
  readonly srRatio: number;
  /** Transformer blocks in the stage. */
  readonly depth: number;
  /** Overlapping patch embedding: a conv of this kernel and stride, padding kernel / 2. */
  readonly patchKernel: number;
  readonly patchStride: number;
  /** Mix-FFN hidden width is mlpRatio · C. */
  readonly mlpRatio: number;
}

/** MiT-B0, the smallest SegFormer encoder (Xie et al. 2021, NVlabs/SegFormer `mit_b0`). */
export const MIT_B0: readonly MiTStage[] = [
  { channels: 32, heads: 1, srRatio: 8, depth: 2, patchKernel: 7, patchStride: 4, mlpRatio: 4 },
  { channels: 64, heads: 2, srRatio: 4, depth: 2, patchKernel: 3, patchStride: 2, mlpRatio: 4 },
  { channels: 160, heads: 5, srRatio: 2, depth: 2, patchKernel: 3, patchStride: 2, mlpRatio: 4 },
  { channels: 256, heads: 8, srRatio: 1, depth: 2, patchKernel: 3, patchStride: 2, mlpRatio: 4 },
];

/** A stage's output feature map: its tensor name and NCHW shape. */
export interface FeatureMap {
  readonly name: string;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export interface MiTEncoderSpec {
  /** Module path of the encoder, e.g. 'backbone'. */
  readonly path: string;
  readonly batch: number;
  readonly inChannels: number;
  readonly height: number;
  readonly width: number;
  readonly stages: readonly MiTStage[];
  /** Names of the stage outputs (NCHW feature maps), one per stage. */
  readonly featureNames: readonly string[];
}

// LayerNorm epsilons as in NVlabs/SegFormer: blocks and stage norms use 1e-6, the patch-embedding and
// sequence-reduction norms torch's default 1e-5.
const BLOCK_EPS = 1e-6;
const DEFAULT_EPS = 1e-5;

/**
 * Writes a MiT encoder in NVlabs/SegFormer's module layout (`patch_embed1.proj`, `block1.0.attn.q`,
 * `block1.0.attn.kv`, `block1.0.attn.sr`, `block1.0.mlp.dwconv.dwconv`, `norm1`, ...) and the way PyTorch
 * exports it: tokens (B, N, C) between Reshape/Transpose and NCHW maps, Linear as MatMul + Add, keys and
 * values split from one `kv` projection by Gather, the attention scale as a Mul by a constant, Softmax
 * over the last axis, GELU as Erf. No positional encoding: the Mix-FFN's 3x3 depthwise conv carries it.
 * Returns the stage outputs as NCHW feature maps (1/4, 1/8, 1/16, 1/32 of the input for MiT-B0).
 */
export function writeMiTEncoder(m: ModuleWriter, x: string, spec: MiTEncoderSpec): FeatureMap[] {
  assert(spec.featureNames.length === spec.stages.length, 'one feature name per stage');
  const { path, batch: B } = spec;
  const features: FeatureMap[] = [];
  let inChannels = spec.inChannels;
  let H = spec.height;
  let W = spec.width;
  spec.stages.forEach((stage, si) => {
    const i = si + 1;
    const C = stage.channels;
    const k = stage.patchKernel;
    const pad = Math.floor(k / 2);
    H = Math.floor((H + 2 * pad - k) / stage.patchStride) + 1;
    W = Math.floor((W + 2 * pad - k) / stage.patchStride) + 1;
    const N = H * W;

    // OverlapPatchEmbed: conv, flatten(2).transpose(1, 2), LayerNorm
    const embed = `${path}.patch_embed${i}`;
    let t = m.conv2d(`${embed}.proj`, x, { inChannels, outChannels: C, kernel: k, stride: stage.patchStride, padding: pad });
    t = m.transpose(embed, m.reshape(embed, t, [B, C, N]), [0, 2, 1]);
    t = m.layerNorm(`${embed}.norm`, t, C, DEFAULT_EPS);

    for (let j = 0; j < stage.depth; j++) {
      const block = `${path}.block${i}.${j}`;
      t = m.add(block, t, writeAttention(m, `${block}.attn`, m.layerNorm(`${block}.norm1`, t, C, BLOCK_EPS), { B, H, W, stage }));
      t = m.add(block, t, writeMixFfn(m, `${block}.mlp`, m.layerNorm(`${block}.norm2`, t, C, BLOCK_EPS), { B, H, W, stage }));
    }

    t = m.layerNorm(`${path}.norm${i}`, t, C, BLOCK_EPS);
    const name = spec.featureNames[si]!;
    x = m.transpose(path, m.reshape(path, t, [B, H, W, C]), [0, 3, 1, 2], name);
    features.push({ name, channels: C, height: H, width: W });
    inChannels = C;
  });
  return features;
}

interface BlockShape {
  B: number;
  H: number;
  W: number;
  stage: MiTStage;
}

/** Efficient self-attention: full-resolution queries; keys and values from the sequence reduced R² times. */
function writeAttention(m: ModuleWriter, path: string, x: string, { B, H, W, stage }: BlockShape): string {
  const C = stage.channels;
  const heads = stage.heads;
  const d = C / heads;
  assert(Number.isInteger(d), `${path}: ${C} channels do not split into ${heads} heads`);
  const N = H * W;
  const R = stage.srRatio;

  const q = m.transpose(path, m.reshape(path, m.linear(`${path}.q`, x, C, C), [B, N, heads, d]), [0, 2, 1, 3]);

  let source = x;
  let M = N;
  if (R > 1) {
    const image = m.reshape(path, m.transpose(path, x, [0, 2, 1]), [B, C, H, W]);
    const reduced = m.conv2d(`${path}.sr`, image, { inChannels: C, outChannels: C, kernel: R, stride: R });
    M = Math.floor(H / R) * Math.floor(W / R);
    source = m.layerNorm(`${path}.norm`, m.transpose(path, m.reshape(path, reduced, [B, C, M]), [0, 2, 1]), C, DEFAULT_EPS);
  }
  const kv = m.transpose(path, m.reshape(path, m.linear(`${path}.kv`, source, C, 2 * C), [B, M, 2, heads, d]), [2, 0, 3, 1, 4]);
  const k = m.gather(path, kv, 0, 0);
  const v = m.gather(path, kv, 1, 0);

  let attn = m.matmul(path, q, m.transpose(path, k, [0, 1, 3, 2]));
  attn = m.softmax(path, m.scale(path, attn, 1 / Math.sqrt(d)), -1);
  const out = m.reshape(path, m.transpose(path, m.matmul(path, attn, v), [0, 2, 1, 3]), [B, N, C]);
  return m.linear(`${path}.proj`, out, C, C);
}

/** Mix-FFN: Linear C→4C, 3x3 depthwise conv on the token map in image layout, GELU, Linear 4C→C. */
function writeMixFfn(m: ModuleWriter, path: string, x: string, { B, H, W, stage }: BlockShape): string {
  const C = stage.channels;
  const hidden = stage.mlpRatio * C;
  const N = H * W;
  let t = m.linear(`${path}.fc1`, x, C, hidden);
  const dw = `${path}.dwconv`;
  t = m.reshape(dw, m.transpose(dw, t, [0, 2, 1]), [B, hidden, H, W]);
  t = m.conv2d(`${dw}.dwconv`, t, { inChannels: hidden, outChannels: hidden, kernel: 3, padding: 1, groups: hidden });
  t = m.transpose(dw, m.reshape(dw, t, [B, hidden, N]), [0, 2, 1]);
  t = m.gelu(`${path}.act`, t);
  return m.linear(`${path}.fc2`, t, hidden, C);
}
