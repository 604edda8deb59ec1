import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { FUSE_CONV_AFFINE } from '../../src/passes/fuse-conv-affine.js';
import { FUSE_CONV_BATCH_NORM } from '../../src/passes/fuse-conv-batch-norm.js';
import { FUSE_PAD_INTO_CONV } from '../../src/passes/fuse-pad-into-conv.js';
import { FUSE_SIBLING_CONVS } from '../../src/passes/fuse-sibling-convs.js';
import { SINK_FLATTEN } from '../../src/passes/sink-flatten.js';
import { build, checkPass, checkUnchanged, randomTensor } from './helpers.js';

const positive = (dims: number[], seed: number) => randomTensor(dims, seed, 0.5, 1.5);

describe('fuse-conv-batchnorm', () => {
  it('folds BatchNormalization into the Conv before it (with and without conv bias)', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 3, 8, 8]);
      const bn = (y: string, seed: number) => b.batchNorm(y, positive([4], seed), randomTensor([4], seed + 1), randomTensor([4], seed + 2), positive([4], seed + 3));
      const a = bn(b.conv(x, randomTensor([4, 3, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] }), 10);
      const c = bn(b.conv(x, randomTensor([4, 3, 1, 1], 2), randomTensor([4], 3)), 20);
      return [b.relu(a), c];
    });
    await checkPass(FUSE_CONV_BATCH_NORM, m, { BatchNormalization: 0, Conv: 2 });
  });
  it('leaves a BatchNormalization whose Conv output is also read elsewhere', () => {
    checkUnchanged(
      FUSE_CONV_BATCH_NORM,
      build((b) => {
        const y = b.conv(b.input('x', 'float32', [1, 3, 8, 8]), randomTensor([4, 3, 3, 3], 1));
        return [b.batchNorm(y, positive([4], 1), randomTensor([4], 2), randomTensor([4], 3), positive([4], 4)), b.relu(y)];
      }),
    );
  });
});

describe('fuse-conv-affine', () => {
  it('folds per-channel Mul, Add, Sub and Div into Conv weights and bias', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 3, 8, 8]);
      let y = b.conv(x, randomTensor([4, 3, 3, 3], 1));
      y = b.mul(y, b.initializer('s', positive([1, 4, 1, 1], 2)));
      y = b.add(b.initializer('t', randomTensor([4, 1, 1], 3)), y);
      y = b.sub(y, 0.25);
      y = b.div(y, b.initializer('d', positive([4, 1, 1], 4)));
      return [y];
    });
    await checkPass(FUSE_CONV_AFFINE, m, { Conv: 1, Mul: 0, Add: 0, Sub: 0, Div: 0 });
  });
  it('leaves elementwise ops whose constant varies along H or W', () => {
    checkUnchanged(
      FUSE_CONV_AFFINE,
      build((b) => {
        const y = b.conv(b.input('x', 'float32', [1, 3, 8, 8]), randomTensor([4, 3, 3, 3], 1));
        return [b.mul(y, b.initializer('s', randomTensor([1, 1, 6, 1], 2)))];
      }),
    );
  });
});

describe('fuse-pad-into-conv', () => {
  it('moves a zero Pad on H/W into the pads of the Convs reading it', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 3, 8, 8]);
      const p = b.op('Pad', [x, b.ints('pads', [0, 0, 1, 2, 0, 0, 2, 1])]);
      return [b.conv(p, randomTensor([4, 3, 3, 3], 1)), b.conv(p, randomTensor([2, 3, 5, 5], 2), undefined, { pads: [1, 1, 1, 1] })];
    });
    await checkPass(FUSE_PAD_INTO_CONV, m, { Pad: 0, Conv: 2 });
  });
  it('keeps a Pad that a pool also reads, or whose amount reaches the kernel size', () => {
    checkUnchanged(
      FUSE_PAD_INTO_CONV,
      build((b) => {
        const x = b.input('x', 'float32', [1, 3, 8, 8]);
        const p = b.op('Pad', [x, b.ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])]);
        const q = b.op('Pad', [x, b.ints('pads', [0, 0, 3, 0, 0, 0, 0, 0])]);
        return [b.conv(p, randomTensor([4, 3, 3, 3], 1)), b.maxPool(p, { kernel: [2, 2] }), b.conv(q, randomTensor([4, 3, 3, 3], 2))];
      }),
    );
  });
});

describe('fuse-sibling-convs', () => {
  it('merges sibling Convs of one head into one Conv and a Split', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 8, 6, 6]);
      const a = b.conv(x, randomTensor([4, 8, 3, 3], 1), randomTensor([4], 2), { pads: [1, 1, 1, 1] });
      const c = b.conv(x, randomTensor([6, 8, 3, 3], 3), undefined, { pads: [1, 1, 1, 1] });
      return [b.add(b.relu(a), b.slice(c, [0], [4], [1]))];
    });
    const { model } = await checkPass(FUSE_SIBLING_CONVS, m, { Conv: 1, Split: 1 });
    assert.equal(model.graph.nodes.find((n) => n.op === 'Conv')!.inputs.length, 3);
  });
  it('keeps apart Convs that differ in attributes or feed different outputs', () => {
    checkUnchanged(
      FUSE_SIBLING_CONVS,
      build((b) => {
        const x = b.input('x', 'float32', [1, 8, 6, 6]);
        const a = b.conv(x, randomTensor([4, 8, 3, 3], 1), undefined, { pads: [1, 1, 1, 1] });
        const c = b.conv(x, randomTensor([4, 8, 3, 3], 2));
        const d = b.conv(x, randomTensor([4, 8, 3, 3], 3));
        return [b.add(b.relu(a), b.relu(a)), c, d];
      }),
    );
  });
});

describe('sink-flatten', () => {
  it('moves a flatten of [N,C,1,1] below Relu, a per-channel Add and Softmax', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 6, 1, 1]);
      const f = b.flatten(x, 1);
      const y = b.add(b.relu(f), b.initializer('c', tensorFromValues('float32', [6], [1, 2, 3, 4, 5, 6])));
      return [b.softmax(y, -1)];
    });
    const { model } = await checkPass(SINK_FLATTEN, m, { Flatten: 0, Reshape: 1, Relu: 1, Add: 1, Softmax: 1 });
    const last = model.graph.producer(model.graph.outputs[0]!)!;
    assert.equal(last.op, 'Reshape');
  });
  it('leaves a flatten of a map with spatial extent', () => {
    checkUnchanged(SINK_FLATTEN, build((b) => [b.relu(b.flatten(b.input('x', 'float32', [2, 6, 2, 1]), 1))]));
  });
});
