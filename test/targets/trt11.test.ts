import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { getTarget } from '../../src/targets/index.js';
import { build, filled, run } from './helpers.js';

/** A typed Q/DQ model as tandem quantize writes it: activations Q→DQ, Conv weights DQ(int8 constant) with per-channel scales. */
function qdqConvNet() {
  return build((b) => {
    let x = b.input('x', 'float32', [1, 16, 8, 8]);
    for (let i = 0; i < 3; i++) {
      const s = b.initializer(`s${i}`, filled([], 0.05));
      const z = b.initializer(`z${i}`, tensorFromValues('int8', [], [0]));
      const q = b.op('QuantizeLinear', [x, s, z], {}, { name: `q${i}` });
      const dq = b.op('DequantizeLinear', [q, s, z], {}, { name: `dq${i}` });
      const wq = b.initializer(`w${i}`, tensorFromValues('int8', [16, 16, 3, 3], new Array<number>(16 * 16 * 9).fill(3)));
      const ws = b.initializer(`ws${i}`, filled([16], 0.01));
      const wz = b.initializer(`wz${i}`, tensorFromValues('int8', [16], new Array<number>(16).fill(0)));
      const w = b.op('DequantizeLinear', [wq, ws, wz], { axis: attr.int(0) }, { name: `wdq${i}` });
      x = b.op('Relu', [b.op('Conv', [dq, w], { pads: attr.ints([1, 1, 1, 1]) }, { name: `conv${i}` })], {}, { name: `relu${i}` });
    }
    return x;
  });
}

describe('orin-dla-trt11 (TensorRT 11.4.1+, explicit Q/DQ)', () => {
  it('is registered with explicit quantization and TensorRT 11.4.1', () => {
    const t = getTarget('orin-dla-trt11');
    assert.deepEqual(t.trt, [11, 4, 1]);
    assert.equal(t.quantization, 'explicit');
    assert.equal(getTarget('orin-dla').quantization, 'implicit');
  });

  it('a typed Q/DQ model runs on the DLA for TensorRT 11 (weights DQ folded at build) but not for TensorRT 8.6', () => {
    const m = qdqConvNet();
    const trt11 = run(m, { target: 'orin-dla-trt11' });
    const trt86 = run(qdqConvNet(), { target: 'orin-dla' });
    assert.equal(trt11.summary.nodes.fallback, 0);
    assert.equal(trt86.summary.nodes.fallback, 6, 'TensorRT 8.6: the activation Q/DQ fall back and cut the DLA regions');
    assert.ok(trt86.regions.length >= 3);
    for (let i = 0; i < 3; i++) {
      assert.equal(trt11.nodes.find((n) => n.name === `wdq${i}`)?.placement, 'build', 'DequantizeLinear of constant weights folds at build');
      assert.equal(trt11.nodes.find((n) => n.name === `conv${i}`)?.placement, 'target');
      assert.equal(trt11.nodes.find((n) => n.name === `q${i}`)?.placement, 'target');
    }
    assert.equal(trt11.regions.length, 1);
    assert.ok(trt11.diagnostics.some((d) => d.rule === 'precision.int8-explicit'));
    assert.ok(trt86.nodes.some((n) => n.rule === 'op.needs-rewrite' && /explicit Q\/DQ/.test(n.reason ?? '')));
  });
});
