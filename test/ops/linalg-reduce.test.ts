import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { C, F, I64, T, U, W, inferOne, type ShapeCase } from './helpers.js';

const ints = attr.ints;

const CASES: ShapeCase[] = [
  { name: 'MatMul batched with broadcast', op: 'MatMul', args: [F('N', 12, 197, 64), F('N', 12, 64, 197)], want: [['N', 12, 197, 197]] },
  { name: 'MatMul with a 2-D weight', op: 'MatMul', args: [F('N', 197, 768), W(768, 3072)], want: [['N', 197, 3072]] },
  { name: 'MatMul batch dims broadcast', op: 'MatMul', args: [F(1, 5, 2, 3), F(4, 1, 3, 6)], want: [[4, 5, 2, 6]] },
  { name: 'MatMul 1-D × 2-D drops M', op: 'MatMul', args: [F(3), F(3, 4)], want: [[4]] },
  { name: 'MatMul 2-D × 1-D drops N', op: 'MatMul', args: [F(2, 3), F(3)], want: [[2]] },
  { name: 'MatMul 1-D × 1-D is a scalar', op: 'MatMul', args: [F(3), F(3)], want: [[]] },
  { name: 'MatMul unknown rank', op: 'MatMul', args: [U(), F(3, 4)], want: [undefined] },
  { name: 'Gemm', op: 'Gemm', args: [F('N', 512), W(512, 1000), W(1000)], want: [['N', 1000]] },
  { name: 'Gemm transA transB', op: 'Gemm', args: [F(512, 'N'), W(1000, 512)], attrs: { transA: 1, transB: 1 }, want: [['N', 1000]] },
  { name: 'Einsum explicit', op: 'Einsum', args: [F('b', 4, 5), F(5, 6)], attrs: { equation: 'bij,jk->bik' }, want: [['b', 4, 6]] },
  { name: 'Einsum implicit output is sorted single labels', op: 'Einsum', args: [F(3, 4), F(4, 5)], attrs: { equation: 'ij,jk' }, want: [[3, 5]] },
  { name: 'Einsum with ellipsis', op: 'Einsum', args: [F('N', 2, 3, 4), F(4, 5)], attrs: { equation: '...ij,jk->...ik' }, want: [['N', 2, 3, 5]] },
  { name: 'Einsum trace to a scalar', op: 'Einsum', args: [F(3, 3)], attrs: { equation: 'ii->' }, want: [[]] },
  { name: 'ReduceMean axes attribute (opset 17)', op: 'ReduceMean', args: [F('N', 8, 7, 7)], attrs: { axes: ints([2, 3]) }, want: [['N', 8, 1, 1]] },
  { name: 'ReduceMean axes input (opset 18), keepdims 0', op: 'ReduceMean', args: [F('N', 8, 7, 7), I64(-1, -2)], attrs: { keepdims: 0 }, opset: 18, want: [['N', 8]] },
  { name: 'ReduceSum axes attribute (opset 11)', op: 'ReduceSum', args: [F('N', 8, 7)], attrs: { axes: ints([1]), keepdims: 0 }, opset: 11, want: [['N', 7]] },
  { name: 'ReduceSum axes input (opset 13)', op: 'ReduceSum', args: [F('N', 8, 7), I64(1)], opset: 13, want: [['N', 1, 7]] },
  { name: 'ReduceSum without axes reduces all', op: 'ReduceSum', args: [F('N', 8, 7)], attrs: { keepdims: 0 }, opset: 13, want: [[]] },
  { name: 'ReduceSum noop_with_empty_axes', op: 'ReduceSum', args: [F('N', 8, 7)], attrs: { noop_with_empty_axes: 1 }, opset: 13, want: [['N', 8, 7]] },
  { name: 'ReduceMax unknown axes with keepdims keeps the rank', op: 'ReduceMax', args: [F('N', 8, 7), T('int64', [1])], opset: 18, want: [[null, null, null]] },
  { name: 'ReduceMax unknown axes without keepdims: rank from the axes length', op: 'ReduceMax', args: [F('N', 8, 7), T('int64', [2])], attrs: { keepdims: 0 }, opset: 18, want: [[null]] },
  { name: 'ArgMax', op: 'ArgMax', args: [F('N', 1000)], attrs: { axis: -1, keepdims: 0 }, want: [['N']] },
  { name: 'ArgMin keepdims', op: 'ArgMin', args: [F('N', 10, 3)], attrs: { axis: 1 }, want: [['N', 1, 3]] },
  { name: 'Softmax keeps the shape', op: 'Softmax', args: [F('N', 12, 197, 197)], want: [['N', 12, 197, 197]] },
  { name: 'TopK K input (opset 10+)', op: 'TopK', args: [F('N', 1000), I64(5)], outputs: 2, want: [['N', 5], ['N', 5]] },
  { name: 'TopK k attribute (opset 9)', op: 'TopK', args: [F('N', 1000, 3)], attrs: { k: 5, axis: 1 }, opset: 9, outputs: 2, want: [['N', 5, 3], ['N', 5, 3]] },
  { name: 'TopK with unknown K', op: 'TopK', args: [F('N', 1000), T('int64', [1])], outputs: 2, want: [['N', null], ['N', null]] },
  { name: 'CumSum', op: 'CumSum', args: [F('N', 5), C('int32', [], [1])], want: [['N', 5]] },
];

describe('linear algebra and reduction shapes', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = inferOne(c.op, c.args, c.attrs ?? {}, { opset: c.opset ?? 17, outputs: c.outputs ?? c.want.length });
      assert.deepEqual(r.types.map((t) => t?.shape), c.want);
    });
  }

  it('ArgMax and TopK indices are int64; MatMulInteger is int32', () => {
    assert.equal(inferOne('ArgMax', [F(2, 3)]).types[0]?.dtype, 'int64');
    assert.deepEqual(inferOne('TopK', [F(4), I64(2)], {}, { outputs: 2 }).types.map((t) => t?.dtype), ['float32', 'int64']);
    assert.equal(inferOne('MatMulInteger', [T('uint8', [2, 3]), T('int8', [3, 4])]).types[0]?.dtype, 'int32');
  });
});
