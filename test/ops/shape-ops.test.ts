import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { Tensor } from '../../src/ir/tensor.js';
import { C, F, I64, T, U, W, inferOne, type Arg, type ShapeCase } from './helpers.js';

const ints = attr.ints;
/** [INT64_MAX]: the "to the end" that PyTorch writes into Slice. */
const toEnd = (): Arg => ({ kind: 'const', tensor: new Tensor('int64', [1], BigInt64Array.from([9223372036854775807n])) });

const CASES: ShapeCase[] = [
  { name: 'Reshape 0 copies, -1 infers', op: 'Reshape', args: [F('N', 4, 8, 8), I64(0, -1, 16)], want: [['N', 16, 16]] },
  { name: 'Reshape -1 over a symbolic batch', op: 'Reshape', args: [F('N', 4, 8, 8), I64(-1, 64)], want: [['N*4', 64]] },
  { name: 'Reshape allowzero keeps a literal 0', op: 'Reshape', args: [F(0, 4), I64(4, 0)], attrs: { allowzero: 1 }, opset: 14, want: [[4, 0]] },
  { name: 'Reshape with an unknown shape input of known length', op: 'Reshape', args: [F(2, 3), T('int64', [3])], want: [[null, null, null]] },
  { name: 'Reshape opset 1 shape attribute', op: 'Reshape', args: [F(2, 3)], attrs: { shape: ints([3, 2]) }, opset: 4, want: [[3, 2]] },
  { name: 'Flatten axis 1 with a symbolic batch', op: 'Flatten', args: [F('N', 512, 1, 1)], want: [['N', 512]] },
  { name: 'Flatten axis 0', op: 'Flatten', args: [F(2, 3, 4)], attrs: { axis: 0 }, want: [[1, 24]] },
  { name: 'Flatten negative axis', op: 'Flatten', args: [F('N', 3, 4)], attrs: { axis: -1 }, want: [['N*3', 4]] },
  { name: 'Flatten of unknown rank is still 2-D', op: 'Flatten', args: [U()], want: [[null, null]] },
  { name: 'Squeeze axes attribute (opset 11)', op: 'Squeeze', args: [F(1, 'N', 1, 3)], attrs: { axes: ints([0, -2]) }, opset: 11, want: [['N', 3]] },
  { name: 'Squeeze axes input (opset 13)', op: 'Squeeze', args: [F(1, 'N', 1, 3), I64(2)], opset: 13, want: [[1, 'N', 3]] },
  { name: 'Squeeze without axes on a static shape', op: 'Squeeze', args: [F(1, 3, 1, 2)], want: [[3, 2]] },
  { name: 'Squeeze without axes on a symbolic shape: rank unknown', op: 'Squeeze', args: [F(1, 'N', 3)], want: [undefined] },
  { name: 'Unsqueeze axes attribute (opset 11)', op: 'Unsqueeze', args: [F('N', 3)], attrs: { axes: ints([0, 3]) }, opset: 11, want: [[1, 'N', 3, 1]] },
  { name: 'Unsqueeze axes input, negative (opset 13)', op: 'Unsqueeze', args: [F('N', 3), I64(-1)], opset: 13, want: [['N', 3, 1]] },
  { name: 'Unsqueeze of a scalar', op: 'Unsqueeze', args: [F(), I64(0)], want: [[1]] },
  { name: 'Transpose default reverses', op: 'Transpose', args: [F('N', 3, 5)], want: [[5, 3, 'N']] },
  { name: 'Transpose perm', op: 'Transpose', args: [F('N', 3, 5, 7)], attrs: { perm: ints([0, 2, 3, 1]) }, want: [['N', 5, 7, 3]] },
  { name: 'Expand broadcasts both ways', op: 'Expand', args: [F(3, 1), I64(2, 1, 6)], want: [[2, 3, 6]] },
  { name: 'Expand with an unknown shape value of known length', op: 'Expand', args: [F(3, 1), T('int64', [3])], want: [[null, 3, null]] },
  { name: 'Expand with a shape input declared with 5,000 elements: rank unknown, no crash', op: 'Expand', args: [F(3, 1), T('int64', [5000])], want: [undefined] },
  { name: 'Tile', op: 'Tile', args: [F('N', 2, 3), I64(1, 3, 2)], want: [['N', 6, 6]] },
  { name: 'Concat adds symbolic sizes', op: 'Concat', args: [F('N', 'T', 8), F('N', 1, 8)], attrs: { axis: 1 }, want: [['N', 'T+1', 8]] },
  { name: 'Concat with an input of unknown shape', op: 'Concat', args: [F('N', 3, 8), U()], attrs: { axis: -1 }, want: [['N', 3, null]] },
  { name: 'Split attribute sizes (opset 11)', op: 'Split', args: [F('N', 10)], attrs: { axis: 1, split: ints([3, 7]) }, opset: 11, outputs: 2, want: [['N', 3], ['N', 7]] },
  { name: 'Split input sizes (opset 13)', op: 'Split', args: [F('N', 10), I64(4, 6)], attrs: { axis: -1 }, opset: 13, outputs: 2, want: [['N', 4], ['N', 6]] },
  { name: 'Split evenly', op: 'Split', args: [F(6, 'C')], outputs: 3, want: [[2, 'C'], [2, 'C'], [2, 'C']] },
  { name: 'Split evenly over a symbol that divides', op: 'Split', args: [F('N', 3)], attrs: { axis: 0 }, outputs: 1, want: [['N', 3]] },
  { name: 'Split num_outputs, last chunk smaller (opset 18)', op: 'Split', args: [F(2, 10)], attrs: { axis: 1, num_outputs: 3 }, opset: 18, outputs: 3, want: [[2, 4], [2, 4], [2, 2]] },
  { name: 'Slice attribute form (opset 9)', op: 'Slice', args: [F(10, 'N', 8)], attrs: { starts: ints([2, 1]), ends: ints([-1, 100]), axes: ints([0, 2]) }, opset: 9, want: [[7, 'N', 7]] },
  { name: 'Slice inputs with steps', op: 'Slice', args: [F(10, 20), I64(1, -1), I64(9, 0), I64(0, 1), I64(3, -4)], want: [[3, 5]] },
  { name: 'Slice negative step from the end', op: 'Slice', args: [F(10), I64(-1), I64(-1000), I64(0), I64(-1)], want: [[10]] },
  { name: 'Slice a whole symbolic dim to INT64_MAX', op: 'Slice', args: [F('N', 'T', 8), I64(0), toEnd(), I64(1)], want: [['N', 'T', 8]] },
  { name: 'Slice a symbolic dim from 1: unknown', op: 'Slice', args: [F('N', 'T', 8), I64(1), toEnd(), I64(1)], want: [['N', null, 8]] },
  { name: 'Slice with unknown starts: the sliced axes become unknown', op: 'Slice', args: [F('N', 5, 8), T('int64', [1]), I64(3), I64(2)], want: [['N', 5, null]] },
  { name: 'Pad attribute form (opset 2)', op: 'Pad', args: [F('N', 3, 4, 4)], attrs: { pads: ints([0, 0, 1, 2, 0, 0, 3, 4]) }, opset: 2, want: [['N', 3, 8, 10]] },
  { name: 'Pad input form (opset 11)', op: 'Pad', args: [F('N', 3, 'H', 4), I64(0, 0, 1, 1, 0, 0, 1, 1)], opset: 11, want: [['N', 3, 'H+2', 6]] },
  { name: 'Pad with axes (opset 18)', op: 'Pad', args: [F('N', 3, 4, 4), I64(1, 2, 3, 4), undefined, I64(-2, -1)], opset: 18, want: [['N', 3, 8, 10]] },
  { name: 'Pad with negative pads crops', op: 'Pad', args: [F(5, 5), I64(-1, 0, -2, 0)], want: [[2, 5]] },
  { name: 'DepthToSpace', op: 'DepthToSpace', args: [F('N', 16, 'H', 5)], attrs: { blocksize: 2 }, want: [['N', 4, 'H*2', 10]] },
  { name: 'SpaceToDepth', op: 'SpaceToDepth', args: [F('N', 3, 8, 6)], attrs: { blocksize: 2 }, want: [['N', 12, 4, 3]] },
  { name: 'Shape with start and end (opset 15)', op: 'Shape', args: [F('N', 3, 224, 224)], attrs: { start: 1, end: -1 }, want: [[2]] },
  { name: 'Shape of unknown rank', op: 'Shape', args: [U()], want: [[null]] },
  { name: 'Size is a scalar', op: 'Size', args: [F('N', 3)], want: [[]] },
  { name: 'Gather along axis 1 with a 2-D index', op: 'Gather', args: [F('N', 10, 4), T('int64', [2, 3])], attrs: { axis: 1 }, want: [['N', 2, 3, 4]] },
  { name: 'Gather with a scalar index drops the axis', op: 'Gather', args: [F('N', 10, 4), C('int64', [], [-1])], attrs: { axis: -2 }, want: [['N', 4]] },
  { name: 'GatherElements takes the index shape', op: 'GatherElements', args: [F(3, 4), T('int64', [3, 2])], attrs: { axis: 1 }, want: [[3, 2]] },
  { name: 'GatherND', op: 'GatherND', args: [F(2, 3, 4), T('int64', [5, 2])], want: [[5, 4]] },
  { name: 'GatherND with batch_dims', op: 'GatherND', args: [F('N', 3, 4), T('int64', ['N', 2, 1])], attrs: { batch_dims: 1 }, want: [['N', 2, 4]] },
  { name: 'ScatterElements keeps data', op: 'ScatterElements', args: [F('N', 4), T('int64', ['N', 2]), F('N', 2)], want: [['N', 4]] },
  { name: 'NonZero', op: 'NonZero', args: [F(3, 4)], want: [[2, null]] },
  { name: 'ConstantOfShape from a constant', op: 'ConstantOfShape', args: [I64(2, 3)], want: [[2, 3]] },
  { name: 'ConstantOfShape from a shape of known length only', op: 'ConstantOfShape', args: [T('int64', [3])], want: [[null, null, null]] },
  { name: 'Range with constants', op: 'Range', args: [C('int64', [], [2]), C('int64', [], [11]), C('int64', [], [3])], want: [[3]] },
  { name: 'Range with a negative delta', op: 'Range', args: [C('float32', [], [5]), C('float32', [], [0]), C('float32', [], [-1.5])], want: [[4]] },
  { name: 'OneHot inserts depth', op: 'OneHot', args: [T('int64', ['N', 5]), C('int64', [], [10]), W(2)], attrs: { axis: 1 }, want: [['N', 10, 5]] },
  { name: 'Identity', op: 'Identity', args: [F('N', 2)], want: [['N', 2]] },
  { name: 'QuantizeLinear per channel', op: 'QuantizeLinear', args: [F('N', 8, 4, 4), W(8), C('int8', [8], new Array(8).fill(0))], want: [['N', 8, 4, 4]] },
  { name: 'NonMaxSuppression', op: 'NonMaxSuppression', args: [F(1, 100, 4), F(1, 3, 100)], want: [[null, 3]] },
  { name: 'RoiAlign', op: 'RoiAlign', args: [F('N', 256, 50, 50), F('R', 4), T('int64', ['R'])], attrs: { output_height: 7, output_width: 7 }, want: [['R', 256, 7, 7]] },
  { name: 'GridSample', op: 'GridSample', args: [F('N', 3, 20, 20), F('N', 8, 9, 2)], opset: 16, want: [['N', 3, 8, 9]] },
];

describe('shape and movement op shapes', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = inferOne(c.op, c.args, c.attrs ?? {}, { opset: c.opset ?? 17, outputs: c.outputs ?? c.want.length });
      assert.deepEqual(r.types.map((t) => t?.shape), c.want);
    });
  }

  it('element types: Shape and Size are int64, ConstantOfShape takes its value type, Quantize its zero point', () => {
    assert.equal(inferOne('Shape', [F(2)]).types[0]?.dtype, 'int64');
    assert.equal(inferOne('Size', [F(2)]).types[0]?.dtype, 'int64');
    assert.equal(inferOne('ConstantOfShape', [I64(2)]).types[0]?.dtype, 'float32');
    assert.equal(inferOne('QuantizeLinear', [F(2), W()]).types[0]?.dtype, 'uint8');
    assert.equal(inferOne('QuantizeLinear', [F(2), W(), C('int8', [], [0])]).types[0]?.dtype, 'int8');
    assert.equal(inferOne('DequantizeLinear', [T('int8', [2]), T('float16', [])], {}, { opset: 19 }).types[0]?.dtype, 'float16');
    assert.equal(inferOne('DequantizeLinear', [T('int8', [2]), T('float16', [])], {}, { opset: 13 }).types[0]?.dtype, 'float32');
  });
});
