import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkSensitivityTarget, evaluate, evaluateSensitivity, summarizeEval, syntheticDataset } from '../../src/eval/index.js';
import { segmentationIds } from '../../src/eval/predictions.js';
import type { Plan } from '../../src/io/stage-file/types.js';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { loadModel, saveModel } from '../../src/onnx/load-save.js';
import { isTandemError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/fixtures.js';
import { cpuPlan } from '../runtime/plan-helpers.js';

const MODEL = fileURLToPath(new URL('../../assets/models/tandem-street.onnx', import.meta.url));
const tmp = tempDir('tandem-eval-frame-io-');
after(tmp.cleanup);
const threads = { threads: 1 };

describe('eval of a plan with pixel input and compact outputs (the trained model)', () => {
  let floatPlan: Plan;
  let pixelPlan: Plan;
  before(async () => {
    const model = loadModel(MODEL);
    floatPlan = await cpuPlan(model, join(tmp.dir, 'float'), {}, MODEL);
    pixelPlan = await cpuPlan(model, join(tmp.dir, 'pixels'), { input: 'rgba-uint32', outputs: { segmentation: 'argmax', depth: 'fp16' } }, MODEL);
    assert.deepEqual(pixelPlan.io?.outputs, { segmentation: 'argmax', depth: 'fp16' });
  });

  it('scores the same as the float plan: ids at the segmentation output\'s size, depth read from float16', async () => {
    // Frames at 32x64, the segmentation output's size (stride 4 of the 128x256 input): the float path's
    // bilinear upsampling of the logits is then the identity, so argmax of logits and the plan's ids
    // must give the same label maps and the same confusion matrix. Both paths stretch the frame to
    // 128x256 with the same sharp call; the plan normalises in float32 on the engine, the host in float64,
    // which moves logits by ~1e-6: no id flips on these frames. Depth goes through float16 (2^-11
    // relative) and is bilinearly resized to 32x64 in both paths: AbsRel agrees to 1e-3 relative.
    const dataset = syntheticDataset({ seed: 1000, count: 3, height: 32, width: 64 });
    const f = summarizeEval(await evaluate(floatPlan, { dataset, targetOptions: threads }));
    const p = summarizeEval(await evaluate(pixelPlan, { dataset, reference: MODEL, targetOptions: threads }));
    assert.deepEqual(p.metrics.segmentation, f.metrics.segmentation);
    assert.ok(f.metrics.segmentation!.mIoU > 30, `the model segments (${f.metrics.segmentation!.mIoU})`);
    const [a, b] = [p.metrics.depth!.absRel, f.metrics.depth!.absRel];
    assert.ok(Math.abs(a - b) <= 1e-3 * b, `AbsRel ${a} vs ${b}`);
    assert.equal(p.agreement?.argmaxAgreement, 100);
    assert.equal(p.notes, undefined, 'ids at the label size: nothing to note');
    const rel = p.agreement?.depthRelativeError ?? NaN;
    assert.ok(rel > 0 && rel < 2 ** -10, `float16 depth vs float: ${rel}`);
  });

  it('at the input size, upsamples the ids nearest-neighbour and saves pictures from them', async () => {
    const dataset = syntheticDataset({ seed: 1001, count: 1, height: 128, width: 256 });
    const part = await evaluate(pixelPlan, { dataset, reference: floatPlan, save: 1, saveDir: join(tmp.dir, 'frames'), targetOptions: threads });
    const s = summarizeEval(part);
    // argmax at stride 4 then nearest upsampling vs bilinear logits then argmax: the class borders move
    // (about 5 % of pixels on these scenes), nothing else
    const agreement = s.agreement?.argmaxAgreement ?? NaN;
    assert.ok(agreement > 90 && agreement < 100, `agreement ${agreement}`);
    assert.deepEqual(s.notes, [`plan ${pixelPlan.dir}: segmentation "segmentation" comes as class ids at 32x64 (the argmax taken before upsampling); scored after nearest-neighbour upsampling to the labels' 128x256, where the float model's logits are upsampled bilinearly before the argmax: class borders move, and the score is that of the ids as the plan delivers them`]);
    for (const suffix of ['input', 'segmentation', 'depth', 'segmentation-diff', 'depth-error']) assert.ok(part.savedFiles.some((f) => f.endsWith(`-${suffix}.png`)), suffix);
  });

  it('reads float16 segmentation logits as floats: the same labels as the float plan at the input size', async () => {
    const plan = await cpuPlan(loadModel(MODEL), join(tmp.dir, 'fp16-logits'), { input: 'uint8-hwc', outputs: { segmentation: 'fp16' } }, MODEL);
    const dataset = syntheticDataset({ seed: 1002, count: 2, height: 128, width: 256 });
    const s = summarizeEval(await evaluate(plan, { dataset, reference: floatPlan, targetOptions: threads }));
    // float16 moves a logit by at most 2^-11 of its size: an argmax flips only where the top two are that
    // close, after bilinear upsampling (none on 64 frames of these scenes, measured); allow 0.1 %
    assert.ok((s.agreement?.argmaxAgreement ?? 0) >= 99.9, `agreement ${s.agreement?.argmaxAgreement}`);
    assert.ok(Math.abs(s.deltas!.mIoU!) < 0.1, `mIoU delta ${s.deltas!.mIoU}`);
    assert.equal(s.notes, undefined);
  });

  it('refuses a normalisation other than the one in the plan', async () => {
    const dataset = syntheticDataset({ seed: 1000, count: 1, height: 32, width: 64 });
    await assert.rejects(
      evaluate(pixelPlan, { dataset, targetOptions: { ...threads, preprocess: { std: [1, 1, 1] } } }),
      (e) => isTandemError(e, 'USAGE') && /input "image" takes rgba-uint32 pixels that the plan's entry stage normalises with mean 0\.485\/0\.456\/0\.406, std 0\.229\/0\.224\/0\.225, scale 0\.00392156862745098; the preprocessing asked for .* says mean 0\.485\/0\.456\/0\.406, std 1\/1\/1/.test(e.message),
    );
  });
});

describe('eval of frame I/O plans it cannot score', () => {
  const model = REFERENCE_MODELS.multitask.build({ ...REFERENCE_MODELS.multitask.smallOptions, height: 32, width: 64 });
  const path = join(tmp.dir, 'small.onnx');
  before(() => saveModel(model, path));

  it('refuses depth given as class ids, naming the output and the remedy', async () => {
    const plan = await cpuPlan(model, join(tmp.dir, 'depth-ids'), { input: 'uint8-chw', outputs: { segmentation: 'argmax', depth: 'argmax' } }, path);
    await assert.rejects(
      evaluate(plan, { dataset: syntheticDataset({ seed: 1, count: 1, height: 32, width: 64 }), targetOptions: threads }),
      (e) => isTandemError(e, 'MODEL_UNSUITABLE') && e.message === 'depth output "depth" is int32; eval reads depth as float32 or float16 (a plan made with --outputs depth=argmax has no depth to score: plan with depth=fp16 or float)',
    );
  });

  it('--sensitivity refuses a plan with pixel input or compact outputs before any frame runs', async () => {
    const plan = await cpuPlan(model, join(tmp.dir, 'sens'), { input: 'uint8-hwc', outputs: { segmentation: 'argmax', depth: 'fp16' } }, path);
    const expected = (e: unknown): boolean => isTandemError(e, 'MODEL_UNSUITABLE') && /plan .*sens takes uint8-hwc pixels and gives segmentation as argmax, depth as fp16; --sensitivity feeds float frames/.test((e as Error).message);
    assert.throws(() => checkSensitivityTarget(plan), expected);
    assert.throws(() => checkSensitivityTarget(join(plan.dir, 'plan.json')), expected);
    await assert.rejects(evaluateSensitivity(plan, { dataset: 'synthetic:1,1' }), expected);
    assert.doesNotThrow(() => checkSensitivityTarget({ ...plan, io: {} }));
  });

  it('reads class ids nearest-neighbour and refuses an id past the class count', () => {
    assert.deepEqual([...segmentationIds([0, 1, 2, 3], 4, 2, 2, 4, 4)], [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    assert.deepEqual([...segmentationIds([0, 1, 2, 3, 4, 5], 6, 2, 3, 1, 3)], [3, 4, 5]);
    assert.throws(() => segmentationIds([0, 7], 4, 1, 2, 1, 2), (e) => isTandemError(e, 'MODEL_UNSUITABLE') && /class id 7; the model has 4 classes \(ids 0\.\.3\)/.test(e.message));
  });
});
