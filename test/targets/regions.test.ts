import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GraphBuilder } from '../../src/ir/builder.js';
import { IdRuns } from '../../src/targets/id-runs.js';
import { build, filled, run, verdict } from './helpers.js';

/** Regions (one DLA loadable each), crossings and the region diagnostics (reference G8, G9, G10, 4c). */

/** A 3x3 conv keeping the channel count, named `name`. */
function conv(b: GraphBuilder, x: string, name: string, channels = 8): string {
  return b.op('Conv', [x, b.initializer('w', filled([channels, channels, 3, 3]))], { pads: [1, 1, 1, 1] }, { name });
}

/** A node with no DLA path (Erf), named `name`. */
function gpu(b: GraphBuilder, x: string, name: string): string {
  return b.op('Erf', [x], {}, { name });
}

const regionOf = (a: ReturnType<typeof run>, name: string): string | undefined => verdict(a, name).region;

describe('regions', () => {
  it('a chain split by a GPU node makes two regions and four crossings, sized at INT8 and FP16', () => {
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 16, 16]);
        return conv(b, gpu(b, conv(b, x, 'c1'), 'e'), 'c2');
      }),
    );
    assert.deepEqual(
      a.regions.map((r) => [r.id, r.nodes]),
      [
        ['R1', ['c1']],
        ['R2', ['c2']],
      ],
    );
    assert.deepEqual(
      a.crossings.map((c) => [c.from, c.to, c.bytes.int8, c.bytes.fp16]),
      [
        ['input', 'R1', 2048, 4096],
        ['R1', 'gpu', 2048, 4096],
        ['gpu', 'R2', 2048, 4096],
        ['R2', 'output', 2048, 4096],
      ],
    );
    assert.equal(a.summary.crossings, 4);
    assert.deepEqual(a.summary.crossingBytes, { int8: 8192, fp16: 16384 });
    assert.deepEqual(a.regions[0]!.inputs, ['x']);
    assert.equal(verdict(a, 'e').region, undefined);
  });

  it('parallel DLA branches that meet again form one region', () => {
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 16, 16]);
        return b.op('Add', [conv(b, x, 'c1'), conv(b, x, 'c2')], {}, { name: 'add' });
      }),
    );
    assert.equal(a.regions.length, 1);
    assert.deepEqual([...a.regions[0]!.nodes].sort(), ['add', 'c1', 'c2']);
    assert.deepEqual(a.regions[0]!.intermediateBytes, { int8: 4096, fp16: 8192 });
  });

  it('a region stays convex: a node reached again through the GPU starts a new region', () => {
    // c1 → c2 → add, and c1 → erf → c3 → add: add cannot join c1's region (the path through erf would
    // leave it and come back), so it joins c3's.
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 16, 16]);
        const c1 = conv(b, x, 'c1');
        const c2 = conv(b, c1, 'c2');
        const c3 = conv(b, gpu(b, c1, 'e'), 'c3');
        return b.op('Add', [c2, c3], {}, { name: 'add' });
      }),
    );
    assert.equal(regionOf(a, 'c1'), regionOf(a, 'c2'));
    assert.equal(regionOf(a, 'c3'), regionOf(a, 'add'));
    assert.notEqual(regionOf(a, 'c1'), regionOf(a, 'add'));
    assert.ok(a.crossings.some((c) => c.from === regionOf(a, 'c1') && c.to === regionOf(a, 'add')), 'c2 crosses from one loadable to the other');
  });

  it('two regions are not merged when a GPU path runs between them', () => {
    // c1 → erf → c2, and add(c1', c2) where c1' = conv(c1): merging c1's and c2's regions at add would
    // put erf on a cycle.
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 16, 16]);
        const c1 = conv(b, x, 'c1');
        const c2 = conv(b, gpu(b, c1, 'e'), 'c2');
        return b.op('Add', [conv(b, c1, 'c1b'), c2], {}, { name: 'add' });
      }),
    );
    assert.equal(regionOf(a, 'c1'), regionOf(a, 'c1b'));
    assert.equal(regionOf(a, 'c2'), regionOf(a, 'add'));
    assert.equal(a.regions.length, 2);
  });

  it('one DLA batch per region (G8): a batch change starts a new region', () => {
    // On the CPU profile every node runs, so only the batch separates them.
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 4, 4]);
        const r = b.op('Reshape', [b.op('Relu', [x], {}, { name: 'r1' }), b.constant('s', 'int64', [4], [2, 4, 4, 4])], {}, { name: 'reshape' });
        return b.op('Relu', [r], {}, { name: 'r2' });
      }),
      { target: 'cpu' },
    );
    assert.deepEqual(
      a.regions.map((r) => [r.batch, r.nodes]),
      [
        [1, ['r1']],
        [2, ['reshape', 'r2']],
      ],
    );
  });

  it('nodes folded at build time and removed Dropouts do not split a region', () => {
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 16, 16]);
        const c1 = conv(b, x, 'c1');
        const d = b.op('Dropout', [c1], {}, { name: 'drop' });
        const shape = b.op('Shape', [d], {}, { name: 'shape' });
        return b.op('Reshape', [conv(b, d, 'c2'), shape], {}, { name: 'reshape' });
      }),
    );
    assert.equal(a.regions.length, 1);
    assert.deepEqual(a.regions[0]!.nodes, ['c1', 'c2', 'reshape']);
    assert.equal(verdict(a, 'drop').placement, 'build');
    assert.equal(verdict(a, 'shape').placement, 'build');
    assert.deepEqual(a.summary.nodes, { total: 5, onTarget: 3, fallback: 0, build: 2 });
  });

  it('suggests formats that avoid reformats: kDLA_HWC4 for a 3-channel image into a conv, kCHW32/16 elsewhere (4b, 4c)', () => {
    const model = (): ReturnType<typeof build> =>
      build((b) => {
        const x = b.input('image', 'float32', [1, 3, 32, 32]);
        const y = b.op('Conv', [x, b.initializer('w', filled([8, 3, 3, 3]))], { pads: [1, 1, 1, 1] }, { name: 'c' });
        return gpu(b, y, 'e');
      });
    const int8 = run(model());
    assert.deepEqual(
      int8.crossings.map((c) => c.format),
      ['--inputIOFormats=int8:dla_hwc4', 'int8:chw32'],
    );
    assert.deepEqual(
      run(model(), { precision: 'fp16' }).crossings.map((c) => c.format),
      ['--inputIOFormats=fp16:dla_hwc4', 'fp16:chw16'],
    );
  });

  it('suggests no vectorised format for a tensor that is not 4-D (kCHW32/16 are NCHW formats)', () => {
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 8, 8]);
        const tokens = b.input('tokens', 'float32', [1, 16, 8]);
        const m = b.op('MatMul', [tokens, b.initializer('b', filled([8, 8]))], {}, { name: 'm' });
        return [gpu(b, conv(b, x, 'c'), 'e'), gpu(b, m, 'e2')];
      }),
    );
    const flat = a.crossings.filter((c) => c.shape?.length === 3);
    assert.ok(flat.length > 0, JSON.stringify(a.crossings));
    for (const c of flat) assert.equal(c.format, undefined, `${c.tensor} ${JSON.stringify(c.shape)}`);
    assert.ok(a.crossings.filter((c) => c.shape?.length === 4).every((c) => c.format !== undefined));
  });
});

describe('region diagnostics', () => {
  /** `n` DLA regions, each a conv, separated by GPU nodes. */
  function alternating(n: number): ReturnType<typeof build> {
    return build((b) => {
      let t = b.input('x', 'float32', [1, 8, 8, 8]);
      for (let i = 0; i < n; i++) {
        t = conv(b, t, `c${i}`);
        if (i < n - 1) t = gpu(b, t, `e${i}`);
      }
      return t;
    });
  }

  it('16 regions fit one DLA core; 17 are flagged (G9)', () => {
    const at = run(alternating(16));
    assert.equal(at.regions.length, 16);
    assert.ok(!at.diagnostics.some((d) => d.rule === 'region.count'));
    const past = run(alternating(17));
    assert.equal(past.regions.length, 17);
    const d = past.diagnostics.find((x) => x.rule === 'region.count');
    assert.ok(d, 'region.count expected');
    assert.equal(d.regions?.length, 17);
    assert.ok(past.summary.warnings.some((w) => w.startsWith('region.count: 17 DLA regions')));
  });

  it('flags regions doing little of the work (heuristic, configurable)', () => {
    const model = (): ReturnType<typeof build> =>
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 32, 32]);
        let t = x;
        for (let i = 0; i < 10; i++) t = conv(b, t, `c${i}`);
        return b.op('Relu', [gpu(b, t, 'e')], {}, { name: 'tail' });
      });
    const a = run(model());
    assert.deepEqual(a.diagnostics.find((d) => d.rule === 'region.small')?.regions, ['R2']);
    assert.ok(!run(model(), { minRegionFlopShare: 0 }).diagnostics.some((d) => d.rule === 'region.small'));
  });

  it('intermediate tensors of a region must stay below 1 GiB (G10): 768 MiB at INT8 passes, 1.5 GiB at FP16 does not', () => {
    const model = (): ReturnType<typeof build> =>
      build((b) => {
        let t = b.input('x', 'float32', [1, 16, 4096, 4096]);
        for (let i = 0; i < 4; i++) t = b.op('Relu', [t], {}, { name: `r${i}` });
        return t;
      });
    const int8 = run(model());
    assert.equal(int8.regions[0]!.intermediateBytes.int8, 3 * 2 ** 28);
    assert.ok(!int8.diagnostics.some((d) => d.rule === 'region.memory'));
    const fp16 = run(model(), { precision: 'fp16' });
    assert.ok(fp16.diagnostics.some((d) => d.rule === 'region.memory'));
  });

  it('crossing bytes are null where a shape is not static', () => {
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', ['batch', 8, 4, 4]);
        return b.op('Relu', [x], {}, { name: 'r' });
      }),
      { target: 'cpu' },
    );
    assert.deepEqual(a.crossings[0]?.bytes, { int8: null, fp16: null });
  });
});

describe('IdRuns', () => {
  it('keeps sorted runs through union and removal', () => {
    const a = IdRuns.of(1).union(IdRuns.of(2)).union(IdRuns.of(5));
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => a.has(i)), [false, true, true, false, false, true, false]);
    assert.equal(a.union(IdRuns.of(2)), a, 'a union that adds nothing returns the same set');
    const b = a.union(IdRuns.of(3)).union(IdRuns.of(4)).without([2]);
    assert.deepEqual([1, 2, 3, 4, 5].map((i) => b.has(i)), [true, false, true, true, true]);
    assert.ok(IdRuns.EMPTY.isEmpty);
  });

  it('a long chain alternating DLA and GPU nodes makes one region per DLA node', () => {
    const a = run(
      build((b) => {
        let t = b.input('x', 'float32', [1, 8, 4, 4]);
        for (let i = 0; i < 300; i++) t = gpu(b, b.op('Relu', [t], {}, { name: `r${i}` }), `e${i}`);
        return t;
      }),
    );
    assert.equal(a.regions.length, 300);
    assert.equal(verdict(a, 'r299').region, 'R300');
    assert.equal(a.crossings.length, 600);
  });
});
