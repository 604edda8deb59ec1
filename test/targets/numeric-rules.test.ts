import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr, type AttributeInput } from '../../src/ir/attribute.js';
import type { Model } from '../../src/ir/model.js';
import { cbufBanks } from '../../src/targets/rules/conv-rules.js';
import { ORIN_DLA_LIMITS, type AnalyzeOptions } from '../../src/targets/index.js';
import { N, build, check, filled, run, verdict, type Expect } from './helpers.js';

/**
 * For every numeric rule: a one-node model at the limit (accepted) and one past it (rejected with that
 * rule id). Limits are written here by hand from the reference (section 2), not read from the code.
 */

type Attrs = Record<string, AttributeInput | undefined>;

function conv(input: readonly number[], weight: readonly number[], attrs: Attrs = {}): Model {
  return build((b) => b.op('Conv', [b.input('x', 'float32', input), b.initializer('w', filled(weight))], attrs, { name: N }));
}

function deconv(input: readonly number[], weight: readonly number[], attrs: Attrs = {}): Model {
  return build((b) => b.op('ConvTranspose', [b.input('x', 'float32', input), b.initializer('w', filled(weight))], attrs, { name: N }));
}

function pool(op: string, input: readonly number[], attrs: Attrs): Model {
  return build((b) => b.op(op, [b.input('x', 'float32', input)], attrs, { name: N }));
}

function unary(op: string, shape: readonly number[]): Model {
  return build((b) => b.op(op, [b.input('x', 'float32', shape)], {}, { name: N }));
}

function clip(min: number | undefined, max: number | undefined): Model {
  return build((b) =>
    b.op('Clip', [b.input('x', 'float32', [1, 8, 4, 4]), min === undefined ? '' : b.scalar(min), max === undefined ? undefined : b.scalar(max)], {}, { name: N }),
  );
}

function resize(scales: readonly number[], mode: 'nearest' | 'linear', input: readonly number[] = [1, 2, 4, 4]): Model {
  return build((b) => {
    const x = b.input('x', 'float32', input);
    const s = b.constant('scales', 'float32', [scales.length], scales);
    return b.op('Resize', [x, '', s], { mode: attr.string(mode), coordinate_transformation_mode: attr.string(mode === 'nearest' ? 'asymmetric' : 'half_pixel'), nearest_mode: attr.string('floor') }, { name: N });
  });
}

function softmax(shape: readonly number[], axis: number): Model {
  return build((b) => b.op('Softmax', [b.input('x', 'float32', shape)], { axis: attr.int(axis) }, { name: N }));
}

function matmul(k: number, n: number): Model {
  return build((b) => b.op('MatMul', [b.input('x', 'float32', [1, 1, 2, k]), b.initializer('w', filled([k, n]))], {}, { name: N }));
}

function lrn(size: number): Model {
  return build((b) => b.op('LRN', [b.input('x', 'float32', [1, 16, 4, 4])], { size: attr.int(size) }, { name: N }));
}

interface Case {
  readonly rule: string;
  readonly what: string;
  readonly model: () => Model;
  readonly expect: Expect;
  readonly options?: Partial<AnalyzeOptions>;
}

const CASES: readonly Case[] = [
  // G4, G5, G15 (section 1)
  { rule: 'tensor.batch', what: 'DLA batch 4096 (G4)', model: () => unary('Relu', [4096, 1, 2, 2]), expect: true },
  { rule: 'tensor.batch', what: 'DLA batch 4097', model: () => unary('Relu', [4097, 1, 2, 2]), expect: 'tensor.batch' },
  { rule: 'tensor.dims', what: 'W = 8192 (G5)', model: () => unary('Relu', [1, 1, 1, 8192]), expect: true },
  { rule: 'tensor.dims', what: 'W = 8193', model: () => unary('Relu', [1, 1, 1, 8193]), expect: 'tensor.dims' },
  { rule: 'tensor.volume', what: '2^31 − 1 elements (G15)', model: () => unary('Relu', [2 ** 31 - 1]), expect: true, options: { target: 'gpu' } },
  { rule: 'tensor.volume', what: '2^31 elements', model: () => unary('Relu', [2 ** 31]), expect: 'tensor.volume', options: { target: 'gpu' } },
  // L-CONV
  { rule: 'conv.kernel-size', what: 'kernel 32x32 (C2)', model: () => conv([1, 1, 64, 64], [1, 1, 32, 32]), expect: true },
  { rule: 'conv.kernel-size', what: 'kernel 33x33', model: () => conv([1, 1, 64, 64], [1, 1, 33, 33]), expect: 'conv.kernel-size' },
  { rule: 'conv.kernel-size', what: 'kernel 1x33', model: () => conv([1, 1, 64, 64], [1, 1, 1, 33]), expect: 'conv.kernel-size' },
  { rule: 'conv.stride', what: 'stride 8 (C3)', model: () => conv([1, 1, 64, 64], [1, 1, 3, 3], { strides: [8, 8] }), expect: true },
  { rule: 'conv.stride', what: 'stride 9', model: () => conv([1, 1, 64, 64], [1, 1, 3, 3], { strides: [9, 9] }), expect: 'conv.stride' },
  { rule: 'conv.padding', what: 'pad 31 with kernel 32 (C4)', model: () => conv([1, 1, 64, 64], [1, 1, 32, 32], { pads: [31, 31, 31, 31] }), expect: true },
  { rule: 'conv.padding', what: 'pad 32', model: () => conv([1, 1, 64, 64], [1, 1, 32, 32], { pads: [32, 0, 0, 0] }), expect: 'conv.padding' },
  { rule: 'conv.padding', what: 'pad 2 with kernel 3', model: () => conv([1, 1, 16, 16], [1, 1, 3, 3], { pads: [2, 2, 2, 2] }), expect: true },
  { rule: 'conv.padding', what: 'pad 3 = kernel 3', model: () => conv([1, 1, 16, 16], [1, 1, 3, 3], { pads: [0, 3, 0, 0] }), expect: 'conv.padding' },
  { rule: 'conv.dilation', what: 'dilation 32 (C5)', model: () => conv([1, 1, 64, 64], [1, 1, 2, 2], { dilations: [32, 32] }), expect: true },
  { rule: 'conv.dilation', what: 'dilation 33', model: () => conv([1, 1, 64, 64], [1, 1, 2, 2], { dilations: [33, 33] }), expect: 'conv.dilation' },
  { rule: 'conv.out-channels', what: 'K = 8192 (C6)', model: () => conv([1, 1, 2, 2], [8192, 1, 1, 1]), expect: true },
  { rule: 'conv.out-channels', what: 'K = 8193', model: () => conv([1, 1, 2, 2], [8193, 1, 1, 1]), expect: 'conv.out-channels' },
  { rule: 'conv.groups', what: 'group 8192 (C7)', model: () => conv([1, 8192, 2, 2], [8192, 1, 1, 1], { group: 8192 }), expect: true },
  { rule: 'conv.groups', what: 'group 8193', model: () => conv([1, 8193, 2, 2], [8193, 1, 1, 1], { group: 8193 }), expect: 'conv.groups' },
  // C9: INT8, C = 64, 1x1: weight 1 bank; data ceil(ceil(64/32)·W/4 / 256) banks → W = 7680 gives 15 (16 in all), W = 7684 gives 16 (17).
  { rule: 'conv.cbuf', what: '16 banks at INT8 (C9)', model: () => conv([1, 64, 1, 7680], [8, 64, 1, 1]), expect: true },
  { rule: 'conv.cbuf', what: '17 banks at INT8', model: () => conv([1, 64, 1, 7684], [8, 64, 1, 1]), expect: 'conv.cbuf' },
  { rule: 'conv.cbuf', what: '16 banks at FP16', model: () => conv([1, 64, 1, 3840], [8, 64, 1, 1]), expect: true, options: { precision: 'fp16' } },
  { rule: 'conv.cbuf', what: '17 banks at FP16', model: () => conv([1, 64, 1, 3844], [8, 64, 1, 1]), expect: 'conv.cbuf', options: { precision: 'fp16' } },
  // L-DECONV
  { rule: 'deconv.kernel-size', what: 'kernel 1x32 (D2)', model: () => deconv([1, 1, 4, 4], [1, 1, 1, 32], { strides: [1, 32] }), expect: true },
  { rule: 'deconv.kernel-size', what: 'kernel 1x33', model: () => deconv([1, 1, 4, 4], [1, 1, 1, 33], { strides: [1, 33] }), expect: 'deconv.kernel-size' },
  { rule: 'deconv.kernel-size', what: 'kernel 64x1 (D2 extra)', model: () => deconv([1, 1, 4, 4], [1, 1, 64, 1], { strides: [64, 1] }), expect: true },
  { rule: 'deconv.kernel-size', what: 'kernel 64x2', model: () => deconv([1, 1, 4, 4], [1, 1, 64, 2]), expect: 'deconv.kernel-size' },
  { rule: 'deconv.stride', what: 'stride 1x128 (D3 extra)', model: () => deconv([1, 1, 2, 2], [1, 1, 1, 2], { strides: [1, 128] }), expect: true },
  { rule: 'deconv.stride', what: 'stride 1x33', model: () => deconv([1, 1, 2, 2], [1, 1, 1, 2], { strides: [1, 33] }), expect: 'deconv.stride' },
  { rule: 'deconv.square-size', what: 'kernel 22x22 (D4)', model: () => deconv([1, 1, 2, 2], [1, 1, 22, 22], { strides: [22, 22] }), expect: true },
  { rule: 'deconv.square-size', what: 'kernel 23x23', model: () => deconv([1, 1, 2, 2], [1, 1, 23, 23], { strides: [1, 1] }), expect: 'deconv.square-size' },
  { rule: 'deconv.square-size', what: 'stride 23x23', model: () => deconv([1, 1, 2, 2], [1, 1, 2, 2], { strides: [23, 23] }), expect: 'deconv.square-size' },
  { rule: 'deconv.padding', what: 'pads 0 (D5)', model: () => deconv([1, 1, 4, 4], [1, 1, 2, 2], { strides: [2, 2] }), expect: true },
  { rule: 'deconv.padding', what: 'pads 1 (SAME-like k3 s2, I-3365)', model: () => deconv([1, 1, 4, 4], [1, 1, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }), expect: 'deconv.padding' },
  { rule: 'deconv.padding', what: 'output_padding 1', model: () => deconv([1, 1, 4, 4], [1, 1, 3, 3], { strides: [2, 2], output_padding: [1, 1] }), expect: 'deconv.padding' },
  { rule: 'deconv.groups', what: 'group 1 (D6)', model: () => deconv([1, 2, 4, 4], [2, 1, 2, 2], { strides: [2, 2], group: 1 }), expect: true },
  { rule: 'deconv.groups', what: 'group 2', model: () => deconv([1, 2, 4, 4], [2, 1, 2, 2], { strides: [2, 2], group: 2 }), expect: 'deconv.groups' },
  { rule: 'deconv.dilation', what: 'dilation 1 (D7)', model: () => deconv([1, 1, 4, 4], [1, 1, 2, 2], { strides: [2, 2], dilations: [1, 1] }), expect: true },
  { rule: 'deconv.dilation', what: 'dilation 2', model: () => deconv([1, 1, 4, 4], [1, 1, 2, 2], { strides: [2, 2], dilations: [2, 2] }), expect: 'deconv.dilation' },
  { rule: 'deconv.channels', what: 'K = 8192 (D8)', model: () => deconv([1, 1, 1, 1], [1, 8192, 1, 1]), expect: true },
  { rule: 'deconv.channels', what: 'K = 8193', model: () => deconv([1, 1, 1, 1], [1, 8193, 1, 1]), expect: 'deconv.channels' },
  // L-POOL
  { rule: 'pool.window', what: 'window 8 (P3)', model: () => pool('MaxPool', [1, 1, 16, 16], { kernel_shape: [8, 8] }), expect: true },
  { rule: 'pool.window', what: 'window 9', model: () => pool('MaxPool', [1, 1, 16, 16], { kernel_shape: [9, 9] }), expect: 'pool.window' },
  { rule: 'pool.stride', what: 'stride 16 (P4)', model: () => pool('AveragePool', [1, 1, 32, 32], { kernel_shape: [2, 2], strides: [16, 16] }), expect: true },
  { rule: 'pool.stride', what: 'stride 17', model: () => pool('AveragePool', [1, 1, 34, 34], { kernel_shape: [2, 2], strides: [17, 17] }), expect: 'pool.stride' },
  { rule: 'pool.padding', what: 'pad 7 (P5)', model: () => pool('MaxPool', [1, 1, 16, 16], { kernel_shape: [8, 8], pads: [7, 7, 7, 7] }), expect: true },
  { rule: 'pool.padding', what: 'pad 8', model: () => pool('MaxPool', [1, 1, 16, 16], { kernel_shape: [8, 8], pads: [8, 0, 0, 0] }), expect: 'pool.padding' },
  // L-ACT A3
  { rule: 'clip.range', what: 'Clip(0, 127) (A3)', model: () => clip(0, 127), expect: true },
  { rule: 'clip.range', what: 'Clip(0, 128)', model: () => clip(0, 128), expect: 'clip.range' },
  { rule: 'clip.range', what: 'Clip(0, 1)', model: () => clip(0, 1), expect: true },
  { rule: 'clip.range', what: 'Clip(0, 0.5)', model: () => clip(0, 0.5), expect: 'clip.range' },
  { rule: 'clip.range', what: 'Clip(-1, 6) (min 0: UNCONF)', model: () => clip(-1, 6), expect: 'clip.range' },
  { rule: 'clip.range', what: 'Clip(0) without max', model: () => clip(0, undefined), expect: 'clip.range' },
  // L-LRN
  { rule: 'lrn.size', what: 'size 9', model: () => lrn(9), expect: true },
  { rule: 'lrn.size', what: 'size 3', model: () => lrn(3), expect: true },
  { rule: 'lrn.size', what: 'size 11', model: () => lrn(11), expect: 'lrn.size' },
  { rule: 'lrn.size', what: 'size 4', model: () => lrn(4), expect: 'lrn.size' },
  // L-RESIZE Z2, Z3
  { rule: 'resize.scale', what: 'nearest ×32', model: () => resize([1, 1, 32, 32], 'nearest'), expect: true },
  { rule: 'resize.scale', what: 'nearest ×33', model: () => resize([1, 1, 33, 33], 'nearest'), expect: 'resize.scale' },
  { rule: 'resize.scale', what: 'linear ×4', model: () => resize([1, 1, 4, 4], 'linear'), expect: true },
  { rule: 'resize.scale', what: 'linear ×5', model: () => resize([1, 1, 5, 5], 'linear'), expect: 'resize.scale' },
  { rule: 'resize.scale', what: 'non-integer ×1.5', model: () => resize([1, 1, 1.5, 1.5], 'nearest'), expect: 'resize.scale' },
  { rule: 'resize.scale', what: 'down-sampling ×0.5', model: () => resize([1, 1, 0.5, 0.5], 'nearest'), expect: 'resize.scale' },
  { rule: 'resize.scale', what: 'channel scale 2', model: () => resize([1, 2, 2, 2], 'nearest'), expect: 'resize.scale' },
  // L-SOFTMAX X3, X4
  { rule: 'softmax.axis-length', what: 'exact mode 8192 (X3)', model: () => softmax([1, 1, 1, 8192], 3), expect: true },
  { rule: 'softmax.axis-length', what: 'exact mode 8193', model: () => softmax([1, 1, 1, 8193], 3), expect: 'softmax.axis-length' },
  { rule: 'softmax.axis-length', what: 'approximate mode 1024 (X4)', model: () => softmax([1, 1, 2, 1024], 3), expect: true },
  { rule: 'softmax.axis-length', what: 'approximate mode 1025', model: () => softmax([1, 1, 2, 1025], 3), expect: 'softmax.axis-length' },
  // L-MATMUL (as a 1x1 conv: C6)
  { rule: 'matmul.out-channels', what: '8192 output features', model: () => matmul(4, 8192), expect: true },
  { rule: 'matmul.out-channels', what: '8193 output features', model: () => matmul(4, 8193), expect: 'matmul.out-channels' },
];

describe('numeric rules: at the limit accepted, past it rejected with the rule id', () => {
  for (const c of CASES) {
    it(`${c.rule}: ${c.what} → ${c.expect === true ? 'runs' : c.expect}`, () => {
      const a = run(c.model(), c.options ?? {});
      check(verdict(a), c.expect, c.what);
    });
  }

  it('covers every numeric rule of the Orin profile in both directions', () => {
    const numeric = [
      'tensor.batch',
      'tensor.dims',
      'tensor.volume',
      'conv.kernel-size',
      'conv.stride',
      'conv.padding',
      'conv.dilation',
      'conv.out-channels',
      'conv.groups',
      'conv.cbuf',
      'deconv.kernel-size',
      'deconv.stride',
      'deconv.square-size',
      'deconv.channels',
      'pool.window',
      'pool.stride',
      'pool.padding',
      'clip.range',
      'lrn.size',
      'resize.scale',
      'softmax.axis-length',
      'matmul.out-channels',
    ];
    for (const rule of numeric) {
      assert.ok(CASES.some((c) => c.rule === rule && c.expect === true), `${rule}: no accepted case`);
      assert.ok(CASES.some((c) => c.rule === rule && c.expect === rule), `${rule}: no rejected case`);
    }
  });

  it('reason carries the actual and the allowed values', () => {
    const v = verdict(run(conv([1, 1, 64, 64], [1, 1, 33, 33])));
    assert.equal(v.rule, 'conv.kernel-size');
    assert.equal(v.reason, 'kernel 33x33; DLA allows 1..32 per dim');
    const c = verdict(run(conv([1, 64, 1, 7684], [8, 64, 1, 1])));
    assert.equal(c.reason, 'convolution buffer: 1 weight + 16 data banks = 17 > 16 (INT8, C=64, input width 7684, kernel 1x1, dilation 1)');
  });

  it('an FP16 conv that fits in INT8 gets the precision fix', () => {
    const v = verdict(run(conv([1, 64, 1, 3844], [8, 64, 1, 1]), { precision: 'fp16' }));
    assert.equal(v.fix?.kind, 'precision');
  });

  it('the CBUF formula matches the reference arithmetic (C9)', () => {
    // 3x3 FP16 conv, C = 256, width 128: weights roundUp(256·9·2, 128) = 4608 B → 1 bank;
    // data ceil(ceil(512/32)·128/4) = 512 entries, ×3 rows / 256 → 6 banks.
    assert.deepEqual(cbufBanks(ORIN_DLA_LIMITS, { inChannels: 256, kernelChannels: 256, kernelH: 3, kernelW: 3, dilationH: 1, inputWidth: 128, bytesPerElement: 2 }), { weightBanks: 1, dataBanks: 6 });
    // dilation 2 makes the kernel 5 rows tall: 512·5/256 = 10 banks.
    assert.deepEqual(cbufBanks(ORIN_DLA_LIMITS, { inChannels: 256, kernelChannels: 256, kernelH: 3, kernelW: 3, dilationH: 2, inputWidth: 128, bytesPerElement: 2 }), { weightBanks: 1, dataBanks: 10 });
  });
});

