import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { evaluateSensitivity, frameToInput, readModelTasks, type FrameDataset, type LabeledFrame } from '../../src/eval/index.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import type { Plan } from '../../src/io/stage-file/index.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { splitModel } from '../../src/passes/split-model.js';
import { writeSplit } from '../../src/passes/write-split.js';
import { applyQdqPlan } from '../../src/quant/apply-qdq.js';
import { arraySource } from '../../src/quant/calibration-source.js';
import type { QdqPlan } from '../../src/quant/qdq-plan.js';
import { quantize } from '../../src/quant/quantize.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { createRng, randomNormal } from '../../src/util/random.js';
import { cli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tandem-sensitivity-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const H = 8;
const W = 16;

/**
 * A tiny two-task net at 8x16: trunk conv-ReLU (h), then a head conv-ReLU (g) feeding 19-class logits
 * and a log-sigmoid depth; its preprocessing and outputs in the metadata, as tandem-street states them.
 */
function tinyNet(): { model: Model; h: string; g: string } {
  const rng = createRng(5);
  const w = (dims: number[]): Tensor<'float32'> => new Tensor('float32', dims, randomNormal(rng, dims.reduce((a, b) => a * b, 1), Math.sqrt(2 / (dims[1] ?? 1))));
  const b = new GraphBuilder('tiny-two-task', { opset: 17 });
  const x = b.input('image', 'float32', [1, 3, H, W]);
  const h = b.relu(b.conv(x, w([8, 3, 1, 1]), new Tensor('float32', [8], randomNormal(rng, 8, 0.1)), { name: 'trunk' }));
  const g = b.relu(b.conv(h, w([8, 8, 1, 1]), new Tensor('float32', [8], randomNormal(rng, 8, 0.1)), { name: 'head.conv' }));
  const seg = b.conv(g, w([19, 8, 1, 1]), undefined, { name: 'head.seg' });
  const depth = b.op('Sigmoid', [b.conv(g, w([1, 8, 1, 1]), undefined, { name: 'head.depth' })]);
  b.output(seg, 'float32', [1, 19, H, W]);
  b.output(depth, 'float32', [1, 1, H, W]);
  const model = buildModel(b);
  model.metadata = [
    ['tandem.preprocess', JSON.stringify({ input: 'image', height: H, width: W, layout: 'nchw', channelOrder: 'rgb', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resize: 'stretch' })],
    ['tandem.outputs', JSON.stringify({ [seg]: { kind: 'segmentation-logits', ignoreIndex: 255 }, [depth]: { kind: 'depth', encoding: 'log-sigmoid', min: 1, max: 120 } })],
  ];
  return { model, h, g };
}

/** Frames whose truth is the FP32 net's own answer (labels its argmax, depth its depth ±10 %): FP32 scores mIoU 100, AbsRel ~0.1. */
async function ownTruth(model: Model, count: number): Promise<{ dataset: FrameDataset; inputs: Record<string, Tensor>[] }> {
  const tasks = readModelTasks(model);
  const rng = createRng(9);
  const session = await getEngine('cpu').open(model);
  const frames: LabeledFrame[] = [];
  const inputs: Record<string, Tensor>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const image = Uint8Array.from({ length: H * W * 3 }, () => rng.int(0, 256));
      const input = await frameToInput({ id: `f${i}`, width: W, height: H, image }, tasks.preprocess);
      const out = await session.run({ image: input });
      const logits = out[tasks.segmentation!.output]!.data as Float32Array;
      const s = out[tasks.depth!.output]!.data as Float32Array;
      const labels = new Uint8Array(H * W).map((_, p) => {
        let best = 0;
        for (let c = 1; c < 19; c++) if (logits[c * H * W + p]! > logits[best * H * W + p]!) best = c;
        return best;
      });
      const depth = Float32Array.from(s, (v, p) => 120 ** v * (p % 2 === 0 ? 1.1 : 0.9));
      frames.push({ id: `f${i}`, width: W, height: H, image, labels, depth });
      inputs.push({ image: input });
    }
  } finally {
    await session.close();
  }
  return { dataset: { description: `${count} frames labelled by the FP32 net`, size: count, read: async (i) => frames[i]! }, inputs };
}

/** The calibrated plan with one activation's scale made 50 times too small: it clips at 2 % of its range. */
function badlyScaled(plan: QdqPlan, tensor: string): QdqPlan {
  assert.ok(plan.activations.some((a) => a.tensor === tensor), `${tensor} is quantized`);
  return { ...plan, activations: plan.activations.map((a) => (a.tensor === tensor ? { ...a, scale: a.scale / 50 } : a)) };
}

describe('eval sensitivity: which quantized tensor costs the task metrics', async () => {
  const { model, h, g } = tinyNet();
  const { dataset, inputs } = await ownTruth(model, 6);
  const calibrated = (await quantize([{ name: 'net', model }], arraySource(inputs), getEngine('cpu'), { trtVersion: '8.6.1', methods: ['max'], placement: 'dla' })).artifacts[0]!;
  const qdqPath = join(tmp, 'tiny.qdq.onnx');
  saveModel(applyQdqPlan(model, badlyScaled(calibrated.plan, g)), qdqPath);

  it('ranks the badly scaled tensor first for both tasks of a Q/DQ model', async () => {
    const progress: number[] = [];
    const r = await evaluateSensitivity(qdqPath, { dataset, frames: 6, onProgress: (e) => progress.push(e.kind === 'sensitivity' ? e.done / e.total : NaN) });
    assert.deepEqual(r.stages.map((s) => s.metric), ['miou', 'absrel']);
    for (const s of r.stages) {
      assert.equal(s.rows.length, calibrated.plan.activations.length + calibrated.plan.weights.length);
      assert.equal(s.rows[0]!.tensor, g, `${s.metric}: ${s.rows.slice(0, 3).map((x) => `${x.tensor} ${x.recovers}`).join(', ')}`);
      // The clipped tensor costs most of the INT8 loss; the next one recovers far less.
      assert.ok(s.int8Loss > 0 && s.rows[0]!.recovers > 0.5 * s.int8Loss, `${s.metric}: loss ${s.int8Loss}, ${g} recovers ${s.rows[0]!.recovers}`);
      assert.ok(s.rows[0]!.recovers > 3 * Math.max(0, s.rows[1]!.recovers), `${s.metric}: first ${s.rows[0]!.recovers}, second ${s.rows[1]!.recovers}`);
      for (let i = 1; i < s.rows.length; i++) assert.ok(s.rows[i - 1]!.recovers >= s.rows[i]!.recovers, 'ranked');
    }
    assert.equal(progress.at(-1), 1);
  });

  it('ranks the heads of a host plan, the trunk run once per frame as the plan has it', async () => {
    const split = splitModel(model, { at: [h] });
    const dir = join(tmp, 'plan');
    saveModel(model, join(tmp, 'source.onnx'));
    const written = writeSplit(split, dir, { source: join(tmp, 'source.onnx') });
    const head = split.stages.find((s) => s.kind === 'head')!;
    const trunk = split.stages.find((s) => s.kind === 'backbone')!;
    const headArtifacts = (await quantize([{ name: trunk.name, model: trunk.model, quantize: false }, { name: head.name, model: head.model }], arraySource(inputs), getEngine('cpu'), { trtVersion: '8.6.1', methods: ['max'], placement: 'dla' })).artifacts.find((a) => a.stage === head.name)!;
    saveModel(applyQdqPlan(head.model, badlyScaled(headArtifacts.plan, g)), join(dir, `${head.name}.onnx`));
    const plan: Plan = {
      ...written.manifest,
      kind: 'plan',
      target: 'host',
      dir,
      stages: written.manifest.stages.map((s) => ({ ...s, engine: s.kind === 'head' ? 'dla-emulated' : 'cpu', precision: s.kind === 'head' ? 'int8' : 'fp32', choice: { how: 'pinned', reason: 'test' } })),
    };
    const r = await evaluateSensitivity(plan, { dataset, frames: 6 });
    assert.deepEqual(r.stages.map((s) => [s.stage, s.metric]), [[head.name, 'miou'], [head.name, 'absrel']]);
    for (const s of r.stages) assert.equal(s.rows[0]!.tensor, g, s.metric);
    assert.deepEqual(r.skipped, []);
  });

  it('tandem eval --sensitivity prints the ranking and puts it in --json; refuses a float model', async () => {
    const text = await cli('eval', qdqPath, '--engine', 'dla-emulated', '--dataset', 'synthetic:1,3', '--sensitivity', '2', '--sensitivity-frames', '3');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /sensitivity: each quantized tensor left in float in turn/);
    assert.match(text.stdout, /#\s+tensor\s+kind\s+layer\s+keeping it in float recovers/);
    assert.match(text.stdout, /more \(--sensitivity \d+ or --json\)/);
    const json = await cli('eval', qdqPath, '--engine', 'dla-emulated', '--dataset', 'synthetic:1,3', '--sensitivity', '--sensitivity-frames', '3', '--json');
    assert.equal(json.code, 0, json.stderr);
    const s = JSON.parse(json.stdout) as { metrics: unknown; sensitivity: { method: string; frames: number; stages: { metric: string; rows: { recovers: number }[] }[] } };
    assert.ok(s.metrics);
    assert.equal(s.sensitivity.method, 'all-but-one');
    assert.equal(s.sensitivity.frames, 3);
    assert.deepEqual(s.sensitivity.stages.map((x) => x.metric), ['miou', 'absrel']);
    assert.equal(s.sensitivity.stages[0]!.rows.length, calibrated.plan.activations.length + calibrated.plan.weights.length);
    const floatPath = join(tmp, 'tiny.onnx');
    saveModel(model, floatPath);
    const refused = await cli('eval', floatPath, '--dataset', 'synthetic:1,2', '--sensitivity');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /has no INT8 Q\/DQ stage with a task output to rank/);
  });
});
