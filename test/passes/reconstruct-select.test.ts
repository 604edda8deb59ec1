import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareModel } from '../../src/passes/prepare-model.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { RECONSTRUCT_CUM_SUM } from '../../src/passes/reconstruct-cum-sum.js';
import { RECONSTRUCT_GATHER } from '../../src/passes/reconstruct-gather.js';
import { RECONSTRUCT_SCATTER } from '../../src/passes/reconstruct-scatter.js';
import { RECONSTRUCT_WHERE } from '../../src/passes/reconstruct-where.js';
import { build, checkPass, checkUnchanged } from './helpers.js';

const i64 = (dims: number[], values: number[]) => tensorFromValues('int64', dims, values);

/** Indices of dims `shape` that repeat `list` along `axis`. */
function broadcastIndices(shape: number[], axis: number, list: number[]) {
  const n = shape.reduce((a, b) => a * b, 1);
  const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return i64(shape, Array.from({ length: n }, (_, i) => list[Math.floor(i / stride) % shape[axis]!]!));
}

describe('reconstruct-gather (R-GATHER)', () => {
  it('turns Gather on axes 1, 2 and 3 into 1x1 Convs (with Transposes for 2 and 3)', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 5, 6, 7]);
      return [
        b.op('Gather', [x, b.initializer('i1', i64([3], [4, 0, -1]))], { axis: 1 }),
        b.op('Gather', [x, b.initializer('i2', i64([2], [5, 1]))], { axis: 2 }),
        b.op('Gather', [x, b.initializer('i3', i64([4], [0, 0, 6, 3]))], { axis: -1 }),
      ];
    });
    await checkPass(RECONSTRUCT_GATHER, m, { Gather: 0, Conv: 3, Transpose: 4 });
  });
  it('turns GatherElements with a broadcast index list into a 1x1 Conv', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 4, 3, 3]);
      return [b.op('GatherElements', [x, b.initializer('idx', broadcastIndices([1, 2, 3, 3], 1, [3, 1]))], { axis: 1 })];
    });
    await checkPass(RECONSTRUCT_GATHER, m, { GatherElements: 0, Conv: 1 });
  });
  it('leaves Gather on axis 0, with scalar or run-time indices', () => {
    checkUnchanged(
      RECONSTRUCT_GATHER,
      build((b) => {
        const x = b.input('x', 'float32', [2, 5, 6, 7]);
        const idx = b.input('idx', 'int64', [2]);
        return [
          b.op('Gather', [x, b.initializer('i0', i64([1], [1]))], { axis: 0 }),
          b.op('Gather', [x, b.initializer('s', i64([], [1]))], { axis: 1 }),
          b.op('Gather', [x, idx], { axis: 1 }),
        ];
      }),
    );
  });
});

describe('reconstruct-scatter (R-SCATTER)', () => {
  it('turns ScatterElements with broadcast index lists on axes 1 and 3 into Mul + Conv + Add', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 5, 3, 4]);
      const u = b.input('u', 'float32', [1, 2, 3, 4]);
      const w = b.input('w', 'float32', [1, 5, 3, 2]);
      return [
        b.op('ScatterElements', [x, b.initializer('i1', broadcastIndices([1, 2, 3, 4], 1, [4, 1])), u], { axis: 1 }),
        b.op('ScatterElements', [x, b.initializer('i3', broadcastIndices([1, 5, 3, 2], 3, [0, -1])), w], { axis: 3 }),
      ];
    });
    await checkPass(RECONSTRUCT_SCATTER, m, { ScatterElements: 0, Conv: 2, Mul: 2, Add: 2, Transpose: 3 });
  });
  it('leaves scatters with reduction, repeated indices or per-element indices', () => {
    checkUnchanged(
      RECONSTRUCT_SCATTER,
      build((b) => {
        const x = b.input('x', 'float32', [1, 5, 2, 2]);
        const u = b.input('u', 'float32', [1, 2, 2, 2]);
        return [
          b.op('ScatterElements', [x, b.initializer('a', broadcastIndices([1, 2, 2, 2], 1, [4, 1])), u], { axis: 1, reduction: 'add' }),
          b.op('ScatterElements', [x, b.initializer('r', broadcastIndices([1, 2, 2, 2], 1, [3, 3])), u], { axis: 1 }),
          b.op('ScatterElements', [x, b.initializer('e', i64([1, 2, 2, 2], [0, 1, 2, 3, 4, 0, 1, 2])), u], { axis: 1 }),
        ];
      }),
    );
  });
});

describe('reconstruct-where (R-WHERE)', () => {
  it('turns Where with constant per-channel and per-row conditions into Concat + 1x1 Conv', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 3, 4, 5]);
      const y = b.input('y', 'float32', [2, 3, 4, 5]);
      const c = b.initializer('c', tensorFromValues('bool', [1, 3, 1, 1], [1, 0, 1]));
      const r = b.initializer('r', tensorFromValues('bool', [4, 1], [0, 1, 1, 0]));
      return [b.op('Where', [c, x, y]), b.op('Where', [r, x, y])];
    });
    await checkPass(RECONSTRUCT_WHERE, m, { Where: 0, Concat: 2, Conv: 2, Transpose: 3 });
  });
  it('leaves Where with a run-time or 2-D condition, or a constant branch', () => {
    checkUnchanged(
      RECONSTRUCT_WHERE,
      build((b) => {
        const x = b.input('x', 'float32', [1, 3, 4, 5]);
        const y = b.input('y', 'float32', [1, 3, 4, 5]);
        const cond = b.input('cond', 'bool', [1, 3, 1, 1]);
        const grid = b.initializer('g', tensorFromValues('bool', [1, 1, 4, 5], Array.from({ length: 20 }, (_, i) => i % 2)));
        const ch = b.initializer('ch', tensorFromValues('bool', [1, 3, 1, 1], [1, 0, 1]));
        return [b.op('Where', [cond, x, y]), b.op('Where', [grid, x, y]), b.op('Where', [ch, x, b.scalar(0)])];
      }),
    );
  });
});

describe('reconstruct-cumsum (R-CUMSUM)', () => {
  it('turns CumSum on axes 1 and 2 (plain, exclusive, reverse) into triangular 1x1 Convs', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 6, 5, 3]);
      const ax = (a: number) => b.constant('axis', 'int64', [], [a]);
      return [b.op('CumSum', [x, ax(1)]), b.op('CumSum', [x, ax(2)], { exclusive: 1 }), b.op('CumSum', [x, ax(-1)], { reverse: 1, exclusive: 1 })];
    });
    await checkPass(RECONSTRUCT_CUM_SUM, m, { CumSum: 0, Conv: 3 });
  });
  it('refuses an extent whose extent×extent weight passes the limit, and prepare reports why', () => {
    const m = build((b) => [b.op('CumSum', [b.input('x', 'float32', [1, 40000, 1, 1]), b.constant('axis', 'int64', [], [1])])]);
    const t0 = performance.now();
    const { model: out, report } = prepareModel(m, { passes: ['reconstruct-cumsum'], keep: 'all' });
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(out.graph.nodes.filter((n) => n.op === 'CumSum').length, 1);
    const rec = report.passes[0]!;
    assert.equal(rec.applied.length, 0);
    assert.equal(rec.rejected.length, 1);
    assert.match(rec.rejected[0]!.reason, /triangular weight would be 40000×40000 float32 \(6103\.5 MiB\); the limit is 16\.0 MiB \(extent 2048 at float32\)/);
  });
  it('leaves CumSum along the batch axis or of integers', () => {
    checkUnchanged(
      RECONSTRUCT_CUM_SUM,
      build((b) => {
        const ax = (a: number) => b.constant('axis', 'int64', [], [a]);
        return [b.op('CumSum', [b.input('x', 'float32', [2, 3, 4, 5]), ax(0)]), b.op('CumSum', [b.input('k', 'int32', [1, 3, 4, 5]), ax(1)])];
      }),
    );
  });
});
