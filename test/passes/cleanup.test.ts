import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/ir/attribute.js';
import { FOLD_CONSTANTS } from '../../src/passes/fold-constants.js';
import { MERGE_SHAPE_OPS } from '../../src/passes/merge-shape-ops.js';
import { REMOVE_DEAD_NODES } from '../../src/passes/remove-dead-nodes.js';
import { REMOVE_NO_OPS } from '../../src/passes/remove-no-ops.js';
import { CONVERT_SQUEEZE_TO_RESHAPE } from '../../src/passes/convert-squeeze-to-reshape.js';
import { build, checkPass, checkUnchanged, randomTensor } from './helpers.js';

describe('remove-dead-nodes', () => {
  it('removes nodes no output needs and their weights', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 3, 8, 8]);
      b.conv(x, randomTensor([4, 3, 3, 3]));
      return [b.relu(x)];
    });
    const { model } = await checkPass(REMOVE_DEAD_NODES, m, { Conv: 0, Relu: 1 });
    assert.equal(model.graph.initializers.size, 0);
  });
  it('leaves a graph without dead code unchanged', () => {
    checkUnchanged(REMOVE_DEAD_NODES, build((b) => [b.relu(b.input('x', 'float32', [1, 3]))]));
  });
});

describe('fold-constants', () => {
  it('folds a Shape/Gather/Unsqueeze/Concat chain into the Reshape target', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 3, 4, 4]);
      const shape = b.op('Shape', [x]);
      const n = b.op('Gather', [shape, b.constant('i0', 'int64', [], [0])], { axis: 0 });
      const target = b.op('Concat', [b.unsqueeze(n, [0]), b.ints('rest', [-1])], { axis: 0 });
      return [b.op('Reshape', [x, target])];
    });
    await checkPass(FOLD_CONSTANTS, m, { Shape: 0, Gather: 0, Concat: 0, Unsqueeze: 0, Reshape: 1 });
  });
  it('folds values up to its 1 MiB limit (a Transpose and Mul of a 512 KiB weight), not only small ones', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 512]);
      const w = b.op('Mul', [b.op('Transpose', [b.initializer('w', randomTensor([256, 512], 3))]), b.constant('two', 'float32', [], [2])]);
      return [b.op('MatMul', [x, w])];
    });
    const { model } = await checkPass(FOLD_CONSTANTS, m, { Transpose: 0, Mul: 0, MatMul: 1 });
    assert.deepEqual(model.graph.initializers.get(model.graph.nodes[0]!.inputs[1]!)?.dims, [512, 256]);
  });
  it('leaves a graph with nothing to fold unchanged', () => {
    checkUnchanged(FOLD_CONSTANTS, build((b) => [b.relu(b.input('x', 'float32', [1, 3]))]));
  });
});

describe('remove-no-ops', () => {
  it('removes Identity, Dropout, same-type Cast, identity Transpose, zero Pad, x*1 and x+0', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [1, 3, 4, 4]);
      let y = b.op('Identity', [b.relu(x)]);
      y = b.op('Dropout', [y]);
      y = b.op('Cast', [y], { to: attr.int(1) });
      y = b.transpose(y, [0, 1, 2, 3]);
      y = b.op('Pad', [y, b.ints('pads', [0, 0, 0, 0, 0, 0, 0, 0])]);
      y = b.mul(y, 1);
      y = b.add(y, 0);
      return [b.op('Identity', [y])];
    });
    await checkPass(REMOVE_NO_OPS, m, { Identity: 0, Dropout: 0, Cast: 0, Transpose: 0, Pad: 0, Mul: 0, Add: 0, Relu: 1 });
  });
  it('keeps an Identity from a graph input straight to a graph output, and real ops', () => {
    checkUnchanged(
      REMOVE_NO_OPS,
      build((b) => {
        const x = b.input('x', 'float32', [1, 3, 4, 4]);
        return [b.op('Identity', [x]), b.mul(x, 2), b.transpose(x, [0, 2, 1, 3])];
      }),
    );
  });
});

describe('merge-shape-ops', () => {
  it('merges reshape chains and cancels transpose pairs', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 3, 4, 5]);
      const r = b.reshape(b.reshape(x, [2, 12, 5]), [2, 60]);
      const t = b.transpose(b.transpose(x, [0, 2, 3, 1]), [0, 3, 1, 2]);
      const u = b.transpose(b.transpose(x, [0, 2, 3, 1]), [0, 2, 1, 3]);
      return [r, b.relu(t), u];
    });
    await checkPass(MERGE_SHAPE_OPS, m, { Reshape: 1, Transpose: 1, Relu: 1 });
  });
  it('leaves single view ops unchanged', () => {
    checkUnchanged(MERGE_SHAPE_OPS, build((b) => [b.transpose(b.relu(b.reshape(b.input('x', 'float32', [2, 12]), [2, 3, 4])), [0, 2, 1])]));
  });
});

describe('convert-squeeze-to-reshape', () => {
  it('turns Squeeze, Unsqueeze and Flatten into Reshape', async () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 3, 1, 1]);
      return [b.squeeze(x, [2, 3]), b.unsqueeze(x, [0]), b.flatten(x, 1)];
    });
    await checkPass(CONVERT_SQUEEZE_TO_RESHAPE, m, { Squeeze: 0, Unsqueeze: 0, Flatten: 0, Reshape: 3 });
  });
  it('keeps a symbolic batch (Reshape target 0) and runs at any batch', async () => {
    const m = build((b) => [b.squeeze(b.input('x', 'float32', ['n', 3, 1, 1]), [2, 3])]);
    const { model } = await checkPass(CONVERT_SQUEEZE_TO_RESHAPE, m, { Squeeze: 0, Reshape: 1 }, { dims: { n: 4 } });
    assert.deepEqual([...model.graph.initializers.values()].map((t) => [...t.data as BigInt64Array].map(Number)), [[0, 3]]);
  });
  it('leaves Squeeze of a shape unknown beyond the batch unchanged', () => {
    checkUnchanged(CONVERT_SQUEEZE_TO_RESHAPE, build((b) => [b.squeeze(b.input('x', 'float32', [2, 'c', 1]), [2])]));
  });
  it('leaves Squeeze/Unsqueeze with a runtime axes input (opset 13) unchanged, whatever the output declares', () => {
    const m = build((b) => {
      const x = b.input('x', 'float32', [2, 1, 3, 1]);
      const axes = b.input('axes', 'int64', [1]);
      // declared [2, 3, 1]: right for axes [1], wrong for axes [3]
      return [[b.op('Squeeze', [x, axes]), [2, 3, 1]], [b.op('Unsqueeze', [b.input('y', 'float32', [2, 3]), b.input('at', 'int64', [1])]), [1, 2, 3]]];
    }, 13);
    checkUnchanged(CONVERT_SQUEEZE_TO_RESHAPE, m);
  });
});

