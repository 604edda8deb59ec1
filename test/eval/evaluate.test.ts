import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import {
  DepthAccumulator,
  SegmentationAccumulator,
  TRAIN_ID,
  evaluate,
  type EvalPart,
  mergeEvalParts,
  readModelTasks,
  resolveShard,
  summarizeEval,
  syntheticDataset,
  writeScenes,
} from '../../src/eval/index.js';
import { loadModel } from '../../src/onnx/load-save.js';
import { isTandemError } from '../../src/util/errors.js';

const MODEL = fileURLToPath(new URL('../../assets/models/tandem-street.onnx', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tandem-eval-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('the trained reference model', () => {
  it('states its preprocessing and outputs in its metadata', () => {
    const tasks = readModelTasks(loadModel(MODEL, { weights: 'lazy' }));
    assert.equal(tasks.source, 'metadata');
    assert.equal(tasks.input, 'image');
    assert.deepEqual([tasks.preprocess.height, tasks.preprocess.width, tasks.preprocess.layout, tasks.preprocess.channelOrder], [128, 256, 'nchw', 'rgb']);
    assert.deepEqual(tasks.preprocess.mean, [0.485, 0.456, 0.406]);
    assert.equal(tasks.segmentation?.classes, 19);
    assert.equal(tasks.segmentation?.classNames[TRAIN_ID.car], 'car');
    assert.deepEqual([tasks.depth?.encoding, tasks.depth?.min, tasks.depth?.max], ['log-sigmoid', 1, 120]);
  });

  it('beats a constant predictor by far on 16 held-out frames', async () => {
    const dataset = syntheticDataset({ seed: 1000, count: 16, height: 128, width: 256 });
    const s = summarizeEval(await evaluate(MODEL, { dataset, targetOptions: { threads: 2 } }));
    // The best constant predictions: road everywhere, and one depth everywhere (the median of the truth).
    const seg = new SegmentationAccumulator(19);
    const depth = new DepthAccumulator();
    for (let i = 0; i < dataset.size; i++) {
      const f = await dataset.read(i);
      seg.add(new Uint8Array(f.labels!.length).fill(TRAIN_ID.road), f.labels!);
      const valid = Array.from(f.depth!).filter((d) => d > 0).sort((a, b) => a - b);
      depth.add(new Float32Array(f.depth!.length).fill(valid[valid.length >> 1]!), f.depth!);
    }
    const constant = { mIoU: seg.result().mIoU, absRel: depth.result().absRel };
    assert.ok(s.metrics.segmentation!.mIoU > constant.mIoU + 40, `mIoU ${s.metrics.segmentation!.mIoU} vs constant ${constant.mIoU}`);
    assert.ok(s.metrics.depth!.absRel < constant.absRel / 3, `AbsRel ${s.metrics.depth!.absRel} vs constant ${constant.absRel}`);
  });

  it('gives exactly the unsharded result from 4 merged shards', async () => {
    const dataset = syntheticDataset({ seed: 1001, count: 6, height: 128, width: 256 });
    const whole = await evaluate(MODEL, { dataset, datasetName: 'synthetic:1001,6', targetOptions: { threads: 2 } });
    const parts: EvalPart[] = [];
    for (let i = 3; i >= 0; i--) parts.push(JSON.parse(JSON.stringify(await evaluate(MODEL, { dataset, datasetName: 'synthetic:1001,6', shard: { index: i, count: 4 }, targetOptions: { threads: 2 } }))));
    const merged = mergeEvalParts(parts);
    const { shards: _m, complete: mergedComplete, ...mergedNumbers } = summarizeEval(merged);
    const { shards: _w, ...wholeNumbers } = summarizeEval(whole);
    assert.deepEqual({ ...mergedNumbers, complete: mergedComplete }, wholeNumbers);
    assert.deepEqual(merged.metrics, JSON.parse(JSON.stringify(whole.metrics)));
    assert.throws(() => mergeEvalParts([parts[0]!, parts[0]!]), (e) => isTandemError(e, 'EVAL_RESULT') && /shard 3 is in more than one part/.test(e.message));
    assert.equal(summarizeEval(mergeEvalParts(parts.slice(1))).complete, false);
  });

  it('takes the dataset as a spec, generated at the target\'s input size, and says the same as the dataset given', async () => {
    const bySpec = await evaluate(MODEL, { dataset: 'synthetic:1003,2', targetOptions: { threads: 2 } });
    const given = await evaluate(MODEL, { dataset: syntheticDataset({ seed: 1003, count: 2, height: 128, width: 256 }), datasetName: 'synthetic:1003,2', targetOptions: { threads: 2 } });
    assert.equal(bySpec.dataset.name, 'synthetic:1003,2');
    assert.deepEqual(bySpec.metrics, given.metrics);
    await assert.rejects(evaluate(MODEL, { dataset: 'imagenet:/nowhere' }), (e) => isTandemError(e));
  });

  it('agrees fully with itself as reference, and saves colour maps', async () => {
    const dataset = syntheticDataset({ seed: 1002, count: 1, height: 128, width: 256 });
    const part = await evaluate(MODEL, { dataset, reference: MODEL, save: 1, saveDir: join(tmp, 'frames'), targetOptions: { threads: 2 } });
    const s = summarizeEval(part);
    assert.equal(s.agreement?.argmaxAgreement, 100);
    assert.equal(s.agreement?.depthRelativeError, 0);
    assert.equal(s.deltas?.mIoU, 0);
    assert.ok(part.savedFiles.some((f) => f.endsWith('-depth-error.png')));
    assert.ok(part.savedFiles.some((f) => f.endsWith('-segmentation.png')));
    assert.ok(part.savedFiles.every((f) => existsSync(f)), 'the saved pictures are at their final names');
  });

  it('saves pictures as one set: never into what it reads, and nothing final-named when a frame fails', async () => {
    const dir = join(tmp, 'own');
    mkdirSync(dir);
    const model = join(dir, 'model.onnx');
    copyFileSync(MODEL, model);
    await assert.rejects(evaluate(model, { dataset: 'synthetic:1002,1', save: 1, saveDir: dir }), (e) => isTandemError(e, 'FILE_EXISTS') && /save folder .* holds the evaluated model or plan/.test(e.message));
    const scenes = join(tmp, 'scenes');
    await writeScenes(syntheticDataset({ seed: 1002, count: 1, height: 128, width: 256 }), scenes);
    await assert.rejects(evaluate(model, { dataset: `folder:${scenes}`, save: 1, saveDir: join(scenes, 'frames') }), (e) => isTandemError(e, 'FILE_EXISTS') && /save folder .* lies inside the dataset/.test(e.message));
    assert.deepEqual(readdirSync(dir), ['model.onnx']);
    assert.deepEqual(readdirSync(scenes).sort(), ['depth', 'images', 'labels']);
    // a dataset whose second frame cannot be read: the first frame's pictures must not be left behind
    const good = syntheticDataset({ seed: 1002, count: 2, height: 128, width: 256 });
    const broken = { ...good, read: async (i: number) => (i === 0 ? good.read(0) : Promise.reject(new Error('frame 1 is unreadable'))) };
    const out = join(tmp, 'broken-frames');
    await assert.rejects(evaluate(MODEL, { dataset: broken, save: 2, saveDir: out, targetOptions: { threads: 2 } }), /frame 1 is unreadable/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(tmp).filter((f) => f.includes('broken-frames')), []);
  });
});

describe('shards from the environment', () => {
  it('reads Kubernetes and Slurm indices and refuses a count-less Kubernetes index', () => {
    assert.deepEqual(resolveShard('2/5', {}), { index: 2, count: 5 });
    assert.deepEqual(resolveShard('4', { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4 });
    assert.deepEqual(resolveShard(undefined, { SLURM_ARRAY_TASK_ID: '11', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_COUNT: '4' }), { index: 1, count: 4 });
    assert.deepEqual(resolveShard(undefined, {}), { index: 0, count: 1 });
    assert.throws(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '0' }), (e) => isTandemError(e, 'USAGE') && /--shard <completions>/.test(e.message));
    assert.throws(() => resolveShard('5/4', {}), (e) => isTandemError(e, 'USAGE'));
    assert.throws(() => resolveShard('4', {}), (e) => isTandemError(e, 'USAGE') && /give --shard i\/4/.test(e.message));
  });
});
