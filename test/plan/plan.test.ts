import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readPlan } from '../../src/io/stage-file/index.js';
import type { HostEngine } from '../../src/io/stage-file/types.js';
import type { Model } from '../../src/ir/model.js';
import { getReferenceModel } from '../../src/models/index.js';
import { loadModel } from '../../src/onnx/load-save.js';
import { splitModel, writeSplit } from '../../src/passes/index.js';
import { chooseHostAssignment, costModel, planDeployment, rankHostAssignments, type HostEngines, type StageTiming } from '../../src/plan/index.js';
import { readCalibrationCache } from '../../src/quant/index.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { isTandemError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/fixtures.js';

const tmp = tempDir('tandem-plan-');
after(tmp.cleanup);
const cpu = getEngine('cpu');
const mt = getReferenceModel('multitask');
const model = mt.build({ ...mt.smallOptions });
const quick = { generatedSamples: 2, method: 'max' as const, opener: cpu };

/**
 * Engines whose sessions take scripted times on a virtual clock: timing is then exact and the choice
 * deterministic. The sessions do not compute anything (the plan only times them).
 */
function scriptedEngines(times: Record<string, Partial<Record<HostEngine, number>>>, available: HostEngine[]): HostEngines & { opened: string[] } {
  let clock = 0;
  const opened: string[] = [];
  return {
    available,
    opened,
    now: () => clock,
    open: async (engine: HostEngine, m: Model) => {
      const stage = Object.keys(times).find((s) => m.graph.outputs.some((o) => stageOutputs.get(s)?.includes(o)));
      const ms = stage === undefined ? undefined : times[stage]![engine];
      if (ms === undefined) throw Object.assign(new Error('no script'), { code: 'x' });
      opened.push(`${stage}@${engine}`);
      return { run: async () => ((clock += ms), {}), close: async () => {} };
    },
  };
}
const stageOutputs = new Map(splitModel(model, { auto: true }).stages.map((s) => [s.name, s.outputs]));

describe('tandem plan: orin', () => {
  it('the webinar layout: trunk FP16 on the GPU, heads INT8 on dla0 and dla1, INT8 hand-offs quantized in the backbone', async () => {
    const out = join(tmp.dir, 'orin');
    const d = await planDeployment({ model, path: 'multitask.onnx' }, { ...quick, target: 'orin', out });
    const plan = readPlan(join(out, 'plan.json'));
    assert.deepEqual(plan.stages.map((s) => [s.name, s.precision]), [['backbone', 'fp16'], ['head-segmentation', 'int8'], ['head-depth', 'int8']]);
    assert.equal(plan.stages[0]!.engine, 'gpu');
    // the heads on the two cores, the one with the larger modelled DLA time (the latency model's) first onto dla0
    const heads = plan.stages.slice(1).sort((a, b) => b.choice.timingsMs!.dla! - a.choice.timingsMs!.dla!);
    assert.deepEqual(heads.map((s) => s.engine), ['dla0', 'dla1']);
    assert.ok(plan.stages.every((s) => s.choice.how === 'layout'));
    assert.match(heads[0]!.choice.reason, /^INT8 on dla0: \d+% of its FLOPs run on the DLA, .*balanced over the DLA cores by modelled cost \(dla0 [\d.]+ ms, dla1 [\d.]+ ms per frame, modelled\)/);
    // the same figures `tandem cost` gives for the stage alone on a DLA core at INT8
    const float = splitModel(model, { auto: true }).stages.find((x) => x.name === heads[0]!.name)!.model;
    const alone = costModel(float, { engine: 'dla', precision: 'int8' });
    assert.ok(Math.abs(alone.stages[0]!.cost.latencyMs - heads[0]!.choice.timingsMs!.dla!) < 1e-9, `${alone.stages[0]!.cost.latencyMs} vs ${heads[0]!.choice.timingsMs!.dla}`);
    assert.ok(plan.stages[0]!.choice.timingsMs!.gpu! > plan.stages[2]!.choice.timingsMs!.gpu!, 'the trunk costs more than a head');
    const handoffs = plan.tensors.filter((t) => t.quantization !== undefined);
    assert.deepEqual(handoffs.map((t) => t.name), ['c1', 'c2', 'c3', 'c4']);
    assert.ok(handoffs.every((t) => t.dtype === 'int8' && t.quantization!.zeroPoint === 0 && t.quantization!.scale > 0));
    const backbone = loadModel(join(out, 'backbone.onnx'));
    assert.ok(backbone.graph.nodes.some((n) => n.op === 'Cast'), 'FP16 backbone behind float32 I/O casts');
    assert.ok(backbone.graph.outputs.every((o) => backbone.graph.producer(o)?.op === 'QuantizeLinear' && backbone.graph.tensorType(o)?.dtype === 'int8'));
    const head = loadModel(join(out, 'head-depth.onnx'));
    assert.ok(head.graph.runtimeInputs.every((i) => head.graph.tensorType(i)?.dtype === 'int8' && head.graph.consumers(i).every((n) => n.op === 'DequantizeLinear')));
    assert.ok(d.boundary?.ok && d.boundary.maxAbsDiff === 0);
    assert.match(d.notes.join('\n'), /generated inputs/);
    assert.equal(plan.source, 'multitask.onnx');
    // INT8 stages carry the TensorRT calibration cache and scales.json of tandem quantize; the FP16 trunk none.
    assert.deepEqual(plan.stages.map((s) => [s.calibrationCache, s.scales]), [
      [undefined, undefined],
      ['head-segmentation.cache', 'head-segmentation.scales.json'],
      ['head-depth.cache', 'head-depth.scales.json'],
    ]);
    for (const s of plan.stages.slice(1)) {
      const cache = readCalibrationCache(readFileSync(join(out, s.calibrationCache!), 'utf8'));
      assert.equal(cache.header.version, 8601);
      for (const t of s.inputs) assert.ok(cache.scales.get(t)! > 0, `${s.name}.cache has a scale for its input ${t}`);
      // The INT8 hand-off's scale is the cache's scale of that tensor (the producer quantizes with it).
      for (const t of s.inputs) assert.ok(Math.abs(plan.tensors.find((x) => x.name === t)!.quantization!.scale - cache.scales.get(t)!) <= 1e-6 * cache.scales.get(t)!);
      const scales = JSON.parse(readFileSync(join(out, s.scales!), 'utf8')) as { activations: Record<string, unknown> };
      assert.ok(Object.keys(scales.activations).length > 0);
    }
    assert.deepEqual(d.files.map((f) => f.slice(out.length + 1)), ['backbone.onnx', 'head-segmentation.onnx', 'head-segmentation.cache', 'head-segmentation.scales.json', 'head-depth.onnx', 'head-depth.cache', 'head-depth.scales.json', 'plan.json']);
  });
  it('a pinned head runs where it is pinned; its hand-offs stay float (one reader is not INT8)', async () => {
    const out = join(tmp.dir, 'orin-pin');
    const d = await planDeployment({ model }, { ...quick, target: 'orin', out, pins: { 'head-depth': 'gpu' }, trtVersion: '10.3.0' });
    const depth = d.plan.stages.find((s) => s.name === 'head-depth')!;
    assert.equal(depth.calibrationCache, undefined, 'an FP16 stage has no calibration cache');
    assert.equal(existsSync(join(out, 'head-depth.cache')), false);
    assert.equal(readCalibrationCache(readFileSync(join(out, 'head-segmentation.cache'), 'utf8')).header.version, 100300);
    assert.deepEqual([depth.engine, depth.precision, depth.choice.how], ['gpu', 'fp16', 'pinned']);
    assert.equal(d.plan.stages.find((s) => s.name === 'head-segmentation')!.engine, 'dla0', 'the one DLA head left takes the first core');
    assert.ok(d.plan.tensors.every((t) => t.quantization === undefined));
    assert.equal(d.boundary, undefined);
  });
});

describe('tandem plan: host', () => {
  const times = {
    backbone: { cpu: 10, webgpu: 4 },
    'head-segmentation': { cpu: 3, webgpu: 2, 'dla-emulated': 2.5 },
    'head-depth': { cpu: 3, webgpu: 1, 'dla-emulated': 2 },
  };
  it('times each stage on each engine and chooses the assignment whose busiest stream is least busy', async () => {
    const engines = scriptedEngines(times, ['cpu', 'webgpu', 'dla-emulated']);
    const out = join(tmp.dir, 'host');
    const d = await planDeployment({ model }, { ...quick, target: 'host', out, engines, timing: { warmup: 1, iterations: 3 } });
    assert.equal(d.timings.length, 8);
    assert.ok(d.timings.every((t) => t.runs === 3 && t.medianMs === times[t.stage as keyof typeof times][t.engine as 'cpu']));
    // webgpu alone would carry 4 + 2 + 1 = 7 ms; heads emulated on the CPU: webgpu 4, cpu 2.5 + 2 = 4.5
    assert.deepEqual(d.plan.stages.map((s) => [s.name, s.engine, s.precision]), [
      ['backbone', 'webgpu', 'fp32'],
      ['head-segmentation', 'dla-emulated', 'int8'],
      ['head-depth', 'dla-emulated', 'int8'],
    ]);
    assert.deepEqual(d.assignment?.streams, { webgpu: 4, cpu: 4.5 });
    assert.equal(d.assignment?.bottleneck, 'cpu');
    const plan = readPlan(join(out, 'plan.json'));
    assert.ok(plan.stages.every((s) => s.choice.how === 'measured'));
    assert.deepEqual(plan.stages[1]!.choice.timingsMs, times['head-segmentation']);
    assert.deepEqual(plan.stages[1]!.engineOptions, { stream: 'cpu' });
    assert.deepEqual(plan.tensors.filter((t) => t.quantization).map((t) => t.name), ['c1', 'c2', 'c3', 'c4']);
    assert.ok(d.boundary?.ok);
  });
  it('with engines.measure, runs the best-ranked candidates and all-one-engine ones pipelined and keeps the fastest measured', async () => {
    const engines = scriptedEngines(times, ['cpu', 'webgpu', 'dla-emulated']);
    const seen: string[] = [];
    // what a real pipeline shows: the all-webgpu chain (resident hand-off) beats the mixed choice the stage times predict
    const measured = async (plan: import('../../src/io/stage-file/types.js').Plan): Promise<number> => {
      const key = plan.stages.map((x) => x.engine).join('/');
      seen.push(key);
      assert.ok(plan.stages.every((x) => existsSync(join(plan.dir, x.file))), 'candidate stage models are on disk');
      return key === 'webgpu/webgpu/webgpu' ? 300 : 100;
    };
    const out = join(tmp.dir, 'host-measured');
    const d = await planDeployment({ model }, { ...quick, target: 'host', out, engines: { ...engines, measure: measured }, timing: { iterations: 1 }, candidates: 2, verify: false });
    // two best predicted, then the uniform ones not among them (all cpu, all webgpu; dla-emulated cannot run the backbone)
    assert.deepEqual(seen, ['webgpu/dla-emulated/dla-emulated', 'webgpu/dla-emulated/webgpu', 'cpu/cpu/cpu', 'webgpu/webgpu/webgpu']);
    assert.deepEqual(d.plan.stages.map((x) => x.engine), ['webgpu', 'webgpu', 'webgpu']);
    const plan = readPlan(join(out, 'plan.json'));
    assert.equal(plan.selection?.how, 'pipelined');
    assert.equal(plan.selection?.chosen, 3);
    assert.deepEqual(plan.selection?.candidates.map((c) => c.measuredFps), [100, 100, 100, 300]);
    assert.ok(Math.abs(plan.selection!.candidates[0]!.predictedFps - 1000 / 4.5) < 1e-9);
    assert.match(plan.stages[0]!.choice.reason, /ran fastest pipelined \(300\.0 fps measured; 4 candidates run, predicted 142\.9 fps from the stage times\)/);
  });
  it('measures the candidates with the plan\'s ends (pixels in, compact out), as the chosen plan will run', async () => {
    const engines = scriptedEngines(times, ['cpu', 'webgpu']);
    const ends: string[] = [];
    const measured = async (plan: import('../../src/io/stage-file/types.js').Plan): Promise<number> => {
      const image = plan.tensors.find((t) => t.name === 'image')!;
      const entry = loadModel(join(plan.dir, plan.stages.find((x) => x.inputs.includes('image'))!.file));
      ends.push(`${plan.io?.input?.encoding} ${image.dtype} ${entry.graph.tensorType('image')?.dtype} ${plan.tensors.find((t) => t.name === 'depth')!.dtype}`);
      return 100;
    };
    const out = join(tmp.dir, 'host-measured-io');
    await planDeployment({ model }, { ...quick, target: 'host', out, engines: { ...engines, measure: measured }, timing: { iterations: 1 }, candidates: 2, verify: false, input: 'rgba-uint32', outputs: 'compact' });
    assert.ok(ends.length >= 2);
    assert.deepEqual([...new Set(ends)], ['rgba-uint32 uint32 uint32 float16']);
  });
  it('--engine pins a stage; the rest is chosen around it', async () => {
    const engines = scriptedEngines(times, ['cpu', 'webgpu', 'dla-emulated']);
    const d = await planDeployment({ model }, { ...quick, target: 'host', out: join(tmp.dir, 'host-pin'), engines, pins: { 'head-depth': 'cpu' }, timing: { iterations: 1 } });
    assert.deepEqual(d.plan.stages.map((s) => [s.name, s.engine, s.choice.how]), [
      ['backbone', 'webgpu', 'measured'],
      ['head-segmentation', 'dla-emulated', 'measured'],
      ['head-depth', 'cpu', 'pinned'],
    ]);
    assert.match(d.plan.stages[2]!.choice.reason, /^pinned \(--engine\)/);
    assert.ok(d.plan.tensors.every((t) => t.quantization === undefined), 'head-depth reads the features in float');
  });
  it('plans from a split.json, on the real cpu engine', async () => {
    const stages = join(tmp.dir, 'split');
    writeSplit(splitModel(model, { auto: true }), stages, { source: 'multitask.onnx' });
    const engines: HostEngines = { available: ['cpu'], open: (e, m) => getEngine(e).open(m) };
    const d = await planDeployment({ splitPath: join(stages, 'split.json') }, { ...quick, target: 'host', out: join(tmp.dir, 'from-split'), engines, timing: { iterations: 1 } });
    assert.ok(d.plan.stages.every((s) => s.engine === 'cpu' && s.precision === 'fp32'));
    assert.ok(d.timings.every((t) => t.medianMs > 0));
    assert.equal(d.plan.source, 'multitask.onnx');
    // planned into the split's own folder, a stage model would be written over its input
    await assert.rejects(
      planDeployment({ splitPath: join(stages, 'split.json') }, { ...quick, target: 'host', out: stages, engines }),
      (e) => isTandemError(e, 'FILE_EXISTS') && /backbone.onnx would overwrite the input .*backbone.onnx; tandem never writes over its input/.test(e.message),
    );
  });
});

describe('tandem plan: what it refuses', () => {
  const engines: HostEngines = { available: ['cpu'], open: (e, m) => getEngine(e).open(m) };
  const refuse = async (opts: Partial<Parameters<typeof planDeployment>[1]>, code: string, message: RegExp) =>
    assert.rejects(planDeployment({ model }, { ...quick, target: 'host', out: join(tmp.dir, 'refused'), engines, ...opts } as Parameters<typeof planDeployment>[1]), (e) => isTandemError(e) && e.code === code && message.test(e.message));
  it('pins of unknown stages, engines of another target, the DLA emulation on the trunk', async () => {
    await refuse({ pins: { 'head-x': 'cpu' } }, 'UNKNOWN_NAME', /--engine names stage "head-x", which the split does not have; stages: backbone, head-segmentation, head-depth/);
    await refuse({ pins: { backbone: 'dla0' } }, 'UNKNOWN_NAME', /"dla0" is not an engine of target host; engines: cpu, webgpu, cuda, tensorrt, dla-emulated/);
    await refuse({ target: 'orin', pins: { backbone: 'cpu' } }, 'UNKNOWN_NAME', /not an engine of target orin; engines: gpu, dla0, dla1/);
    await refuse({ pins: { backbone: 'dla-emulated' } }, 'USAGE', /the DLA emulation runs INT8 heads; "backbone" is the backbone/);
    await refuse({ target: 'orin', trtVersion: '9.1' }, 'USAGE', /no known calibration-cache header number for major version 9/);
    assert.equal(existsSync(join(tmp.dir, 'refused')), false);
  });
  it('an output that is a file, and a host plan without engines', async () => {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'x');
    await refuse({ out: file }, 'OUTPUT_PATH', /is an existing file, not a folder/);
    await refuse({ out: join(file, 'sub') }, 'OUTPUT_PATH', /a-file is a file, so the folder cannot be made there/);
    await assert.rejects(planDeployment({ model }, { ...quick, target: 'host', out: join(tmp.dir, 'x') }), (e) => isTandemError(e, 'USAGE'));
  });
  it('outputs are checked before any work: no calibration, no timing', async () => {
    const file = join(tmp.dir, 'a-file-2');
    writeFileSync(file, 'x');
    const events: string[] = [];
    await refuse({ target: 'orin', out: file, onProgress: (p) => void events.push(p.kind) }, 'OUTPUT_PATH', /is an existing file/);
    assert.deepEqual(events, []);
  });
  it('a plan that fails while writing leaves no final-named file (the set is staged, then renamed)', async () => {
    // A folder where plan.json goes: the stage models are written, plan.json cannot be moved into place.
    const out = join(tmp.dir, 'fails-late');
    mkdirSync(join(out, 'plan.json'), { recursive: true });
    await assert.rejects(planDeployment({ model }, { ...quick, target: 'orin', out }), (e) => isTandemError(e, 'IO') && /plan\.json is a folder/.test(e.message));
    assert.deepEqual(readdirSync(out), ['plan.json'], 'no stage model, no staging folder left');
    assert.deepEqual(readdirSync(join(out, 'plan.json')), []);
  });
  it('a pinned engine that could not time the stage', async () => {
    const d = planDeployment({ model }, { ...quick, target: 'host', out: join(tmp.dir, 'y'), engines, pins: { backbone: 'webgpu' }, timing: { iterations: 1 } });
    await assert.rejects(d, (e) => isTandemError(e, 'ENGINE_UNAVAILABLE') && /stage "backbone" has no timing on webgpu/.test(e.message));
  });
});

describe('tandem plan: pixel input and compact outputs', () => {
  it('feeds the backbone RGBA pixels and gives class ids and float16 depth, checked, with plan.json saying so', async () => {
    const engines = scriptedEngines({ backbone: { cpu: 1 }, 'head-segmentation': { cpu: 1 }, 'head-depth': { cpu: 1 } }, ['cpu']);
    const out = join(tmp.dir, 'host-io');
    const d = await planDeployment({ model }, { ...quick, target: 'host', out, engines, timing: { iterations: 1 }, input: 'rgba-uint32', outputs: { segmentation: 'argmax', depth: 'fp16' } });
    const plan = readPlan(join(out, 'plan.json'));
    assert.equal(plan.io?.input?.encoding, 'rgba-uint32');
    assert.deepEqual(plan.io?.outputs, { segmentation: 'argmax', depth: 'fp16' });
    const t = (n: string) => plan.tensors.find((x) => x.name === n)!;
    assert.equal(t('image').dtype, 'uint32');
    assert.equal(t('image').shape!.length, 3);
    assert.equal(t('segmentation').dtype, 'int32');
    assert.equal(t('depth').dtype, 'float16');
    assert.deepEqual(d.frameIo?.map((c) => [c.stage, c.ok]), [['backbone', true], ['head-segmentation', true], ['head-depth', true]]);
    assert.match(d.notes.join('\n'), /ImageNet's mean and std/);
    assert.equal(plan.selection?.how, 'stage-times');
  });
  it('compact keeps a segmentation map smaller than the image as float16 logits (an argmax before upsampling loses thin classes), and says so', async () => {
    const engines = scriptedEngines({ backbone: { cpu: 1 }, 'head-segmentation': { cpu: 1 }, 'head-depth': { cpu: 1 } }, ['cpu']);
    const out = join(tmp.dir, 'host-compact');
    const d = await planDeployment({ model }, { ...quick, target: 'host', out, engines, timing: { iterations: 1 }, outputs: 'compact' });
    const seg = d.plan.tensors.find((x) => x.name === 'segmentation')!;
    const image = d.plan.tensors.find((x) => x.name === 'image')!;
    assert.ok((seg.shape![2] as number) < (image.shape![2] as number), 'the reference model segments at a stride');
    assert.deepEqual(d.plan.io?.outputs, { segmentation: 'fp16', depth: 'fp16' });
    assert.equal(seg.dtype, 'float16');
    assert.match(d.notes.join('\n'), /segmentation leaves as float16 logits, not class ids: it is \d+x\d+ for a \d+x\d+ input/);
  });
  it('normalises pixels as the model\'s tandem.preprocess metadata says, though the split stages do not carry it', async () => {
    const engines = scriptedEngines({ backbone: { cpu: 1 }, 'head-segmentation': { cpu: 1 }, 'head-depth': { cpu: 1 } }, ['cpu']);
    const withMeta = model.clone();
    withMeta.metadata = [['tandem.preprocess', JSON.stringify({ mean: [0.5, 0.25, 0.125], std: [0.5, 0.5, 0.25], scale: 1 / 255 })]];
    const out = join(tmp.dir, 'host-io-meta');
    const d = await planDeployment({ model: withMeta }, { ...quick, target: 'host', out, engines, timing: { iterations: 1 }, input: 'uint8-hwc' });
    const plan = readPlan(join(out, 'plan.json'));
    assert.deepEqual([plan.io?.input?.mean, plan.io?.input?.std], [[0.5, 0.25, 0.125], [0.5, 0.5, 0.25]]);
    assert.doesNotMatch(d.notes.join('\n'), /ImageNet/);
  });
  it('refuses an output name the model does not have', async () => {
    const engines = scriptedEngines({ backbone: { cpu: 1 }, 'head-segmentation': { cpu: 1 }, 'head-depth': { cpu: 1 } }, ['cpu']);
    await assert.rejects(planDeployment({ model }, { ...quick, target: 'host', out: join(tmp.dir, 'host-io-bad'), engines, timing: { iterations: 1 }, outputs: { nope: 'fp16' } }), (e) => isTandemError(e, 'UNKNOWN_NAME') && /--outputs names "nope", which is not a model output; outputs: segmentation, depth/.test(e.message));
  });
});

describe('chooseHostAssignment', () => {
  const t = (stage: string, engine: HostEngine, medianMs: number): StageTiming => ({ stage, engine, medianMs, runs: 1 });
  it('minimises the busiest stream, then the sum; cpu and dla-emulated share the CPU stream', () => {
    const a = chooseHostAssignment(['a', 'b'], [t('a', 'cpu', 5), t('a', 'webgpu', 6), t('b', 'cpu', 5), t('b', 'dla-emulated', 4)]);
    assert.deepEqual(a.engines, { a: 'webgpu', b: 'dla-emulated' });
    assert.deepEqual(a.streams, { webgpu: 6, cpu: 4 });
    assert.equal(a.predictedFps, 1000 / 6);
    assert.equal(a.search, 'exhaustive');
  });
  it('ranks the best few by predicted throughput, then adds each all-one-engine assignment not among them', () => {
    const timings = [t('a', 'cpu', 5), t('a', 'webgpu', 6), t('b', 'cpu', 5), t('b', 'webgpu', 3), t('b', 'dla-emulated', 4)];
    const ranked = rankHostAssignments(['a', 'b'], timings, { limit: 2 });
    // webgpu + dla-emulated ties webgpu + cpu on the busiest stream (6 ms) and wins on the sum (10 vs 11)
    assert.deepEqual(ranked.map((r) => [r.engines['a'], r.engines['b'], r.predictedFps]), [
      ['cpu', 'webgpu', 1000 / 5],
      ['webgpu', 'dla-emulated', 1000 / 6],
      ['cpu', 'cpu', 1000 / 10],
      ['webgpu', 'webgpu', 1000 / 9],
    ]);
    assert.deepEqual(rankHostAssignments(['a', 'b'], timings, { pins: { b: 'webgpu' }, limit: 1 }).map((r) => r.engines), [{ a: 'cpu', b: 'webgpu' }, { a: 'webgpu', b: 'webgpu' }]);
  });
});
