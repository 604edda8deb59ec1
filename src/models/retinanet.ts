import { attr } from '../ir/attribute.js';
import { GraphBuilder, buildModel } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { uniformStats } from './activation-stats.js';
import { ModuleWriter } from './module-writer.js';
import { checkBatch, checkSeed, checkSpatial } from './options-check.js';
import type { DetectorOptions } from './yolov5s.js';

/** ResNeXt-50 32x4d layers: [planes, blocks, stride]. */
const LAYERS = [
  [64, 3, 1],
  [128, 4, 2],
  [256, 6, 2],
  [512, 3, 2],
] as const;

/** MLPerf's RetinaNet: 264 OpenImages classes, 9 anchors per position. */
const CLASSES = 264;
const ANCHORS = 9;

function convBnRelu(m: ModuleWriter, path: string, x: string, cin: number, cout: number, k: number, s = 1, groups = 1): string {
  return m.relu(`${path}.relu`, m.conv2dBatchNorm(`${path}.conv`, `${path}.bn`, x, { inChannels: cin, outChannels: cout, kernel: k, stride: s, padding: Math.floor(k / 2), groups, bias: false }));
}

/** A 3x3 conv whose parameters all pyramid levels share (torchvision's RetinaNet heads): written at level 0, reused after. */
function sharedConv(m: ModuleWriter, path: string, level: number, x: string, out: number, output?: string): string {
  if (level === 0) return m.conv2d(path, x, { inChannels: 256, outChannels: out, kernel: 3, padding: 1, gain: out === 256 ? Math.SQRT2 : 1 }, output);
  const attrs = { dilations: attr.ints([1, 1]), group: attr.int(1), kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([1, 1]) };
  return m.op(`${path}.level${level}`, 'Conv', [x, `${path}.weight`, `${path}.bias`], attrs, output);
}

/**
 * RetinaNet with a ResNeXt-50 32x4d + FPN backbone as in MLPerf Inference (800x800, 264 classes):
 * P3–P7 with 256 channels, four 3x3 conv + ReLU per head and the class / box convolutions; anchor
 * decoding and NMS are left out (they run on the GPU/CPU). BN is folded. Random weights.
 */
export function buildRetinaNetResNeXt50(options: DetectorOptions = {}): Model {
  const seed = options.seed ?? 0;
  const batch = options.batch ?? 1;
  const size = options.size ?? 800;
  checkSeed('retinanet', seed);
  checkBatch('retinanet', batch);
  checkSpatial('retinanet', 'size', size, { min: 128, multipleOf: 32 });
  const b = new GraphBuilder('retinanet_resnext50', { opset: 17 });
  const m = new ModuleWriter(b, { seed, foldBatchNorm: true });
  let x = b.input('images', 'float32', [batch, 3, size, size]);
  m.setStatistics(x, uniformStats(3, 0, 1 / 3));
  x = m.maxPool2d('backbone.maxpool', convBnRelu(m, 'backbone.stem', x, 3, 64, 7, 2), 3, 2, 1);
  let inplanes = 64;
  const c: string[] = [];
  LAYERS.forEach(([planes, blocks, stride], li) => {
    const width = planes * 2;
    for (let bi = 0; bi < blocks; bi++) {
      const path = `backbone.layer${li + 1}.${bi}`;
      const s = bi === 0 ? stride : 1;
      let y = convBnRelu(m, `${path}.1`, x, inplanes, width, 1);
      y = convBnRelu(m, `${path}.2`, y, width, width, 3, s, 32);
      y = m.conv2dBatchNorm(`${path}.conv3`, `${path}.bn3`, y, { inChannels: width, outChannels: planes * 4, kernel: 1, bias: false }, { gammaMean: 0.5 });
      const id = bi === 0 ? m.conv2dBatchNorm(`${path}.downsample.0`, `${path}.downsample.1`, x, { inChannels: inplanes, outChannels: planes * 4, kernel: 1, stride: s, bias: false }) : x;
      x = m.relu(`${path}.relu`, m.add(path, y, id));
      inplanes = planes * 4;
    }
    c.push(x);
  });
  // FPN on C3..C5, P6 from P5 and P7 (torchvision LastLevelP6P7)
  const lat = [512, 1024, 2048].map((ch, i) => m.conv2d(`fpn.inner.${i}`, c[i + 1]!, { inChannels: ch, outChannels: 256, kernel: 1 }));
  let top = lat[2]!;
  const inner: string[] = [top];
  for (let i = 1; i >= 0; i--) {
    top = m.add(`fpn.merge.${i}`, lat[i]!, m.upsampleNearest2x(`fpn.up.${i}`, top));
    inner.unshift(top);
  }
  const p = inner.map((t, i) => m.conv2d(`fpn.layer.${i}`, t, { inChannels: 256, outChannels: 256, kernel: 3, padding: 1 }));
  const p6 = m.conv2d('fpn.p6', p[2]!, { inChannels: 256, outChannels: 256, kernel: 3, stride: 2, padding: 1 });
  const p7 = m.conv2d('fpn.p7', m.relu('fpn.p7.relu', p6), { inChannels: 256, outChannels: 256, kernel: 3, stride: 2, padding: 1 });
  p.push(p6, p7);
  p.forEach((f, level) => {
    for (const [head, out] of [['cls', CLASSES * ANCHORS], ['box', 4 * ANCHORS]] as const) {
      let y = f;
      for (let i = 0; i < 4; i++) y = m.relu(`head.${head}.${level}.${i}.relu`, sharedConv(m, `head.${head}.conv.${i}`, level, y, 256));
      const name = `${head}_p${level + 3}`;
      sharedConv(m, `head.${head}.out`, level, y, out, name);
      const side = Math.ceil(size / (8 << level));
      b.output(name, 'float32', [batch, out, side, side]);
    }
  });
  return buildModel(b, { producerName: 'tandem.models' });
}
