import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatasetSpec } from '../../src/eval/dataset-spec.js';
import { getReferenceModel, REFERENCE_MODEL_REGISTRY } from '../../src/models/index.js';
import { getPass, PASS_REGISTRY } from '../../src/passes/index.js';
import { CALIBRATOR_REGISTRY, getCalibrator, resolveCalibratorOptions } from '../../src/quant/index.js';
import { ENGINE_REGISTRY, getEngine } from '../../src/runtime/engines/index.js';
import { getTarget, TARGET_REGISTRY, TARGETS } from '../../src/targets/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { closestName, createRegistry, unknownNameError } from '../../src/util/registry.js';

/** createRegistry: one shape and one miss message for targets, passes, calibrators, engines and models. */

function missMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isTandemError(e, 'UNKNOWN_NAME'), `UNKNOWN_NAME, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a throw');
}

describe('createRegistry', () => {
  const colours = createRegistry('colour', { red: 1, green: 2, blue: 3 });

  it('keeps the given order and answers has/get/find/list/entries', () => {
    assert.equal(colours.kind, 'colour');
    assert.deepEqual(colours.names, ['red', 'green', 'blue']);
    assert.equal(colours.get('green'), 2);
    assert.equal(colours.find('blue'), 3);
    assert.equal(colours.find('pink'), undefined);
    assert.deepEqual(colours.list(), [1, 2, 3]);
    assert.deepEqual(colours.entries(), [['red', 1], ['green', 2], ['blue', 3]]);
    assert.ok(colours.has('red'));
    assert.ok(!colours.has('pink'));
  });

  it('is frozen and copies its entries: later changes to the source object do not leak in', () => {
    const source: Record<string, number> = { a: 1 };
    const r = createRegistry('letter', source);
    source['b'] = 2;
    assert.equal(r.has('b'), false);
    assert.ok(Object.isFrozen(r));
    assert.ok(Object.isFrozen(r.names));
  });

  it('inherited object keys are not entries', () => {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      assert.equal(colours.has(name), false);
      assert.throws(() => colours.get(name), (e) => isTandemError(e, 'UNKNOWN_NAME'));
    }
  });

  it('a miss is UNKNOWN_NAME listing what exists, with a guess when one is close, and details for machines', () => {
    assert.throws(
      () => colours.get('gren'),
      (e) =>
        isTandemError(e, 'UNKNOWN_NAME') &&
        e.message === 'unknown colour "gren"; known: red, green, blue (did you mean "green"?)' &&
        JSON.stringify(e.details) === JSON.stringify({ kind: 'colour', name: 'gren', known: ['red', 'green', 'blue'] }),
    );
    assert.equal(missMessage(() => colours.get('purple')), 'unknown colour "purple"; known: red, green, blue');
  });

  it('quotes a hostile name and appends the hint', () => {
    const r = createRegistry('engine', { cpu: 0 }, { hint: 'see the README' });
    assert.equal(missMessage(() => r.get('x\u001b[31m"')), 'unknown engine "x\\u001b[31m\\""; known: cpu; see the README');
    assert.equal(unknownNameError('thing', 'x', []).message, 'unknown thing "x"; known: (none)');
  });

  it('closestName: edit distance within a third of the length (at least 2), case ignored, or a prefix', () => {
    assert.equal(closestName('cpuu', ['cpu', 'webgpu']), 'cpu');
    assert.equal(closestName('WebGPU', ['cpu', 'webgpu']), 'webgpu');
    assert.equal(closestName('fuse-conv-batchnrom', ['fuse-conv-batchnorm', 'fuse-conv-affine']), 'fuse-conv-batchnorm');
    assert.equal(closestName('orin', ['xavier-dla', 'orin-dla', 'orin-dla-trt10']), 'orin-dla');
    assert.equal(closestName('tpu', ['cpu', 'gpu']), 'cpu');
    assert.equal(closestName('quantum', ['cpu', 'gpu']), undefined);
    assert.equal(closestName('', ['cpu']), undefined);
  });
});

describe('every registry uses the common miss message', () => {
  const cases: { kind: string; names: readonly string[]; miss: () => unknown }[] = [
    { kind: 'target', names: TARGET_REGISTRY.names, miss: () => getTarget('orin-dl') },
    { kind: 'pass', names: PASS_REGISTRY.names, miss: () => getPass('fuse-everything') },
    { kind: 'calibration method', names: CALIBRATOR_REGISTRY.names, miss: () => getCalibrator('entrop') },
    { kind: 'engine', names: ENGINE_REGISTRY.names, miss: () => getEngine('tpu') },
    { kind: 'reference model', names: REFERENCE_MODEL_REGISTRY.names, miss: () => getReferenceModel('resnet18') },
  ];
  for (const c of cases) {
    it(c.kind, () => {
      const m = missMessage(c.miss);
      assert.ok(m.startsWith(`unknown ${c.kind} "`), m);
      assert.ok(m.includes(`; known: ${c.names.join(', ')}`), m);
    });
  }

  it('the guesses the common message adds', () => {
    assert.match(missMessage(() => getTarget('orin-dl')), /\(did you mean "orin-dla"\?\); `tandem targets` describes each$/);
    assert.match(missMessage(() => getCalibrator('entrop')), /\(did you mean "entropy"\?\)$/);
    assert.match(missMessage(() => getEngine('tpu')), /\(did you mean "cpu"\?\)$/);
    assert.match(missMessage(() => resolveCalibratorOptions({ entropyVariant: 'trt' as never })), /^unknown entropy variant "trt"; known: trt-gtc, pytorch-quantization, ort/);
    assert.equal(
      missMessage(() => openDatasetSpec('citiscapes:/data', { height: 8, width: 8 })),
      'unknown dataset kind "citiscapes"; known: synthetic, cityscapes, folder (did you mean "cityscapes"?); write synthetic[:seed,count], cityscapes:<dir> or folder:<dir>',
    );
  });

  it('the registries list the tables they are built from, in the same order', () => {
    assert.deepEqual(TARGET_REGISTRY.names, [...TARGETS.keys()]);
    assert.deepEqual(CALIBRATOR_REGISTRY.names, ['entropy', 'max', 'percentile', 'mse']);
    assert.deepEqual(ENGINE_REGISTRY.names, ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dla-emulated']);
    assert.notEqual(getEngine('cpu'), getEngine('cpu'), 'each getEngine call gets a fresh engine');
  });
});
