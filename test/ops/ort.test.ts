import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { tensorFromValues, tensorValues } from '../../src/ir/tensor-values.js';
import { constantValue } from '../../src/ops/index.js';
import { createRng } from '../../src/util/random.js';
import { compareWithOrt } from './ort-compare.js';

const rng = createRng(7);
function w(...dims: number[]): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return tensorFromValues('float32', dims, Float64Array.from({ length: n }, () => rng.uniform(-0.5, 0.5)));
}

describe('inferred shapes equal onnxruntime for every tensor', () => {
  it('a CNN with symbolic batch: conv variants, norms, pools, resize, heads', async () => {
    const b = new GraphBuilder('cnn', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 3, 33, 31]);
    let y = b.conv(x, w(8, 3, 3, 3), w(8), { strides: [2, 2], pads: [1, 1, 1, 1] });
    y = b.batchNorm(y, w(8), w(8), w(8), tensorFromValues('float32', [8], new Array(8).fill(1)));
    y = b.relu(y);
    const dil = b.conv(y, w(8, 4, 3, 3), undefined, { dilations: [2, 2], group: 2, pads: [2, 1, 2, 1] });
    const same = b.op('Conv', [y, b.initializer('w_same', w(8, 8, 4, 4))], { auto_pad: 'SAME_UPPER', strides: attr.ints([3, 3]) });
    const lower = b.op('Conv', [y, b.initializer('w_lower', w(8, 8, 2, 2))], { auto_pad: 'SAME_LOWER', strides: attr.ints([2, 2]) });
    const valid = b.op('Conv', [y, b.initializer('w_valid', w(8, 8, 3, 2))], { auto_pad: 'VALID', strides: attr.ints([2, 1]) });
    b.op('MaxPool', [dil], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]), ceil_mode: 1 });
    b.op('MaxPool', [dil], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: 1 });
    b.op('AveragePool', [dil], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), auto_pad: 'SAME_UPPER' });
    b.op('MaxPool', [same], { kernel_shape: attr.ints([2, 2]), dilations: attr.ints([2, 2]) });
    const up = b.convTranspose(lower, w(8, 4, 3, 3), w(4), { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 0] });
    b.op('ConvTranspose', [lower, b.initializer('w_ct_same', w(8, 2, 4, 4))], { auto_pad: 'SAME_UPPER', strides: attr.ints([2, 2]) });
    b.op('InstanceNormalization', [up, b.initializer('in_s', w(4)), b.initializer('in_b', w(4))]);
    b.resize(valid, { scales: [1, 1, 2, 1.5], mode: 'linear' });
    b.resize(valid, { sizes: [1, 8, 5, 7], mode: 'nearest' });
    b.op('DepthToSpace', [same], { blocksize: 2, mode: 'CRD' });
    b.op('SpaceToDepth', [b.op('Pad', [y, b.ints('pads', [0, 0, 1, 0, 0, 0, 0, 0])])], { blocksize: 2 });
    const pooled = b.globalAveragePool(valid);
    const flat = b.flatten(pooled);
    const logits = b.gemm(flat, w(10, 8), w(10), { transB: true });
    b.softmax(logits);
    b.op('LeakyRelu', [b.op('Clip', [logits, b.scalar(-1), b.scalar(1)])], { alpha: 0.1 });
    b.op('HardSwish', [logits]);
    const r = await compareWithOrt(buildModel(b), { N: 2 });
    assert.ok(r.checked >= 25, `checked ${r.checked}`);
    assert.deepEqual(r.report.unknownOps, []);
  });

  it("['N', 3, 224, 224] through a ResNet-style stem and head keeps 'N' in the batch position of every tensor", async () => {
    const b = new GraphBuilder('stem', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 3, 224, 224]);
    let y = b.relu(b.conv(x, w(8, 3, 7, 7), w(8), { strides: [2, 2], pads: [3, 3, 3, 3] }));
    y = b.maxPool(y, { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    const branch = b.conv(b.relu(b.conv(y, w(8, 8, 3, 3), w(8), { pads: [1, 1, 1, 1] })), w(8, 8, 3, 3), w(8), { pads: [1, 1, 1, 1] });
    y = b.relu(b.add(y, branch));
    y = b.conv(y, w(16, 8, 1, 1), undefined, { strides: [2, 2] });
    const logits = b.gemm(b.flatten(b.globalAveragePool(y)), w(10, 16), w(10), { transB: true });
    b.softmax(logits);
    const model = buildModel(b);
    const r = await compareWithOrt(model, { N: 2 });
    for (const name of model.graph.outputs) assert.equal(model.graph.tensorType(name)?.shape?.[0], 'N', name);
    assert.deepEqual(model.graph.tensorType(y)?.shape, ['N', 16, 28, 28]);
    assert.equal(r.checked, model.graph.nodes.length);
  });

  it('the PyTorch exporter chain Shape → Gather → Unsqueeze → Concat → Reshape keeps the batch symbol', async () => {
    const b = new GraphBuilder('chain', { opset: 17 });
    const x = b.input('x', 'float32', ['batch', 4, 8, 8]);
    const shape = b.op('Shape', [x]);
    const batch = b.op('Gather', [shape, b.constant('zero', 'int64', [], [0])], { axis: 0 });
    const unsq = b.unsqueeze(batch, [0]);
    const target = b.concat([unsq, b.ints('rest', [-1, 64])], 0);
    const y = b.op('Reshape', [x, target]);
    const model = buildModel(b);
    const r = await compareWithOrt(model, { batch: 3 });
    assert.deepEqual(model.graph.tensorType(y)?.shape, ['batch', 4, 64]);
    assert.deepEqual(model.graph.tensorType(target)?.shape, [3]);
    // The values are right too: the reshaped tensor holds x's data in order.
    const out = r.results[y]!;
    assert.deepEqual(out.dims, [3, 4, 64]);
    // A symbolic shape vector has no numeric value; a fully numeric one does.
    assert.equal(constantValue(model.graph, target), undefined);
    assert.deepEqual(tensorValues(constantValue(model.graph, b.graph.nodes.find((n) => n.op === 'Concat')!.inputs[1]!)!), [-1, 64]);
  });

  it('a ViT-style block with symbolic batch: patch embedding, class token, attention, layer norm', async () => {
    const b = new GraphBuilder('vit', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 3, 32, 32]);
    const patches = b.conv(x, w(16, 3, 8, 8), w(16), { strides: [8, 8] });
    const shape = b.op('Shape', [patches]);
    const nc = b.op('Slice', [shape, b.ints('s0', [0]), b.ints('e2', [2])]);
    const seq = b.concat([nc, b.ints('minus1', [-1])], 0);
    const tokens = b.transpose(b.op('Reshape', [patches, seq]), [0, 2, 1]);
    const batch = b.op('Gather', [shape, b.constant('i0', 'int64', [1], [0])], { axis: 0 });
    const clsShape = b.concat([batch, b.ints('cls_rest', [1, 16])], 0);
    const cls = b.op('Expand', [b.initializer('cls', w(1, 1, 16)), clsShape]);
    let h = b.add(b.concat([cls, tokens], 1), b.initializer('pos', w(1, 17, 16)));
    h = b.layerNorm(h, w(16), w(16));
    const qkv = b.add(b.matmul(h, w(16, 48)), b.initializer('qkv_b', w(48)));
    const heads = b.op('Reshape', [qkv, b.ints('heads', [0, 0, 3, 2, 8])]);
    const perm = b.transpose(heads, [2, 0, 3, 1, 4]);
    const [q, k, v] = b.opMulti('Split', [perm, b.ints('qkv_split', [1, 1, 1])], { axis: 0 }, { outputs: 3 }) as [string, string, string];
    const q2 = b.squeeze(q, [0]);
    const k2 = b.squeeze(k, [0]);
    const v2 = b.squeeze(v, [0]);
    const att = b.softmax(b.mul(b.matmul(q2, b.transpose(k2, [0, 1, 3, 2])), 0.35));
    const ctxv = b.transpose(b.matmul(att, v2), [0, 2, 1, 3]);
    const merged = b.op('Reshape', [ctxv, b.concat([batch, b.ints('m_rest', [-1, 16])], 0)]);
    const mlp = b.gelu(b.matmul(merged, w(16, 32)));
    const out = b.add(merged, b.matmul(mlp, w(32, 16)));
    const clsOut = b.op('Gather', [out, b.constant('first', 'int64', [], [0])], { axis: 1 });
    b.reduceMean(out, [1], false);
    b.op('ReduceMax', [clsOut], { axes: attr.ints([-1]), keepdims: 1 });
    const model = buildModel(b);
    await compareWithOrt(model, { N: 2 });
    assert.deepEqual(model.graph.tensorType(att)?.shape, ['N', 2, 17, 17]);
    assert.deepEqual(model.graph.tensorType(merged)?.shape, ['N', 17, 16]);
  });

  it('index, generator, reduction and quantization ops', async () => {
    const b = new GraphBuilder('misc', { opset: 17 });
    const x = b.input('x', 'float32', [2, 5, 6]);
    const idx = b.input('idx', 'int64', [2, 3, 6]);
    b.op('Gather', [x, b.constant('gi', 'int64', [2, 2], [0, -1, 2, 3])], { axis: 1 });
    b.op('GatherElements', [x, idx], { axis: 1 });
    b.op('GatherND', [x, b.constant('nd', 'int64', [2, 1, 1], [1, 3])], { batch_dims: 1 });
    b.op('ScatterElements', [x, idx, b.input('upd', 'float32', [2, 3, 6])], { axis: 1 });
    const ex = b.op('Expand', [b.input('col', 'float32', [5, 1]), b.ints('ex_shape', [3, 1, 4])]);
    b.op('Tile', [ex, b.ints('reps', [1, 2, 3])]);
    b.op('Where', [b.op('Greater', [x, b.scalar(0)]), x, b.initializer('zeros6', w(6))]);
    const shape = b.op('Shape', [x], { start: 1 });
    b.op('Size', [x]);
    const ones = b.op('ConstantOfShape', [shape], { value: tensorFromValues('int32', [1], [1]) });
    b.op('Cast', [ones], { to: 1 });
    b.op('CastLike', [ones, x]);
    b.op('Range', [b.scalar(1, 'int64', 'r0'), b.scalar(10, 'int64', 'r1'), b.scalar(3, 'int64', 'r2')]);
    b.op('ReduceSum', [x, b.ints('rs_axes', [0, -1])], { keepdims: 0 });
    b.op('ReduceSum', [x], { keepdims: 1 });
    b.op('ArgMax', [x], { axis: -1, keepdims: 0 });
    b.opMulti('TopK', [x, b.ints('k', [3])], { axis: 1 }, { outputs: 2 });
    b.op('CumSum', [x, b.scalar(2, 'int64', 'cs_axis')]);
    b.op('Trilu', [x]);
    b.op('Einsum', [x, b.input('e', 'float32', [6, 4])], { equation: 'bij,jk->bik' });
    b.op('Einsum', [x], { equation: 'bij->ji' });
    b.op('NonZero', [b.input('mask', 'bool', [3, 4])]);
    const q = b.op('QuantizeLinear', [x, b.scalar(0.05, 'float32', 'qs'), b.constant('qz', 'int8', [], [0])]);
    b.op('DequantizeLinear', [q, b.scalar(0.05, 'float32', 'dqs'), b.constant('dqz', 'int8', [], [0])]);
    b.op('Mod', [idx, b.scalar(2, 'int64', 'two')]);
    b.op('Pow', [x, b.scalar(2)]);
    b.op('Not', [b.op('Equal', [idx, b.scalar(1, 'int64', 'one')])]);
    b.opMulti('Dropout', [x], {}, { outputs: 2 });
    b.op('Identity', [x]);
    b.op('Sum', [x, b.initializer('s1', w(6)), b.initializer('s2', w(5, 1))]);
    b.op('Max', [x, b.initializer('m1', w(1, 5, 1))]);
    b.op('OneHot', [b.constant('oh', 'int64', [3], [0, 2, 1]), b.scalar(4, 'int64', 'depth'), b.constant('ohv', 'float32', [2], [0, 1])], { axis: 0 });
    b.op('Slice', [x, b.ints('sl_s', [-1, 0]), b.ints('sl_e', [-1000, 100]), b.ints('sl_a', [1, 2]), b.ints('sl_st', [-2, 4])]);
    b.op('PRelu', [x, b.initializer('slope', w(6))]);
    const model = buildModel(b);
    await compareWithOrt(model, {}, [b.graph.nodes.find((n) => n.op === 'NonZero')!.outputs[0]!]);
  });

  it('opset 9 attribute forms: Slice, Pad, Upsample, TopK, Squeeze/Unsqueeze axes, Split', async () => {
    const b = new GraphBuilder('old', { opset: 9 });
    const x = b.input('x', 'float32', ['N', 4, 6, 8]);
    b.op('Slice', [x], { starts: attr.ints([1, -3]), ends: attr.ints([3, 1000]), axes: attr.ints([1, 3]) });
    b.op('Pad', [x], { pads: attr.ints([0, 0, 1, 2, 0, 0, 3, 4]), mode: 'reflect' });
    b.op('Upsample', [x, b.constant('up', 'float32', [4], [1, 1, 2, 1.5])], { mode: 'nearest' });
    b.opMulti('TopK', [x], { k: 2, axis: 3 }, { outputs: 2 });
    const u = b.op('Unsqueeze', [x], { axes: attr.ints([0, 3]) });
    b.op('Squeeze', [u], { axes: attr.ints([0]) });
    b.opMulti('Split', [x], { axis: 2, split: attr.ints([2, 4]) }, { outputs: 2 });
    b.opMulti('Split', [x], { axis: 3 }, { outputs: 4 });
    b.op('Flatten', [x], { axis: 2 });
    b.op('Cast', [b.op('Shape', [x])], { to: 1 });
    b.op('ReduceMean', [x], { axes: attr.ints([1, 2]) });
    b.op('Softmax', [x]);
    b.op('Gemm', [b.input('a', 'float32', [3, 5]), b.initializer('gb', w(5, 2)), b.initializer('gc', w(1, 2))]);
    b.op('Where', [b.input('c', 'bool', [6, 1]), x, b.scalar(0)]);
    await compareWithOrt(buildModel(b), { N: 2 });
  });

  it('opset 18-20 forms: Split num_outputs, Reduce axes input, Resize axes and aspect policy, Pad axes, Gelu', async () => {
    const b = new GraphBuilder('new', { opset: 20 });
    const x = b.input('x', 'float32', [2, 3, 10, 14]);
    b.opMulti('Split', [x], { axis: 3, num_outputs: 4 }, { outputs: 4 });
    b.reduceMean(x, [1, -1], true);
    b.op('ReduceMax', [x, b.ints('empty_axes', [])], { keepdims: 0, noop_with_empty_axes: 1 });
    b.op('ReduceL2', [x], { keepdims: 0 });
    b.op('Resize', [x, undefined, b.constant('sc', 'float32', [2], [0.5, 2])], { axes: attr.ints([2, 3]), mode: 'linear' });
    b.op('Resize', [x, undefined, undefined, b.ints('sz', [7, 7])], { axes: attr.ints([2, 3]), keep_aspect_ratio_policy: 'not_larger' });
    b.op('Resize', [x, undefined, undefined, b.ints('sz2', [7, 7])], { axes: attr.ints([2, 3]), keep_aspect_ratio_policy: 'not_smaller' });
    // onnxruntime ignores sizes here (negative axes with an aspect policy); inference leaves those dims unknown.
    const odd = b.op('Resize', [x, undefined, undefined, b.ints('sz3', [7, 7])], { axes: attr.ints([-2, -1]), keep_aspect_ratio_policy: 'not_larger' });
    b.op('Pad', [x, b.ints('pp', [1, 2, 3, 4]), undefined, b.ints('pa', [1, 3])]);
    b.op('Gelu', [x], { approximate: 'tanh' });
    b.op('Mish', [x]);
    b.op('Shape', [x], { start: -3, end: -1 });
    b.op('LayerNormalization', [x, b.initializer('lns', w(10, 14))], { axis: 2 });
    b.op('Unsqueeze', [x, b.ints('ua', [-1])]);
    b.op('Squeeze', [b.op('Unsqueeze', [x, b.ints('ua2', [1])])]);
    const model = buildModel(b);
    await compareWithOrt(model, {}, [odd]);
    assert.deepEqual(model.graph.tensorType(odd)?.shape, [2, 3, null, null]);
  });
});
