import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadModel } from '../../src/onnx/load-save.js';
import { fixInputDims } from '../../src/passes/index.js';
import { checkEquivalent } from '../../src/runtime/verify.js';
import { fixture } from '../helpers/fixtures.js';

const shapeOf = (m: ReturnType<typeof loadModel>, name: string): unknown => {
  const t = m.graph.value(name)?.type;
  return t?.kind === 'tensor' ? t.shape : undefined;
};

describe('fixInputDims (--dims for commands that hand the model on)', () => {
  const model = loadModel(fixture('pytorch', 'tiny_cnn_legacy.onnx'));
  const input = model.graph.runtimeInputs[0]!;
  const output = model.graph.outputs[0]!;

  it('sizes the named symbolic dims in every declared type, leaves the input model alone', () => {
    const fixed = fixInputDims(model, { batch: 2 });
    assert.deepEqual(shapeOf(fixed, input), [2, 3, 32, 32]);
    assert.deepEqual(shapeOf(fixed, output), [2, 10]);
    assert.deepEqual(shapeOf(model, input), ['batch', 3, 32, 32]);
    assert.deepEqual(shapeOf(fixInputDims(model, { height: 7 }), input), ['batch', 3, 32, 32]);
  });

  it('computes the same outputs on onnxruntime for inputs of those sizes', async () => {
    const r = await checkEquivalent(model, fixInputDims(model, { batch: 2 }), { dims: { batch: 2 }, trials: 1 });
    assert.ok(r.ok, JSON.stringify(r.outputs));
    assert.deepEqual(r.outputs.map((o) => o.shapeMatch), [true]);
  });
});
