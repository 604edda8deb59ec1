import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Node } from '../../src/ir/node.js';
import { OPS, opHasTrait, opTraits, type OpFlag } from '../../src/ops/index.js';

/**
 * The op lists that used to live outside ops/ (passes, quant, plan), copied here as they were: the
 * traits that replaced them must answer the same for every row of the op table.
 */
const OLD_LISTS: Readonly<Record<string, { flag: OpFlag; ops: readonly string[] }>> = {
  'NONDETERMINISTIC (passes/stage-graph, quant/calibration-targets)': {
    flag: 'nondeterministic',
    ops: ['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli'],
  },
  'VALUE_PRESERVING (quant/observer)': {
    flag: 'valuePreserving',
    ops: ['Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'DepthToSpace', 'SpaceToDepth'],
  },
  'FUSIBLE_FOLLOWERS (quant/residual-add)': {
    flag: 'fusibleFollower',
    ops: ['BatchNormalization', 'Relu', 'LeakyRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten'],
  },
  'RESHAPE_OPS (passes/merge-shape-ops)': { flag: 'reshape', ops: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'] },
  'VIEW_OPS (plan/cost/workload)': { flag: 'view', ops: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'] },
};

/** FIXED_FLOAT_INPUTS (quant/fp16) as it was. */
const OLD_FIXED_FLOAT_INPUTS: Readonly<Record<string, readonly number[]>> = { Resize: [1, 2], Upsample: [1] };

/** DTYPE_ATTR (quant/fp16) as it was. */
const OLD_DTYPE_ATTR: Readonly<Record<string, { readonly key: string; readonly absent: number | undefined }>> = {
  Cast: { key: 'to', absent: undefined },
  RandomNormal: { key: 'dtype', absent: 1 },
  RandomUniform: { key: 'dtype', absent: 1 },
  RandomNormalLike: { key: 'dtype', absent: undefined },
  RandomUniformLike: { key: 'dtype', absent: undefined },
  EyeLike: { key: 'dtype', absent: undefined },
};

/** WEIGHTED_OPS (quant/calibration-targets) as it was. */
const OLD_WEIGHTED_OPS: Readonly<Record<string, (node: Node, rank: number) => { input: number; axis: number } | undefined>> = {
  Conv: () => ({ input: 1, axis: 0 }),
  ConvTranspose: () => ({ input: 1, axis: 1 }),
  Gemm: (node) => ({ input: 1, axis: node.attrs.int('transB', 0) === 1 ? 0 : 1 }),
  MatMul: (_node, rank) => (rank >= 2 ? { input: 1, axis: rank - 1 } : undefined),
};

const defaultOps = OPS.names('');

describe('op traits answer as the old op lists did', () => {
  for (const [list, { flag, ops }] of Object.entries(OLD_LISTS)) {
    it(list, () => {
      for (const op of ops) assert.ok(OPS.has(op), `${op} is in the op table`);
      for (const row of OPS) {
        if (row.domain !== '') continue;
        assert.equal(row.traits[flag], ops.includes(row.op), `${row.op} since ${row.since}: ${flag}`);
      }
      for (const op of defaultOps) assert.equal(opHasTrait(op, flag), ops.includes(op), `opHasTrait(${op}, ${flag})`);
    });
  }

  it('an op not in the table has no trait', () => {
    assert.equal(opHasTrait('NoSuchOp', 'reshape'), false);
    assert.equal(opTraits('NoSuchOp'), undefined);
    assert.equal(opHasTrait('toString', 'view'), false);
  });

  it('FIXED_FLOAT_INPUTS (quant/fp16)', () => {
    for (const row of OPS) {
      if (row.domain !== '') continue;
      assert.deepEqual(row.traits.fixedFloatInputs, OLD_FIXED_FLOAT_INPUTS[row.op] ?? [], `${row.op} since ${row.since}`);
    }
  });

  it('DTYPE_ATTR (quant/fp16)', () => {
    for (const row of OPS) {
      if (row.domain !== '') continue;
      assert.deepEqual(row.traits.dtypeAttr, Object.hasOwn(OLD_DTYPE_ATTR, row.op) ? OLD_DTYPE_ATTR[row.op] : undefined, `${row.op} since ${row.since}`);
    }
  });

  it('WEIGHTED_OPS (quant/calibration-targets): the same ops, and the same input and axis for each rank and transB', () => {
    const gemm = (transB: number): Node => {
      const b = new GraphBuilder();
      b.output(b.op('Gemm', [b.input('x', 'float32', [2, 2]), b.input('w', 'float32', [2, 2])], { transB }));
      return buildModel(b).graph.nodes[0]!;
    };
    const nodes = [gemm(0), gemm(1)];
    for (const row of OPS) {
      if (row.domain !== '') continue;
      const old = Object.hasOwn(OLD_WEIGHTED_OPS, row.op) ? OLD_WEIGHTED_OPS[row.op] : undefined;
      const now = row.traits.channelWeight;
      assert.equal(now !== undefined, old !== undefined, `${row.op} since ${row.since}`);
      if (old === undefined || now === undefined) continue;
      for (const node of nodes) for (const rank of [1, 2, 3, 4]) assert.deepEqual(now(node, rank), old(node, rank), `${row.op} rank ${rank}`);
    }
  });
});
