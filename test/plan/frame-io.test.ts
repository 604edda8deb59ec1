import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { splitModel } from '../../src/passes/index.js';
import { compactOutputs, encodeInput, pixelNormalization, verifyFrameIo } from '../../src/plan/frame-io.js';
import { convertToFloat16 } from '../../src/quant/fp16.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { isTandemError } from '../../src/util/errors.js';

const cpu = getEngine('cpu');
const model = REFERENCE_MODELS.multitask.build({ ...REFERENCE_MODELS.multitask.smallOptions, height: 32, width: 64 });
const stages = new Map(splitModel(model, { auto: true }).stages.map((s) => [s.name, s.model]));

describe('frame I/O: pixels in, compact outputs (checked against the float stage on onnxruntime cpu)', () => {
  for (const encoding of ['uint8-hwc', 'uint8-chw', 'rgba-uint32'] as const) {
    it(`normalises ${encoding} pixels inside the backbone like the host does`, async () => {
      const backbone = stages.get('backbone')!;
      const norm = pixelNormalization(backbone, 'image');
      assert.equal(norm.source, 'defaults');
      const after = encodeInput(backbone, 'image', encoding, norm);
      const t = after.graph.tensorType('image')!;
      assert.equal(t.dtype, encoding === 'rgba-uint32' ? 'uint32' : 'uint8');
      assert.deepEqual(t.shape, encoding === 'uint8-hwc' ? [1, 32, 64, 3] : encoding === 'uint8-chw' ? [1, 3, 32, 64] : [1, 32, 64]);
      const check = await verifyFrameIo(backbone, after, { input: { name: 'image', encoding, norm } }, cpu);
      assert.ok(check.ok, JSON.stringify(check.outputs));
      assert.equal(check.outputs.length, 4);
    });
  }

  it('gives segmentation as int32 class ids and depth as float16, FP32 and FP16 heads alike', async () => {
    for (const fp16 of [false, true]) {
      const seg = fp16 ? convertToFloat16(stages.get('head-segmentation')!).model : stages.get('head-segmentation')!;
      const depth = fp16 ? convertToFloat16(stages.get('head-depth')!).model : stages.get('head-depth')!;
      const segAfter = compactOutputs(seg, { segmentation: 'argmax' });
      assert.equal(segAfter.graph.tensorType('segmentation')!.dtype, 'int32');
      assert.deepEqual(segAfter.graph.tensorType('segmentation')!.shape, [1, 8, 16]);
      const depthAfter = compactOutputs(depth, { depth: 'fp16' });
      assert.equal(depthAfter.graph.tensorType('depth')!.dtype, 'float16');
      // the FP16 model's own value is the output: its Cast back to float32 is gone, none added
      if (fp16) assert.equal(depthAfter.graph.nodes.filter((n) => n.op === 'Cast').length, depth.graph.nodes.filter((n) => n.op === 'Cast').length - 1);
      const a = await verifyFrameIo(seg, segAfter, { outputs: { segmentation: 'argmax' } }, cpu);
      assert.ok(a.ok, JSON.stringify(a.outputs));
      const d = await verifyFrameIo(depth, depthAfter, { outputs: { depth: 'fp16' } }, cpu);
      assert.ok(d.ok, JSON.stringify(d.outputs));
      assert.ok(d.outputs[0]!.maxAbsDiff > 0 || fp16, 'float16 rounding shows on the FP32 head');
    }
  });

  it('fails the check when the normalisation differs from the reference', async () => {
    const backbone = stages.get('backbone')!;
    const norm = pixelNormalization(backbone, 'image');
    const wrong = encodeInput(backbone, 'image', 'uint8-chw', { ...norm, mean: [0.5, 0.5, 0.5] });
    const check = await verifyFrameIo(backbone, wrong, { input: { name: 'image', encoding: 'uint8-chw', norm } }, cpu);
    assert.equal(check.ok, false);
  });

  it('refuses outputs that are not float scores and inputs that are not fixed float images', () => {
    assert.throws(() => compactOutputs(stages.get('head-depth')!, { nope: 'fp16' }), (e) => isTandemError(e, 'UNKNOWN_NAME') && /output "nope" is not an output this stage computes \(outputs: depth\)/.test(e.message));
    assert.throws(() => encodeInput(stages.get('head-depth')!, 'c1', 'rgba-uint32', pixelNormalization(stages.get('backbone')!, 'image')), (e) => isTandemError(e, 'MODEL_UNSUITABLE') && /c1/.test(e.message));
  });
});

describe('frame I/O on FP16 stages', () => {
  it('gives the FP16 backbone exactly the float path\'s values (the reference normalises in the graph\'s float32 arithmetic)', async () => {
    const backbone = convertToFloat16(stages.get('backbone')!).model;
    const norm = pixelNormalization(backbone, 'image');
    const check = await verifyFrameIo(backbone, encodeInput(backbone, 'image', 'rgba-uint32', norm), { input: { name: 'image', encoding: 'rgba-uint32', norm } }, cpu);
    assert.ok(check.ok);
    assert.deepEqual(check.outputs.map((o) => o.maxAbsDiff), [0, 0, 0, 0]);
  });
});
