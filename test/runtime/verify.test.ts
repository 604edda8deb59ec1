import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel, Tensor, tensorValues } from '../../src/ir/index.js';
import { checkEquivalent, compareTensors, randomInputs } from '../../src/runtime/index.js';

const f32 = (values: number[]) => new Tensor('float32', [values.length], Float32Array.from(values));

describe('verification of a rewrite against onnxruntime', () => {
  it('NaN in the same places, and the same infinities, are agreement; NaN on one side only is not', () => {
    assert.equal(compareTensors('y', f32([1, NaN, Infinity, -Infinity]), f32([1, NaN, Infinity, -Infinity])).relL2, 0);
    assert.equal(compareTensors('y', f32([1, NaN, 2]), f32([1, NaN, 2.5])).maxAbs, 0.5);
    assert.equal(compareTensors('y', f32([1, NaN]), f32([1, 3])).relL2, Infinity);
    assert.equal(compareTensors('y', f32([1, Infinity]), f32([1, -Infinity])).relL2, Infinity);
    assert.equal(compareTensors('y', f32([1, 2]), f32([1, NaN])).exact, false);
  });

  it('inputs that reach Log, Sqrt or Pow (through view ops) are drawn positive; a model agrees with itself', async () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2, 8]);
    const t = b.input('t', 'float32', [2, 8]);
    const free = b.input('free', 'float32', [64]);
    b.output(b.op('Log', [b.op('Transpose', [x])]), 'float32', [8, 2]);
    b.output(b.op('Sqrt', [t]), 'float32', [2, 8]);
    // Sub is arithmetic: the domain is not pushed through it, so Log sees negatives and gives NaN on both sides
    b.output(b.op('Log', [b.op('Sub', [free, b.constant('half', 'float32', [], [0.5])])]), 'float32', [64]);
    const model = buildModel(b);
    const feeds = randomInputs(model, { seed: 3 });
    for (const name of ['x', 't']) assert.ok(tensorValues(feeds[name]!).every((v) => v > 0), name);
    assert.ok(tensorValues(feeds['free']!).some((v) => v < 0));
    const report = await checkEquivalent(model, model.clone());
    assert.ok(report.ok, JSON.stringify(report.outputs));
  });
});
