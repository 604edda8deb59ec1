import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { tensorFromValues, tensorValues } from '../../src/ir/tensor-values.js';
import { buildMultitask } from '../../src/models/index.js';
import { arraySource } from '../../src/quant/calibration-source.js';
import { compareFidelity, FidelityAccumulator } from '../../src/quant/fidelity.js';
import { convertToFloat16 } from '../../src/quant/fp16.js';
import { createRng, randomNormal } from '../../src/util/random.js';
import { cpu, samplesFor, smallConvNet } from './helpers.js';

/** FP16 tolerance: relative L2 below 1e-2 on every output (FP16 keeps ~3 decimal digits per op). */
const TOL = 1e-2;

async function fidelity(model: Model, fp16: Model): Promise<{ output: string; relL2: number; cosine: number }[]> {
  return compareFidelity([{ name: 'm', model }], [{ stage: 'm', label: 'fp16', model: fp16 }], arraySource(samplesFor(model, 2, 31)), cpu);
}

describe('fp16', () => {
  it('converts the multi-task reference model; float32 inputs and outputs; runs and stays within 1e-2', async () => {
    const model = buildMultitask({ height: 64, width: 128 });
    const r = convertToFloat16(model);
    const g = r.model.graph;
    // Only Resize scales (typed tensor(float) whatever T is) stay float32.
    for (const [name, t] of g.initializers) if (t.dtype === 'float32') assert.ok(g.consumers(name).every((n) => n.op === 'Resize' && n.inputs.indexOf(name) === 2), name);
    assert.ok([...g.initializers.values()].some((t) => t.dtype === 'float16'));
    for (const n of [...g.inputs, ...g.outputs]) {
      const t = g.value(n)?.type;
      assert.equal(t?.kind === 'tensor' ? t.dtype : undefined, 'float32', n);
    }
    for (const row of await fidelity(model, r.model)) assert.ok(row.relL2 < TOL, `${row.output}: relL2 ${row.relL2}`);
  });
  it('keeps blocked ops and fixed-float inputs (Resize scales) in float32 with Casts around them', async () => {
    const rng = createRng(3);
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [1, 4, 8, 8]);
    const c = b.conv(x, new Tensor('float32', [4, 4, 3, 3], randomNormal(rng, 144, 0.2)), undefined, { pads: [1, 1, 1, 1] });
    const sq = b.pow(c, 2); // blocked: x^2 overflows FP16
    const up = b.resize(sq, { scales: [1, 1, 2, 2], mode: 'linear' });
    const y = b.add(up, b.constant('bias', 'float32', [1, 4, 1, 1], [0.5, -0.5, 1, 2]));
    b.output(y, 'float32', [1, 4, 16, 16]);
    const model = buildModel(b);
    const r = convertToFloat16(model);
    assert.deepEqual(r.blocked.map((x) => x.op), ['Pow']);
    const g = r.model.graph;
    const resize = g.nodes.find((n) => n.op === 'Resize')!;
    assert.equal(g.initializer(resize.inputs[2]!)?.dtype, 'float32', 'Resize scales stay float32');
    const pow = g.nodes.find((n) => n.op === 'Pow')!;
    assert.equal(g.producer(pow.inputs[0]!)?.op, 'Cast', 'Pow reads a float32 cast');
    assert.ok(r.casts >= 3);
    for (const row of await fidelity(model, r.model)) assert.ok(row.relL2 < TOL, `${row.output}: relL2 ${row.relL2}`);
  });
  it('with keepIoTypes false, inputs and outputs are float16 too', async () => {
    const model = smallConvNet();
    const r = convertToFloat16(model, { keepIoTypes: false });
    assert.equal(r.casts, 0);
    const s32 = await cpu.open(model);
    const s16 = await cpu.open(r.model);
    try {
      const feeds = samplesFor(model, 1, 8)[0]!;
      const ref = await s32.run(feeds, { outputs: model.graph.outputs });
      const half = { input: tensorFromValues('float16', feeds.input!.dims, tensorValues(feeds.input!)) };
      const got = await s16.run(half, { outputs: model.graph.outputs });
      const out = model.graph.outputs[0]!;
      assert.equal(got[out]!.dtype, 'float16');
      const acc = new FidelityAccumulator(out);
      acc.add(ref[out]!, got[out]!);
      assert.ok(acc.result().relL2 < TOL, `relL2 ${acc.result().relL2}`);
    } finally {
      await s32.close();
      await s16.close();
    }
  });
  it('saturates constants beyond the FP16 range and says so', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2]);
    b.output(b.mul(x, b.constant('big', 'float32', [2], [1e6, -1e6])), 'float32', [2]);
    const r = convertToFloat16(buildModel(b));
    assert.deepEqual(r.saturated, ['big']);
    assert.deepEqual(tensorValues(r.model.graph.initializer('big')!), [65504, -65504]);
  });
});
