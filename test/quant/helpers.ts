import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { randomInputs } from '../../src/runtime/verify.js';
import { encodeNpy } from '../../src/io/npy.js';
import { createRng, randomNormal, randomUniform } from '../../src/util/random.js';
import type { SessionOpener } from '../../src/quant/session.js';

/** The cpu engine as quant/'s session opener (what the CLI injects). */
export const cpu: SessionOpener = getEngine('cpu');

/** A temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'tandem-quant-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Seeded normal weights with std sqrt(2 / fan_in) (He), so activations keep their scale through the net. */
function he(rng: ReturnType<typeof createRng>, dims: number[]): Tensor<'float32'> {
  const fanIn = dims.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor('float32', dims, randomNormal(rng, dims.reduce((a, b) => a * b, 1), Math.sqrt(2 / fanIn)));
}

function bn(b: GraphBuilder, rng: ReturnType<typeof createRng>, x: string, c: number): string {
  return b.batchNorm(x, new Tensor('float32', [c], randomUniform(rng, c, 0.5, 1.5)), new Tensor('float32', [c], randomUniform(rng, c, -0.2, 0.2)), new Tensor('float32', [c], randomUniform(rng, c, -0.1, 0.1)), new Tensor('float32', [c], randomUniform(rng, c, 0.5, 1.5)));
}

/**
 * A small ResNet-like classifier: stem conv-BN-ReLU, max pool, a bottleneck block with a downsample
 * shortcut (residual Add of two conv branches), a plain residual block (identity shortcut), global
 * average pool, Gemm. Input [batch, 3, 32, 32]; `batch` may be symbolic.
 */
export function smallConvNet(options: { seed?: number; batch?: number | string } = {}): Model {
  const rng = createRng(options.seed ?? 7);
  const b = new GraphBuilder('small-convnet', { opset: 17 });
  const x = b.input('input', 'float32', [options.batch ?? 1, 3, 32, 32]);
  let t = b.relu(bn(b, rng, b.conv(x, he(rng, [16, 3, 3, 3]), new Tensor('float32', [16], randomNormal(rng, 16, 0.1)), { pads: [1, 1, 1, 1], name: 'stem' }), 16));
  t = b.maxPool(t, { kernel: [2, 2], strides: [2, 2] });
  // Bottleneck with a downsample shortcut: both Add inputs come from convs; the shortcut is the shorter path.
  const main = bn(b, rng, b.conv(b.relu(bn(b, rng, b.conv(t, he(rng, [8, 16, 1, 1]), undefined, { name: 'block1.conv1' }), 8)), he(rng, [32, 8, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'block1.conv2' }), 32);
  const down = bn(b, rng, b.conv(t, he(rng, [32, 16, 1, 1]), undefined, { name: 'block1.downsample' }), 32);
  t = b.relu(b.op('Add', [main, down], {}, { name: 'block1.add' }));
  // Identity shortcut: only one Add input comes from a conv.
  const branch = bn(b, rng, b.conv(b.relu(bn(b, rng, b.conv(t, he(rng, [32, 32, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'block2.conv1' }), 32)), he(rng, [32, 32, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'block2.conv2' }), 32);
  t = b.relu(b.op('Add', [t, branch], {}, { name: 'block2.add' }));
  t = b.flatten(b.globalAveragePool(t));
  const logits = b.gemm(t, he(rng, [10, 32]), new Tensor('float32', [10], randomNormal(rng, 10, 0.1)), { transB: true });
  b.output(logits, 'float32', [options.batch ?? 1, 10]);
  return buildModel(b);
}

/** Seeded random feeds (uniform in [-1, 1]). */
export function samplesFor(model: Model, count: number, seed = 1): Record<string, Tensor>[] {
  return Array.from({ length: count }, (_, i) => randomInputs(model, { seed: seed + 1000 * i }));
}

/** `count` seeded samples of `model`'s input as .npy files (00.npy, 01.npy, ...) in `dir`/calib; returns that folder. */
export function writeNpyCalibration(dir: string, model: Model, count: number): string {
  const calib = join(dir, 'calib');
  mkdirSync(calib);
  samplesFor(model, count).forEach((s, i) => writeFileSync(join(calib, `${String(i).padStart(2, '0')}.npy`), encodeNpy(s.input!)));
  return calib;
}
