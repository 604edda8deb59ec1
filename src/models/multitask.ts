import { GraphBuilder, buildModel } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { TandemError } from '../util/errors.js';
import { DEPTH_DECODER_CHANNELS, writeDepthDecoder } from './depth-decoder.js';
import { MIT_B0, writeMiTEncoder } from './mit-encoder.js';
import { ModuleWriter } from './module-writer.js';
import { checkBatch, checkCount, checkSeed, checkSpatial } from './options-check.js';
import { SEG_HEAD_LINEARS, writeSegFormerHead, type SegHeadLinear } from './segformer-head.js';

/** Options of `buildMultitask`; every size is static. */
export interface MultitaskOptions {
  /** Seed of the weight generator. @default 0 */
  seed?: number;
  /** Batch size (a static dimension). @default 1 */
  batch?: number;
  /** Input height, a multiple of 32. @default 512 */
  height?: number;
  /** Input width, a multiple of 32. @default 1024 */
  width?: number;
  /** Segmentation classes (Cityscapes). @default 19 */
  classes?: number;
  /** Common embedding width of the segmentation head (SegFormer-B0's). @default 256 */
  segEmbedDim?: number;
  /** How the segmentation head's per-stage Linear layers are written: as PyTorch exports SegFormer ('matmul') or as 1x1 convs ('conv'). @default 'matmul' */
  segLinear?: SegHeadLinear;
  /** Add the encoder features at 1/16, 1/8 and 1/4 inside the depth decoder. @default true */
  depthSkips?: boolean;
  /** Fold the segmentation head's BatchNormalization into its conv at build time. @default false */
  foldBatchNorm?: boolean;
}

export type ResolvedMultitaskOptions = Readonly<Required<MultitaskOptions>>;

/** Fills in the defaults and checks the values; throws TandemError `USAGE` naming the bad option. */
export function resolveMultitaskOptions(options: MultitaskOptions = {}): ResolvedMultitaskOptions {
  const resolved = {
    seed: options.seed ?? 0,
    batch: options.batch ?? 1,
    height: options.height ?? 512,
    width: options.width ?? 1024,
    classes: options.classes ?? 19,
    segEmbedDim: options.segEmbedDim ?? 256,
    segLinear: options.segLinear ?? 'matmul',
    depthSkips: options.depthSkips ?? true,
    foldBatchNorm: options.foldBatchNorm ?? false,
  };
  checkSeed('multitask', resolved.seed);
  checkBatch('multitask', resolved.batch);
  // 32 = the encoder's total stride; stage 1 (1/4) must also split evenly into its 8x8 reduction windows
  checkSpatial('multitask', 'height', resolved.height, { min: 32, multipleOf: 32 });
  checkSpatial('multitask', 'width', resolved.width, { min: 32, multipleOf: 32 });
  checkCount('multitask', 'classes', resolved.classes);
  checkCount('multitask', 'segEmbedDim', resolved.segEmbedDim);
  if (!SEG_HEAD_LINEARS.includes(resolved.segLinear)) {
    throw new TandemError('USAGE', `multitask: option segLinear is "${String(resolved.segLinear)}"; expected one of ${SEG_HEAD_LINEARS.join(', ')}`);
  }
  return Object.freeze(resolved);
}

/** Tensor names of the multi-task graph: its input, the backbone's four feature maps (where the webinar cuts it), its two outputs. */
export const MULTITASK_IO = {
  input: 'image',
  /** Stage outputs c1..c4 at 1/4, 1/8, 1/16, 1/32 of the input (32, 64, 160, 256 channels). */
  features: ['c1', 'c2', 'c3', 'c4'],
  segmentation: 'segmentation',
  depth: 'depth',
} as const;

/**
 * The multi-task perception network of NVIDIA's webinar "Optimizing Multi-task Model Inference for
 * Autonomous Vehicles": one image, a shared MiT-B0 (SegFormer) encoder, and two heads that both read its
 * four feature maps. Outputs: `segmentation` logits [B, classes, H/4, W/4] (SegFormer's head with the
 * concat replaced by a sum, see writeSegFormerHead) and `depth` [B, 1, H, W] in (0, 1) (a progressive
 * decoder back to the input size, see writeDepthDecoder). Names follow a PyTorch export of modules
 * `backbone`, `seg_head`, `depth_head`. The webinar runs the backbone on the GPU (FP16) and each head on
 * its own DLA (INT8).
 */
export function buildMultitask(options: MultitaskOptions = {}): Model {
  const o = resolveMultitaskOptions(options);
  const b = new GraphBuilder('multitask', { opset: 17 });
  const m = new ModuleWriter(b, { seed: o.seed, foldBatchNorm: o.foldBatchNorm });

  const image = b.input(MULTITASK_IO.input, 'float32', [o.batch, 3, o.height, o.width]);
  const features = writeMiTEncoder(m, image, {
    path: 'backbone',
    batch: o.batch,
    inChannels: 3,
    height: o.height,
    width: o.width,
    stages: MIT_B0,
    featureNames: MULTITASK_IO.features,
  });
  const c1 = features[0]!;
  writeSegFormerHead(m, features, {
    path: 'seg_head',
    batch: o.batch,
    embedDim: o.segEmbedDim,
    classes: o.classes,
    linear: o.segLinear,
    output: MULTITASK_IO.segmentation,
  });
  writeDepthDecoder(m, features, { path: 'depth_head', channels: DEPTH_DECODER_CHANNELS, skips: o.depthSkips, output: MULTITASK_IO.depth });

  b.output(MULTITASK_IO.segmentation, 'float32', [o.batch, o.classes, c1.height, c1.width]);
  b.output(MULTITASK_IO.depth, 'float32', [o.batch, 1, o.height, o.width]);
  return buildModel(b, { producerName: 'tandem.models' });
}
