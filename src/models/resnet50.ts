import { GraphBuilder, buildModel } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { uniformStats } from './activation-stats.js';
import { ModuleWriter } from './module-writer.js';
import { checkBatch, checkCount, checkSeed, checkSpatial } from './options-check.js';

/** Options of `buildResNet50`. */
export interface ResNet50Options {
  /** Seed of the weight generator. @default 0 */
  seed?: number;
  /** Batch size (a static dimension, as in a torchvision export without dynamic axes). @default 1 */
  batch?: number;
  /** Input height; at least 32. @default 224 */
  height?: number;
  /** Input width; at least 32. @default 224 */
  width?: number;
  /** Classifier outputs. @default 1000 */
  classes?: number;
  /** Fold every BatchNormalization into the Conv before it at build time (the `prepare` pass does it later otherwise). @default false */
  foldBatchNorm?: boolean;
}

export type ResolvedResNet50Options = Readonly<Required<ResNet50Options>>;

/** Fills in the defaults and checks the values; throws TandemError `USAGE` naming the bad option. */
export function resolveResNet50Options(options: ResNet50Options = {}): ResolvedResNet50Options {
  const resolved = {
    seed: options.seed ?? 0,
    batch: options.batch ?? 1,
    height: options.height ?? 224,
    width: options.width ?? 224,
    classes: options.classes ?? 1000,
    foldBatchNorm: options.foldBatchNorm ?? false,
  };
  checkSeed('resnet50', resolved.seed);
  checkBatch('resnet50', resolved.batch);
  checkSpatial('resnet50', 'height', resolved.height, { min: 32 });
  checkSpatial('resnet50', 'width', resolved.width, { min: 32 });
  checkCount('resnet50', 'classes', resolved.classes);
  return Object.freeze(resolved);
}

/** torchvision's layer configuration: [planes, blocks, stride of the first block]. */
const RESNET50_LAYERS = [
  [64, 3, 1],
  [128, 4, 2],
  [256, 6, 2],
  [512, 3, 2],
] as const;

const EXPANSION = 4;

/** Input and output names of the ResNet-50 graph. */
export const RESNET50_IO = { input: 'input', output: 'logits' } as const;

/**
 * ResNet-50 v1.5 in torchvision's layout: conv1 7x7/2 + BN + ReLU, maxpool 3x3/2, layers of [3, 4, 6, 3]
 * Bottleneck blocks (1x1, 3x3 carrying the stride, 1x1 expanding by 4; a 1x1 conv + BN downsample on each
 * layer's first block), global average pool, flatten, fc. Names follow a torchvision export
 * (`layer1.0.conv1.weight`, `/layer1/layer1.0/conv1/Conv`). Weights are He-normal (fan_in, no conv bias);
 * BN scales γ ≈ 1 ± 0.1 (≈ 0.5 on the last BN of each residual branch, as in trained networks), shifts
 * β ≈ ±0.1, and running statistics estimated from the weights for U(-1, 1) inputs (see activation-stats),
 * so every BN normalises its real input and activations keep a trained network's scale through 50 layers.
 */
export function buildResNet50(options: ResNet50Options = {}): Model {
  const o = resolveResNet50Options(options);
  const b = new GraphBuilder('resnet50', { opset: 17 });
  const m = new ModuleWriter(b, { seed: o.seed, foldBatchNorm: o.foldBatchNorm });

  let x = b.input(RESNET50_IO.input, 'float32', [o.batch, 3, o.height, o.width]);
  // what randomInputs feeds: U(-1, 1) per channel
  m.setStatistics(x, uniformStats(3, 0, 1 / 3));
  x = m.conv2dBatchNorm('conv1', 'bn1', x, { inChannels: 3, outChannels: 64, kernel: 7, stride: 2, padding: 3, bias: false });
  x = m.relu('relu', x);
  x = m.maxPool2d('maxpool', x, 3, 2, 1);

  let inplanes = 64;
  RESNET50_LAYERS.forEach(([planes, blocks, stride], li) => {
    for (let bi = 0; bi < blocks; bi++) {
      x = bottleneck(m, `layer${li + 1}.${bi}`, x, inplanes, planes, bi === 0 ? stride : 1, bi === 0);
      inplanes = planes * EXPANSION;
    }
  });

  x = m.op('avgpool', 'GlobalAveragePool', [x]);
  x = m.op('', 'Flatten', [x], { axis: 1 });
  m.gemm('fc', x, inplanes, o.classes, {}, RESNET50_IO.output);
  b.output(RESNET50_IO.output, 'float32', [o.batch, o.classes]);
  return buildModel(b, { producerName: 'tandem.models' });
}

function bottleneck(m: ModuleWriter, path: string, x: string, inplanes: number, planes: number, stride: number, downsample: boolean): string {
  let y = m.conv2dBatchNorm(`${path}.conv1`, `${path}.bn1`, x, { inChannels: inplanes, outChannels: planes, kernel: 1, bias: false });
  y = m.relu(`${path}.relu`, y);
  y = m.conv2dBatchNorm(`${path}.conv2`, `${path}.bn2`, y, { inChannels: planes, outChannels: planes, kernel: 3, stride, padding: 1, bias: false });
  y = m.relu(`${path}.relu`, y);
  y = m.conv2dBatchNorm(`${path}.conv3`, `${path}.bn3`, y, { inChannels: planes, outChannels: planes * EXPANSION, kernel: 1, bias: false }, { gammaMean: 0.5 });
  const identity = downsample
    ? m.conv2dBatchNorm(`${path}.downsample.0`, `${path}.downsample.1`, x, { inChannels: inplanes, outChannels: planes * EXPANSION, kernel: 1, stride, bias: false })
    : x;
  return m.relu(`${path}.relu`, m.add(path, y, identity));
}
