import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel, Tensor, tensorValues } from '../../src/ir/index.js';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { checkEquivalent, compareTensors, ENGINE_NAMES, getEngine, randomInputs } from '../../src/runtime/index.js';
import { isTandemError } from '../../src/util/errors.js';

function reluModel() {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', [1, 4]);
  b.output(b.relu(x), 'float32', [1, 4]);
  return buildModel(b);
}

/** Whether an engine starts here: the GPU tests below run where it does and are skipped (not passed) elsewhere. */
async function probe(name: (typeof ENGINE_NAMES)[number]): Promise<string | false> {
  try {
    await (await getEngine(name).open(reluModel())).close();
    return false;
  } catch (e) {
    if (isTandemError(e, 'ENGINE_UNAVAILABLE')) return `engine ${name} is not available on this machine`;
    throw e;
  }
}

describe('cpu engine', () => {
  it('runs a model, honours options and closes idempotently', async () => {
    const session = await getEngine('cpu').open(reluModel(), { threads: 1, graphOptimization: 'disabled' });
    const out = await session.run({ x: new Tensor('float32', [1, 4], new Float32Array([-1, 2, -3, 4])) });
    assert.deepEqual(tensorValues(out[session.outputNames[0]!]!), [0, 2, 0, 4]);
    await session.close();
    await session.close();
    await assert.rejects(session.run({}), (e: unknown) => isTandemError(e, 'SESSION_CLOSED'));
  });

  it('names missing and unknown inputs', async () => {
    await using session = await getEngine('cpu').open(reluModel());
    await assert.rejects(session.run({ y: new Tensor('float32', [1, 4], new Float32Array(4)) }), (e: unknown) => isTandemError(e, 'INPUT_MISMATCH') && /missing "x"; unknown "y"/.test(e.message));
  });

  it('an unknown engine lists the engines', () => {
    assert.throws(() => getEngine('tpu'), (e: unknown) => isTandemError(e, 'UNKNOWN_NAME') && /cpu, webgpu, cuda, tensorrt/.test(e.message));
  });

  it('takes output locations per output name (the form the pipeline uses) and names a wrong one', async () => {
    const model = reluModel();
    const out = model.graph.outputs[0]!;
    await using s = await getEngine('cpu').open(model, { outputLocation: { [out]: 'cpu' } });
    const r = await s.runStage({ x: new Tensor('float32', [1, 4], new Float32Array([-1, 2, -3, 4])) });
    assert.ok(r[out] instanceof Tensor);
    await assert.rejects(getEngine('cpu').open(model, { outputLocation: { nope: 'cpu' } }), (e: unknown) => isTandemError(e, 'ENGINE_RUN') && /"nope" is not a valid output name/.test((e as Error).message));
  });

  it('refuses gpu-buffer outputs off webgpu', async () => {
    await assert.rejects(getEngine('cpu').open(reluModel(), { outputLocation: 'gpu-buffer' }), (e: unknown) => isTandemError(e, 'USAGE'));
  });
});

describe('dla-emulated engine', () => {
  function qdqModel() {
    const b = new GraphBuilder('q');
    const x = b.input('x', 'float32', [1, 4]);
    const scale = b.scalar(0.5);
    const zero = b.constant('zp', 'int8', [], [0]);
    const q = b.op('QuantizeLinear', [x, scale, zero]);
    b.output(b.op('DequantizeLinear', [q, scale, zero]), 'float32', [1, 4]);
    return buildModel(b, { opsetImports: [{ domain: '', version: 13 }] });
  }

  it('runs INT8 Q/DQ numerics: rounding to the scale, saturating at ±127/128 steps', async () => {
    await using s = await getEngine('dla-emulated').open(qdqModel());
    const out = await s.run({ x: new Tensor('float32', [1, 4], new Float32Array([0.26, -0.74, 100, -100])) });
    assert.deepEqual(tensorValues(out[s.outputNames[0]!]!), [0.5, -0.5, 63.5, -64]);
  });

  it('refuses a float model, which would run in FP32', async () => {
    await assert.rejects(getEngine('dla-emulated').open(reluModel()), (e: unknown) => isTandemError(e, 'MODEL_UNSUITABLE') && /tandem quantize/.test(e.message));
  });
});

describe('engines that cannot start say so', () => {
  for (const name of ['cuda', 'tensorrt', 'webgpu'] as const) {
    it(`${name}: ENGINE_UNAVAILABLE with what to do, or a working session`, async () => {
      const skip = await probe(name);
      if (skip === false) return; // it works here: the GPU tests below cover it
      await assert.rejects(getEngine(name).open(reluModel()), (e: unknown) => isTandemError(e, 'ENGINE_UNAVAILABLE') && /cannot start on this machine/.test(e.message) && /;/.test(e.message));
    });
  }
});

describe('webgpu engine', async () => {
  const skip = await probe('webgpu');

  it('runs the multi-task reference like the cpu engine', { skip }, async () => {
    const model = REFERENCE_MODELS.multitask.build(REFERENCE_MODELS.multitask.smallOptions);
    const report = await checkEquivalent(model, model, { engine: 'webgpu', tolerance: 1e-3 });
    assert.ok(report.ok);
    const feeds = randomInputs(model);
    await using cpu = await getEngine('cpu').open(model);
    await using gpu = await getEngine('webgpu').open(model);
    const [a, b] = [await cpu.run(feeds), await gpu.run(feeds)];
    for (const k of cpu.outputNames) assert.ok(compareTensors(k, a[k]!, b[k]!).relL2 < 1e-3, k);
  });

  it('profiles with GPU timestamps: every dispatch has a GPU time, the op types add up to the busy time', { skip }, async () => {
    const model = REFERENCE_MODELS.multitask.build(REFERENCE_MODELS.multitask.smallOptions);
    await using gpu = await getEngine('webgpu').open(model, { profile: true, validation: 'disabled' });
    const feeds = randomInputs(model);
    for (let i = 0; i < 4; i++) await gpu.run(feeds);
    const p = await gpu.endProfiling!(1);
    assert.equal(p.frames, 3);
    assert.ok(p.gpu !== undefined && p.gpu.busyMs > 0 && p.gpu.dispatches > 10, JSON.stringify(p.gpu));
    const sum = p.ops.reduce((a, o) => a + (o.gpuMs ?? 0), 0);
    assert.ok(Math.abs(sum - p.gpu.busyMs) < 1e-9);
    assert.ok(p.ops.some((o) => o.op === 'Conv' && (o.gpuMs ?? 0) > 0), p.ops.map((o) => o.op).join(', '));
  });
});

describe('gpu-buffer outputs (GPU-resident hand-off)', async () => {
  const skip = await probe('webgpu');

  it('a webgpu output kept on the GPU feeds the next webgpu session; run() refuses to read it back', { skip }, async () => {
    const first = reluModel();
    await using a = await getEngine('webgpu').open(first, { outputLocation: 'gpu-buffer' });
    await using b = await getEngine('webgpu').open(first);
    const x = new Tensor('float32', [1, 4], new Float32Array([-1, 2, -3, 4]));
    const mid = await a.runStage({ x });
    const handed = mid[a.outputNames[0]!]!;
    assert.ok(!(handed instanceof Tensor) && handed.location === 'gpu-buffer');
    const out = await b.run({ x: handed as never });
    handed.dispose();
    handed.dispose();
    assert.deepEqual(tensorValues(out[b.outputNames[0]!]!), [0, 2, 0, 4]);
    await assert.rejects(a.run({ x }), (e: unknown) => isTandemError(e, 'USAGE') && /kept on the GPU/.test(e.message));
  });
});
