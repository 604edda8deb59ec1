import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import sharp from 'sharp';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { getReferenceModel } from '../../src/models/index.js';
import { loadModel, saveModel } from '../../src/onnx/load-save.js';
import { splitModel, writeSplit } from '../../src/passes/index.js';
import { PREPROCESS_METADATA_KEY } from '../../src/quant/index.js';
import { tempDir } from '../helpers/fixtures.js';

const tmp = tempDir('tandem-plan-cli-');
after(tmp.cleanup);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

const mt = getReferenceModel('multitask');
const modelPath = join(tmp.dir, 'multitask.onnx');
saveModel(mt.build({ ...mt.smallOptions }), modelPath);

describe('tandem plan (CLI)', () => {
  it('--target orin prints the stages with engine, precision and why, and the INT8 hand-offs checked', async () => {
    const out = join(tmp.dir, 'orin');
    const r = await cli('plan', modelPath, '--target', 'orin', '--method', 'max', '--samples', '2', '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /plan for orin: 3 stages → .*plan.json/);
    assert.match(r.out, /backbone +gpu +fp16 +the trunk runs FP16 on the GPU/);
    assert.match(r.out, /head-segmentation +(dla[01]) +int8 +INT8 on \1/);
    assert.match(r.out, /head-depth +(dla[01]) +int8 +INT8 on \1/);
    assert.match(r.out, /modelled ms per frame \(the Orin latency model of tandem cost; not measured, no Orin here\)/);
    assert.match(r.out, /INT8 hand-offs \(quantized in the producer, a quarter of the FP32 bytes\): c1 backbone → head-segmentation, head-depth/);
    assert.match(r.out, /checked: max \|difference\| 0 \(identical\) against the unsplit Q\/DQ path/);
    assert.match(r.err, /note: INT8 scales come from 2 generated inputs/);
    for (const f of ['backbone.onnx', 'head-segmentation.onnx', 'head-depth.onnx', 'plan.json']) assert.ok(existsSync(join(out, f)), f);
  });
  it('--target host --json: the plan, the measured timings and the choice', async () => {
    const r = await cli('plan', modelPath, '--target', 'host', '--method', 'max', '--samples', '2', '--iterations', '1', '--engine', 'head-depth=cpu', '--measure-seconds', '0.2', '--json', '-o', join(tmp.dir, 'host'));
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { plan: { target: string; stages: { name: string; engine: string; choice: { how: string } }[]; selection: { how: string; chosen: number; candidates: { measuredFps?: number }[] } }; timings: { what: string }[]; assignment: { bottleneck: string } };
    assert.equal(j.plan.target, 'host');
    // the best-ranked candidates and the all-one-engine ones ran as pipelines; the fastest measured was kept
    assert.equal(j.plan.selection.how, 'pipelined');
    assert.ok(j.plan.selection.candidates.length >= 2 && j.plan.selection.candidates.every((c) => c.measuredFps! > 0));
    const best = Math.max(...j.plan.selection.candidates.map((c) => c.measuredFps!));
    assert.equal(j.plan.selection.candidates[j.plan.selection.chosen]!.measuredFps, best);
    const depth = j.plan.stages.find((s) => s.name === 'head-depth')!;
    assert.deepEqual([depth.engine, depth.choice.how], ['cpu', 'pinned']);
    assert.ok(j.timings.length >= 5 && j.timings.every((t) => /^measured: (cpu|dla-emulated|webgpu), this machine, median of 1 runs$/.test(t.what)));
    assert.equal(j.assignment.bottleneck, 'cpu');
    // webgpu could be chosen for the other stages, so it was probed (in a child process: see probeEngine).
    assert.ok(/^webgpu: not timed \(engine webgpu cannot start on this machine/m.test(r.err) || j.timings.some((t) => t.what.startsWith('measured: webgpu')), r.err);
  });
  it('--target host with every stage pinned off webgpu: webgpu is not probed; INT8 stages carry their cache', async () => {
    const stages = join(tmp.dir, 'split');
    writeSplit(splitModel(loadModel(modelPath), { auto: true }), stages);
    const out = join(tmp.dir, 'host-pinned');
    const pins = ['backbone=cpu', 'head-segmentation=dla-emulated', 'head-depth=cpu'].flatMap((p) => ['--engine', p]);
    const r = await cli('plan', join(stages, 'split.json'), '--target', 'host', '--method', 'max', '--samples', '2', '--iterations', '1', ...pins, '-o', out);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /webgpu/);
    assert.match(r.out, /INT8 stages' TensorRT calibration caches and scales: head-segmentation: head-segmentation.cache, head-segmentation.scales.json\n/);
    assert.ok(existsSync(join(out, 'head-segmentation.cache')) && !existsSync(join(out, 'head-depth.cache')));
  });
  it('--calib images: preprocessed as the metadata of the model states (tandem.preprocess), also through a split.json', async () => {
    const m = mt.build({ ...mt.smallOptions });
    m.metadata = [[PREPROCESS_METADATA_KEY, JSON.stringify({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channelOrder: 'bgr' })]];
    const path = join(tmp.dir, 'with-metadata.onnx');
    saveModel(m, path);
    const images = join(tmp.dir, 'images');
    mkdirSync(images);
    for (let i = 0; i < 2; i++) await sharp(Buffer.alloc(12 * 10 * 3, 40 + 80 * i), { raw: { width: 12, height: 10, channels: 3 } }).png().toFile(join(images, `f${i}.png`));
    const stated = /calibration images preprocessed as the model's metadata \(tandem\.preprocess\) states: 2 images in .*images \(stretch to \d+x\d+, bgr, nchw, scale 0\.003922, mean 0\.5\/0\.5\/0\.5, std 0\.25\/0\.25\/0\.25\)/;
    const r = await cli('plan', path, '--target', 'orin', '--calib', images, '--method', 'max', '--no-verify', '-o', join(tmp.dir, 'meta-orin'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, stated);
    const stages = join(tmp.dir, 'meta-split');
    writeSplit(splitModel(m, { auto: true }), stages, { source: path });
    const s = await cli('plan', join(stages, 'split.json'), '--target', 'orin', '--calib', images, '--method', 'max', '--no-verify', '-o', join(tmp.dir, 'meta-orin-2'));
    assert.equal(s.code, 0, s.err);
    assert.match(s.err, stated);
  });
  it('flag errors are one line with the code', async () => {
    const bad = await cli('plan', modelPath, '--target', 'host', '--engine', 'head-depth', '-o', join(tmp.dir, 'bad'));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^tandem: --engine expects stage=engine \(e\.g\. head-depth=cpu\), got "head-depth" \[USAGE\]\n$/);
    const target = await cli('plan', modelPath, '--target', 'tpu', '-o', join(tmp.dir, 'bad'));
    assert.equal(target.code, 2);
    assert.match(target.err, /expected one of orin, host, got "tpu"/);
    const split = await cli('plan', join(tmp.dir, 'nope.json'), '--target', 'orin', '-o', join(tmp.dir, 'bad'));
    assert.match(split.err, /does not exist \[FILE_NOT_FOUND\]/);
    assert.equal(existsSync(join(tmp.dir, 'bad')), false);
  });
});
