import { attr } from '../ir/attribute.js';
import { GraphBuilder, buildModel } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { uniformStats } from './activation-stats.js';
import { ModuleWriter } from './module-writer.js';
import { checkBatch, checkSeed, checkSpatial } from './options-check.js';

/** Options of the detector builders (`buildYoloV5s`, RetinaNet, SSD). */
export interface DetectorOptions {
  /** Seed of the weight generator. @default 0 */
  seed?: number;
  /** Batch size (static). @default 1 */
  batch?: number;
  /** Square input side. @default the model's published size */
  size?: number;
}

/** Input and outputs of the YOLOv5s graph: the three Detect convolutions' maps (cuDLA-samples stops there). */
export const YOLOV5S_IO = { input: 'images', outputs: ['p3', 'p4', 'p5'] } as const;

/** Conv + BN (folded, as exported for deployment) + SiLU written as Sigmoid·Mul (how TensorRT/DLA see it). */
function convSilu(m: ModuleWriter, path: string, x: string, cin: number, cout: number, k: number, s = 1, padding = Math.floor(k / 2)): string {
  const y = m.conv2dBatchNorm(`${path}.conv`, `${path}.bn`, x, { inChannels: cin, outChannels: cout, kernel: k, stride: s, padding, bias: false });
  return m.op(`${path}.act`, 'Mul', [y, m.sigmoid(`${path}.act`, y)]);
}

function concat(m: ModuleWriter, path: string, xs: readonly string[]): string {
  return m.op(path, 'Concat', xs, { axis: attr.int(1) });
}

function c3(m: ModuleWriter, path: string, x: string, cin: number, cout: number, n: number, shortcut: boolean): string {
  const c = cout / 2;
  let a = convSilu(m, `${path}.cv1`, x, cin, c, 1);
  const b = convSilu(m, `${path}.cv2`, x, cin, c, 1);
  for (let i = 0; i < n; i++) {
    const y = convSilu(m, `${path}.m.${i}.cv2`, convSilu(m, `${path}.m.${i}.cv1`, a, c, c, 1), c, c, 3);
    a = shortcut ? m.add(`${path}.m.${i}`, a, y) : y;
  }
  return convSilu(m, `${path}.cv3`, concat(m, path, [a, b]), 2 * c, cout, 1);
}

/**
 * YOLOv5s v6.x (Ultralytics yolov5s.yaml: depth 0.33, width 0.50; 6x6/2 stem, C3 blocks, SPPF, PANet
 * neck) up to the three 1x1 Detect convolutions (3 anchors × 85), as NVIDIA's cuDLA-samples build it
 * for the DLA (decoding and NMS run elsewhere). 672x672 by default (the cuDLA-samples README).
 * Weights are random (He-normal), for cost and latency work, not accuracy.
 */
export function buildYoloV5s(options: DetectorOptions = {}): Model {
  const seed = options.seed ?? 0;
  const batch = options.batch ?? 1;
  const size = options.size ?? 672;
  checkSeed('yolov5s', seed);
  checkBatch('yolov5s', batch);
  checkSpatial('yolov5s', 'size', size, { min: 64, multipleOf: 32 });
  const b = new GraphBuilder('yolov5s', { opset: 17 });
  const m = new ModuleWriter(b, { seed, foldBatchNorm: true });
  let x = b.input(YOLOV5S_IO.input, 'float32', [batch, 3, size, size]);
  m.setStatistics(x, uniformStats(3, 0, 1 / 3));
  x = convSilu(m, 'model.0', x, 3, 32, 6, 2, 2);
  x = convSilu(m, 'model.1', x, 32, 64, 3, 2);
  x = c3(m, 'model.2', x, 64, 64, 1, true);
  x = convSilu(m, 'model.3', x, 64, 128, 3, 2);
  const x4 = c3(m, 'model.4', x, 128, 128, 2, true);
  x = convSilu(m, 'model.5', x4, 128, 256, 3, 2);
  const x6 = c3(m, 'model.6', x, 256, 256, 3, true);
  x = convSilu(m, 'model.7', x6, 256, 512, 3, 2);
  x = c3(m, 'model.8', x, 512, 512, 1, true);
  // SPPF(k=5): three chained max-pools
  const s = convSilu(m, 'model.9.cv1', x, 512, 256, 1);
  const p1 = m.maxPool2d('model.9.m', s, 5, 1, 2);
  const p2 = m.maxPool2d('model.9.m', p1, 5, 1, 2);
  const p3 = m.maxPool2d('model.9.m', p2, 5, 1, 2);
  x = convSilu(m, 'model.9.cv2', concat(m, 'model.9', [s, p1, p2, p3]), 1024, 512, 1);
  const x10 = convSilu(m, 'model.10', x, 512, 256, 1);
  x = c3(m, 'model.13', concat(m, 'model.12', [m.upsampleNearest2x('model.11', x10), x6]), 512, 256, 1, false);
  const x14 = convSilu(m, 'model.14', x, 256, 128, 1);
  const x17 = c3(m, 'model.17', concat(m, 'model.16', [m.upsampleNearest2x('model.15', x14), x4]), 256, 128, 1, false);
  const x20 = c3(m, 'model.20', concat(m, 'model.19', [convSilu(m, 'model.18', x17, 128, 128, 3, 2), x14]), 256, 256, 1, false);
  const x23 = c3(m, 'model.23', concat(m, 'model.22', [convSilu(m, 'model.21', x20, 256, 256, 3, 2), x10]), 512, 512, 1, false);
  [x17, x20, x23].forEach((f, i) => {
    const cin = [128, 256, 512][i]!;
    m.conv2d(`model.24.m.${i}`, f, { inChannels: cin, outChannels: 255, kernel: 1, gain: 1 }, YOLOV5S_IO.outputs[i]);
    b.output(YOLOV5S_IO.outputs[i]!, 'float32', [batch, 255, size / (8 << i), size / (8 << i)]);
  });
  return buildModel(b, { producerName: 'tandem.models' });
}
