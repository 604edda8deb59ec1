import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { inferShapes, modelCost, nodeCost } from '../../src/ops/index.js';
import { W, inferOne, F } from './helpers.js';

const zeros = (...dims: number[]) => tensorFromValues('float32', dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(0));

describe('cost', () => {
  it('Conv MACs = N × K × Hout × Wout × C/group × kh × kw; FLOPs = 2 × MACs + bias adds', () => {
    for (const [group, c, k] of [[1, 16, 32], [4, 16, 32], [16, 16, 16]] as const) {
      const r = inferOne('Conv', [F(2, c, 20, 18), W(k, c / group, 3, 3), W(k)], { group, strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) });
      const node = r.model.graph.nodes[0]!;
      const cost = nodeCost(r.model.graph, node);
      const [hOut, wOut] = [10, 9];
      const macs = 2 * k * hOut * wOut * (c / group) * 3 * 3;
      assert.equal(cost.macs, macs);
      assert.equal(cost.flops, 2 * macs + 2 * k * hOut * wOut);
      assert.equal(cost.params, k * (c / group) * 9 + k);
      assert.equal(cost.paramBytes, 4 * cost.params);
      assert.equal(cost.bytesRead, 4 * (2 * c * 20 * 18) + cost.paramBytes);
      assert.equal(cost.bytesWritten, 4 * 2 * k * hOut * wOut);
      assert.equal(cost.known, true);
    }
  });

  it('MatMul MACs = batch × M × K × N; Gemm adds the C term', () => {
    const mm = inferOne('MatMul', [F(3, 4, 5, 6), F(4, 6, 7)]);
    const c1 = nodeCost(mm.model.graph, mm.model.graph.nodes[0]!);
    assert.equal(c1.macs, 3 * 4 * 5 * 6 * 7);
    assert.equal(c1.flops, 2 * c1.macs);
    assert.equal(c1.params, 0, 'graph inputs are not parameters');
    const gemm = inferOne('Gemm', [F(8, 64), W(10, 64), W(10)], { transB: 1 });
    const c2 = nodeCost(gemm.model.graph, gemm.model.graph.nodes[0]!);
    assert.equal(c2.macs, 8 * 64 * 10);
    assert.equal(c2.flops, 2 * 8 * 64 * 10 + 8 * 10);
    assert.equal(c2.params, 64 * 10 + 10);
  });

  it('symbolic dims make the cost unknown, not zero; a dims map makes it known', () => {
    const r = inferOne('MatMul', [F('N', 16), W(16, 4)]);
    const node = r.model.graph.nodes[0]!;
    const unknown = nodeCost(r.model.graph, node);
    assert.equal(unknown.known, false);
    assert.ok(Number.isNaN(unknown.macs) && Number.isNaN(unknown.bytesRead));
    assert.equal(unknown.params, 64, 'parameters do not depend on shapes');
    const known = nodeCost(r.model.graph, node, { dims: { N: 5 } });
    assert.equal(known.macs, 5 * 16 * 4);
    assert.equal(known.known, true);
  });

  it('ops without arithmetic cost bytes only; config inputs are not parameters', () => {
    const r = inferOne('Reshape', [F(2, 3, 4), { kind: 'const', tensor: tensorFromValues('int64', [2], [6, 4]) }]);
    const c = nodeCost(r.model.graph, r.model.graph.nodes[0]!);
    assert.deepEqual({ macs: c.macs, flops: c.flops, params: c.params }, { macs: 0, flops: 0, params: 0 });
    assert.equal(c.bytesRead, 24 * 4 + 16);
    assert.equal(c.bytesWritten, 24 * 4);
  });

  it('model totals equal the sum of the nodes; shared weights count once in params', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [1, 3, 16, 16]);
    let y = b.relu(b.conv(x, zeros(8, 3, 3, 3), zeros(8), { pads: [1, 1, 1, 1] }));
    y = b.maxPool(y, { kernel: [2, 2], strides: [2, 2] });
    y = b.softmax(b.gemm(b.flatten(b.globalAveragePool(y)), zeros(8, 10)), -1);
    const shared = b.initializer('shared', zeros(10));
    const a1 = b.add(y, shared);
    b.output(b.mul(a1, shared));
    const model = buildModel(b);
    inferShapes(model);
    const cost = modelCost(model);
    assert.equal(cost.known, true);
    assert.deepEqual(cost.unknownNodes, []);
    const nodes = [...cost.perNode.values()];
    for (const k of ['macs', 'flops', 'bytesRead', 'bytesWritten'] as const) assert.equal(cost.totals[k], nodes.reduce((s, c) => s + c[k], 0), k);
    assert.equal(cost.totals.params, 8 * 27 + 8 + 80 + 10);
    assert.equal(nodes.reduce((s, c) => s + c.params, 0), cost.totals.params + 10, 'the per-node sum counts the shared tensor twice');
    assert.equal(cost.totals.macs, 8 * 16 * 16 * 27 + 8 * 10);
  });

  it('nodes with unknown cost are listed and left out of the totals', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 4]);
    const y = b.relu(b.matmul(x, zeros(4, 4)));
    b.output(b.op('NonMaxSuppression', [b.input('boxes', 'float32', [1, 10, 4]), b.input('scores', 'float32', [1, 1, 10])]));
    b.output(y);
    const model = buildModel(b);
    inferShapes(model);
    const cost = modelCost(model);
    assert.equal(cost.known, false);
    assert.deepEqual(cost.unknownNodes.map((n) => n.op).sort(), ['MatMul', 'NonMaxSuppression', 'Relu']);
    const withDims = modelCost(model, { dims: { N: 2 } });
    assert.deepEqual(withDims.unknownNodes.map((n) => n.op), ['NonMaxSuppression']);
    assert.equal(withDims.totals.macs, 2 * 4 * 4);
  });
});
