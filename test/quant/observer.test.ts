import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { isTandemError } from '../../src/util/errors.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encodeNpy, encodeNpz } from '../../src/io/npy.js';
import { arraySource, modelInputSpecs, openCalibrationFolder } from '../../src/quant/calibration-source.js';
import { imageToTensor, resolveImagePreprocess } from '../../src/quant/image-preprocess.js';
import { observe } from '../../src/quant/observer.js';
import { cpu, samplesFor, smallConvNet, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

describe('observer', () => {
  const model = smallConvNet();
  it('observes every activation that needs a scale, with statistics memory independent of the sample count', async () => {
    const few = await observe([{ name: 'net', model }], arraySource(samplesFor(model, 2)), cpu, { histograms: new Set(['abs', 'signed']) });
    const many = await observe([{ name: 'net', model }], arraySource(samplesFor(model, 12)), cpu, { histograms: new Set(['abs', 'signed']) });
    const stage = many.stages[0]!;
    assert.equal(stage.tensors.size, model.graph.nodes.length + 1); // every node output and the input
    assert.ok(stage.tensors.has('input'));
    assert.equal(few.statisticsBytes, many.statisticsBytes);
    assert.ok(many.statisticsBytes <= stage.tensors.size * (32 + 2 * (2048 * 8 + 2049 * 4)), `${many.statisticsBytes} bytes`);
    assert.equal(many.runs, 24); // two passes of 12 batches
    // A layout op's output (Flatten) has its input's values: the same histogram, not fetched again.
    const flatten = model.graph.nodes.find((n) => n.op === 'Flatten')!;
    assert.deepEqual(stage.tensors.get(flatten.outputs[0]!)!.abs!.counts, stage.tensors.get(flatten.inputs[0]!)!.abs!.counts);
    const t = stage.tensors.get(model.graph.outputs[0]!)!;
    assert.equal(t.range.count, 12 * 10);
    assert.equal(t.abs!.counts.reduce((a, b) => a + b, 0), 12 * 10);
  });
  it('runs one pass when no histogram is needed', async () => {
    const r = await observe([{ name: 'net', model }], arraySource(samplesFor(model, 3)), cpu);
    assert.equal(r.runs, 3);
    assert.equal(r.stages[0]!.tensors.get('input')!.abs, undefined);
  });
  it('batches samples where the batch dimension is dynamic, with the same statistics', async () => {
    const dyn = smallConvNet({ batch: 'N' });
    const samples = samplesFor(dyn, 6);
    const one = await observe([{ name: 'net', model: dyn }], arraySource(samples), cpu, { histograms: new Set(['abs']) });
    const three = await observe([{ name: 'net', model: dyn }], arraySource(samples), cpu, { histograms: new Set(['abs']), batchSize: 3 });
    assert.equal(three.batchSize, 3);
    assert.equal(three.runs, 4);
    for (const [name, s] of one.stages[0]!.tensors) {
      const b = three.stages[0]!.tensors.get(name)!;
      assert.equal(b.range.count, s.range.count, name);
      assert.ok(Math.abs(b.range.max - s.range.max) <= 1e-5 * Math.abs(s.range.max) + 1e-6, name);
    }
    // A static batch dimension falls back to one sample per run.
    const fixed = await observe([{ name: 'net', model }], arraySource(samplesFor(model, 2)), cpu, { batchSize: 4 });
    assert.equal(fixed.batchSize, 1);
  });
  it('gets pass-1 ranges (in-graph reductions, derived through Relu/Flatten/Reshape) equal to the whole tensors\' ranges', async () => {
    const samples = samplesFor(model, 3);
    const r = await observe([{ name: 'net', model }], arraySource(samples), cpu);
    const names = [...r.stages[0]!.tensors.keys()].filter((n) => n !== 'input');
    const exposed = model.clone();
    for (const n of names) exposed.graph.addOutput(n);
    const session = await cpu.open(exposed);
    const want = new Map<string, { min: number; max: number; count: number }>();
    try {
      for (const feeds of samples) {
        const out = await session.run(feeds, { outputs: names });
        for (const n of names) {
          const d = out[n]!.data as Float32Array;
          const w = want.get(n) ?? { min: Infinity, max: -Infinity, count: 0 };
          for (const v of d) {
            w.min = Math.min(w.min, v);
            w.max = Math.max(w.max, v);
          }
          w.count += d.length;
          want.set(n, w);
        }
      }
    } finally {
      await session.close();
    }
    for (const n of names) {
      const got = r.stages[0]!.tensors.get(n)!.range;
      assert.deepEqual({ min: got.min, max: got.max, count: got.count }, want.get(n), n);
    }
    assert.ok(model.graph.nodes.some((n) => n.op === 'Relu') && model.graph.nodes.some((n) => n.op === 'Flatten'));
  });
  it('counts NaN and infinities from the whole data when a reduction comes back non-finite', async () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [1, 4]);
    const y = b.div(b.relu(x), b.constant('d', 'float32', [4], [0, 1, 1, 1]));
    b.output(b.add(y, 1), 'float32', [1, 4]);
    const m = buildModel(b);
    const r = await observe([{ name: 'g', model: m }], arraySource([{ x: new Tensor('float32', [1, 4], Float32Array.of(2, -1, 3, 0.5)) }]), cpu);
    const s = r.stages[0]!.tensors.get(y)!.range;
    assert.deepEqual(s, { count: 3, nonFinite: 1, min: 0, max: 3 });
  });
  it('names a stage input that nothing provides', async () => {
    await assert.rejects(observe([{ name: 'net', model }], arraySource([{ other: new Tensor('float32', [1], new Float32Array(1)) }]), cpu), (e) => isTandemError(e, 'CALIB_DATA') && /stage net needs "input"/.test(e.message));
  });
});

describe('calibration data folders', () => {
  const model = smallConvNet();
  const inputs = modelInputSpecs(model);
  const npy = join(tmp.dir, 'npy');
  mkdirSync(npy);
  const samples = samplesFor(model, 5);
  // Written out of order: the source must read them sorted by name.
  for (const i of [3, 0, 4, 1, 2]) writeFileSync(join(npy, `s${i}.npy`), encodeNpy(samples[i]!.input!));
  it('reads .npy samples in code-point order, --limit and offset included', async () => {
    const src = openCalibrationFolder(npy, inputs);
    assert.deepEqual(src.ids, ['s0.npy', 's1.npy', 's2.npy', 's3.npy', 's4.npy']);
    assert.deepEqual((await src.read(3)).input!.data, samples[3]!.input!.data);
    const limited = openCalibrationFolder(npy, inputs, { limit: 2 });
    assert.deepEqual(limited.ids, ['s0.npy', 's1.npy']);
    assert.deepEqual(openCalibrationFolder(npy, inputs, { offset: 4 }).ids, ['s4.npy']);
  });
  it('gives the same scales for the same folder twice (deterministic order)', async () => {
    const a = await observe([{ name: 'net', model }], openCalibrationFolder(npy, inputs), cpu);
    const b = await observe([{ name: 'net', model }], openCalibrationFolder(npy, inputs), cpu);
    assert.deepEqual([...a.stages[0]!.tensors].map(([k, s]) => [k, s.range]), [...b.stages[0]!.tensors].map(([k, s]) => [k, s.range]));
  });
  it('reads .npz samples keyed by input name and adds a missing batch dimension', async () => {
    const dir = join(tmp.dir, 'npz');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.npz'), encodeNpz({ input: samples[0]!.input!.reshaped([3, 32, 32]) }));
    const t = (await openCalibrationFolder(dir, inputs).read(0)).input!;
    assert.deepEqual(t.dims, [1, 3, 32, 32]);
  });
  it('refuses bad folders with a TandemError that says what is wrong', async () => {
    assert.throws(() => openCalibrationFolder(join(tmp.dir, 'missing'), inputs), (e) => isTandemError(e, 'FILE_NOT_FOUND'));
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'x');
    assert.throws(() => openCalibrationFolder(empty, inputs), (e) => isTandemError(e, 'CALIB_DATA') && /holds no samples/.test(e.message));
    const mixed = join(tmp.dir, 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, 'a.npy'), encodeNpy(samples[0]!.input!));
    writeFileSync(join(mixed, 'b.png'), 'not really');
    assert.throws(() => openCalibrationFolder(mixed, inputs), (e) => isTandemError(e, 'CALIB_DATA') && /mixes 1 image and 1 npy files/.test(e.message));
    const wrongKey = join(tmp.dir, 'wrongkey');
    mkdirSync(wrongKey);
    writeFileSync(join(wrongKey, 'a.npz'), encodeNpz({ image: samples[0]!.input! }));
    await assert.rejects(openCalibrationFolder(wrongKey, inputs).read(0), (e) => isTandemError(e, 'CALIB_DATA') && /has no array "input" \(it has "image"\)/.test(e.message));
    const wrongShape = join(tmp.dir, 'wrongshape');
    mkdirSync(wrongShape);
    writeFileSync(join(wrongShape, 'a.npy'), encodeNpy(new Tensor('float32', [1, 3, 16, 16], new Float32Array(768))));
    await assert.rejects(openCalibrationFolder(wrongShape, inputs).read(0), (e) => isTandemError(e, 'CALIB_DATA') && /has shape \[1, 3, 16, 16\], the model input is \[1, 3, 32, 32\]/.test(e.message));
    const wrongType = join(tmp.dir, 'wrongtype');
    mkdirSync(wrongType);
    writeFileSync(join(wrongType, 'a.npy'), encodeNpy(new Tensor('float64', [1, 3, 32, 32], new Float64Array(3072))));
    await assert.rejects(openCalibrationFolder(wrongType, inputs).read(0), (e) => isTandemError(e, 'CALIB_DATA') && /is float64, the model input is float32/.test(e.message));
    const badImage = join(tmp.dir, 'badimage');
    mkdirSync(badImage);
    writeFileSync(join(badImage, 'a.png'), 'not a png');
    await assert.rejects(openCalibrationFolder(badImage, inputs).read(0), (e) => isTandemError(e, 'CALIB_DATA') && /cannot decode image/.test(e.message));
  });
});

describe('image preprocessing', () => {
  it('maps pixels through scale, mean, std; honours channel order and layout', async () => {
    const file = join(tmp.dir, 'px.png');
    // 2x2 image, every pixel (R, G, B) = (255, 128, 0).
    await sharp(Buffer.from([255, 128, 0, 255, 128, 0, 255, 128, 0, 255, 128, 0]), { raw: { width: 2, height: 2, channels: 3 } }).png().toFile(file);
    const p = resolveImagePreprocess({}, [1, 3, 2, 2], 'x');
    const t = await imageToTensor(file, p);
    assert.deepEqual(t.dims, [1, 3, 2, 2]);
    const d = t.data as Float32Array;
    assert.ok(Math.abs(d[0]! - (1 - 0.485) / 0.229) < 1e-5);
    assert.ok(Math.abs(d[4]! - (128 / 255 - 0.456) / 0.224) < 1e-5);
    assert.ok(Math.abs(d[8]! - (0 - 0.406) / 0.225) < 1e-5);
    const bgr = await imageToTensor(file, resolveImagePreprocess({ channelOrder: 'bgr', layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1], scale: 1 }, [1, 2, 2, 3], 'x'));
    assert.deepEqual(bgr.dims, [1, 2, 2, 3]);
    assert.deepEqual([...(bgr.data as Float32Array).subarray(0, 3)], [0, 128, 255]);
  });
  it('takes its size from the model input, or asks for it', () => {
    assert.equal(resolveImagePreprocess({}, [1, 3, 64, 128], 'x').width, 128);
    assert.throws(() => resolveImagePreprocess({}, [1, 3, 'h', 'w'], 'x'), (e) => isTandemError(e, 'CALIB_DATA') && /--size HxW/.test(e.message));
  });
});
