import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writePlan } from '../../src/io/stage-file/index.js';
import { summarizeOrtProfile } from '../../src/runtime/engines/op-profile.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { profilePlan } from '../../src/runtime/pipeline/profile.js';
import { isTandemError } from '../../src/util/errors.js';
import { cli } from '../helpers/cli.js';
import { withSmallPlan } from './plan-helpers.js';

/** onnxruntime's event shapes: a model_run per run, kernel events per node, WebGPU dispatches as 'Api'. */
function fakeProfile(runs: number, withGpu: boolean): string {
  const events: object[] = [];
  for (let r = 0; r < runs; r++) {
    const t = 1000 * r;
    const slow = r === 0 ? 10 : 1; // the first run compiles: left out as warm-up
    events.push({ cat: 'Session', name: 'model_run', ts: t, dur: 900 });
    events.push({ cat: 'Node', name: 'conv1_kernel_time', ts: t + 10, dur: 300 * slow, args: { op_name: 'Conv', provider: 'X' } });
    events.push({ cat: 'Node', name: 'conv2_kernel_time', ts: t + 20, dur: 100 * slow, args: { op_name: 'Conv' } });
    events.push({ cat: 'Node', name: 'relu_kernel_time', ts: t + 30, dur: 50 * slow, args: { op_name: 'Relu' } });
    events.push({ cat: 'Node', name: 'ignored', ts: t + 40, dur: 999 });
  }
  if (withGpu) {
    for (let r = 0; r < runs; r++) {
      const slow = r === 0 ? 10 : 1;
      events.push({ cat: 'Api', name: 'conv1&Conv2DMatMul', ts: 5_000_000 + 1000 * r, dur: 80 * slow });
      events.push({ cat: 'Api', name: 'relu&Relu', ts: 5_000_000 + 1000 * r + 100, dur: 400 * slow });
    }
  }
  return JSON.stringify(events);
}

describe('op profiles from onnxruntime', () => {
  it('sums kernel time per op type over the measured runs, warm-up left out', () => {
    const p = summarizeOrtProfile(fakeProfile(5, false), 5, 1);
    assert.equal(p.frames, 4);
    assert.equal(p.gpu, undefined);
    assert.deepEqual(p.ops.map((o) => [o.op, o.nodes, o.cpuMs]), [['Conv', 2, 0.4], ['Relu', 1, 0.05]]);
    assert.ok(Math.abs(p.kernelCpuMs - 0.45) < 1e-12);
  });
  it('adds GPU time per dispatch where the engine has timestamps, ranked by it', () => {
    const p = summarizeOrtProfile(fakeProfile(5, true), 5, 1);
    assert.deepEqual(p.gpu, { busyMs: 0.48, dispatches: 2 });
    assert.deepEqual(p.ops.map((o) => [o.op, o.gpuMs, o.dispatches]), [['Relu', 0.4, 1], ['Conv', 0.08, 1]]);
  });
  it('refuses a profile that is not a JSON array, and more warm-up than runs', () => {
    assert.throws(() => summarizeOrtProfile('[{"cat":', 2, 0), (e: unknown) => isTandemError(e, 'ENGINE_RUN'));
    assert.throws(() => summarizeOrtProfile('{}', 2, 0), (e: unknown) => isTandemError(e, 'ENGINE_RUN'));
    assert.throws(() => summarizeOrtProfile('[]', 2, 2), (e: unknown) => isTandemError(e, 'USAGE'));
  });

  it('profiles every stage of a plan on its engine (onnxruntime cpu), and bench --profile prints and writes it', async () => {
    await withSmallPlan(async ({ dir, plan }) => {
      const stages = await profilePlan(plan, { frames: 3, warmup: 1 });
      assert.deepEqual(stages.map((s) => [s.stage, s.engine]), plan.stages.map((s) => [s.name, s.engine]));
      for (const s of stages) {
        assert.equal(s.profile.frames, 3);
        assert.ok(s.medianMs > 0 && s.profile.kernelCpuMs > 0, s.stage);
        const sum = s.profile.ops.reduce((a, o) => a + o.cpuMs, 0);
        assert.ok(Math.abs(sum - s.profile.kernelCpuMs) < 1e-9, `${s.stage}: ops add up to the kernel total`);
        assert.ok(s.profile.ops.some((o) => o.op === 'Conv' || o.op === 'FusedConv'), `${s.stage}: ${s.profile.ops.map((o) => o.op)}`);
      }
      const { dir: _d, ...doc } = plan;
      const planFile = writePlan(doc, dir);
      const out = join(dir, 'bench.json');
      const r = await cli('bench', planFile, '--iterations', '2', '--warmup', '0', '--mode', 'sequential', '--profile', '2', '-o', out);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /profile of backbone alone on cpu \(measured, onnxruntime's profiler, 2 frames after the warm-up\)/);
      assert.match(r.stdout, /op type\s+CPU ms\s+share\s+nodes/);
      const j = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8'));
      assert.equal(j.profile.length, plan.stages.length);
      // each measured frame's latency, for the report's histogram; the median of them is the bench's
      const samples = [...j.modes[0].samplesMs].sort((a: number, b: number) => a - b);
      assert.equal(samples.length, 2);
      assert.ok(Math.abs(samples[Math.floor(samples.length / 2)] - j.modes[0].latencyMs.median) < 0.01 || Math.abs((samples[0] + samples[1]) / 2 - j.modes[0].latencyMs.median) < 0.01);
    });
  });

  it('says what to do when a session was not opened to profile', async () => {
    await withSmallPlan(async ({ plan }) => {
      await using s = await getEngine('cpu').open(join(plan.dir, plan.stages[0]!.file));
      await assert.rejects(s.endProfiling!(), (e: unknown) => isTandemError(e, 'USAGE') && /profile: true/.test((e as Error).message));
    });
  });
});
