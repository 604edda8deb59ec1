import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONVERT_MATMUL_TO_CONV } from '../../src/passes/convert-matmul-to-conv.js';
import { CONVERT_REDUCE_MEAN_TO_POOL } from '../../src/passes/convert-reduce-mean-to-pool.js';
import { CONVERT_RESIZE_SIZES_TO_SCALES } from '../../src/passes/convert-resize-sizes-to-scales.js';
import { MERGE_SHAPE_OPS } from '../../src/passes/merge-shape-ops.js';
import { REMOVE_NO_OPS } from '../../src/passes/remove-no-ops.js';
import { tensorValues } from '../../src/ir/tensor-values.js';
import { checkEquivalent } from '../../src/runtime/verify.js';
import { build, checkPass, checkUnchanged, opHistogram, randomTensor } from './helpers.js';

describe('convert-reduce-mean-to-pool', () => {
  it('turns a 7x7 mean into one AveragePool, a 12x20 mean into a chain, a channel mean into a 1x1 Conv', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 4, 7, 7]);
      const z = b.input('z', 'float32', [1, 4, 12, 20]);
      return [b.reduceMean(x, [2, 3]), b.reduceMean(z, [-1, -2], false), b.globalAveragePool(z), b.reduceMean(z, [1])];
    });
    const { model } = await checkPass(CONVERT_REDUCE_MEAN_TO_POOL, m, { ReduceMean: 0, GlobalAveragePool: 0, Conv: 1, Reshape: 1 });
    const pools = model.graph.nodes.filter((n) => n.op === 'AveragePool').map((n) => n.attrs.ints('kernel_shape')!.join('x'));
    // 7x7; 12x20 = (6x5)(2x4) twice
    assert.deepEqual(pools.sort(), ['2x4', '2x4', '6x5', '6x5', '7x7'].sort());
  });
  it('works with opset 18 axes inputs', async () => {
    const m = build((b) => [b.reduceMean(b.input('x', 'float32', [2, 3, 4, 4]), [2, 3])], 18);
    await checkPass(CONVERT_REDUCE_MEAN_TO_POOL, m, { ReduceMean: 0, AveragePool: 1 });
  });
  it('leaves means over an extent with a prime factor above 7, over the batch, or of 3-D tensors', () => {
    checkUnchanged(
      CONVERT_REDUCE_MEAN_TO_POOL,
      build((b) => {
        const x = b.input('x', 'float32', [1, 4, 11, 8]);
        return [b.reduceMean(x, [2, 3]), b.reduceMean(x, [0]), b.reduceMean(b.input('t', 'float32', [1, 16, 8]), [2])];
      }),
    );
  });
});

describe('convert-matmul-to-conv', () => {
  it('R-FC: ReduceMean → Squeeze → MatMul → Add becomes pool → 1x1 Conv (+ Reshape)', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 8, 1, 1]);
      const flat = b.squeeze(x, [2, 3]);
      const y = b.add(b.matmul(flat, randomTensor([8, 5], 1)), b.initializer('bias', randomTensor([5], 2)));
      const g = b.gemm(b.flatten(x, 1), randomTensor([3, 8], 3), randomTensor([3], 4), { transB: true, alpha: 0.5, beta: 2 });
      return [y, g];
    });
    await checkPass(CONVERT_MATMUL_TO_CONV, m, { MatMul: 0, Gemm: 0, Add: 0, Squeeze: 0, Flatten: 0, Conv: 2, Reshape: 2 });
  });
  it('R-FC with a symbolic batch (as PyTorch exports f.mean(dim=(2,3)) → Linear): Reshape targets keep the batch', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', ['batch', 8, 4, 4]);
      const pooled = b.reduceMean(x, [2, 3], false);
      return [[b.gemm(pooled, randomTensor([5, 8], 1), randomTensor([5], 2), { transB: true }), ['batch', 5]]];
    });
    const pooled = CONVERT_REDUCE_MEAN_TO_POOL.run(m).model;
    const fc = CONVERT_MATMUL_TO_CONV.run(pooled);
    assert.equal(fc.applied.length, 1);
    const clean = MERGE_SHAPE_OPS.run(fc.model).model;
    assert.deepEqual(opHistogram(clean), { AveragePool: 1, Conv: 1, Reshape: 1 });
    for (const batch of [1, 3]) assert.ok((await checkEquivalent(m, clean, { dims: { batch } })).ok);
  });
  it('SegFormer MLP on tokens: the views around the MatMul cancel after merge-shape-ops and remove-no-ops', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 16, 4, 6]);
      const tokens = b.transpose(b.reshape(x, [1, 16, 24]), [0, 2, 1]);
      const p = b.add(b.matmul(tokens, randomTensor([16, 8], 1)), b.initializer('bias', randomTensor([8], 2)));
      return [b.relu(b.reshape(b.transpose(p, [0, 2, 1]), [1, 8, 4, 6]))];
    });
    const { model } = await checkPass(CONVERT_MATMUL_TO_CONV, m, { MatMul: 0, Add: 0, Conv: 1 });
    const clean = REMOVE_NO_OPS.run(MERGE_SHAPE_OPS.run(model).model).model;
    assert.deepEqual(opHistogram(clean), { Conv: 1, Relu: 1 });
  });
  it('leaves MatMul of two activations and MatMul on plain 2-D inputs', () => {
    checkUnchanged(
      CONVERT_MATMUL_TO_CONV,
      build((b) => {
        const a = b.input('a', 'float32', [2, 8]);
        const c = b.input('c', 'float32', [8, 3]);
        return [b.matmul(a, c), b.matmul(a, randomTensor([8, 3], 1))];
      }),
    );
  });
});

describe('convert-resize-sizes-to-scales', () => {
  it('replaces integer-ratio sizes by scales', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 2, 4, 6]);
      return [b.resize(x, { sizes: [1, 2, 8, 18], mode: 'nearest' }), b.resize(x, { sizes: [1, 2, 2, 3], mode: 'linear' })];
    });
    const { model } = await checkPass(CONVERT_RESIZE_SIZES_TO_SCALES, m, { Resize: 2 });
    assert.ok(model.graph.nodes.every((n) => n.input(3) === undefined && n.input(2) !== undefined));
  });
  it('also where sizes are computed from shapes of a symbolic batch (PyTorch size=(x.shape[2], x.shape[3]))', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', ['n', 2, 4, 6]);
      const sizes = b.concat([b.slice(b.op('Shape', [x]), [0], [2]), b.ints('hw', [8, 12])], 0);
      return [[b.op('Resize', [x, '', '', sizes], { mode: 'nearest' }), ['n', 2, 8, 12]]];
    });
    const { model } = await checkPass(CONVERT_RESIZE_SIZES_TO_SCALES, m, { Resize: 1 }, { dims: { n: 2 } });
    assert.deepEqual(tensorValues(model.graph.initializer(model.graph.nodes.find((n) => n.op === 'Resize')!.inputs[2]!)!), [1, 1, 2, 2]);
  });
  it('leaves sizes whose ratio float32 cannot hold exactly', () => {
    checkUnchanged(CONVERT_RESIZE_SIZES_TO_SCALES, build((b) => [b.resize(b.input('x', 'float32', [1, 2, 3, 3]), { sizes: [1, 2, 7, 7], mode: 'nearest' })]));
  });
});
