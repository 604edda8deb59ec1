import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bisectPrefix, cacheWithout, parseBudgets, withoutTensors } from '../../src/eval/index.js';
import { preprocessFromMetadata } from '../../src/quant/image-preprocess.js';
import type { QdqPlan } from '../../src/quant/qdq-plan.js';
import { isTandemError } from '../../src/util/errors.js';

describe('keep-fp16 building blocks', () => {
  it('parse budgets in mIoU points and relative AbsRel', () => {
    assert.deepEqual(parseBudgets('miou=0.5,absrel=2%'), [{ metric: 'miou', loss: 0.5 }, { metric: 'absrel', loss: 0.02 }]);
    assert.deepEqual(parseBudgets('AbsRel=0.05'), [{ metric: 'absrel', loss: 0.05 }]);
    assert.throws(() => parseBudgets('rmse=1'), (e) => isTandemError(e, 'USAGE') && /miou=0.5/.test(e.message));
  });

  it('find the smallest passing prefix in about 2·log2(answer) steps', async () => {
    for (const [n, need] of [[16, 1], [16, 5], [16, 16], [31, 7], [1, 1], [29, 3]] as const) {
      const asked: number[] = [];
      const r = await bisectPrefix(n, async (k) => {
        asked.push(k);
        return k >= need;
      });
      assert.equal(r.count, need, `n ${n} need ${need}`);
      assert.ok(r.steps <= 2 * Math.ceil(Math.log2(need + 1)) + 1, `${r.steps} steps for ${need} of ${n}`);
      assert.equal(r.steps, asked.length);
    }
  });

  it('finds a small prefix where the loss is not monotone in the prefix (tandem-street depth: top 3 pass, top 14 fail)', async () => {
    const lossPercent = [4.23, 2.82, 2.09, 1.86, 1.67, 1.63, 1.66, 1.6, 1.59, 1.6, 1.65, 1.8, 2.0, 2.2, 2.4, 2.35, 2.3, 2.32, 2.3, 2.1, 1.9, 1.5, 0.9, 0.29, 0.2, 0.1, 0.05, 0.02, 0.01, 0];
    const r = await bisectPrefix(29, async (k) => lossPercent[k]! <= 2);
    assert.equal(r.count, 3);
  });

  it('drop the kept tensors from the Q/DQ plan and the calibration cache', () => {
    const plan: QdqPlan = {
      version: 1,
      placement: 'dla',
      activations: [
        { tensor: 'a', scale: 0.1, consumers: 'all', rule: 'dla' },
        { tensor: 'b', scale: 0.2, consumers: 'all', rule: 'dla' },
      ],
      weights: [{ tensor: 'w', consumer: { node: 'conv', position: 0, input: 1 }, axis: 0, scales: [0.1] }],
      skipped: [],
    };
    const kept = withoutTensors(plan, new Set(['b', 'w']));
    assert.deepEqual(kept.activations.map((a) => a.tensor), ['a']);
    assert.equal(kept.weights.length, 0);
    assert.equal(cacheWithout('TRT-8601-EntropyCalibration2\na: 3c23d70a\nb: 3d4ccccd\n/x:y: 3d4ccccd', new Set(['b', '/x:y'])), 'TRT-8601-EntropyCalibration2\na: 3c23d70a');
  });

  it('read preprocessing from model metadata and refuse malformed values', () => {
    const meta: [string, string][] = [['tandem.preprocess', JSON.stringify({ height: 128, width: 256, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channelOrder: 'bgr', layout: 'nchw', scale: 1 / 255 })]];
    assert.deepEqual(preprocessFromMetadata(meta), { height: 128, width: 256, scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channelOrder: 'bgr', layout: 'nchw' });
    assert.equal(preprocessFromMetadata([]), undefined);
    assert.throws(() => preprocessFromMetadata([['tandem.preprocess', '{"layout": "chw"}']]), (e) => isTandemError(e, 'MODEL_METADATA') && /layout/.test(e.message));
  });
});
