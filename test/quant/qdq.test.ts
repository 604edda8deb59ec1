import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTandemError } from '../../src/util/errors.js';
import { attr } from '../../src/ir/attribute.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { buildMultitask } from '../../src/models/index.js';
import { scaleFromAmax } from '../../src/quant/arithmetic.js';
import { readCalibrationCache } from '../../src/quant/calibration-cache.js';
import { arraySource } from '../../src/quant/calibration-source.js';
import { compareFidelity } from '../../src/quant/fidelity.js';
import { quantize, type QuantizeResult } from '../../src/quant/quantize.js';
import { propagateScales } from '../../src/quant/scale-propagation.js';
import { constantTensors } from '../../src/quant/calibration-targets.js';
import { layerPrecisionsArg, translateQdq } from '../../src/quant/translate-qdq.js';
import { cpu, samplesFor, smallConvNet } from './helpers.js';
import { createRng, randomNormal } from '../../src/util/random.js';

async function quantizeOne(model: Model, options: Partial<Parameters<typeof quantize>[3]> = {}, samples = 4): Promise<QuantizeResult> {
  return quantize([{ name: 'net', model }], arraySource(samplesFor(model, samples)), cpu, { trtVersion: '8.6.1', methods: ['max'], ...options });
}

const byOp = (m: Model, op: string): number => m.graph.nodes.filter((n) => n.op === op).length;

describe('Q/DQ placement (trt rules)', async () => {
  const model = smallConvNet();
  const r = await quantizeOne(model);
  const a = r.artifacts[0]!;
  const plan = a.plan;
  const consumerNodes = (tensor: string): string[] => {
    const e = plan.activations.find((x) => x.tensor === tensor);
    return e === undefined || e.consumers === 'all' ? [] : e.consumers.map((c) => c.node);
  };
  it('puts per-channel Q/DQ on every weight of Conv (axis 0) and Gemm with transB (axis 0)', () => {
    assert.equal(plan.weights.length, byOp(model, 'Conv') + byOp(model, 'Gemm'));
    for (const w of plan.weights) {
      assert.equal(w.axis, 0);
      const dims = model.graph.initializer(w.tensor)!.dims;
      assert.equal(w.scales.length, dims[0]);
    }
  });
  it('quantizes the activation input of every weighted op, per tensor', () => {
    for (const n of model.graph.nodes.filter((x) => x.op === 'Conv' || x.op === 'Gemm')) {
      assert.ok(consumerNodes(n.inputs[0]!).includes(n.name), `${n.label} input`);
    }
  });
  it('quantizes the shortcut input of a residual Add, not the branch TensorRT fuses into the Conv', () => {
    const add1 = model.graph.node('block1.add')!;
    const add2 = model.graph.node('block2.add')!;
    // block1: both inputs come from convs; the downsample (input 1) is the shorter path: the shortcut.
    assert.ok(consumerNodes(add1.inputs[1]!).includes('block1.add'));
    assert.ok(!consumerNodes(add1.inputs[0]!).includes('block1.add'));
    // block2: input 0 is the identity shortcut, input 1 the conv branch.
    assert.ok(consumerNodes(add2.inputs[0]!).includes('block2.add'));
    assert.ok(!consumerNodes(add2.inputs[1]!).includes('block2.add'));
  });
  it('leaves ops TensorRT fuses or commutes through, and graph outputs, without Q/DQ', () => {
    const quantizedReaders = new Set(plan.activations.flatMap((x) => (x.consumers === 'all' ? [] : x.consumers.map((c) => c.node))));
    for (const n of model.graph.nodes.filter((x) => ['Relu', 'MaxPool', 'BatchNormalization', 'Flatten'].includes(x.op))) assert.ok(!quantizedReaders.has(n.name), n.label);
    assert.ok(quantizedReaders.has(model.graph.nodes.find((n) => n.op === 'GlobalAveragePool')!.name), 'average pooling runs in INT8');
    const q = a.qdqModel;
    for (const o of q.graph.outputs) assert.notEqual(q.graph.producer(o)?.op, 'DequantizeLinear');
  });
  it('writes a model that onnxruntime runs, symmetric int8 with float32 scales, close to FP32', async () => {
    const q = a.qdqModel;
    assert.equal(byOp(q, 'QuantizeLinear'), plan.activations.length + plan.weights.length);
    for (const n of q.graph.nodes.filter((x) => x.op === 'QuantizeLinear')) {
      const zp = q.graph.initializer(n.inputs[2]!)!;
      assert.equal(zp.dtype, 'int8');
      assert.ok((zp.data as Int8Array).every((v) => v === 0));
      assert.equal(q.graph.initializer(n.inputs[1]!)!.dtype, 'float32');
    }
    const [row] = await compareFidelity([{ name: 'net', model }], [{ stage: 'net', label: 'max', model: q }], arraySource(samplesFor(model, 4, 77)), cpu);
    // Tolerance: per-tensor INT8 on a 6-conv net with random inputs keeps ~1-3 % relative error.
    assert.ok(row!.relL2 < 0.05, `relL2 ${row!.relL2}`);
    assert.ok(row!.cosine > 0.998, `cosine ${row!.cosine}`);
  });
  it('writes the cache for every activation but the graph output, scale = amax/127', () => {
    const cache = readCalibrationCache(a.cache);
    assert.equal(cache.header.version, 8601);
    assert.equal(cache.scales.size, a.scales.activations.size - 1);
    assert.ok(!cache.scales.has(model.graph.outputs[0]!));
    for (const [name, s] of cache.scales) assert.equal(s, scaleFromAmax(a.scales.activations.get(name)!));
  });
});

describe('Q/DQ placement (dla: every tensor)', () => {
  it('quantizes every float activation read by a node, and still runs', async () => {
    const model = smallConvNet();
    const r = await quantizeOne(model, { placement: 'dla' });
    const a = r.artifacts[0]!;
    assert.equal(a.plan.activations.length, model.graph.nodes.length); // the input and every node output but the graph output
    const [row] = await compareFidelity([{ name: 'net', model }], [{ stage: 'net', label: 'dla', model: a.qdqModel }], arraySource(samplesFor(model, 2, 5)), cpu);
    assert.ok(row!.cosine > 0.99, `cosine ${row!.cosine}`);
  });
});

describe('fused Conv/BN + ReLU ranges', () => {
  it('a tensor only a ReLU reads after a weighted op or BN takes the ReLU output amax (the fused layer\'s); others keep their own', async () => {
    const model = smallConvNet();
    const a = (await quantizeOne(model, { placement: 'dla' })).artifacts[0]!;
    const g = model.graph;
    let fused = 0;
    for (const relu of g.nodes.filter((n) => n.op === 'Relu')) {
      const t = relu.inputs[0]!;
      const own = a.scales.activations.get(t)!;
      const out = a.scales.activations.get(relu.outputs[0]!)!;
      const p = g.producer(t)!;
      if (p.op === 'BatchNormalization' && g.consumers(t).length === 1) {
        assert.equal(own, out, t);
        fused++;
      }
    }
    assert.ok(fused >= 3, `${fused} fused`);
    // The Adds' inputs are read by the Add, not by a ReLU: their ranges are their own (at least one differs from the Add output's).
    const add = g.nodes.find((n) => n.op === 'Add')!;
    assert.ok(add.inputs.some((i) => a.scales.activations.get(i) !== a.scales.activations.get(add.outputs[0]!)));
  });
});

describe('multi-task reference model (64x128)', () => {
  it('Q/DQ models of all four methods run in onnxruntime and stay close to FP32', async () => {
    const model = buildMultitask({ height: 64, width: 128 });
    const r = await quantizeOne(model, { methods: ['entropy', 'max', 'percentile', 'mse'] }, 3);
    assert.equal(r.artifacts.length, 4);
    const rows = await compareFidelity([{ name: 'net', model }], r.artifacts.map((a) => ({ stage: 'net', label: a.method, model: a.qdqModel })), arraySource(samplesFor(model, 2, 99)), cpu);
    assert.equal(rows.length, 8);
    for (const row of rows) {
      // Random-input calibration, seeded random weights: measured cosine ≥ 0.985 for every method.
      assert.ok(row.cosine > 0.97, `${row.label} ${row.output}: cosine ${row.cosine}`);
      if (row.output === 'segmentation') assert.ok(row.argmaxAgreement! > 0.8, `${row.label}: argmax ${row.argmaxAgreement}`);
    }
  });
});

describe('translate-qdq', () => {
  it('on a Q/DQ model tandem wrote, returns the same scales and the FP32 graph', async () => {
    const model = smallConvNet();
    const a = (await quantizeOne(model))
      .artifacts[0]!;
    const t = translateQdq(a.qdqModel);
    for (const e of a.plan.activations) assert.equal(t.scales.get(e.tensor), e.scale, e.tensor);
    assert.equal(byOp(t.model, 'QuantizeLinear') + byOp(t.model, 'DequantizeLinear'), 0);
    assert.equal(t.report.pairs.filter((p) => p.kind === 'weight').length, a.plan.weights.length);
    assert.ok(t.report.weightChecks.every((c) => c.mismatched === 0), 'tandem writes weight scales = max|w|/127');
    assert.equal(byOp(t.model, 'BatchNormalization'), 0, 'BN folded into the convs');
    const [row] = await compareFidelity([{ name: 'net', model }], [{ stage: 'net', label: 'noqdq', model: t.model }], arraySource(samplesFor(model, 2, 3)), cpu);
    assert.ok(row!.relL2 < 1e-5, `relL2 ${row!.relL2}`);
    // Layers reading a tensor without a scale stay FP16; the argument is trtexec's format.
    assert.ok(t.fp16Nodes.length > 0);
    assert.equal(layerPrecisionsArg(['a', 'b/c']), 'a:fp16,b/c:fp16');
  });
  it('with dla placement every consumer is covered: no FP16 layers', async () => {
    const model = smallConvNet();
    const a = (await quantizeOne(model, { placement: 'dla' })).artifacts[0]!;
    const t = translateQdq(a.qdqModel);
    assert.deepEqual(t.fp16Nodes, []);
  });
  it('dequantizes INT8 weights stored behind a DequantizeLinear', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const wq = b.initializer('w_int8', new Tensor('int8', [2, 2, 1, 1], Int8Array.of(10, -20, 30, 127)));
    const ws = b.constant('w_scale', 'float32', [2], [0.5, 0.25]);
    const wz = b.initializer('w_zp', new Tensor('int8', [2], new Int8Array(2)));
    const w = b.op('DequantizeLinear', [wq, ws, wz], { axis: attr.int(0) });
    b.output(b.op('Conv', [x, w]), 'float32', [1, 2, 4, 4]);
    const t = translateQdq(buildModel(b));
    const conv = t.model.graph.nodes.find((n) => n.op === 'Conv')!;
    assert.deepEqual([...(t.model.graph.initializer(conv.inputs[1]!)!.data as Float32Array)], [5, -10, 7.5, 31.75]);
  });
  it('refuses asymmetric Q/DQ (a non-zero zero point)', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [1, 4]);
    const s = b.scalar(0.1);
    const z = b.initializer('zp', new Tensor('uint8', [], Uint8Array.of(128)));
    b.output(b.op('DequantizeLinear', [b.op('QuantizeLinear', [x, s, z]), s, z]), 'float32', [1, 4]);
    assert.throws(() => translateQdq(buildModel(b)), (e) => isTandemError(e, 'QDQ_MODEL') && /non-zero zero point; TensorRT quantization is symmetric/.test(e.message));
  });
  it('keeps the name of a graph output that a DQ produced, and records its scale', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [1, 4]);
    const s = b.scalar(0.05);
    const z = b.initializer('zp', new Tensor('int8', [], new Int8Array(1)));
    const r = b.relu(x);
    const y = b.op('DequantizeLinear', [b.op('QuantizeLinear', [r, s, z]), s, z], {}, { outputs: ['y'] });
    b.output(y, 'float32', [1, 4]);
    const t = translateQdq(buildModel(b));
    assert.deepEqual(t.model.graph.outputs, ['y']);
    assert.equal(t.model.graph.producer('y')?.op, 'Relu');
    assert.equal(t.scales.get('y'), Math.fround(0.05));
  });
});

describe('scale propagation (QDQT step 4)', () => {
  function chain(): { model: Model; names: Record<string, string> } {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [1, 4, 8, 8]);
    const r = b.relu(x);
    const p = b.maxPool(r, { kernel: [2, 2], strides: [2, 2] });
    const sg = b.sigmoid(p);
    const m = b.mul(sg, p);
    const c = b.concat([m, p], 1);
    const out = b.relu(c);
    b.output(out, 'float32', [1, 8, 4, 4]);
    return { model: buildModel(b), names: { x, r, p, sg, m, c, out } };
  }
  it('copies scales forward and backward through range-preserving ops, never onto a graph output (PR35)', () => {
    const { model, names } = chain();
    const scales = new Map([[names.r!, 0.1]]);
    propagateScales(model.graph, scales, constantTensors(model.graph));
    assert.equal(scales.get(names.p!), 0.1, 'MaxPool forward');
    assert.equal(scales.get(names.x!), 0.1, 'Relu backward');
    assert.equal(scales.has(names.out!), false, 'graph output untouched');
  });
  it('Sigmoid backward is the logit of the output amax; Mul backward divides; Concat takes the max', () => {
    const { model, names } = chain();
    const s = new Map([[names.sg!, 0.9 / 127]]);
    propagateScales(model.graph, s, constantTensors(model.graph));
    assert.ok(Math.abs(s.get(names.p!)! * 127 - Math.log(0.9 / 0.1)) < 1e-12);
    const mul = new Map([[names.m!, 2 / 127], [names.sg!, 1 / 127]]);
    propagateScales(model.graph, mul, constantTensors(model.graph), { inferMulScales: true });
    assert.ok(Math.abs(mul.get(names.p!)! - 2 / 127 / ((1 / 127) * 127)) < 1e-15);
    const cat = new Map([[names.m!, 0.2], [names.p!, 0.3]]);
    propagateScales(model.graph, cat, constantTensors(model.graph), { inferConcatScales: true });
    assert.equal(cat.get(names.c!), 0.3);
  });
  it('skips Sigmoid backward where the output amax is 1 or more (the logit is undefined)', () => {
    const { model, names } = chain();
    const s = new Map([[names.sg!, 1 / 127]]);
    propagateScales(model.graph, s, constantTensors(model.graph));
    assert.equal(s.has(names.p!), false);
  });
});

describe('fused Conv + Sigmoid/TanH on the DLA', () => {
  // input → Conv a → Sigmoid → Conv b → TanH (the graph output); Conv c's output is read by a Sigmoid and an Add.
  function net(): Model {
    const rng = createRng(3);
    const w = (dims: number[]): Tensor => new Tensor('float32', dims, randomNormal(rng, dims.reduce((x, y) => x * y, 1), 0.3));
    const b = new GraphBuilder('fused-activations', { opset: 17 });
    const x = b.input('input', 'float32', [1, 4, 8, 8]);
    const a = b.conv(x, w([8, 4, 3, 3]), w([8]), { pads: [1, 1, 1, 1], name: 'a' });
    const sa = b.op('Sigmoid', [a], {}, { name: 'sig_a' });
    const c = b.conv(sa, w([8, 8, 1, 1]), w([8]), { name: 'c' });
    const both = b.op('Add', [b.op('Sigmoid', [c], {}, { name: 'sig_c' }), c], {}, { name: 'add' });
    const out = b.op('Tanh', [b.conv(both, w([2, 8, 1, 1]), w([2]), { name: 'b' })], {}, { name: 'tanh_b' });
    b.output(out, 'float32', [1, 2, 8, 8]);
    return buildModel(b);
  }
  it('puts no Q/DQ between a weighted op and the Sigmoid or TanH it alone feeds (the fused layer), and runs close to FP32', async () => {
    const model = net();
    const a = (await quantizeOne(model, { placement: 'dla' })).artifacts[0]!;
    const g = model.graph;
    const outOf = (name: string): string => g.node(name)!.outputs[0]!;
    const quantized = new Set(a.plan.activations.map((x) => x.tensor));
    for (const conv of ['a', 'b']) {
      assert.ok(!quantized.has(outOf(conv)), `${conv} output quantized`);
      const skip = a.plan.skipped.find((k) => k.tensor === outOf(conv));
      assert.ok(skip !== undefined && /fused DLA layer/.test(skip.reason), `${conv}: ${JSON.stringify(skip)}`);
    }
    // the fused layer's own output is an INT8 tensor like any other; a conv output with a second reader stays quantized
    assert.ok(quantized.has(outOf('sig_a')));
    assert.ok(quantized.has(outOf('c')));
    assert.ok(quantized.has(outOf('sig_c')));
    assert.equal(byOp(a.qdqModel, 'QuantizeLinear'), a.plan.activations.length + a.plan.weights.length);
    // nor a scale in the calibration cache, so TensorRT cannot make that tensor INT8 either
    const cache = readCalibrationCache(a.cache);
    assert.ok(!cache.scales.has(outOf('a')));
    assert.ok(cache.scales.has(outOf('c')) && cache.scales.has(outOf('sig_a')));
    const [row] = await compareFidelity([{ name: 'net', model }], [{ stage: 'net', label: 'dla', model: a.qdqModel }], arraySource(samplesFor(model, 2, 9)), cpu);
    assert.ok(row!.cosine > 0.999, `cosine ${row!.cosine}`);
  });
  it('trt placement is unchanged by it (no output is quantized there)', async () => {
    const a = (await quantizeOne(net())).artifacts[0]!;
    assert.ok(!a.plan.skipped.some((k) => /fused DLA layer/.test(k.reason)));
  });
});
