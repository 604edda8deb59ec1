import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { tensorFromValues, tensorValues } from '../../src/ir/tensor-values.js';
import { Tensor } from '../../src/ir/tensor.js';
import { constantValue, inferShapes } from '../../src/ops/index.js';

function values(t: Tensor | undefined): number[] | undefined {
  return t === undefined ? undefined : tensorValues(t);
}

describe('values of shape computations', () => {
  it('folds the PyTorch chain to numbers when the batch is known, and to a symbol when it is not', () => {
    for (const batch of [2, 'N'] as const) {
      const b = new GraphBuilder('g', { opset: 17 });
      const x = b.input('x', 'float32', [batch, 4, 8, 8]);
      const n = b.unsqueeze(b.op('Gather', [b.op('Shape', [x]), b.constant('zero', 'int64', [], [0])]), [0]);
      const target = b.concat([n, b.ints('rest', [-1, 64])], 0);
      const y = b.op('Reshape', [x, target]);
      const model = buildModel(b);
      inferShapes(model);
      assert.deepEqual(model.graph.tensorType(y)?.shape, [batch, 4, 64]);
      assert.deepEqual(values(constantValue(model.graph, target)), batch === 2 ? [2, -1, 64] : undefined);
      assert.equal(constantValue(model.graph, target)?.dtype, batch === 2 ? 'int64' : undefined);
    }
  });

  it('follows the expand pattern: Equal(shape, -1) → Where → Expand', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 196, 16]);
    const n = b.op('Gather', [b.op('Shape', [x]), b.constant('i0', 'int64', [1], [0])]);
    const target = b.concat([n, b.ints('cls_rest', [1, 16])], 0);
    const ones = b.op('ConstantOfShape', [b.op('Shape', [target])], { value: tensorFromValues('int64', [1], [1]) });
    const isMinus = b.op('Equal', [target, b.mul(ones, b.scalar(-1, 'int64', 'm1'))]);
    const safe = b.op('Where', [isMinus, ones, target]);
    const cls = b.op('Expand', [b.initializer('cls', tensorFromValues('float32', [1, 1, 16], new Array(16).fill(0))), safe]);
    const tokens = b.concat([cls, x], 1);
    const model = buildModel(b);
    inferShapes(model);
    assert.deepEqual(model.graph.tensorType(cls)?.shape, ['N', 1, 16]);
    assert.deepEqual(model.graph.tensorType(tokens)?.shape, ['N', 197, 16]);
  });

  it('folds arithmetic, casts, ReduceProd, Range, Slice and Squeeze on shape values', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 3, 4, 10]);
    const shape = b.op('Shape', [x]);
    const spatial = b.slice(shape, [1], [3]);
    const count = b.op('ReduceProd', [spatial], { keepdims: 1 });
    const flat = b.op('Reshape', [x, b.concat([b.slice(shape, [0], [1]), count, b.ints('last', [-1])], 0)]);
    const w = b.op('Gather', [shape, b.constant('i3', 'int64', [], [3])]);
    const half = b.op('Div', [w, b.scalar(2, 'int64', 'two')]);
    const asFloat = b.op('Cast', [half], { to: 1 });
    const doubled = b.op('Cast', [b.mul(asFloat, 2.5)], { to: 7 });
    const r = b.op('Range', [b.scalar(0, 'int64', 'r0'), doubled, b.scalar(1, 'int64', 'r1')]);
    const minus = b.sub(b.squeeze(b.slice(shape, [0], [1]), [0]), b.scalar(1, 'int64', 'one'));
    const model = buildModel(b);
    inferShapes(model);
    const g = model.graph;
    assert.deepEqual(values(constantValue(g, count)), [12]);
    assert.deepEqual(g.tensorType(flat)?.shape, ['N', 12, 10]);
    assert.deepEqual(values(constantValue(g, half)), [5]);
    assert.deepEqual(values(constantValue(g, doubled)), [12]);
    assert.deepEqual(g.tensorType(r)?.shape, [12]);
    assert.deepEqual(values(constantValue(g, r)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // N - 1 is known as an expression, not as a number.
    assert.equal(constantValue(g, minus), undefined);
    assert.deepEqual(g.tensorType(minus)?.shape, []);
  });

  it('reads initializers and Constant nodes of every value_* kind', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const ints = b.op('Constant', [], { value_ints: attr.ints([1, 2, 3]) });
    const f = b.op('Constant', [], { value_float: attr.float(0.5) });
    const t = b.op('Constant', [], { value: tensorFromValues('int32', [2, 2], [1, 2, 3, 4]) });
    const s = b.op('Constant', [], { value_strings: ['a', 'bc'] });
    const i = b.op('Constant', [], { value_int: attr.int(7) });
    const fs = b.op('Constant', [], { value_floats: attr.floats([0.25, 4]) });
    const str = b.op('Constant', [], { value_string: 'hi' });
    const sparse = b.node('Constant', [], {}, { name: 'sparse' });
    sparse.attrs.set('sparse_value', {
      type: 'sparseTensor',
      value: { values: tensorFromValues('float32', [2], [5, 6]), indices: tensorFromValues('int64', [2], [1, 5]), dims: [2, 3] },
    });
    const init = b.ints('axes', [0, 2]);
    const model = buildModel(b);
    const g = model.graph;
    // Constant nodes and initializers are readable before any inference.
    assert.deepEqual(values(constantValue(g, ints)), [1, 2, 3]);
    inferShapes(model);
    assert.deepEqual(g.tensorType(ints), { kind: 'tensor', dtype: 'int64', shape: [3] });
    assert.deepEqual(g.tensorType(f), { kind: 'tensor', dtype: 'float32', shape: [] });
    assert.deepEqual(values(constantValue(g, f)), [0.5]);
    assert.deepEqual(constantValue(g, t)?.dims, [2, 2]);
    assert.deepEqual(g.tensorType(s), { kind: 'tensor', dtype: 'string', shape: [2] });
    assert.equal(constantValue(g, s)?.dtype, 'string');
    assert.deepEqual(values(constantValue(g, init)), [0, 2]);
    assert.deepEqual(g.tensorType(i), { kind: 'tensor', dtype: 'int64', shape: [] });
    assert.deepEqual(values(constantValue(g, i)), [7]);
    assert.deepEqual(values(constantValue(g, fs)), [0.25, 4]);
    assert.deepEqual(g.tensorType(str), { kind: 'tensor', dtype: 'string', shape: [] });
    assert.deepEqual(g.tensorType(sparse.outputs[0]!), { kind: 'tensor', dtype: 'float32', shape: [2, 3] });
    assert.deepEqual(values(constantValue(g, sparse.outputs[0]!)), [0, 5, 0, 0, 0, 6]);
    assert.equal(constantValue(g, 'nothing'), undefined);
  });

  it('an initializer that is also a graph input is a default a caller may override (IR ≥ 4), not a constant', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2, 6]);
    const shape = b.ints('shape', [3, 4]);
    b.graph.addInput(shape, { kind: 'tensor', dtype: 'int64', shape: [2] });
    const y = b.op('Reshape', [x, shape]);
    const model = buildModel(b);
    inferShapes(model);
    assert.equal(constantValue(model.graph, shape), undefined);
    assert.deepEqual(model.graph.tensorType(y)?.shape, [null, null]);
    model.irVersion = 3;
    inferShapes(model);
    assert.deepEqual(values(constantValue(model.graph, shape)), [3, 4]);
    assert.deepEqual(model.graph.tensorType(y)?.shape, [3, 4]);
  });

  it('keeps INT64_MAX exact through Concat into constantValue', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const big = b.initializer('big', new Tensor('int64', [1], BigInt64Array.from([9223372036854775807n])));
    const c = b.concat([b.ints('one', [1]), big], 0);
    const model = buildModel(b);
    inferShapes(model);
    assert.deepEqual([...(constantValue(model.graph, c)!.data as BigInt64Array)], [1n, 9223372036854775807n]);
  });

  it('dims option: inference on sizes instead of symbols, declared types untouched', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 4, 8]);
    const y = b.op('Reshape', [x, b.ints('s', [-1, 8])]);
    const model = buildModel(b);
    inferShapes(model, { dims: { N: 3 } });
    assert.deepEqual(model.graph.tensorType(y)?.shape, [12, 8]);
    assert.deepEqual(model.graph.value(x)?.type, { kind: 'tensor', dtype: 'float32', shape: ['N', 4, 8] });
    inferShapes(model);
    assert.deepEqual(model.graph.tensorType(y)?.shape, ['N*4', 8]);
  });
});
