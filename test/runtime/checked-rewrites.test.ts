import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveModel } from '../../src/onnx/load-save.js';
import { arraySource } from '../../src/quant/calibration-source.js';
import { quantize } from '../../src/quant/quantize.js';
import { translateQdqFile } from '../../src/quant/translate-qdq-file.js';
import { convertToFloat16Checked, failedOutputs, prepareAndVerify, pruneTwoFourChecked } from '../../src/runtime/checked-rewrites.js';
import { isTandemError } from '../../src/util/errors.js';
import type { ProgressEvent } from '../../src/util/progress.js';
import { cpu, samplesFor, smallConvNet, tempDir } from '../quant/helpers.js';

const tmp = tempDir('tandem-checked-');
after(tmp.cleanup);

describe('rewrites checked on onnxruntime', () => {
  it('prepareAndVerify prepares, reports each pass and the check, and keeps the outputs', async () => {
    const model = smallConvNet();
    const events: ProgressEvent[] = [];
    const r = await prepareAndVerify(model, { onProgress: (e) => void events.push(e) });
    assert.ok(r.verification?.ok);
    assert.equal(r.verification?.trials, 2);
    assert.ok(r.report.passes.some((p) => p.pass === 'fuse-conv-batchnorm' && p.applied.length > 0), 'the BNs are fused');
    assert.ok(events.some((e) => e.kind === 'pass'));
    assert.equal(events.at(-1)?.kind, 'verify');
    const skipped = await prepareAndVerify(model, { verify: false });
    assert.equal(skipped.verification, undefined);
  });
  it('failedOutputs names shape changes and errors over the tolerance, not exact or close outputs', () => {
    const bad = failedOutputs({
      ok: false,
      tolerance: 1e-5,
      trials: 1,
      outputs: [
        { name: 'a', dtype: 'float32', relL2: 1e-7, maxAbs: 0, exact: false, shapeMatch: true },
        { name: 'b', dtype: 'float32', relL2: 1e-3, maxAbs: 0.1, exact: false, shapeMatch: true },
        { name: 'c', dtype: 'int64', relL2: 0, maxAbs: 0, exact: true, shapeMatch: false },
      ],
    });
    assert.deepEqual(bad.map((c) => c.name), ['b', 'c']);
  });
  it('convertToFloat16Checked measures every float output and lists those over the tolerance', async () => {
    const model = smallConvNet();
    const ok = await convertToFloat16Checked(model);
    assert.equal(ok.check?.over.length, 0);
    assert.deepEqual(ok.check?.outputs.map((o) => o.output), model.graph.outputs);
    const strict = await convertToFloat16Checked(model, { check: { tolerance: 1e-12, trials: 1 } });
    assert.deepEqual(strict.check?.over.map((o) => o.output), model.graph.outputs);
    assert.equal((await convertToFloat16Checked(model, { check: false })).check, undefined);
  });
  it('pruneTwoFourChecked prunes a copy and says how far the outputs moved', async () => {
    const model = smallConvNet();
    const r = await pruneTwoFourChecked(model);
    assert.ok(r.convs.length > 0);
    assert.deepEqual(r.outputChange.map((o) => o.name), model.graph.outputs);
    assert.notEqual(r.model, model);
  });
  it('translateQdqFile writes the four files as a set, and refuses a float model', async () => {
    const model = smallConvNet();
    const q = await quantize([{ name: 'net', model }], arraySource(samplesFor(model, 2)), cpu, { trtVersion: '8.6.1', methods: ['max'] });
    const input = join(tmp.dir, 'net.qdq.onnx');
    saveModel(q.artifacts[0]!.qdqModel, input);
    const out = join(tmp.dir, 'translated');
    const r = translateQdqFile(input, { out, trtVersion: '8.6.1' });
    for (const f of Object.values(r.files)) assert.ok(existsSync(f), f);
    assert.ok(r.scales.size > 0);
    const float = join(tmp.dir, 'float.onnx');
    saveModel(model, float);
    mkdirSync(join(tmp.dir, 'x'));
    assert.throws(() => translateQdqFile(float, { out: join(tmp.dir, 'x'), trtVersion: '8.6.1' }), (e) => isTandemError(e, 'QDQ_MODEL') && /has no QuantizeLinear\/DequantizeLinear nodes/.test(e.message));
  });
});
