import { GraphBuilder, buildModel } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { uniformStats } from './activation-stats.js';
import { ModuleWriter } from './module-writer.js';
import { checkBatch, checkSeed, checkSpatial } from './options-check.js';
import type { DetectorOptions } from './yolov5s.js';

function convBn(m: ModuleWriter, path: string, x: string, cin: number, cout: number, k: number, s: number, relu: boolean, pad = Math.floor(k / 2)): string {
  const y = m.conv2dBatchNorm(`${path}.conv`, `${path}.bn`, x, { inChannels: cin, outChannels: cout, kernel: k, stride: s, padding: pad, bias: false });
  return relu ? m.relu(`${path}.relu`, y) : y;
}

/** MLPerf SSD-ResNet34: [out channels, mid channels] of the extra blocks after the backbone. */
const EXTRA = [
  [512, 256],
  [512, 256],
  [256, 128],
  [256, 128],
  [256, 128],
] as const;
const DEFAULTS = [4, 6, 6, 6, 4, 4] as const;
const CLASSES = 81;

/**
 * SSD with a ResNet-34 backbone as in MLPerf Inference (1200x1200, COCO 81 classes): conv1..layer3 of
 * ResNet-34 with layer3's first block at stride 1 (features at 1/16), five extra blocks (1x1 then 3x3 /2,
 * the last one 3x3 valid), and a 3x3 location and confidence conv per feature map; box decoding and NMS
 * are left out. BN is folded. Random weights.
 */
export function buildSsdResNet34(options: DetectorOptions = {}): Model {
  const seed = options.seed ?? 0;
  const batch = options.batch ?? 1;
  const size = options.size ?? 1200;
  checkSeed('ssd-resnet34', seed);
  checkBatch('ssd-resnet34', batch);
  checkSpatial('ssd-resnet34', 'size', size, { min: 300 });
  const b = new GraphBuilder('ssd_resnet34', { opset: 17 });
  const m = new ModuleWriter(b, { seed, foldBatchNorm: true });
  let x = b.input('image', 'float32', [batch, 3, size, size]);
  m.setStatistics(x, uniformStats(3, 0, 1 / 3));
  x = m.maxPool2d('backbone.maxpool', convBn(m, 'backbone.stem', x, 3, 64, 7, 2, true), 3, 2, 1);
  let inplanes = 64;
  ([[64, 3, 1], [128, 4, 2], [256, 6, 1]] as const).forEach(([planes, blocks, stride], li) => {
    for (let bi = 0; bi < blocks; bi++) {
      const path = `backbone.layer${li + 1}.${bi}`;
      const s = bi === 0 ? stride : 1;
      const y = convBn(m, `${path}.2`, convBn(m, `${path}.1`, x, inplanes, planes, 3, s, true), planes, planes, 3, 1, false);
      const id = bi === 0 && (s !== 1 || inplanes !== planes) ? convBn(m, `${path}.downsample`, x, inplanes, planes, 1, s, false) : x;
      x = m.relu(`${path}.relu`, m.add(path, y, id));
      inplanes = planes;
    }
  });
  const features = [x];
  let ch = 256;
  EXTRA.forEach(([out, mid], i) => {
    const last = i === EXTRA.length - 1;
    const y = convBn(m, `extra.${i}.0`, x, ch, mid, 1, 1, true);
    x = convBn(m, `extra.${i}.1`, y, mid, out, 3, last ? 1 : 2, true, last ? 0 : 1);
    features.push(x);
    ch = out;
  });
  const channels = [256, 512, 512, 256, 256, 256];
  let side = Math.floor((size + 2 * 3 - 7) / 2) + 1;
  side = Math.floor((side + 2 - 3) / 2) + 1;
  side = Math.floor((side + 2 - 3) / 2) + 1;
  features.forEach((f, i) => {
    if (i > 0) side = i === features.length - 1 ? side - 2 : Math.floor((side + 2 - 3) / 2) + 1;
    for (const [head, per] of [['loc', 4], ['conf', CLASSES]] as const) {
      const name = `${head}_${i}`;
      m.conv2d(`head.${head}.${i}`, f, { inChannels: channels[i]!, outChannels: per * DEFAULTS[i]!, kernel: 3, padding: 1, gain: 1 }, name);
      b.output(name, 'float32', [batch, per * DEFAULTS[i]!, side, side]);
    }
  });
  return buildModel(b, { producerName: 'tandem.models' });
}
