import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadModel } from '../../src/onnx/index.js';
import { inferShapes } from '../../src/ops/index.js';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { randomInputs } from '../../src/runtime/index.js';
import type { Model } from '../../src/ir/index.js';
import { PYTORCH_FIXTURES, fixture } from '../helpers/fixtures.js';
import { ortShapes } from '../helpers/ort-shapes.js';

async function checkAllTensors(model: Model, dims: Record<string, number> = {}): Promise<number> {
  inferShapes(model, { dims });
  const actual = await ortShapes(model, randomInputs(model, { dims }));
  let checked = 0;
  for (const [name, shape] of actual) {
    const inferred = model.graph.tensorType(name)?.shape;
    assert.ok(inferred !== undefined, `no inferred shape for ${name}`);
    assert.deepEqual(inferred, shape, `tensor ${name}`);
    checked++;
  }
  return checked;
}

describe('inferred shapes equal onnxruntime’s, for every tensor', () => {
  for (const [name, ref] of Object.entries(REFERENCE_MODELS)) {
    it(`${name} (small input)`, async () => {
      const n = await checkAllTensors(ref.build(ref.smallOptions));
      assert.ok(n > 100, `${n} tensors checked`);
    });
  }

  it('resnet50 and multitask at their default sizes: every graph output', async () => {
    for (const ref of Object.values(REFERENCE_MODELS)) {
      const model = ref.build();
      inferShapes(model);
      const shapes = await ortShapes(model, randomInputs(model));
      for (const out of model.graph.outputs) assert.deepEqual(model.graph.tensorType(out)?.shape, shapes.get(out), `${ref.name}: ${out}`);
    }
  });

  for (const name of PYTORCH_FIXTURES) {
    it(`PyTorch export ${name}, batch 3 through its symbolic batch dim`, async () => {
      const model = loadModel(fixture('pytorch', `${name}.onnx`));
      const n = await checkAllTensors(model, { batch: 3, s0: 3 });
      assert.ok(n > 5);
    });

    it(`PyTorch export ${name}: symbolic batch stays symbolic, never wrong`, () => {
      const model = loadModel(fixture('pytorch', `${name}.onnx`));
      inferShapes(model);
      for (const out of model.graph.outputs) {
        const shape = model.graph.tensorType(out)?.shape;
        assert.ok(shape !== undefined, out);
        assert.ok(typeof shape[0] === 'string' || shape[0] === null, `${out}: batch dim ${String(shape[0])} must stay symbolic`);
        for (const d of shape.slice(1)) assert.equal(typeof d, 'number', `${out}: non-batch dims are known`);
      }
    });
  }
});
