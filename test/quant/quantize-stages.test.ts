import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveModel } from '../../src/onnx/load-save.js';
import { compareCalibrators, loadQuantizeStages, methodDir, quantizeStages, writeQuantizeStages } from '../../src/quant/quantize-stages.js';
import { isTandemError } from '../../src/util/errors.js';
import type { ProgressEvent } from '../../src/util/progress.js';
import { cpu, smallConvNet, tempDir, writeNpyCalibration } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const model = smallConvNet();
const modelPath = join(tmp.dir, 'net.onnx');
saveModel(model, modelPath);
const calib = writeNpyCalibration(tmp.dir, model, 6);

describe('quantizeStages', () => {
  it('holds out the last n samples, calibrates on the rest, writes one folder per method and compares on the held-out ones', async () => {
    const out = join(tmp.dir, 'q');
    const events: ProgressEvent['kind'][] = [];
    const r = await quantizeStages(modelPath, cpu, { calib, out, trtVersion: '10.3.0', methods: ['entropy', 'max'], holdout: 2, onProgress: (e) => void events.push(e.kind) });
    assert.deepEqual(r.calibration.ids, ['00.npy', '01.npy', '02.npy', '03.npy']);
    assert.deepEqual(r.holdout?.ids, ['04.npy', '05.npy']);
    assert.equal(r.observation.samples, 4);
    assert.equal(r.byMethod, true);
    assert.deepEqual(r.notes, []);
    assert.ok(events.includes('calibration'));
    assert.equal(existsSync(out), false, 'nothing written before writeQuantizeStages');
    const written = writeQuantizeStages(r);
    assert.deepEqual(written.map((w) => [w.stage, w.method]), [['net', 'entropy'], ['net', 'max']]);
    for (const m of ['entropy', 'max']) assert.ok(existsSync(join(methodDir(out, m, true), 'net.cache')));
    const rows = await compareCalibrators(r, cpu);
    assert.deepEqual(rows.map((x) => [x.label, x.samples]), [['entropy', 2], ['max', 2]]);
  });
  it('one method writes straight into out; the limit and a holdout that leaves few samples are said', async () => {
    const r = await quantizeStages(modelPath, cpu, { calib, out: join(tmp.dir, 'one'), trtVersion: '8.6.1', holdout: 4, limit: 1 });
    assert.equal(r.byMethod, false);
    assert.equal(methodDir(r.out, 'entropy', r.byMethod), r.out);
    assert.equal(r.calibration.ids.length, 1);
    assert.match(r.notes[0] ?? '', /the last 4 of 6 samples are held out for the comparison: calibration runs on 1/);
  });
  it('refuses, before calibrating: a holdout of every sample, an unknown stage, stages of a single model, a bad TensorRT version; compareCalibrators without a holdout', async () => {
    const refuse = (p: Promise<unknown>, code: string, message: RegExp): Promise<void> => assert.rejects(p, (e) => isTandemError(e, code as never) && message.test(e.message));
    await refuse(quantizeStages(modelPath, cpu, { calib, out: join(tmp.dir, 'x'), trtVersion: '8.6.1', holdout: 6 }), 'CALIB_DATA', /holding out the last 6 of 6 samples leaves none/);
    await refuse(quantizeStages(modelPath, cpu, { calib, out: join(tmp.dir, 'x'), trtVersion: '8.6.1', stages: ['head'] }), 'USAGE', /split\.json only/);
    await assert.rejects(quantizeStages(modelPath, cpu, { calib, out: join(tmp.dir, 'x'), trtVersion: 'seven' }), (e) => isTandemError(e));
    await assert.rejects(compareCalibrators(await quantizeStages(modelPath, cpu, { calib, out: join(tmp.dir, 'y'), trtVersion: '8.6.1', limit: 2 }), cpu), (e) => isTandemError(e, 'USAGE') && /holdout/.test(e.message));
  });
  it('loadQuantizeStages names a single model after its file', () => {
    const { stages, split } = loadQuantizeStages(modelPath);
    assert.equal(split, false);
    assert.deepEqual(stages.map((s) => [s.name, s.quantize]), [['net', true]]);
  });
});
