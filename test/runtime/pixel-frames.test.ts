import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readNpy } from '../../src/io/npy.js';
import type { Plan } from '../../src/io/stage-file/types.js';
import { tensorValues } from '../../src/ir/tensor-values.js';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { openFrameSource } from '../../src/runtime/pipeline/frame-source.js';
import { openPipeline } from '../../src/runtime/pipeline/pipeline.js';
import { runFrames, type RunFramesOptions } from '../../src/runtime/pipeline/run-frames.js';
import { isTandemError } from '../../src/util/errors.js';
import { PNG_SIGNATURE } from '../../src/util/file-kind.js';
import { createRng } from '../../src/util/random.js';
import { tempDir } from '../helpers/fixtures.js';
import { cpuPlan } from './plan-helpers.js';

const tmp = tempDir('tandem-pixel-frames-');
after(tmp.cleanup);
const model = REFERENCE_MODELS.multitask.build({ ...REFERENCE_MODELS.multitask.smallOptions, height: 32, width: 64 });
const images = join(tmp.dir, 'images');
let floatPlan: Plan;

/** Runs `plan` over the image folder and reads back each frame's .npy outputs. */
async function runOver(plan: Plan, name: string, options: RunFramesOptions = {}): Promise<{ files: readonly string[]; outputs: Map<string, ReturnType<typeof readNpy>> }> {
  await using pipeline = await openPipeline(plan);
  const out = join(tmp.dir, name);
  const r = await runFrames(pipeline, { input: images, out, ...options });
  assert.equal(r.frames, 2);
  const outputs = new Map<string, ReturnType<typeof readNpy>>();
  for (const frame of ['a', 'b']) for (const o of ['segmentation', 'depth']) outputs.set(`${frame}/${o}`, readNpy(join(out, frame, `${o}.npy`)));
  return { files: r.files, outputs };
}

/** Argmax over channels of logits [1, C, h, w], and where the top two scores are too close to call. */
function argmax(logits: ReturnType<typeof readNpy>): { ids: number[]; tie: boolean[] } {
  const [, c, h, w] = logits.dims as [number, number, number, number];
  const v = tensorValues(logits);
  const ids: number[] = [];
  const tie: boolean[] = [];
  for (let p = 0; p < h * w; p++) {
    let [best, second, arg] = [-Infinity, -Infinity, 0];
    for (let k = 0; k < c; k++) {
      const x = v[k * h * w + p]!;
      if (x > best) [second, best, arg] = [best, x, k];
      else if (x > second) second = x;
    }
    ids.push(arg);
    tie.push(best - second <= 1e-4 * Math.max(1, Math.abs(best)));
  }
  return { ids, tie };
}

before(async () => {
  // two colour images of another size than the input (40x70 vs 32x64): both paths resize them the same way
  mkdirSync(images);
  const rng = createRng(11);
  for (const name of ['a', 'b']) {
    const rgb = Uint8Array.from({ length: 40 * 70 * 3 }, (_, i) => (i % 3 === 0 ? rng.int(0, 256) : (i * 37 + rng.int(0, 64)) % 256));
    await sharp(rgb, { raw: { width: 70, height: 40, channels: 3 } }).png().toFile(join(images, `${name}.png`));
  }
  floatPlan = await cpuPlan(model, join(tmp.dir, 'float-plan'));
});

describe('tandem run of a plan with pixel input and compact outputs over an image folder', () => {
  for (const encoding of ['rgba-uint32', 'uint8-hwc', 'uint8-chw'] as const) {
    it(`${encoding}: the same class ids and depth (to float16 rounding) as the float plan over the same images`, async () => {
      const plan = await cpuPlan(model, join(tmp.dir, `plan-${encoding}`), { input: encoding, outputs: { segmentation: 'argmax', depth: 'fp16' } });
      assert.equal(plan.io?.input?.encoding, encoding);
      const float = await runOver(floatPlan, `float-${encoding}`);
      const pixel = await runOver(plan, `pixel-${encoding}`);
      for (const frame of ['a', 'b']) {
        const ref = argmax(float.outputs.get(`${frame}/segmentation`)!);
        const ids = pixel.outputs.get(`${frame}/segmentation`)!;
        assert.equal(ids.dtype, 'int32');
        assert.deepEqual(ids.dims, [1, 8, 16]);
        const got = tensorValues(ids);
        const differ = got.filter((id, i) => id !== ref.ids[i] && !ref.tie[i]!).length;
        assert.equal(differ, 0, `${frame}: ${differ} class ids differ from the float plan's argmax`);
        assert.ok(new Set(got).size > 1, 'the ids are not constant');
        const depth = pixel.outputs.get(`${frame}/depth`)!;
        assert.equal(depth.dtype, 'float16');
        const d = tensorValues(depth);
        const r = tensorValues(float.outputs.get(`${frame}/depth`)!);
        assert.equal(d.length, r.length);
        // float16 keeps 11 significant bits: half a step is 2^-11 relative; 1e-5 covers the normalisation
        // in the graph's float32 against the host's float64
        for (let i = 0; i < r.length; i++) assert.ok(Math.abs(d[i]! - r[i]!) <= 2 ** -11 * Math.abs(r[i]!) + 1e-5, `${frame} depth[${i}]: ${d[i]} vs ${r[i]}`);
      }
      // class ids are drawn as a class map, float16 depth in turbo colours
      for (const f of ['a/segmentation.png', 'a/depth.png']) {
        const file = join(tmp.dir, `pixel-${encoding}`, f);
        assert.ok(existsSync(file), f);
        assert.deepEqual([...readFileSync(file).subarray(0, 8)], [...PNG_SIGNATURE]);
      }
    });
  }

  it('notices pixels packed in the wrong channel order (the comparison above can fail)', async () => {
    const plan = await cpuPlan(model, join(tmp.dir, 'plan-swap'), { input: 'rgba-uint32', outputs: { segmentation: 'argmax', depth: 'fp16' } });
    const float = await runOver(floatPlan, 'float-swap');
    const swapped = await runOver(plan, 'pixel-swap', { image: { channelOrder: 'bgr' } });
    const d = tensorValues(swapped.outputs.get('a/depth')!);
    const r = tensorValues(float.outputs.get('a/depth')!);
    assert.ok(d.some((x, i) => Math.abs(x - r[i]!) > 2 ** -11 * Math.abs(r[i]!) + 1e-5), 'R and B swapped changes the depth');
  });

  it('gives synthetic frames as valid pixels and says so; refuses a normalisation other than the plan\'s', async () => {
    const plan = await cpuPlan(model, join(tmp.dir, 'plan-synthetic'), { input: 'uint8-hwc' });
    await using pipeline = await openPipeline(plan);
    const source = openFrameSource('synthetic:2', pipeline.inputs);
    assert.match(source.description, /2 synthetic frames \(seeded uniform random pixels/);
    for await (const feeds of source.frames()) {
      assert.equal(feeds['image']!.dtype, 'uint8');
      assert.deepEqual(feeds['image']!.dims, [1, 32, 64, 3]);
    }
    const r = await runFrames(pipeline, { input: 'synthetic:2' });
    assert.equal(r.frames, 2);
    await assert.rejects(
      runFrames(pipeline, { input: images, image: { mean: [0.5, 0.5, 0.5] } }),
      (e) => isTandemError(e, 'USAGE') && /input "image" takes uint8-hwc pixels that the plan's entry stage normalises with mean 0\.485\/0\.456\/0\.406, std 0\.229\/0\.224\/0\.225/.test(e.message) && /says mean 0\.5\/0\.5\/0\.5/.test(e.message),
    );
  });

  it('refuses an image folder for a pixel input the plan does not describe', async () => {
    const plan = await cpuPlan(model, join(tmp.dir, 'plan-undescribed'), { input: 'uint8-chw' });
    const { io: _io, ...bare } = plan;
    await using pipeline = await openPipeline(bare);
    await assert.rejects(runFrames(pipeline, { input: images }), (e) => isTandemError(e, 'CALIB_DATA') && /holds images, which become float tensors, but input "image" takes uint8\[1, 3, 32, 64\]/.test(e.message));
  });
});
