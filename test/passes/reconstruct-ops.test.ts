import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECONSTRUCT_DEPTH_TO_SPACE } from '../../src/passes/reconstruct-depth-to-space.js';
import { RECONSTRUCT_GLOBAL_MAX_POOL } from '../../src/passes/reconstruct-global-max-pool.js';
import { RECONSTRUCT_LOGIC } from '../../src/passes/reconstruct-logic.js';
import { RECONSTRUCT_NEG } from '../../src/passes/reconstruct-neg.js';
import { RECONSTRUCT_REDUCE_SUM } from '../../src/passes/reconstruct-reduce-sum.js';
import { RECONSTRUCT_SPACE_TO_DEPTH } from '../../src/passes/reconstruct-space-to-depth.js';
import { build, checkPass, checkUnchanged } from './helpers.js';

describe('reconstruct-logic (R-AND, R-OR, R-XOR, R-NOT)', () => {
  it('turns a group of And/Or/Xor/Not into float 0/1 arithmetic with casts only at its edges', async () => {
    const m = build((b) => {
      const a = b.input('a', 'bool', [1, 4, 2, 2]);
      const c = b.input('c', 'bool', [1, 4, 2, 2]);
      const d = b.input('d', 'bool', [1, 4, 2, 2]);
      const and = b.op('And', [a, c]);
      const or = b.op('Or', [and, d]);
      const xor = b.op('Xor', [or, a]);
      return [b.op('Not', [xor]), and];
    });
    // 3 casts in (a, c, d), 2 out (the two graph outputs)
    await checkPass(RECONSTRUCT_LOGIC, m, { And: 0, Or: 0, Xor: 0, Not: 0, Cast: 5, Mul: 1, Add: 1, Clip: 1, Sub: 2, Abs: 1 });
  });
  const single = { And: ['Mul'], Or: ['Add', 'Clip'], Xor: ['Sub', 'Abs'], Not: ['Sub'] } as const;
  for (const [op, into] of Object.entries(single)) {
    it(`R-${op.toUpperCase()}: ${op} alone → ${into.join(' + ')} between Casts`, async () => {
      const m = build((b) => {
        const a = b.input('a', 'bool', [1, 3, 2, 2]);
        const c = b.input('c', 'bool', [1, 3, 2, 2]);
        return [b.op(op, op === 'Not' ? [a] : [a, c])];
      });
      await checkPass(RECONSTRUCT_LOGIC, m, { [op]: 0, Cast: op === 'Not' ? 2 : 3, ...Object.fromEntries(into.map((x) => [x, 1])) });
    });
  }
  it('leaves logic on 2-D tensors or with a constant operand', () => {
    checkUnchanged(
      RECONSTRUCT_LOGIC,
      build((b) => {
        const a = b.input('a', 'bool', [4, 2]);
        const c = b.input('c', 'bool', [1, 4, 2, 2]);
        return [b.op('And', [a, a]), b.op('Or', [c, b.constant('t', 'bool', [1, 4, 2, 2], new Array<number>(16).fill(1))])];
      }),
    );
  });
});

describe('reconstruct-neg (R-NEG)', () => {
  it('turns Neg into Mul by -1', async () => {
    await checkPass(RECONSTRUCT_NEG, build((b) => [b.op('Neg', [b.input('x', 'float32', [1, 3, 4, 4])])]), { Neg: 0, Mul: 1 });
  });
  it('leaves integer Neg', () => {
    checkUnchanged(RECONSTRUCT_NEG, build((b) => [b.op('Neg', [b.input('x', 'int32', [1, 3])])]));
  });
});

describe('reconstruct-depth-to-space (R-D2S)', () => {
  it('turns DepthToSpace in DCR and CRD mode into ConvTranspose', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 18, 3, 4]);
      return [b.op('DepthToSpace', [x], { blocksize: 3 }), b.op('DepthToSpace', [x], { blocksize: 3, mode: 'CRD' })];
    });
    await checkPass(RECONSTRUCT_DEPTH_TO_SPACE, m, { DepthToSpace: 0, ConvTranspose: 2 });
  });
  it('leaves blocksizes above the DLA deconv limit', () => {
    checkUnchanged(RECONSTRUCT_DEPTH_TO_SPACE, build((b) => [b.op('DepthToSpace', [b.input('x', 'float32', [1, 529, 1, 1])], { blocksize: 23 })]));
  });
});

describe('reconstruct-space-to-depth (R-S2D)', () => {
  it('turns SpaceToDepth into a strided Conv', async () => {
    await checkPass(RECONSTRUCT_SPACE_TO_DEPTH, build((b) => [b.op('SpaceToDepth', [b.input('x', 'float32', [2, 5, 8, 12])], { blocksize: 4 })]), { SpaceToDepth: 0, Conv: 1 });
  });
  it('leaves blocksizes above the DLA stride limit', () => {
    checkUnchanged(RECONSTRUCT_SPACE_TO_DEPTH, build((b) => [b.op('SpaceToDepth', [b.input('x', 'float32', [1, 1, 9, 9])], { blocksize: 9 })]));
  });
});

describe('reconstruct-reduce-sum (R-RSUM)', () => {
  it('turns ReduceSum over C into a ones 1x1 Conv and over H,W into pools times the count', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 6, 12, 10]);
      const axes = (v: number[]) => b.ints('axes', v);
      return [b.op('ReduceSum', [x, axes([1])]), b.op('ReduceSum', [x, axes([2, 3])], { keepdims: 0 })];
    });
    const { model } = await checkPass(RECONSTRUCT_REDUCE_SUM, m, { ReduceSum: 0, Conv: 1, Mul: 1, Reshape: 1 });
    assert.deepEqual(
      model.graph.nodes.filter((n) => n.op === 'AveragePool').map((n) => n.attrs.ints('kernel_shape')!.join('x')),
      ['6x5', '2x2'],
    );
  });
  it('leaves sums over the batch axis or over extents with large prime factors', () => {
    checkUnchanged(
      RECONSTRUCT_REDUCE_SUM,
      build((b) => {
        const x = b.input('x', 'float32', [2, 6, 13, 4]);
        return [b.op('ReduceSum', [x, b.ints('a', [0])]), b.op('ReduceSum', [x, b.ints('h', [2])])];
      }),
    );
  });
});

describe('reconstruct-global-max-pool (R-GMP)', () => {
  it('turns GlobalMaxPool over 23x10 into MaxPools within window 8 / stride 16', async () => {
    const { model } = await checkPass(RECONSTRUCT_GLOBAL_MAX_POOL, build((b) => [b.op('GlobalMaxPool', [b.input('x', 'float32', [1, 3, 23, 10])])]), { GlobalMaxPool: 0 });
    for (const n of model.graph.nodes) {
      assert.equal(n.op, 'MaxPool');
      assert.ok(n.attrs.ints('kernel_shape')!.every((k) => k <= 8));
      assert.ok(n.attrs.ints('strides')!.every((s) => s <= 16));
    }
  });
  it('leaves a GlobalMaxPool of a dynamic or 1x1 map', () => {
    checkUnchanged(
      RECONSTRUCT_GLOBAL_MAX_POOL,
      build((b) => [b.op('GlobalMaxPool', [b.input('x', 'float32', [1, 3, 'h', 'w'])]), b.op('GlobalMaxPool', [b.input('y', 'float32', [1, 3, 1, 1])])]),
    );
  });
});
