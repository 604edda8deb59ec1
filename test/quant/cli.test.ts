import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { loadModel, saveModel } from '../../src/onnx/load-save.js';
import { readCalibrationCache } from '../../src/quant/calibration-cache.js';
import type { ScalesDocument } from '../../src/quant/scales.js';
import { createRng, randomNormal } from '../../src/util/random.js';
import { smallConvNet, tempDir, writeNpyCalibration } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

const model = smallConvNet();
const modelPath = join(tmp.dir, 'net.onnx');
saveModel(model, modelPath);
const calib = writeNpyCalibration(tmp.dir, model, 10);

describe('tandem quantize', () => {
  it('writes cache, scales.json and Q/DQ model per method, and prints the fidelity table', async () => {
    const out = join(tmp.dir, 'q');
    const r = await cli('quantize', modelPath, '--calib', calib, '--trt-version', '10.3.0', '--method', 'entropy,max', '--limit', '4', '--compare', '--holdout', '3', '-o', out);
    assert.equal(r.code, 0, r.err);
    for (const m of ['entropy', 'max']) {
      const cache = readCalibrationCache(readFileSync(join(out, m, 'net.cache'), 'utf8'));
      assert.equal(cache.header.version, 100300);
      const doc = JSON.parse(readFileSync(join(out, m, 'net.scales.json'), 'utf8')) as ScalesDocument;
      assert.equal(doc.method, m);
      assert.equal(doc.samples, 4);
      assert.equal(cache.scales.get('input'), doc.activations.input!.scale);
      assert.ok(existsSync(join(out, m, 'net.qdq.onnx')));
      assert.ok(loadModel(join(out, m, 'net.qdq.onnx')).graph.nodes.some((n) => n.op === 'QuantizeLinear'));
    }
    assert.match(r.out, /calibrated 4 samples/);
    assert.match(r.out, /fidelity on 3 held-out samples/);
    const logits = model.graph.outputs[0]!;
    assert.match(r.out, new RegExp(`net\\s+${logits}\\s+entropy\\s+\\d\\.\\d{4}\\s+\\d\\.\\d{5}\\s+\\d+\\.\\d\\d %`));
    assert.match(r.out, new RegExp(`net\\s+${logits}\\s+max\\s`));
  });
  it('--compare says how many samples calibrate and how many are held out, and warns when the holdout takes most', async () => {
    // 10 samples, the default --holdout 8: calibration runs on 2.
    const r = await cli('quantize', modelPath, '--calib', calib, '--trt-version', '10.3.0', '--compare', '-o', join(tmp.dir, 'q-holdout'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^warning: the last 8 of 10 samples are held out for the comparison: calibration runs on 2;/m);
    assert.match(r.err, /^--compare: calibrating on 2 samples, holding out the last 8 for the comparison$/m);
    assert.match(r.out, /calibrated 2 samples/);
    assert.match(r.out, /fidelity on 8 held-out samples/);
    const few = await cli('quantize', modelPath, '--calib', calib, '--trt-version', '10.3.0', '--compare', '--holdout', '10', '-o', join(tmp.dir, 'q-none'));
    assert.equal(few.code, 2);
    assert.match(few.err, /holding out the last 10 of 10 samples leaves none to calibrate on.*\[CALIB_DATA\]/);
  });
  it('asks for the TensorRT version', async () => {
    const a = await cli('quantize', modelPath, '--calib', calib, '-o', join(tmp.dir, 'x'));
    assert.equal(a.code, 2);
    assert.match(a.err, /give --trt-version/);
  });
  it('calibrates the head of a split on the features its upstream stage produces', async () => {
    const rng = createRng(5);
    const back = new GraphBuilder('backbone', { opset: 17 });
    const x = back.input('input', 'float32', [1, 3, 32, 32]);
    back.output(back.relu(back.conv(x, new Tensor('float32', [8, 3, 3, 3], randomNormal(rng, 216, 0.3)), undefined, { pads: [1, 1, 1, 1] })), 'float32', [1, 8, 32, 32]);
    const feat = back.graph.outputs[0]!;
    const head = new GraphBuilder('head', { opset: 17 });
    const f = head.input(feat, 'float32', [1, 8, 32, 32]);
    head.output(head.conv(f, new Tensor('float32', [2, 8, 1, 1], randomNormal(rng, 16, 0.3))), 'float32', [1, 2, 32, 32]);
    const y = head.graph.outputs[0]!;
    const dir = join(tmp.dir, 'split');
    mkdirSync(dir);
    saveModel(buildModel(back), join(dir, 'backbone.onnx'));
    saveModel(buildModel(head), join(dir, 'head-seg.onnx'));
    writeFileSync(join(dir, 'split.json'), JSON.stringify({ version: 1, stages: [{ name: 'head-seg', file: 'head-seg.onnx', inputs: [feat], outputs: [y] }, { name: 'backbone', file: 'backbone.onnx', inputs: ['input'], outputs: [feat] }], tensors: [] }));
    const out = join(tmp.dir, 'qs');
    const r = await cli('quantize', join(dir, 'split.json'), '--calib', calib, '--trt-version', '8.6.1', '--method', 'max', '--stages', 'head-seg', '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(join(out, 'head-seg.cache')));
    assert.ok(!existsSync(join(out, 'backbone.cache')));
    const all = await cli('quantize', join(dir, 'split.json'), '--calib', calib, '--trt-version', '8.6.1', '--method', 'max', '-o', join(tmp.dir, 'qs2'));
    assert.equal(all.code, 0, all.err);
    // A stage file named like an artifact of the output folder: refused, nothing written.
    saveModel(buildModel(head), join(dir, 'head-seg.qdq.onnx'));
    writeFileSync(join(dir, 'split2.json'), JSON.stringify({ version: 1, stages: [{ name: 'backbone', file: 'backbone.onnx', inputs: ['input'], outputs: [feat] }, { name: 'head-seg', file: 'head-seg.qdq.onnx', inputs: [feat], outputs: [y] }] }));
    const clash = await cli('quantize', join(dir, 'split2.json'), '--calib', calib, '--trt-version', '8.6.1', '--method', 'max', '-o', dir);
    assert.equal(clash.code, 2);
    assert.match(clash.err, /tandem never writes over its input.* — choose another output path \[FILE_EXISTS\]/);
    assert.ok(!existsSync(join(dir, 'head-seg.cache')));
    const headDoc = JSON.parse(readFileSync(join(out, 'head-seg.scales.json'), 'utf8')) as ScalesDocument;
    const backDoc = JSON.parse(readFileSync(join(tmp.dir, 'qs2', 'backbone.scales.json'), 'utf8')) as ScalesDocument;
    assert.equal(headDoc.activations[feat]!.amax, backDoc.activations[feat]!.amax);
  });
  it('says what is wrong with a bad calibration folder', async () => {
    const r = await cli('quantize', modelPath, '--calib', join(tmp.dir, 'nope'), '--trt-version', '8.6.1', '-o', join(tmp.dir, 'y'));
    assert.equal(r.code, 2);
    assert.match(r.err, /calibration data folder .*nope does not exist \[FILE_NOT_FOUND\]/);
  });
});

describe('tandem translate-qdq and tandem fp16', () => {
  it('translates tandem\'s Q/DQ model into the four QDQT files with the same scales', async () => {
    const q = join(tmp.dir, 'tq');
    assert.equal((await cli('quantize', modelPath, '--calib', calib, '--trt-version', '8.6.1', '--method', 'percentile', '-o', q)).code, 0);
    const out = join(tmp.dir, 'translated');
    const r = await cli('translate-qdq', join(q, 'net.qdq.onnx'), '-o', out, '--trt-version', '8.6.1');
    assert.equal(r.code, 0, r.err);
    const config = JSON.parse(readFileSync(join(out, 'net.qdq_precision_config.json'), 'utf8')) as { int8_tensor_scales: Record<string, number>; fp16_nodes: string[] };
    const cache = readCalibrationCache(readFileSync(join(out, 'net.qdq_precision_config_calib.cache'), 'utf8'));
    const plan = JSON.parse(readFileSync(join(q, 'net.qdq-plan.json'), 'utf8')) as { activations: { tensor: string; scale: number }[] };
    for (const a of plan.activations) {
      assert.equal(cache.scales.get(a.tensor), a.scale, a.tensor);
      assert.equal(config.int8_tensor_scales[a.tensor], a.scale);
    }
    const arg = readFileSync(join(out, 'net.qdq_precision_config_layer_arg.txt'), 'utf8');
    assert.equal(arg, config.fp16_nodes.map((n) => `${n}:fp16`).join(','));
    assert.ok(!arg.endsWith('\n'));
    assert.ok(existsSync(join(out, 'net.qdq_noqdq.onnx')));
  });
  it('fp16 writes a checked model and refuses to overwrite its input', async () => {
    const out = join(tmp.dir, 'net.fp16.onnx');
    const r = await cli('fp16', modelPath, '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`${model.graph.outputs[0]!}: rel L2 \\d\\.\\d\\de-\\d+, cosine (0\\.99|1\\.00)\\d+`));
    assert.equal(loadModel(out).graph.initializers.values().next().value?.dtype, 'float16');
    const bad = await cli('fp16', modelPath, '-o', modelPath);
    assert.equal(bad.code, 2);
  });
});
