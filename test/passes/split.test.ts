import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Model } from '../../src/ir/model.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { getReferenceModel } from '../../src/models/index.js';
import { loadModel } from '../../src/onnx/index.js';
import { planPostprocessCut } from '../../src/passes/cut-postprocessing.js';
import { splitModel, type SplitPlan } from '../../src/passes/split-model.js';
import { writeSplit } from '../../src/passes/write-split.js';
import { STAGE_FILE_VERSION, type SplitDocument } from '../../src/io/stage-file/index.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { randomInputs } from '../../src/runtime/verify.js';
import { isTandemError } from '../../src/util/errors.js';
import { fixture, tempDir } from '../helpers/fixtures.js';
import { build, randomTensor } from './helpers.js';

async function run(model: Model, feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
  await using s = await getEngine('cpu').open(model);
  return await s.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => s.inputNames.includes(k))));
}

/** Runs the stages in plan order, each fed from the model inputs and earlier stages' outputs. */
async function runStages(plan: SplitPlan, feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
  const env: Record<string, Tensor> = { ...feeds };
  for (const stage of plan.stages) {
    for (const i of stage.inputs) assert.ok(env[i] !== undefined, `stage ${stage.name} reads "${i}" before any stage made it`);
    Object.assign(env, await run(stage.model, Object.fromEntries(stage.inputs.map((i) => [i, env[i]!]))));
  }
  return env;
}

/** The stages in order reproduce every output of the whole model bit for bit. */
async function assertReproduces(model: Model, plan: SplitPlan, dims: Record<string, number> = {}): Promise<void> {
  const feeds = randomInputs(model, { seed: 3, dims });
  const whole = await run(model, feeds);
  const staged = await runStages(plan, feeds);
  for (const [name, t] of Object.entries(whole)) {
    const s = staged[name];
    assert.ok(s !== undefined, `no stage produced "${name}"`);
    assert.deepEqual(s.dims, t.dims);
    assert.ok(Buffer.from(s.rawBytes()).equals(Buffer.from(t.rawBytes())), `"${name}" differs between the whole model and the stages`);
  }
}

const multitask = getReferenceModel('multitask');

describe('splitModel on the multi-task reference', () => {
  const model = multitask.build({ ...multitask.smallOptions });
  it('--auto finds the MiT-B0 trunk: backbone → c1..c4 → two heads, reproduced exactly', async () => {
    const plan = splitModel(model, { auto: true });
    assert.deepEqual(plan.stages.map((s) => s.name), ['backbone', 'head-segmentation', 'head-depth']);
    assert.deepEqual([...plan.cut].sort(), [...multitask.features].sort());
    assert.deepEqual(plan.stages[0]!.inputs, ['image']);
    for (const s of plan.stages.slice(1)) assert.deepEqual([...s.inputs].sort(), [...multitask.features].sort());
    await assertReproduces(model, plan);
  });
  it('--at c1..c4 gives the same stages', () => {
    const plan = splitModel(model, { at: multitask.features });
    assert.deepEqual(plan.stages.map((s) => [s.name, s.model.graph.nodes.length]), splitModel(model, { auto: true }).stages.map((s) => [s.name, s.model.graph.nodes.length]));
  });
  it('refuses a cut that leaves a path from the backbone to a head, naming the missing tensors', () => {
    assert.throws(
      () => splitModel(model, { at: ['c4'] }),
      (e) => isTandemError(e, 'USAGE') && /also read "c1", "c2", "c3"/.test(e.message) && /add them to --at/.test(e.message),
    );
    assert.throws(() => splitModel(model, { at: ['nope'] }), (e) => isTandemError(e, 'UNKNOWN_NAME') && /segmentation, depth/.test(e.message));
    assert.throws(() => splitModel(model, {}), (e) => isTandemError(e, 'USAGE'));
  });
});

describe('splitModel on PyTorch exports', () => {
  for (const name of ['multihead_legacy', 'multihead_dynamo']) {
    const file = fixture('pytorch', `${name}.onnx`);
    it(`${name}: --auto gives a trunk and three heads that reproduce seg, depth, cls exactly (batch 2)`, { skip: existsSync(file) ? false : `${file} not present` }, async () => {
      const model = loadModel(file);
      const plan = splitModel(model, { auto: true });
      assert.deepEqual(plan.stages.map((s) => s.name), ['backbone', 'head-seg', 'head-depth', 'head-cls']);
      assert.equal(plan.cut.length, 1);
      await assertReproduces(model, plan, { batch: 2 });
    });
  }
});

describe('post-processing cut', () => {
  const model = build((b) => {
    const x = b.input('x', 'float32', [1, 4, 6, 6]);
    const f = b.relu(b.conv(x, randomTensor([8, 4, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] }));
    const logits = b.flatten(b.globalAveragePool(f), 1);
    const [values, indices] = b.opMulti('TopK', [logits, b.ints('k', [3])], { axis: 1 }, { outputs: ['top_values', 'top_indices'] });
    const mask = b.op('ArgMax', [b.conv(f, randomTensor([3, 8, 1, 1], 2))], { axis: 1 });
    return [b.mul(values!, 2), indices!, mask];
  });
  it('finds TopK and ArgMax and the tails after them', () => {
    const cut = planPostprocessCut(model.graph);
    assert.equal(cut.seeds.length, 2);
    assert.equal(cut.nodes.length, 3);
  });
  it('puts them in post stages after the network, reproduced exactly', async () => {
    const plan = splitModel(model, { at: [model.graph.nodes.find((n) => n.op === 'Relu')!.outputs[0]!] });
    assert.deepEqual(plan.stages.map((s) => s.kind), ['backbone', 'head', 'head', 'postprocess', 'postprocess']);
    assert.ok(plan.stages.filter((s) => s.kind === 'postprocess').every((s) => s.model.graph.nodes.some((n) => n.op === 'TopK' || n.op === 'ArgMax')));
    await assertReproduces(model, plan);
  });
  it('keeps them in the heads with postprocess: false', () => {
    const plan = splitModel(model, { at: [model.graph.nodes.find((n) => n.op === 'Relu')!.outputs[0]!], postprocess: false });
    assert.ok(plan.stages.every((s) => s.kind !== 'postprocess'));
  });
});

describe('writeSplit', () => {
  const model = multitask.build({ ...multitask.smallOptions });
  it('writes one ONNX per stage and split.json with files relative to the folder', () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = join(dir, 'stages');
      const written = writeSplit(splitModel(model, { auto: true }), out, { source: 'multitask.onnx' });
      const manifest = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as SplitDocument;
      assert.equal(manifest.version, STAGE_FILE_VERSION);
      assert.equal(manifest.kind, 'split');
      assert.deepEqual(manifest.stages.map((s) => s.file), ['backbone.onnx', 'head-segmentation.onnx', 'head-depth.onnx']);
      for (const s of manifest.stages) {
        const stage = loadModel(join(out, s.file));
        assert.deepEqual(stage.graph.runtimeInputs, s.inputs);
        assert.deepEqual(stage.graph.outputs, s.outputs);
      }
      const c1 = manifest.tensors.find((t) => t.name === 'c1')!;
      assert.deepEqual(c1, { name: 'c1', dtype: 'float32', shape: [1, 32, 16, 32], from: 'backbone', to: ['head-segmentation', 'head-depth'], modelOutput: false });
      assert.equal(written.files.length, 4);
    } finally {
      cleanup();
    }
  });
  it('refuses to write over the model it splits', () => {
    const { dir, cleanup } = tempDir();
    try {
      const victim = join(dir, 'backbone.onnx');
      assert.throws(() => writeSplit(splitModel(model, { auto: true }), dir, { protect: [victim] }), (e) => isTandemError(e, 'FILE_EXISTS'));
      assert.equal(existsSync(join(dir, 'split.json')), false);
    } finally {
      cleanup();
    }
  });
});
