import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { safeFileName } from '../../src/io/frame-outputs.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { runOnce } from '../../src/runtime/run-once.js';
import { isTandemError } from '../../src/util/errors.js';
import { samplesFor, smallConvNet, tempDir } from '../quant/helpers.js';

const tmp = tempDir('tandem-run-once-');
after(tmp.cleanup);

describe('runOnce', () => {
  const model = smallConvNet();
  const path = join(tmp.dir, 'net.onnx');
  saveModel(model, path);
  const output = model.graph.outputs[0]!;
  const feed = samplesFor(model, 1)[0]!.input!;
  const npy = join(tmp.dir, 'input.npy');
  writeFileSync(npy, encodeNpy(feed));

  it('reads an input from .npy, runs, and writes each output as .npy into out', async () => {
    const out = join(tmp.dir, 'out');
    const r = await runOnce(path, { inputs: { input: npy }, out });
    assert.deepEqual(r.randomInputs, []);
    const file = r.files?.[output];
    assert.equal(file, join(out, `${safeFileName(output)}.npy`));
    assert.deepEqual(Array.from(readNpy(file!).data as Float32Array), Array.from(r.outputs[output]!.data as Float32Array));
    const same = await runOnce(model, { inputs: { input: feed } });
    assert.deepEqual(Array.from(same.outputs[output]!.data as Float32Array), Array.from(r.outputs[output]!.data as Float32Array));
    assert.equal(same.files, undefined);
  });
  it('refuses, before running, an output over a file it reads and an input the model does not have', async () => {
    const dir = join(tmp.dir, 'clash');
    mkdirSync(dir);
    const victim = join(dir, `${safeFileName(output)}.npy`);
    writeFileSync(victim, encodeNpy(feed));
    await assert.rejects(runOnce(path, { inputs: { input: victim }, out: dir }), (e) => isTandemError(e, 'FILE_EXISTS'));
    await assert.rejects(runOnce(path, { inputs: { image: npy } }), (e) => isTandemError(e, 'INPUT_MISMATCH') && /no input "image"/.test(e.message));
    assert.ok(existsSync(victim));
  });
});
