import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEquivalent } from '../../src/runtime/verify.js';
import type { AttributeInput } from '../../src/ir/attribute.js';
import type { GraphBuilder } from '../../src/ir/builder.js';
import { DECOMPOSE_LOG_REDUCTIONS } from '../../src/passes/decompose-log-reductions.js';
import { DECOMPOSE_NORMALIZATION } from '../../src/passes/decompose-normalization.js';
import { UNROLL_RECURRENT } from '../../src/passes/unroll-recurrent.js';
import { build, checkPass, checkUnchanged, opHistogram, randomTensor, type OutputSpec } from './helpers.js';

const GATES = { GRU: 3, LSTM: 4, RNN: 1 } as const;

/** A recurrent node over X [seq, batch, in] (layout 0) or [batch, seq, in] (layout 1); outputs as asked. */
interface RecurrentSpec {
  layout: 0 | 1;
  seq: number;
  batch: number;
  input: number;
  hidden: number;
  initial?: boolean;
  attrs?: Record<string, AttributeInput>;
  outputs: number;
  /** Write layout 1 as Transposes around a layout-0 node (onnxruntime's CPU kernels take layout 0 only). */
  viaSeqFirst?: boolean;
}

function recurrent(b: GraphBuilder, cell: keyof typeof GATES, o: RecurrentSpec): OutputSpec[] {
  const g = GATES[cell];
  const { layout, seq, batch, input, hidden } = o;
  const wrap = o.viaSeqFirst === true && layout === 1;
  const xIn = b.input('x', 'float32', layout === 0 ? [seq, batch, input] : [batch, seq, input]);
  const x = wrap ? b.transpose(xIn, [1, 0, 2]) : xIn;
  const stateShape = layout === 0 ? [1, batch, hidden] : [batch, 1, hidden];
  const state = (name: string) => (wrap ? b.transpose(b.input(name, 'float32', stateShape), [1, 0, 2]) : b.input(name, 'float32', stateShape));
  const h0 = o.initial ? state('h0') : undefined;
  const c0 = o.initial && cell === 'LSTM' ? state('c0') : undefined;
  const inputs = [x, b.initializer('W', randomTensor([1, g * hidden, input], 1)), b.initializer('R', randomTensor([1, g * hidden, hidden], 2)), b.initializer('B', randomTensor([1, 2 * g * hidden], 3)), undefined, h0, c0];
  while (inputs.at(-1) === undefined) inputs.pop();
  const shapes = [layout === 0 ? [seq, 1, batch, hidden] : [batch, seq, 1, hidden], stateShape, stateShape];
  const names = Array.from({ length: o.outputs }, (_, i) => ['y', 'y_h', 'y_c'][i]!);
  const outs = b.opMulti(cell, inputs, { hidden_size: hidden, layout: layout === 1 && !wrap ? 1 : undefined, ...o.attrs }, { outputs: wrap ? o.outputs : names });
  if (wrap) outs.forEach((t, i) => b.op('Transpose', [t], { perm: i === 0 ? [2, 0, 1, 3] : [1, 0, 2] }, { outputs: [names[i]!] }));
  // the op table has no GRU/LSTM/RNN rows: output shapes are declared here
  return names.map((name, i) => [name, shapes[i]!] as const);
}

describe('unroll-recurrent (R-GRU, LSTM, RNN)', () => {
  it('unrolls a batch-first GRU without initial state (the recipe case)', async () => {
    // onnxruntime cannot run layout 1 itself: the reference is the same GRU seq-first between Transposes
    const spec: RecurrentSpec = { layout: 1, seq: 4, batch: 2, input: 5, hidden: 3, outputs: 2 };
    const unrolled = UNROLL_RECURRENT.run(build((b) => recurrent(b, 'GRU', spec)));
    assert.equal(unrolled.applied.length, 1);
    assert.equal(opHistogram(unrolled.model)['GRU'], undefined);
    const report = await checkEquivalent(build((b) => recurrent(b, 'GRU', { ...spec, viaSeqFirst: true })), unrolled.model, { tolerance: 1e-5 });
    assert.ok(report.ok, JSON.stringify(report.outputs));
  });
  it('unrolls a seq-first GRU with initial state and linear_before_reset', async () => {
    await checkPass(UNROLL_RECURRENT, build((b) => recurrent(b, 'GRU', { layout: 0, seq: 3, batch: 2, input: 4, hidden: 6, initial: true, attrs: { linear_before_reset: 1 }, outputs: 2 })), { GRU: 0 });
  });
  it('unrolls an LSTM with initial state and all three outputs', async () => {
    await checkPass(UNROLL_RECURRENT, build((b) => recurrent(b, 'LSTM', { layout: 0, seq: 5, batch: 1, input: 3, hidden: 4, initial: true, outputs: 3 })), { LSTM: 0 });
  });
  it('unrolls a one-step RNN with Relu', async () => {
    await checkPass(UNROLL_RECURRENT, build((b) => recurrent(b, 'RNN', { layout: 0, seq: 1, batch: 2, input: 3, hidden: 4, attrs: { activations: ['Relu'] }, outputs: 2 })), { RNN: 0 });
  });
  it('leaves bidirectional, clipped and dynamic-length recurrences', () => {
    checkUnchanged(UNROLL_RECURRENT, build((b) => recurrent(b, 'GRU', { layout: 0, seq: 3, batch: 1, input: 2, hidden: 2, attrs: { clip: 1.5 }, outputs: 2 })));
    checkUnchanged(UNROLL_RECURRENT, build((b) => recurrent(b, 'LSTM', { layout: 0, seq: 3, batch: 1, input: 2, hidden: 2, attrs: { direction: 'bidirectional' }, outputs: 2 })));
    checkUnchanged(
      UNROLL_RECURRENT,
      build((b) => {
        const x = b.input('x', 'float32', ['seq', 1, 2]);
        const [y, h] = b.opMulti('RNN', [x, b.initializer('W', randomTensor([1, 2, 2], 1)), b.initializer('R', randomTensor([1, 2, 2], 2))], { hidden_size: 2 }, { outputs: 2 });
        return [[y!, ['seq', 1, 1, 2]], [h!, [1, 1, 2]]];
      }),
    );
  });
});

describe('decompose-normalization (R-NORM)', () => {
  it('writes LayerNormalization out over the last axis and over C,H,W', async () => {
    const m = build((b) => {
      const t = b.input('t', 'float32', [2, 6, 8]);
      const x = b.input('x', 'float32', [1, 4, 3, 3]);
      return [b.layerNorm(t, randomTensor([8], 1, 0.5, 1.5), randomTensor([8], 2)), b.layerNorm(x, randomTensor([4, 3, 3], 3), randomTensor([4, 3, 3], 4), 1)];
    });
    await checkPass(DECOMPOSE_NORMALIZATION, m, { LayerNormalization: 0, ReduceMean: 4, Sqrt: 2, Div: 2 });
  });
  it('writes InstanceNormalization, MeanVarianceNormalization and GroupNormalization (opset 18 and 21) out', async () => {
    const body = (b: GraphBuilder) => {
      const x = b.input('x', 'float32', [2, 6, 4, 5]);
      const inst = b.op('InstanceNormalization', [x, b.initializer('s', randomTensor([6], 1, 0.5, 1.5)), b.initializer('bias', randomTensor([6], 2))], { epsilon: 1e-3 });
      const mvn = b.op('MeanVarianceNormalization', [x]);
      const groups = b.opset >= 21 ? 6 : 3;
      const gn = b.op('GroupNormalization', [x, b.initializer('gs', randomTensor([groups], 3, 0.5, 1.5)), b.initializer('gb', randomTensor([groups], 4))], { num_groups: 3 });
      return [inst, mvn, gn];
    };
    await checkPass(DECOMPOSE_NORMALIZATION, build(body, 18), { InstanceNormalization: 0, MeanVarianceNormalization: 0, GroupNormalization: 0 });
    await checkPass(DECOMPOSE_NORMALIZATION, build(body, 21), { InstanceNormalization: 0, MeanVarianceNormalization: 0, GroupNormalization: 0 });
  });
  it('leaves GroupNormalization of unknown channels, and normalizations whose statistics outputs are read', () => {
    checkUnchanged(
      DECOMPOSE_NORMALIZATION,
      build((b) => {
        const x = b.input('x', 'float32', [1, 'c', 4, 4]);
        const u = b.input('u', 'float32', [2, 8]);
        const [y, mean] = b.opMulti('LayerNormalization', [u, b.initializer('s', randomTensor([8], 1))], {}, { outputs: 2 });
        const gn = b.op('GroupNormalization', [x, b.initializer('gs', randomTensor([2], 3)), b.initializer('gb', randomTensor([2], 4))], { num_groups: 2 });
        return [[gn, [1, 'c', 4, 4]], y!, mean!];
      }, 18),
    );
  });
  it('writes LayerNormalization of a symbolic batch out, which then runs at any batch', async () => {
    const m = build((b) => [[b.layerNorm(b.input('t', 'float32', ['n', 5, 8]), randomTensor([8], 1, 0.5, 1.5), randomTensor([8], 2)), ['n', 5, 8]]]);
    await checkPass(DECOMPOSE_NORMALIZATION, m, { LayerNormalization: 0 }, { dims: { n: 3 } });
  });
});

describe('decompose-log-reductions (R-NORM)', () => {
  it('writes LogSoftmax, ReduceLogSum and ReduceLogSumExp out, stable for large inputs', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 5, 3]);
      const big = b.mul(x, 300);
      return [
        b.op('LogSoftmax', [big], { axis: 1 }),
        b.op('ReduceLogSum', [b.op('Abs', [x])], { axes: [2], keepdims: 0 }),
        b.op('ReduceLogSumExp', [big], { axes: [1, 2], keepdims: 0 }),
        b.op('ReduceLogSumExp', [x], { axes: [0] }),
      ];
    });
    await checkPass(DECOMPOSE_LOG_REDUCTIONS, m, { LogSoftmax: 0, ReduceLogSum: 0, ReduceLogSumExp: 0 });
  });
  it('leaves opset-11 LogSoftmax on an inner axis (it flattens from there)', () => {
    checkUnchanged(DECOMPOSE_LOG_REDUCTIONS, build((b) => [b.op('LogSoftmax', [b.input('x', 'float32', [2, 5, 3])], { axis: 1 })], 11));
  });
});
