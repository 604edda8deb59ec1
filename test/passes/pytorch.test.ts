import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadModel } from '../../src/onnx/index.js';
import { prepareModel } from '../../src/passes/prepare-model.js';
import { checkEquivalent } from '../../src/runtime/verify.js';
import { PYTORCH_FIXTURES, fixture } from '../helpers/fixtures.js';

describe('prepare on PyTorch exports (TorchScript and dynamo exporters, dynamic batch)', () => {
  for (const name of PYTORCH_FIXTURES) {
    const file = fixture('pytorch', `${name}.onnx`);
    it(`${name}: every pass where it applies, outputs unchanged at batch 1 and 3`, { skip: existsSync(file) ? false : `${file} not present` }, async () => {
      const model = loadModel(file);
      const { model: out } = prepareModel(model, { keep: 'all', dims: { batch: 2 } });
      for (const batch of [1, 3]) {
        const r = await checkEquivalent(model, out, { dims: { batch }, tolerance: 1e-5 });
        assert.ok(r.ok, `batch ${batch}: ${JSON.stringify(r.outputs)}`);
      }
    });
  }
});
