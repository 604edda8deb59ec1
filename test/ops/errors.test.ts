import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { inferShapes } from '../../src/ops/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { C, F, I64, W, inferOne, type Arg } from './helpers.js';

interface ErrorCase {
  name: string;
  op: string;
  args: readonly Arg[];
  attrs?: Record<string, ReturnType<typeof attr.ints> | number | string>;
  opset?: number;
  outputs?: number;
  /** The pinned message. */
  message: string;
}

const SUFFIX = '; fix the model or the shapes of its inputs';

const CASES: ErrorCase[] = [
  { name: 'Reshape whose element count cannot match', op: 'Reshape', args: [F(2, 3, 4), I64(5, 5)], message: 'Reshape "n": cannot reshape [2, 3, 4] (24 elements) to [5, 5]: the new shape holds 25' },
  { name: 'Reshape -1 that does not divide', op: 'Reshape', args: [F(2, 3, 4), I64(5, -1)], message: 'Reshape "n": cannot reshape [2, 3, 4] (24 elements) to [5, -1]: 24 is not a multiple of 5' },
  { name: 'Reshape with two -1', op: 'Reshape', args: [F(2, 3, 4), I64(-1, -1)], message: 'Reshape "n": shape [-1, -1] has more than one -1' },
  { name: 'Concat of mismatched dims', op: 'Concat', args: [F('N', 3, 8), F('N', 4, 8)], attrs: { axis: 2 }, message: 'Concat "n": inputs [N, 3, 8], [N, 4, 8] differ in dim 1 (concatenating on axis 2): 3 vs 4' },
  { name: 'Squeeze of a dim that is not 1', op: 'Squeeze', args: [F('N', 3), I64(1)], message: 'Squeeze "n": cannot squeeze axis 1 of [N, 3]: its size is 3, not 1' },
  { name: 'Split that does not divide', op: 'Split', args: [F(2, 7)], attrs: { axis: 1 }, outputs: 2, message: 'Split "n": axis 1 of [2, 7] (size 7) does not split evenly into 2 outputs' },
  { name: 'Split sizes that do not sum', op: 'Split', args: [F(2, 7), I64(3, 3)], attrs: { axis: 1 }, outputs: 2, message: 'Split "n": split [3, 3] sums to 6, but axis 1 of [2, 7] has 7' },
  { name: 'MatMul inner dims', op: 'MatMul', args: [F('N', 4, 5), F(6, 2)], message: 'MatMul "n": inner dims of [N, 4, 5] × [6, 2] differ: 5 vs 6' },
  { name: 'Gemm inner dims', op: 'Gemm', args: [F(3, 4), W(5, 6)], message: 'Gemm "n": inner dims of A [3, 4] and B [5, 6] differ (transA 0, transB 0): 4 vs 5' },
  { name: 'Conv channels', op: 'Conv', args: [F('N', 3, 8, 8), W(8, 4, 3, 3)], message: 'Conv "n": input channels [N, 3, 8, 8] must equal weight channels × group ([8, 4, 3, 3], group 1): 3 vs 4' },
  { name: 'Conv kernel larger than the input', op: 'Conv', args: [F(1, 1, 2, 8), W(1, 1, 3, 3)], message: 'Conv "n": spatial axis 0: input 2 padded to 2 is smaller than the window 3 (kernel 3, dilation 1)' },
  { name: 'SpaceToDepth that does not divide', op: 'SpaceToDepth', args: [F(1, 8, 19, 16)], attrs: { blocksize: 2 }, message: 'SpaceToDepth "n": H and W of [1, 8, 19, 16] must divide by blocksize 2' },
  { name: 'Gather index out of range', op: 'Gather', args: [F(4, 3), C('int64', [1], [4])], message: 'Gather "n": index 4 is out of range for axis 0 of [4, 3] (size 4)' },
  { name: 'axis out of range', op: 'Softmax', args: [F(2, 3)], attrs: { axis: 2 }, message: 'Softmax "n": axis 2 is out of range for rank 2 (allowed -2..1)' },
  { name: 'BatchNormalization parameters of the wrong size', op: 'BatchNormalization', args: [F(1, 4, 2, 2), W(3), W(4), W(4), W(4)], message: 'BatchNormalization "n": input 1 (c1) [3] must have one value per channel of X [1, 4, 2, 2]: 4 vs 3' },
];

describe('contradictions are TandemError SHAPE_INFERENCE naming the node', () => {
  for (const c of CASES) {
    it(c.name, () => {
      assert.throws(
        () => inferOne(c.op, c.args, c.attrs ?? {}, { opset: c.opset ?? 17, outputs: c.outputs ?? 1 }),
        (e: unknown) => {
          assert.ok(isTandemError(e, 'SHAPE_INFERENCE'), String(e));
          assert.equal(e.message, c.message + SUFFIX);
          return true;
        },
      );
    });
  }

  it('with strict: false a contradiction is reported and inference goes on', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2, 3]);
    const bad = b.op('Add', [x, b.initializer('w4', W(4).tensor)], {}, { name: 'bad' });
    const after = b.relu(bad);
    const fine = b.relu(x);
    const model = buildModel(b);
    const report = inferShapes(model, { strict: false });
    assert.equal(report.issues.length, 1);
    assert.equal(report.issues[0]!.node, 'bad');
    assert.match(report.issues[0]!.message, /cannot broadcast shapes \[2, 3\] and \[4\]/);
    assert.deepEqual(report.unresolved, [bad, after]);
    assert.deepEqual(model.graph.tensorType(fine)?.shape, [2, 3]);
  });

  it('a Reshape is only checked where the element count is known', () => {
    const build = (batch: number | string) => {
      const b = new GraphBuilder('g', { opset: 17 });
      const x = b.input('x', 'float32', [batch, 16]);
      const r = b.op('Reshape', [b.relu(b.matmul(x, W(16, 8).tensor)), b.ints('s', [3, -1])], {}, { name: 'head/reshape' });
      return { model: buildModel(b), r };
    };
    // N*8 elements into [3, -1]: right for some N, so the -1 stays unknown.
    const symbolic = build('N');
    inferShapes(symbolic.model);
    assert.deepEqual(symbolic.model.graph.tensorType(symbolic.r)?.shape, [3, null]);
    assert.throws(
      () => inferShapes(build(4).model),
      (e: unknown) => isTandemError(e, 'SHAPE_INFERENCE') && e.message.startsWith('Reshape "head/reshape": cannot reshape [4, 8] (32 elements) to [3, -1]'),
    );
  });
});
