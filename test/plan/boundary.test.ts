import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { dequantizeStageInputs, inputQuantScale, quantizeStageOutputs, verifyBoundaryQuantization } from '../../src/plan/boundary-quantization.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { createRng, randomNormal } from '../../src/util/random.js';

const cpu = getEngine('cpu');
const rng = createRng(3);

/** Producer: x → Conv → Relu → feat (float32). */
function producer() {
  const b = new GraphBuilder('producer', { opset: 17 });
  const x = b.input('x', 'float32', [1, 3, 8, 8]);
  const y = b.conv(x, new Tensor('float32', [4, 3, 3, 3], randomNormal(rng, 108, 0.4)), undefined, { pads: [1, 1, 1, 1] });
  b.op('Relu', [y], {}, { outputs: ['feat'] });
  b.output('feat', 'float32', [1, 4, 8, 8]);
  return buildModel(b);
}

/** Consumer in Q/DQ form: feat → Q → DQ → Conv → out; with `floatReader`, also feat → Sigmoid → out2. */
function consumer(scale: number, floatReader = false) {
  const b = new GraphBuilder('consumer', { opset: 17 });
  const f = b.input('feat', 'float32', [1, 4, 8, 8]);
  const s = b.scalar(scale);
  const zp = b.constant('zp', 'int8', [], [0]);
  const dq = b.op('DequantizeLinear', [b.op('QuantizeLinear', [f, s, zp]), s, zp]);
  b.output(b.conv(dq, new Tensor('float32', [2, 4, 1, 1], randomNormal(rng, 8, 0.5))), 'float32', [1, 2, 8, 8]);
  if (floatReader) b.output(b.sigmoid(f), 'float32', [1, 4, 8, 8]);
  return buildModel(b);
}

describe('boundary quantization on the producer', () => {
  it('finds the input scale of a Q/DQ consumer, and none where the float tensor is also read', () => {
    assert.equal(inputQuantScale(consumer(0.02), 'feat'), Math.fround(0.02));
    assert.equal(inputQuantScale(consumer(0.02, true), 'feat'), undefined);
    assert.equal(inputQuantScale(producer(), 'x'), undefined);
  });
  it('producer + consumer equal the unsplit Q/DQ path on fresh random inputs (onnxruntime cpu), with an int8 hand-off', async () => {
    const p = producer();
    const c = consumer(0.01);
    const scale = inputQuantScale(c, 'feat')!;
    const p2 = quantizeStageOutputs(p, [{ name: 'feat', scale }]);
    const c2 = dequantizeStageInputs(c, [{ name: 'feat', scale }]);
    assert.equal(p2.graph.tensorType('feat')?.dtype, 'int8');
    assert.equal(p2.graph.producer('feat')?.op, 'QuantizeLinear');
    assert.equal(c2.graph.tensorType('feat')?.dtype, 'int8');
    assert.deepEqual(c2.graph.consumers('feat').map((n) => n.op), ['DequantizeLinear']);
    assert.ok(!c2.graph.nodes.some((n) => n.op === 'QuantizeLinear'));
    const check = await verifyBoundaryQuantization([{ name: 'p', model: p }, { name: 'c', model: c }], [{ name: 'p', model: p2 }, { name: 'c', model: c2 }], cpu, { samples: 3 });
    assert.equal(check.samples, 3);
    assert.ok(check.maxAbsRef > 0.1, 'the outputs are not trivially zero');
    assert.equal(check.maxAbsDiff, 0);
    assert.ok(check.ok);
  });
  it('the check fails when the producer quantizes with another scale than the consumer dequantizes with', async () => {
    const p = producer();
    const c = consumer(0.01);
    const scale = inputQuantScale(c, 'feat')!;
    const wrong = quantizeStageOutputs(p, [{ name: 'feat', scale: scale * 2 }]);
    const check = await verifyBoundaryQuantization([{ name: 'p', model: p }, { name: 'c', model: c }], [{ name: 'p', model: wrong }, { name: 'c', model: dequantizeStageInputs(c, [{ name: 'feat', scale }]) }], cpu);
    assert.equal(check.ok, false);
    assert.ok(check.maxAbsDiff > 1e-3);
  });
  it('refuses to strip a consumer whose input is quantized with another scale', () => {
    assert.throws(() => dequantizeStageInputs(consumer(0.01), [{ name: 'feat', scale: 0.5 }]), /quantized with scale/);
  });
});
