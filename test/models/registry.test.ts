import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getReferenceModel, isReferenceModelName, REFERENCE_MODEL_NAMES, REFERENCE_MODELS } from '../../src/models/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { runOnCpu } from './helpers.js';

describe('reference model registry', () => {
  test('lists the models by name', () => {
    assert.deepEqual(REFERENCE_MODEL_NAMES, ['resnet50', 'multitask']);
    for (const name of REFERENCE_MODEL_NAMES) assert.equal(REFERENCE_MODELS[name].name, name);
  });

  test('a miss is UNKNOWN_NAME and lists what exists; inherited property names are not models', () => {
    assert.throws(
      () => getReferenceModel('resnet18'),
      (e) => isTandemError(e, 'UNKNOWN_NAME') && e.message === 'unknown reference model "resnet18"; known: resnet50, multitask (did you mean "resnet50"?)',
    );
    for (const name of ['toString', '__proto__', 'constructor']) {
      assert.equal(isReferenceModelName(name), false);
      assert.throws(() => getReferenceModel(name), (e) => isTandemError(e, 'UNKNOWN_NAME'));
    }
  });

  for (const name of REFERENCE_MODEL_NAMES) {
    test(`${name}: the small variant builds by name, runs, and has the inputs, outputs and features the entry lists`, async () => {
      const entry = getReferenceModel(name);
      const model = entry.build({ ...entry.smallOptions, seed: 3 });
      assert.deepEqual(model.graph.runtimeInputs, entry.inputs);
      assert.deepEqual(model.graph.outputs, entry.outputs);
      for (const f of entry.features) assert.ok(model.graph.producer(f) !== undefined, `feature ${f} is a tensor of the graph`);
      const out = await runOnCpu(model);
      assert.deepEqual(Object.keys(out).sort(), [...entry.outputs].sort());
    });
  }
});
