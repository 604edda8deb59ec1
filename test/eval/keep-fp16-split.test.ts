import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keepFp16ForSplit } from '../../src/eval/keep-fp16-split.js';
import { encodeNpy } from '../../src/io/npy.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { splitModel, writeSplit } from '../../src/passes/index.js';
import { quantizeStages } from '../../src/quant/quantize-stages.js';
import { isTandemError } from '../../src/util/errors.js';
import { cpu, samplesFor, smallConvNet, tempDir } from '../quant/helpers.js';

const tmp = tempDir('tandem-keep-fp16-');
after(tmp.cleanup);

const model = smallConvNet();
const calib = join(tmp.dir, 'calib');
mkdirSync(calib);
samplesFor(model, 2).forEach((s, i) => writeFileSync(join(calib, `${i}.npy`), encodeNpy(s.input!)));

describe('keepFp16ForSplit', () => {
  it('refuses a single model and a split whose source model is gone, naming what to do', async () => {
    const modelPath = join(tmp.dir, 'net.onnx');
    saveModel(model, modelPath);
    const single = await quantizeStages(modelPath, cpu, { calib, out: join(tmp.dir, 'q1'), trtVersion: '8.6.1' });
    await assert.rejects(keepFp16ForSplit(single), (e) => isTandemError(e, 'USAGE') && /needs a split\.json.*run tandem split first/.test(e.message));
    const cut = model.graph.nodes.find((n) => n.op === 'Flatten')!.outputs[0]!;
    const stages = join(tmp.dir, 'stages');
    writeSplit(splitModel(model, { at: [cut] }), stages, { source: 'gone.onnx' });
    const split = await quantizeStages(join(stages, 'split.json'), cpu, { calib, out: join(tmp.dir, 'q2'), trtVersion: '8.6.1' });
    assert.equal(split.split, true);
    await assert.rejects(keepFp16ForSplit(split), (e) => isTandemError(e, 'MODEL_METADATA') && /source model \(gone\.onnx\), which is not there/.test(e.message));
  });
});
