import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTandemError } from '../../src/util/errors.js';
import { F, T, U, W, inferOne, type ShapeCase } from './helpers.js';

const CASES: ShapeCase[] = [
  { name: 'numpy broadcast with a symbolic batch', op: 'Add', args: [F('N', 1, 8), F(3, 1)], want: [['N', 3, 8]] },
  { name: 'broadcast with a scalar', op: 'Mul', args: [F(2, 3), F()], want: [[2, 3]] },
  { name: 'same symbol on both sides', op: 'Sub', args: [F('N', 4), F('N', 1)], want: [['N', 4]] },
  { name: 'two different symbols: unknown, not a guess', op: 'Add', args: [F('N', 4), F('M', 4)], want: [[null, 4]] },
  { name: 'a number other than 1 wins over a symbol', op: 'Add', args: [F('N'), F(5)], want: [[5]] },
  { name: '1 against a symbol', op: 'Div', args: [F(1), F('N')], want: [['N']] },
  { name: 'unknown rank on one side', op: 'Add', args: [U(), F(3)], want: [undefined] },
  { name: 'Pow with an integer exponent keeps the base type', op: 'Pow', args: [F(2, 3), T('int64', [])], want: [[2, 3]] },
  { name: 'Equal is bool', op: 'Equal', args: [T('int64', [4]), T('int64', [1])], want: [[4]] },
  { name: 'Where broadcasts all three', op: 'Where', args: [T('bool', ['N', 1, 1]), F(1, 5, 1), F(6)], want: [['N', 5, 6]] },
  { name: 'Sum of three', op: 'Sum', args: [F(2, 1, 4), F(3, 1), F(4)], want: [[2, 3, 4]] },
  { name: 'Max of one', op: 'Max', args: [F('N', 2)], want: [['N', 2]] },
  { name: 'PRelu keeps the shape of X', op: 'PRelu', args: [F('N', 8, 4, 4), W(8, 1, 1)], want: [['N', 8, 4, 4]] },
  { name: 'Clip with min and max inputs', op: 'Clip', args: [F('N', 3), W(), W()], want: [['N', 3]] },
  { name: 'Sigmoid', op: 'Sigmoid', args: [F('N', 3, 'H')], want: [['N', 3, 'H']] },
  { name: 'Gelu (opset 20)', op: 'Gelu', args: [F('N', 197, 768)], opset: 20, want: [['N', 197, 768]] },
  { name: 'legacy broadcast with axis (opset 6)', op: 'Add', args: [F(2, 3, 4, 5), F(3, 4)], attrs: { broadcast: 1, axis: 1 }, opset: 6, want: [[2, 3, 4, 5]] },
];

describe('elementwise op shapes and types', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = inferOne(c.op, c.args, c.attrs ?? {}, { opset: c.opset ?? 17 });
      assert.deepEqual(r.types.map((t) => t?.shape), c.want);
    });
  }

  it('element types: comparisons give bool, Cast gives its target, Where gives X', () => {
    assert.equal(inferOne('Less', [F(2), F(2)]).types[0]?.dtype, 'bool');
    assert.equal(inferOne('Not', [T('bool', [2])]).types[0]?.dtype, 'bool');
    assert.equal(inferOne('IsNaN', [F(2)]).types[0]?.dtype, 'bool');
    assert.equal(inferOne('Where', [T('bool', [2]), T('int32', [2]), T('int32', [1])]).types[0]?.dtype, 'int32');
    assert.equal(inferOne('Cast', [F(2)], { to: 7 }).types[0]?.dtype, 'int64');
    assert.equal(inferOne('Cast', [F(2)], { to: 'DOUBLE' }, { opset: 5 }).types[0]?.dtype, 'float64');
    assert.equal(inferOne('CastLike', [F(2), T('float16', [1])], {}, { opset: 15 }).types[0]?.dtype, 'float16');
  });

  it('a broadcast of 3 against 4 is a SHAPE_INFERENCE error naming the node and the shapes', () => {
    assert.throws(
      () => inferOne('Add', [F('N', 3, 8), F(4, 8)]),
      (e: unknown) => {
        assert.ok(isTandemError(e, 'SHAPE_INFERENCE'));
        assert.equal(e.message, 'Add "n": cannot broadcast shapes [N, 3, 8] and [4, 8]: dim -2 is 3 vs 4 and neither is 1; fix the model or the shapes of its inputs');
        assert.equal(e.details['node'], 'n');
        return true;
      },
    );
  });

  it('inputs of different element types are an error', () => {
    assert.throws(() => inferOne('Add', [F(2), T('int64', [2])]), (e: unknown) => isTandemError(e, 'SHAPE_INFERENCE') && /element types float32 and int64/.test(e.message));
  });
});
