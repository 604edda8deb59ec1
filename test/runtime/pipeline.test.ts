import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { compareTensors, getEngine, openPipeline, randomInputs } from '../../src/runtime/index.js';
import { pipelineStages } from '../../src/runtime/pipeline/pipeline.js';
import { isTandemError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/fixtures.js';
import { smallMultitaskPlan, withSmallPlan } from './plan-helpers.js';

describe('openPipeline over a host plan (cpu engines)', () => {
  it('runs the split multi-task model like the whole model, pipelined and sequential, frames in order', async () => {
    await withSmallPlan(async ({ plan, model }) => {
      await using pipeline = await openPipeline(plan);
      assert.deepEqual(pipeline.streams, ['cpu-a', 'cpu']);
      // two cpu streams: each on its own worker thread (onnxruntime-node runs a session on the calling thread)
      assert.deepEqual(pipeline.stages.map((s) => s.thread), ['worker', 'worker', 'worker']);
      assert.deepEqual([...pipeline.outputs].sort(), ['depth', 'segmentation']);
      await using whole = await getEngine('cpu').open(model, { threads: 1 });
      const frames = [1, 2, 3, 4].map((seed) => randomInputs(model, { seed }));
      for (const mode of ['pipelined', 'sequential'] as const) {
        const got: number[] = [];
        for await (const r of pipeline.run(frames, { mode, maxInFlight: 2 })) {
          got.push(r.frame);
          const want = await whole.run(frames[r.frame]!);
          for (const name of pipeline.outputs) assert.ok(compareTensors(name, want[name]!, r.outputs[name]!).maxAbs < 1e-4, `${mode} frame ${r.frame} ${name}`);
        }
        assert.deepEqual(got, [0, 1, 2, 3]);
      }
      await pipeline.close();
      await pipeline.close();
    }, {}, { backbone: 'cpu-a' });
  });

  it('keeps every session on the main thread with streamThreads main, and for a single stream', () => {
    const { dir, cleanup } = tempDir();
    try {
      const two = smallMultitaskPlan(dir, {}, { backbone: 'cpu-a' }).plan;
      assert.deepEqual(pipelineStages(two, { streamThreads: 'main' }).map((s) => s.thread), ['main', 'main', 'main']);
      assert.deepEqual(pipelineStages(smallMultitaskPlan(dir).plan).map((s) => s.thread), ['main', 'main', 'main']);
      const mixed = pipelineStages(smallMultitaskPlan(dir, { backbone: 'webgpu' }).plan);
      assert.deepEqual(mixed.map((s) => [s.stream, s.thread]), [['webgpu', 'main'], ['cpu', 'worker'], ['cpu', 'worker']]);
    } finally {
      cleanup();
    }
  });

  it('keeps a hand-off on the GPU only where its producer and every consumer are webgpu stages', () => {
    const { dir, cleanup } = tempDir();
    try {
      const all = pipelineStages(smallMultitaskPlan(dir, { backbone: 'webgpu', 'head-segmentation': 'webgpu', 'head-depth': 'webgpu' }).plan);
      assert.deepEqual(all.map((s) => [s.name, s.stream, s.residentOutputs]), [['backbone', 'webgpu', ['c1', 'c2', 'c3', 'c4']], ['head-segmentation', 'webgpu', []], ['head-depth', 'webgpu', []]]);
      const mixed = pipelineStages(smallMultitaskPlan(dir, { backbone: 'webgpu', 'head-segmentation': 'webgpu', 'head-depth': 'cpu' }).plan);
      assert.deepEqual(mixed[0]!.residentOutputs, []);
      const off = pipelineStages(smallMultitaskPlan(dir, { backbone: 'webgpu', 'head-segmentation': 'webgpu', 'head-depth': 'webgpu' }).plan, { residentHandoff: false });
      assert.deepEqual(off[0]!.residentOutputs, []);
    } finally {
      cleanup();
    }
  });

  it('refuses an orin plan, names its device stages and says what to do', async () => {
    await withSmallPlan(async ({ plan }) => {
      const orin = { ...plan, target: 'orin' as const, stages: plan.stages.map((s, i) => ({ ...s, engine: i === 0 ? ('gpu' as const) : ('dla0' as const), engineOptions: {} })) };
      await assert.rejects(openPipeline(orin), (e: unknown) => isTandemError(e, 'PLAN_TARGET') && /"backbone" \(gpu\)/.test((e as Error).message) && /--target host/.test((e as Error).message));
    });
  });

  it('names the frame and stage when a feed does not fit, and keeps the frames before it', async () => {
    await withSmallPlan(async ({ plan, model }) => {
      await using pipeline = await openPipeline(plan);
      const good = randomInputs(model, { seed: 1 });
      const wrong = { image: new Tensor('float32', [1, 3, 8, 8], new Float32Array(192)) };
      const got: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const r of pipeline.run([good, good, wrong, good])) got.push(r.frame);
        })(),
        (e: unknown) => isTandemError(e, 'INPUT_MISMATCH') && /frame 2, stage "backbone".*input "image": expected shape \[1,3,\d+,\d+\], given \[1,3,8,8\]/.test((e as Error).message),
      );
      assert.deepEqual(got, [0, 1]);
    });
  });

  it('refuses unknown engineOptions with the known ones listed', async () => {
    await withSmallPlan(async ({ plan }) => {
      const odd = { ...plan, stages: plan.stages.map((s) => ({ ...s, engineOptions: { turbo: true } })) };
      await assert.rejects(openPipeline(odd), (e: unknown) => isTandemError(e, 'STAGE_FILE') && /unknown engineOptions.turbo; known: threads/.test((e as Error).message));
    });
  });

  it('checks the WebGPU settings in engineOptions, and refuses them on a cpu stage', async () => {
    await withSmallPlan(async ({ plan }) => {
      const withOptions = (o: Record<string, string | number | boolean>) => ({ ...plan, stages: plan.stages.map((s) => ({ ...s, engineOptions: o })) });
      await assert.rejects(openPipeline(withOptions({ layout: 'NHCW' })), (e: unknown) => isTandemError(e, 'STAGE_FILE') && /engineOptions.layout is "NHCW"; expected NCHW or NHWC/.test((e as Error).message));
      await assert.rejects(openPipeline(withOptions({ maxPendingDispatches: 0 })), (e: unknown) => isTandemError(e, 'STAGE_FILE') && /maxPendingDispatches is 0; expected an integer from 1 to 4096/.test((e as Error).message));
      await assert.rejects(openPipeline(withOptions({ validation: 'off' })), (e: unknown) => isTandemError(e, 'STAGE_FILE') && /validation is "off"/.test((e as Error).message));
      // well-formed, but the plan's stages run on cpu
      await assert.rejects(openPipeline(withOptions({ validation: 'disabled', robustness: false })), (e: unknown) => isTandemError(e, 'USAGE') && /validation, robustness are webgpu options, not available on cpu/.test((e as Error).message));
    });
  });
});
