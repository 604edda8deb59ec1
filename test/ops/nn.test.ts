import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { F, I64, U, W, inferOne, type ShapeCase } from './helpers.js';

const ints = attr.ints;

const CASES: ShapeCase[] = [
  { name: 'Conv 7x7/2 pad 3 keeps the batch symbol', op: 'Conv', args: [F('N', 3, 224, 224), W(64, 3, 7, 7)], attrs: { strides: ints([2, 2]), pads: ints([3, 3, 3, 3]) }, want: [['N', 64, 112, 112]] },
  { name: 'Conv kernel from the weight, no attributes', op: 'Conv', args: [F(1, 4, 10, 12), W(6, 4, 3, 5)], want: [[1, 6, 8, 8]] },
  { name: 'Conv dilation 2', op: 'Conv', args: [F(1, 4, 10, 10), W(6, 4, 3, 3)], attrs: { dilations: ints([2, 2]) }, want: [[1, 6, 6, 6]] },
  { name: 'Conv grouped (depthwise)', op: 'Conv', args: [F(2, 8, 9, 9), W(8, 1, 3, 3)], attrs: { group: 8, pads: ints([1, 1, 1, 1]) }, want: [[2, 8, 9, 9]] },
  { name: 'Conv asymmetric pads', op: 'Conv', args: [F(1, 1, 10, 10), W(1, 1, 3, 3)], attrs: { pads: ints([0, 1, 2, 3]) }, want: [[1, 1, 10, 12]] },
  { name: 'Conv SAME_UPPER stride 2', op: 'Conv', args: [F(1, 1, 11, 10), W(1, 1, 3, 3)], attrs: { auto_pad: 'SAME_UPPER', strides: ints([2, 2]) }, want: [[1, 1, 6, 5]] },
  { name: 'Conv SAME_LOWER stride 3', op: 'Conv', args: [F(1, 1, 11, 10), W(1, 1, 4, 4)], attrs: { auto_pad: 'SAME_LOWER', strides: ints([3, 3]) }, want: [[1, 1, 4, 4]] },
  { name: 'Conv VALID', op: 'Conv', args: [F(1, 1, 11, 10), W(1, 1, 4, 3)], attrs: { auto_pad: 'VALID', strides: ints([2, 2]) }, want: [[1, 1, 4, 4]] },
  { name: 'Conv 1-D', op: 'Conv', args: [F('B', 2, 'T'), W(4, 2, 3)], attrs: { pads: ints([1, 1]) }, want: [['B', 4, 'T']] },
  { name: 'Conv symbolic H with stride 1 stays symbolic', op: 'Conv', args: [F('N', 3, 'H', 'W'), W(8, 3, 3, 3)], want: [['N', 8, 'H-2', 'W-2']] },
  { name: 'Conv symbolic H with stride 2 becomes unknown', op: 'Conv', args: [F('N', 3, 'H', 32), W(8, 3, 3, 3)], attrs: { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }, want: [['N', 8, null, 16]] },
  { name: 'Conv SAME keeps a symbolic H at stride 1', op: 'Conv', args: [F('N', 3, 'H', 'W'), W(8, 3, 3, 3)], attrs: { auto_pad: 'SAME_UPPER' }, want: [['N', 8, 'H', 'W']] },
  { name: 'Conv of an input of unknown rank takes rank and channels from the weight', op: 'Conv', args: [U(), W(8, 3, 3, 3)], want: [[null, 8, null, null]] },
  { name: 'Pool of an input of unknown rank', op: 'MaxPool', args: [U()], attrs: { kernel_shape: ints([2, 2]) }, want: [undefined] },
  { name: 'ConvTranspose stride 2', op: 'ConvTranspose', args: [F(1, 8, 5, 5), W(8, 4, 3, 3)], attrs: { strides: ints([2, 2]) }, want: [[1, 4, 11, 11]] },
  { name: 'ConvTranspose pads and output_padding', op: 'ConvTranspose', args: [F(1, 8, 5, 5), W(8, 4, 3, 3)], attrs: { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), output_padding: ints([1, 0]) }, want: [[1, 4, 10, 9]] },
  { name: 'ConvTranspose groups multiply channels', op: 'ConvTranspose', args: [F(1, 8, 4, 4), W(8, 2, 2, 2)], attrs: { group: 4, strides: ints([2, 2]) }, want: [[1, 8, 8, 8]] },
  { name: 'ConvTranspose SAME_UPPER', op: 'ConvTranspose', args: [F('N', 8, 'H', 7), W(8, 4, 4, 4)], attrs: { auto_pad: 'SAME_UPPER', strides: ints([2, 2]) }, want: [['N', 4, 'H*2', 14]] },
  { name: 'ConvTranspose output_shape', op: 'ConvTranspose', args: [F(1, 8, 5, 5), W(8, 4, 3, 3)], attrs: { strides: ints([2, 2]), output_shape: ints([10, 10]) }, want: [[1, 4, 10, 10]] },
  { name: 'MaxPool 3x3/2 pad 1', op: 'MaxPool', args: [F('N', 64, 112, 112)], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }, want: [['N', 64, 56, 56]] },
  { name: 'MaxPool ceil_mode', op: 'MaxPool', args: [F(1, 1, 6, 7)], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]), ceil_mode: 1 }, want: [[1, 1, 3, 4]] },
  { name: 'MaxPool ceil_mode drops a window that starts in the padding', op: 'MaxPool', args: [F(1, 1, 5, 5)], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: 1 }, want: [[1, 1, 3, 3]] },
  { name: 'MaxPool dilations', op: 'MaxPool', args: [F(1, 1, 10, 10)], attrs: { kernel_shape: ints([3, 3]), dilations: ints([2, 3]) }, want: [[1, 1, 6, 4]] },
  { name: 'MaxPool indices output is int64', op: 'MaxPool', args: [F(1, 2, 4, 4)], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, outputs: 2, want: [[1, 2, 2, 2], [1, 2, 2, 2]] },
  { name: 'MaxPool SAME with dilation: onnxruntime (8) and the spec (10) disagree, so unknown', op: 'MaxPool', args: [F(1, 1, 10, 10)], attrs: { kernel_shape: ints([3, 3]), dilations: ints([2, 2]), auto_pad: 'SAME_UPPER' }, want: [[1, 1, null, null]] },
  { name: 'AveragePool SAME_LOWER', op: 'AveragePool', args: [F(1, 1, 7, 8)], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), auto_pad: 'SAME_LOWER' }, want: [[1, 1, 4, 4]] },
  { name: 'AveragePool VALID', op: 'AveragePool', args: [F(1, 1, 7, 8)], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), auto_pad: 'VALID' }, want: [[1, 1, 3, 3]] },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', args: [F('N', 512, 7, 7)], want: [['N', 512, 1, 1]] },
  { name: 'GlobalMaxPool 3-D', op: 'GlobalMaxPool', args: [F(2, 3, 4, 5, 6)], want: [[2, 3, 1, 1, 1]] },
  { name: 'BatchNormalization', op: 'BatchNormalization', args: [F('N', 16, 8, 8), W(16), W(16), W(16), W(16)], want: [['N', 16, 8, 8]] },
  { name: 'BatchNormalization training outputs are per channel', op: 'BatchNormalization', args: [F('N', 16, 8, 8), W(16), W(16), W(16), W(16)], attrs: { training_mode: 1 }, outputs: 3, want: [['N', 16, 8, 8], [16], [16]] },
  { name: 'InstanceNormalization', op: 'InstanceNormalization', args: [F(2, 4, 'H', 'W'), W(4), W(4)], want: [[2, 4, 'H', 'W']] },
  { name: 'LayerNormalization mean and inverse std keep the leading dims', op: 'LayerNormalization', args: [F('N', 197, 768), W(768), W(768)], outputs: 3, want: [['N', 197, 768], ['N', 197, 1], ['N', 197, 1]] },
  { name: 'LayerNormalization axis 1', op: 'LayerNormalization', args: [F('N', 4, 5, 6), W(4, 5, 6)], attrs: { axis: 1 }, outputs: 2, want: [['N', 4, 5, 6], ['N', 1, 1, 1]] },
  { name: 'GroupNormalization', op: 'GroupNormalization', args: [F(2, 8, 5, 5), W(8), W(8)], attrs: { num_groups: 4 }, opset: 21, want: [[2, 8, 5, 5]] },
  { name: 'Dropout opset 12 mask is bool', op: 'Dropout', args: [F(3, 4)], outputs: 2, want: [[3, 4], [3, 4]] },
  { name: 'Resize with scales', op: 'Resize', args: [F('N', 3, 10, 15), undefined, { kind: 'const', tensor: F32c([1, 1, 2, 0.5]) }], want: [['N', 3, 20, 7]] },
  { name: 'Resize with sizes', op: 'Resize', args: [F('N', 3, 10, 15), undefined, undefined, I64(1, 3, 32, 32)], want: [[1, 3, 32, 32]] },
  { name: 'Resize integer scale on a symbolic dim', op: 'Resize', args: [F('N', 3, 'H', 15), undefined, { kind: 'const', tensor: F32c([1, 1, 2, 2]) }], want: [['N', 3, 'H*2', 30]] },
  { name: 'Resize with unknown sizes keeps the rank', op: 'Resize', args: [F('N', 3, 10, 15), undefined, undefined, { kind: 'input', dtype: 'int64', shape: [4] }], want: [[null, null, null, null]] },
  { name: 'Resize opset 18 axes with sizes', op: 'Resize', args: [F(1, 3, 10, 15), undefined, undefined, I64(20, 30)], attrs: { axes: ints([2, 3]) }, opset: 18, want: [[1, 3, 20, 30]] },
  { name: 'Resize not_larger keeps the aspect ratio', op: 'Resize', args: [F(1, 3, 10, 15), undefined, undefined, I64(20, 20)], attrs: { axes: ints([2, 3]), keep_aspect_ratio_policy: 'not_larger' }, opset: 18, want: [[1, 3, 13, 20]] },
  { name: 'Upsample opset 7 scales attribute', op: 'Upsample', args: [F(1, 3, 4, 5)], attrs: { scales: attr.floats([1, 1, 2, 3]) }, opset: 7, want: [[1, 3, 8, 15]] },
];

function F32c(values: number[]): Tensor {
  return tensorFromValues('float32', [values.length], values);
}

describe('nn op shapes', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = inferOne(c.op, c.args, c.attrs ?? {}, { opset: c.opset ?? 17, outputs: c.outputs ?? c.want.length });
      assert.deepEqual(r.types.map((t) => t?.shape), c.want);
    });
  }

  it('types: MaxPool indices are int64, LayerNormalization statistics use stash_type', () => {
    const mp = inferOne('MaxPool', [F(1, 2, 4, 4)], { kernel_shape: ints([2, 2]) }, { outputs: 2 });
    assert.deepEqual(mp.types.map((t) => t?.dtype), ['float32', 'int64']);
    const ln = inferOne('LayerNormalization', [{ kind: 'input', dtype: 'float16', shape: [2, 8] }, W(8)], {}, { outputs: 3 });
    assert.deepEqual(ln.types.map((t) => t?.dtype), ['float16', 'float32', 'float32']);
  });
});
