import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import type { GraphBuilder } from '../../src/ir/builder.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { TARGETS, analyze, getTarget, poolChain, resolveAnalyzeOptions } from '../../src/targets/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { N, build, check, filled, run, verdict } from './helpers.js';

/** analyze(): options, dynamic shapes, fixes (recipes, rewrites, post-processing), notes, the JSON form. */

function convOn(b: GraphBuilder, x: string, channels: number): string {
  return b.op('Conv', [x, b.initializer('w', filled([channels, channels, 1, 1]))], {}, { name: 'conv' });
}

describe('options', () => {
  it('an unknown target is a TandemError UNKNOWN_NAME that lists the targets', () => {
    assert.throws(
      () => getTarget('orin-gpu'),
      (e) => isTandemError(e, 'UNKNOWN_NAME') && e.message === 'unknown target "orin-gpu"; known: orin-dla, orin-dla-trt10, orin-dla-trt11, xavier-dla, gpu, cpu; `tandem targets` describes each',
    );
    assert.deepEqual([...TARGETS.keys()], ['orin-dla', 'orin-dla-trt10', 'orin-dla-trt11', 'xavier-dla', 'gpu', 'cpu']);
  });

  it('precision defaults to INT8 on DLA targets and FP16 elsewhere', () => {
    assert.equal(resolveAnalyzeOptions({ target: 'orin-dla' }).precision, 'int8');
    assert.equal(resolveAnalyzeOptions({ target: 'xavier-dla' }).precision, 'int8');
    assert.equal(resolveAnalyzeOptions({ target: 'gpu' }).precision, 'fp16');
    assert.equal(resolveAnalyzeOptions({ target: 'orin-dla', precision: 'fp16' }).precision, 'fp16');
  });

  it('rejects bad option values', () => {
    assert.throws(() => resolveAnalyzeOptions({ target: 'orin-dla', minRegionFlopShare: 2 }), (e) => isTandemError(e, 'USAGE'));
    assert.throws(() => resolveAnalyzeOptions({ target: 'orin-dla', dims: { batch: 0 } }), (e) => isTandemError(e, 'USAGE'));
  });
});

describe('dynamic shapes', () => {
  const model = (): ReturnType<typeof build> => build((b) => b.op('Relu', [b.input('x', 'float32', ['batch', 8, 4, 4])], {}, { name: N }));

  it('a symbolic dim is its own verdict (shape.dynamic), with the fix of fixing the dim', () => {
    const v = verdict(run(model()));
    assert.equal(v.rule, 'shape.dynamic');
    assert.equal(v.reason, 'input "x" has symbolic dim "batch" (shape batchx8x4x4); DLA layers do not support dynamic shapes in any dimension');
    assert.equal(v.fix?.kind, 'static-shape');
    assert.match(v.fix?.text ?? '', /--dims batch=<size>/);
  });

  it('--dims fixes it', () => {
    check(verdict(run(model(), { dims: { batch: 1 } })), true, 'batch=1');
  });

  it('the TensorRT GPU runs dynamic shapes', () => {
    check(verdict(run(model(), { target: 'gpu' })), true, 'gpu');
  });

  it('a Shape of a symbolic shape does not fold: shape.dynamic', () => {
    const a = run(build((b) => b.op('Shape', [b.input('x', 'float32', ['batch', 8, 4, 4])], {}, { name: N })));
    assert.equal(verdict(a).rule, 'shape.dynamic');
  });
});

describe('fixes', () => {
  it('GlobalAveragePool over 7x7 gets R-GAP; over 11x11 says why R-GAP does not apply', () => {
    const gap = (h: number) => run(build((b) => b.op('GlobalAveragePool', [b.input('x', 'float32', [1, 8, h, h])], {}, { name: N })));
    const ok = verdict(gap(7));
    assert.equal(ok.rule, 'op.no-dla');
    assert.deepEqual(ok.fix, { kind: 'recipe', recipe: 'R-GAP', text: 'R-GAP: AveragePool 7x7 (window ≤ 8)' });
    const no = verdict(gap(11));
    assert.equal(no.fix?.recipe, undefined);
    assert.match(no.reason ?? '', /R-GAP does not apply: extent 11x11 does not factor into pooling windows ≤ 8/);
  });

  it('pooling chains factor the extent into windows ≤ 8', () => {
    assert.deepEqual(poolChain(7), [7]);
    assert.deepEqual(poolChain(56), [8, 7]);
    assert.deepEqual(poolChain(64), [8, 8]);
    assert.equal(poolChain(11), undefined);
  });

  it('Gather of constant 1-D indices on the channel axis gets R-GATHER; on axis 0 it does not', () => {
    const gather = (axis: number) =>
      run(build((b) => b.op('Gather', [b.input('x', 'float32', [2, 8, 4, 4]), b.constant('i', 'int64', [2], [0, 1])], { axis: attr.int(axis) }, { name: N })));
    assert.equal(verdict(gather(1)).fix?.recipe, 'R-GATHER');
    assert.match(verdict(gather(0)).reason ?? '', /R-GATHER does not apply: it gathers along axis 0/);
  });

  it('a zero Pad before a Conv gets R-PAD when the merged pads satisfy C4', () => {
    const pad = (p: number) =>
      run(
        build((b) => {
          const x = b.input('x', 'float32', [1, 8, 16, 16]);
          const padded = b.op('Pad', [x, b.constant('p', 'int64', [8], [0, 0, p, p, 0, 0, p, p])], {}, { name: N });
          return b.op('Conv', [padded, b.initializer('w', filled([8, 8, 3, 3]))], {}, { name: 'conv' });
        }),
      );
    assert.deepEqual(verdict(pad(1)).fix, { kind: 'recipe', recipe: 'R-PAD', text: 'R-PAD: remove it and add [1,1,1,1] to the Conv pads' });
    assert.match(verdict(pad(3)).reason ?? '', /R-PAD does not apply: the merged Conv pads \[3,3,3,3\] would break C4/);
  });

  it('Resize by sizes gets R-RESIZE-SCALES with the scales, and says when they would still break Z3', () => {
    const resize = (size: number, mode: string) =>
      run(
        build((b) =>
          b.op('Resize', [b.input('x', 'float32', [1, 4, 8, 8]), '', '', b.constant('sizes', 'int64', [4], [1, 4, size, size])], { mode: attr.string(mode) }, { name: N }),
        ),
      );
    const nearest = verdict(resize(32, 'nearest'));
    assert.equal(nearest.rule, 'resize.scales-static');
    assert.equal(nearest.fix?.text, 'R-RESIZE-SCALES: replace sizes by constant scales [1,1,4,4]');
    assert.equal(verdict(resize(64, 'linear')).fix?.text, 'R-RESIZE-SCALES: replace sizes by constant scales [1,1,8,8] (then scale 8 (linear); DLA allows 1..4 for linear: resize.scale)');
  });

  it('Div by a constant on TensorRT 8.6.2 gets the Mul-by-reciprocal rewrite; on TensorRT 10 it runs', () => {
    const model = () => build((b) => b.op('Div', [b.input('x', 'float32', [1, 8, 4, 4]), b.scalar(4)], {}, { name: N }));
    const v = verdict(run(model()));
    assert.equal(v.rule, 'op.trt-version');
    assert.equal(v.fix?.kind, 'rewrite');
    check(verdict(run(model(), { target: 'orin-dla-trt10' })), true, 'trt10 INT8');
    check(verdict(run(model(), { target: 'orin-dla-trt10', precision: 'fp16' })), 'eltwise.div-operands', 'trt10 FP16 (E6: INT8 operand)');
  });

  it('HardSwish gets a rewrite into DLA layers', () => {
    const v = verdict(run(build((b) => b.op('HardSwish', [b.input('x', 'float32', [1, 8, 4, 4])], {}, { name: N }))));
    assert.equal(v.fix?.text, 'write it as x · Clip(x·0.166667 + 0.5, 0, 1): Mul, Add, Clip (max 1 is in the DLA clipped-ReLU range), Mul');
  });

  it('post-processing after the DLA part is cut off to the GPU; a GPU node between DLA nodes is not', () => {
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 4, 4]);
        const mid = b.op('Erf', [convOn(b, x, 8)], {}, { name: 'erf' });
        const y = b.op('Relu', [mid], {}, { name: 'relu' });
        return b.opMulti('TopK', [y, b.constant('k', 'int64', [1], [2])], {}, { name: 'topk', outputs: 2 });
      }),
    );
    assert.equal(verdict(a, 'topk').fix?.kind, 'cut-to-gpu');
    assert.equal(verdict(a, 'erf').fix, undefined);
  });

  it('a Cast falls back with its comparison (L-CMP K2)', () => {
    const model = () =>
      build((b) => {
        const g = b.op('Greater', [b.input('x', 'float32', [1, 8, 4, 4]), b.scalar(0)], {}, { name: 'gt' });
        return b.op('Cast', [g], { to: attr.int(10) }, { name: N });
      });
    assert.equal(verdict(run(model())).rule, 'cast.after-compare');
    check(verdict(run(model(), { target: 'orin-dla-trt10' })), true, 'trt10');
    check(verdict(run(model(), { target: 'orin-dla-trt10', precision: 'fp16' }), 'gt'), 'compare.precision', 'comparison in FP16 (K1)');
  });

  it('a comparison whose BOOL output is not cast at once falls back (K2)', () => {
    const a = run(
      build((b) => {
        const e = b.op('Equal', [b.input('x', 'float32', [1, 8, 4, 4]), b.scalar(0)], {}, { name: N });
        return b.op('Not', [e], {}, { name: 'not' });
      }),
    );
    check(verdict(a), 'compare.cast', 'Equal → Not');
  });
});

describe('rules that need more than one node or a profile difference', () => {
  it('AveragePool with exclusive padding falls back on Xavier only (P7), with an attribute fix', () => {
    const model = () => build((b) => b.op('AveragePool', [b.input('x', 'float32', [1, 8, 8, 8])], { kernel_shape: [2, 2], strides: [2, 2] }, { name: N }));
    check(verdict(run(model())), true, 'orin');
    const v = verdict(run(model(), { target: 'xavier-dla' }));
    check(v, 'pool.count-include-pad', 'xavier');
    assert.equal(v.fix?.text, 'set count_include_pad = 1: with no padding the result is identical');
  });

  it('Resize modes: TensorRT 10 rejects align_corners (Z4); TensorRT 8.6 runs it with a note', () => {
    const model = () =>
      build((b) =>
        b.op('Resize', [b.input('x', 'float32', [1, 8, 4, 4]), '', b.constant('s', 'float32', [4], [1, 1, 2, 2])], { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('align_corners') }, { name: N }),
      );
    const v86 = verdict(run(model()));
    check(v86, true, '8.6');
    assert.ok(v86.notes?.some((n) => n.startsWith('resize.mode: linear, align_corners: TensorRT 10 rejects')));
    check(verdict(run(model(), { target: 'orin-dla-trt10' })), 'resize.mode', 'trt10');
  });

  it('MatMul with an activation as B (attention) falls back; with constant B it runs', () => {
    const model = (constB: boolean) =>
      build((b) => {
        const x = b.input('x', 'float32', [1, 2, 16, 8]);
        const w = constB ? b.initializer('w', filled([8, 16])) : b.input('k', 'float32', [1, 2, 8, 16]);
        return b.op('MatMul', [x, w], {}, { name: N });
      });
    check(verdict(run(model(false))), 'matmul.constant-b', 'activation B');
    check(verdict(run(model(true))), true, 'constant B');
  });

  it('Reshape to 3-D and Transpose moving the batch dim fall back (SH2, UNCONF)', () => {
    const reshape = verdict(run(build((b) => b.op('Reshape', [b.input('x', 'float32', [1, 8, 4, 4]), b.constant('s', 'int64', [3], [1, 8, 16])], {}, { name: N }))));
    check(reshape, 'shuffle.rank', 'reshape 4-D → 3-D');
    const transpose = verdict(run(build((b) => b.op('Transpose', [b.input('x', 'float32', [1, 8, 4, 4])], { perm: [1, 0, 2, 3] }, { name: N }))));
    check(transpose, 'shuffle.batch', 'perm[0] = 1');
  });

  it('Concat along a spatial axis falls back; with a constant input too (G11)', () => {
    const spatial = verdict(run(build((b) => { const x = b.input('x', 'float32', [1, 8, 4, 4]); return b.op('Concat', [x, x], { axis: attr.int(2) }, { name: N }); })));
    check(spatial, 'concat.axis', 'axis 2');
    const constant = verdict(run(build((b) => b.op('Concat', [b.input('x', 'float32', [1, 8, 4, 4]), b.initializer('k', filled([1, 8, 4, 4]))], { axis: attr.int(1) }, { name: N }))));
    check(constant, 'concat.constant-input', 'constant input');
  });

  it('Slice: step 2 and slicing dim 0 fall back (S2, S3)', () => {
    const slice = (starts: number[], ends: number[], axes: number[], steps: number[]) =>
      verdict(
        run(
          build((b) =>
            b.op('Slice', [b.input('x', 'float32', [2, 8, 4, 4]), b.constant('a', 'int64', [starts.length], starts), b.constant('b', 'int64', [ends.length], ends), b.constant('c', 'int64', [axes.length], axes), b.constant('d', 'int64', [steps.length], steps)], {}, { name: N }),
          ),
        ),
      );
    check(slice([0], [8], [1], [2]), 'slice.step', 'step 2');
    check(slice([0], [1], [0], [1]), 'slice.batch-axis', 'dim 0');
    check(slice([0], [2], [0], [1]), true, 'dim 0 full range');
  });

  it('elementwise broadcast over H/W falls back (E5, UNCONF); per-channel constants pass', () => {
    const add = (shape: number[]) => verdict(run(build((b) => b.op('Add', [b.input('x', 'float32', [1, 8, 4, 4]), b.initializer('k', filled(shape))], {}, { name: N }))));
    check(add([1, 8, 1, 1]), true, 'per-channel');
    check(add([1]), true, 'uniform');
    check(add([1, 1, 4, 4]), 'eltwise.broadcast', 'spatial broadcast');
  });

  it('every problem of a node is reported at once', () => {
    const v = verdict(run(build((b) => b.op('Conv', [b.input('x', 'float32', [1, 1, 64, 64]), b.initializer('w', filled([1, 1, 33, 33]))], { strides: [9, 9], pads: [32, 32, 32, 32] }, { name: N }))));
    assert.deepEqual(
      v.problems?.map((p) => p.rule),
      ['conv.kernel-size', 'conv.stride', 'conv.padding'],
    );
  });
});

describe('the analysis as data', () => {
  const model = () =>
    build((b) => {
      const x = b.input('x', 'float32', [1, 8, 8, 8]);
      const y = b.op('Sigmoid', [convOn(b, x, 8)], {}, { name: 'sig' });
      return b.op('LayerNormalization', [y, b.initializer('s', filled([8])), b.initializer('b', filled([8]))], {}, { name: 'ln' });
    });

  it('lists every node in order with name, op, ok, placement, and adds up', () => {
    const a = run(model());
    assert.deepEqual(
      a.nodes.map((n) => [n.name, n.op, n.ok, n.placement, n.region]),
      [
        ['conv', 'Conv', true, 'target', 'R1'],
        ['sig', 'Sigmoid', true, 'target', 'R1'],
        ['ln', 'LayerNormalization', false, 'fallback', undefined],
      ],
    );
    const s = a.summary;
    assert.equal(s.nodes.total, s.nodes.onTarget + s.nodes.fallback + s.nodes.build);
    assert.equal(s.flops.total, s.flops.onTarget + s.flops.fallback);
    assert.equal(s.flops.onTarget, a.regions.reduce((t, r) => t + r.flops, 0));
    assert.equal(a.nodes[0]!.flops, 2 * 8 * 8 * 64);
    assert.match(s.basis, /not measured/);
  });

  it('carries notes of passing rules (INT8 upgrades), and survives JSON', () => {
    const a = run(model());
    assert.deepEqual(verdict(a, 'sig').notes, ['activation.int8-upgrade: Sigmoid and Tanh in INT8 are upgraded to FP16 on the DLA']);
    assert.equal(run(model(), { precision: 'fp16' }).nodes[1]!.notes, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  });

  it('notes the Conv → Add INT8 fusion (G19) on an Add fed by a Conv', () => {
    const a = run(build((b) => { const x = b.input('x', 'float32', [1, 8, 4, 4]); return b.op('Add', [convOn(b, x, 8), x], {}, { name: N }); }));
    assert.ok(verdict(a).notes?.some((n) => n.startsWith('eltwise.conv-add-int8: DLA ≥ 3.13 fuses Conv → Add in INT8')));
  });

  it('is the same on a second run of the same model', () => {
    const m = model();
    assert.deepEqual(analyze(m, { target: 'orin-dla' }), analyze(m, { target: 'orin-dla' }));
  });
});

describe('one notion of build-time constant for every rule', () => {
  /** Weights made by ops TensorRT folds at build: ConstantOfShape, Identity of an initializer, DequantizeLinear of constants. */
  const producers: [string, (b: GraphBuilder, dims: number[]) => string][] = [
    ['ConstantOfShape', (b, dims) => b.op('ConstantOfShape', [b.initializer('dims', tensorFromValues('int64', [dims.length], dims))], { value: { type: 'tensor', value: filled([1]) } })],
    ['Identity(initializer)', (b, dims) => b.op('Identity', [b.initializer('w0', filled(dims))])],
    ['DequantizeLinear(constant)', (b, dims) => b.op('DequantizeLinear', [b.initializer('q', filled(dims, 3, 'int8')), b.initializer('s', filled([], 0.1))])],
  ];
  for (const [what, make] of producers) {
    it(`Conv weights and BatchNormalization parameters from ${what} are constants alike`, () => {
      const a = run(
        build((b) => {
          const x = b.input('x', 'float32', [1, 8, 4, 4]);
          const y = b.op('Conv', [x, make(b, [8, 8, 1, 1]), make(b, [8])], {}, { name: 'conv' });
          return b.op('BatchNormalization', [y, make(b, [8]), make(b, [8]), make(b, [8]), make(b, [8])], {}, { name: 'bn' });
        }),
      );
      check(verdict(a, 'conv'), true, `${what}: conv`);
      check(verdict(a, 'bn'), true, `${what}: bn`);
    });
  }
  it('weights computed from a runtime input are not', () => {
    const a = run(
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 4, 4]);
        const w = b.op('Identity', [b.input('w', 'float32', [8, 8, 1, 1])]);
        return [b.op('Conv', [x, w], {}, { name: 'conv' }), b.op('BatchNormalization', [x, w, filledInit(b), filledInit(b), filledInit(b)], {}, { name: 'bn' })];
      }),
    );
    check(verdict(a, 'conv'), 'weights.constant', 'runtime weights');
    check(verdict(a, 'bn'), 'scale.constant', 'runtime scale');
  });
});

function filledInit(b: GraphBuilder): string {
  return b.initializer('p', filled([8]));
}
