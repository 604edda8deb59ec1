import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr, type AttributeInput } from '../../src/ir/attribute.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { DataType } from '../../src/ir/dtype.js';
import type { Model } from '../../src/ir/model.js';
import type { Shape } from '../../src/ir/types.js';
import { OP_TABLE } from '../../src/targets/index.js';
import { N, build, filled, run, verdict } from './helpers.js';

/**
 * For every operator row of the reference table (section 2c): a model that shows the status. The
 * expected status is typed here from the reference: `dla` runs on the DLA, `build` vanishes at build
 * time, otherwise the rule id of the fallback. orin-dla is TensorRT 8.6.2 (JetPack 6): the "NATIVE≥8.6.12"
 * rows are `op.trt-version` there. trt10 and Xavier list only where they differ from orin-dla.
 */

type Status = 'dla' | 'build' | string;
type Builder = (b: GraphBuilder, x: string) => string | readonly string[];

const X: readonly number[] = [1, 8, 4, 4];

/** One node named N on a [1,8,4,4] float input, its outputs declared with `out` where shape inference cannot know them. */
function node(op: string, inputs: (b: GraphBuilder, x: string) => readonly (string | undefined)[] = (_b, x) => [x], attrs: Record<string, AttributeInput | undefined> = {}, outputs = 1): Builder {
  return (b, x) => b.opMulti(op, inputs(b, x), attrs, { name: N, outputs });
}

const c = (b: GraphBuilder, dtype: DataType, dims: readonly number[], values: readonly number[]): string => b.constant('c', dtype, dims, values);
const rt = (b: GraphBuilder, name: string, dtype: DataType, shape: Shape): string => b.input(name, dtype, shape);

function cmp(op: string): Builder {
  return (b, x) => {
    const y = b.op(op, [x, b.scalar(0.5)], {}, { name: N });
    return b.op('Cast', [y], { to: attr.int(10) }, { name: 'cast' });
  };
}

function subgraph(name: string, build: (g: GraphBuilder) => void): GraphBuilder {
  const g = new GraphBuilder(name);
  build(g);
  return g;
}

function constantBranch(name: string): GraphBuilder {
  return subgraph(name, (g) => g.output(g.op('Constant', [], { value: filled([1]) }), 'float32', [1]));
}

/** Every row: its builder (default: the op on x) and its status on orin-dla. */
const ROWS: Record<string, { status: Status; build?: Builder; opset?: number }> = {
  Abs: { status: 'dla' },
  Acos: { status: 'op.no-dla' },
  Acosh: { status: 'op.no-dla' },
  Add: { status: 'dla', build: node('Add', (b, x) => [x, c(b, 'float32', [1, 8, 1, 1], new Array(8).fill(1))]) },
  And: { status: 'op.needs-rewrite', build: node('And', (b) => [rt(b, 'p', 'bool', X), rt(b, 'q', 'bool', X)]) },
  Asin: { status: 'op.no-dla' },
  Asinh: { status: 'op.no-dla' },
  Atan: { status: 'op.no-dla' },
  Atanh: { status: 'op.trt-version' },
  AveragePool: { status: 'dla', build: node('AveragePool', undefined, { kernel_shape: [2, 2] }) },
  BatchNormalization: {
    status: 'dla',
    build: node('BatchNormalization', (b, x) => [x, b.initializer('s', filled([8])), b.initializer('b', filled([8])), b.initializer('m', filled([8])), b.initializer('v', filled([8]))]),
  },
  Ceil: { status: 'op.no-dla' },
  Celu: { status: 'op.no-dla' },
  Clip: { status: 'dla', build: node('Clip', (b, x) => [x, b.scalar(0), b.scalar(6)]) },
  Concat: { status: 'dla', build: node('Concat', (_b, x) => [x, x], { axis: attr.int(1) }) },
  Constant: { status: 'build', build: (b, x) => [x, b.op('Constant', [], { value: filled([2]) }, { name: N })] },
  ConstantOfShape: { status: 'build', build: node('ConstantOfShape', (b) => [c(b, 'int64', [4], [1, 2, 3, 4])]) },
  Conv: { status: 'dla', build: node('Conv', (b, x) => [x, b.initializer('w', filled([4, 8, 3, 3]))], { pads: [1, 1, 1, 1] }) },
  ConvTranspose: { status: 'dla', build: node('ConvTranspose', (b, x) => [x, b.initializer('w', filled([8, 4, 2, 2]))], { strides: [2, 2] }) },
  Cos: { status: 'op.trt-version' },
  Cosh: { status: 'op.no-dla' },
  CumSum: { status: 'op.needs-rewrite', build: node('CumSum', (b, x) => [x, c(b, 'int64', [], [1])]) },
  DepthToSpace: { status: 'op.needs-rewrite', build: node('DepthToSpace', undefined, { blocksize: attr.int(2) }) },
  DequantizeLinear: { status: 'op.needs-rewrite', build: node('DequantizeLinear', (b) => [rt(b, 'q', 'int8', X), b.scalar(0.1), c(b, 'int8', [], [0])]) },
  Div: { status: 'op.trt-version', build: node('Div', (b, x) => [x, b.scalar(2)]) },
  Elu: { status: 'op.no-dla' },
  Equal: { status: 'dla', build: cmp('Equal') },
  Erf: { status: 'op.no-dla' },
  Exp: { status: 'op.no-dla' },
  Expand: { status: 'op.no-dla', build: node('Expand', (b, x) => [x, c(b, 'int64', [4], [2, 8, 4, 4])]) },
  Flatten: { status: 'op.no-dla' },
  Floor: { status: 'op.no-dla' },
  Gather: { status: 'op.needs-rewrite', build: node('Gather', (b, x) => [x, c(b, 'int64', [2], [0, 3])], { axis: attr.int(1) }) },
  GatherElements: { status: 'op.needs-rewrite', build: node('GatherElements', (b, x) => [x, rt(b, 'i', 'int64', X)], { axis: attr.int(1) }) },
  GatherND: { status: 'op.needs-rewrite', build: node('GatherND', (b, x) => [x, rt(b, 'i', 'int64', [1, 1])]) },
  Gemm: { status: 'dla', build: node('Gemm', (b) => [rt(b, 'v', 'float32', [1, 8]), b.initializer('w', filled([8, 4]))]) },
  GlobalAveragePool: { status: 'op.no-dla' },
  GlobalLpPool: { status: 'op.no-dla' },
  GlobalMaxPool: { status: 'op.trt-version' },
  Greater: { status: 'op.trt-version', build: cmp('Greater') },
  GreaterOrEqual: { status: 'op.no-dla', build: node('GreaterOrEqual', (b, x) => [x, b.scalar(0.5)]) },
  GroupNormalization: { status: 'op.no-dla', build: node('GroupNormalization', (b, x) => [x, b.initializer('s', filled([2])), b.initializer('b', filled([2]))], { num_groups: attr.int(2) }), opset: 18 },
  GRU: { status: 'op.needs-rewrite', build: node('GRU', (b) => [rt(b, 's', 'float32', [2, 1, 4]), b.initializer('w', filled([1, 9, 4])), b.initializer('r', filled([1, 9, 3]))], { hidden_size: attr.int(3) }, 2) },
  HardSigmoid: { status: 'op.no-dla' },
  HardSwish: { status: 'op.no-dla' },
  Identity: { status: 'op.needs-rewrite' },
  InstanceNormalization: { status: 'op.no-dla', build: node('InstanceNormalization', (b, x) => [x, b.initializer('s', filled([8])), b.initializer('b', filled([8]))]) },
  LayerNormalization: { status: 'op.no-dla', build: node('LayerNormalization', (b, x) => [x, b.initializer('s', filled([4])), b.initializer('b', filled([4]))]) },
  LeakyRelu: { status: 'dla' },
  Less: { status: 'op.trt-version', build: cmp('Less') },
  LessOrEqual: { status: 'op.no-dla', build: node('LessOrEqual', (b, x) => [x, b.scalar(0.5)]) },
  Log: { status: 'op.no-dla' },
  LogSoftmax: { status: 'op.no-dla' },
  LpNormalization: { status: 'op.no-dla' },
  LpPool: { status: 'op.no-dla', build: node('LpPool', undefined, { kernel_shape: [2, 2] }) },
  LRN: { status: 'dla', build: node('LRN', undefined, { size: attr.int(3) }) },
  LSTM: { status: 'op.needs-rewrite', build: node('LSTM', (b) => [rt(b, 's', 'float32', [2, 1, 4]), b.initializer('w', filled([1, 12, 4])), b.initializer('r', filled([1, 12, 3]))], { hidden_size: attr.int(3) }, 2) },
  MatMul: { status: 'dla', build: node('MatMul', (b, x) => [x, b.initializer('w', filled([4, 4]))]) },
  Max: { status: 'dla', build: node('Max', (_b, x) => [x, x]) },
  MaxPool: { status: 'dla', build: node('MaxPool', undefined, { kernel_shape: [2, 2] }) },
  Mean: { status: 'op.no-dla', build: node('Mean', (_b, x) => [x, x]) },
  MeanVarianceNormalization: { status: 'op.no-dla' },
  Min: { status: 'dla', build: node('Min', (_b, x) => [x, x]) },
  Mish: { status: 'op.no-dla', opset: 18 },
  Mod: { status: 'op.no-dla', build: node('Mod', (_b, x) => [x, x], { fmod: attr.int(1) }) },
  Mul: { status: 'dla', build: node('Mul', (_b, x) => [x, x]) },
  Neg: { status: 'op.needs-rewrite' },
  Not: { status: 'op.needs-rewrite', build: node('Not', (b) => [rt(b, 'p', 'bool', X)]) },
  Or: { status: 'op.needs-rewrite', build: node('Or', (b) => [rt(b, 'p', 'bool', X), rt(b, 'q', 'bool', X)]) },
  Pad: { status: 'op.no-dla', build: node('Pad', (b, x) => [x, c(b, 'int64', [8], [0, 0, 1, 1, 0, 0, 1, 1])]) },
  PRelu: { status: 'dla', build: node('PRelu', (b, x) => [x, b.initializer('slope', filled([8, 1, 1]))]) },
  QuantizeLinear: { status: 'op.needs-rewrite', build: node('QuantizeLinear', (b, x) => [x, b.scalar(0.1), c(b, 'int8', [], [0])]) },
  Reciprocal: { status: 'op.no-dla' },
  ReduceL1: { status: 'op.no-dla' },
  ReduceL2: { status: 'op.no-dla' },
  ReduceLogSum: { status: 'op.no-dla' },
  ReduceLogSumExp: { status: 'op.no-dla' },
  ReduceMean: { status: 'op.no-dla', build: node('ReduceMean', undefined, { axes: [2, 3] }) },
  ReduceMin: { status: 'op.no-dla' },
  ReduceSum: { status: 'op.needs-rewrite', build: node('ReduceSum', (b, x) => [x, c(b, 'int64', [1], [1])]) },
  ReduceSumSquare: { status: 'op.no-dla' },
  Relu: { status: 'dla' },
  Reshape: { status: 'dla', build: node('Reshape', (b, x) => [x, c(b, 'int64', [4], [1, 8, 2, 8])]) },
  Resize: {
    status: 'dla',
    build: node('Resize', (b, x) => [x, '', c(b, 'float32', [4], [1, 1, 2, 2])], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }),
  },
  RNN: { status: 'op.needs-rewrite', build: node('RNN', (b) => [rt(b, 's', 'float32', [2, 1, 4]), b.initializer('w', filled([1, 3, 4])), b.initializer('r', filled([1, 3, 3]))], { hidden_size: attr.int(3) }, 2) },
  Round: { status: 'op.no-dla' },
  Scatter: { status: 'op.needs-rewrite', build: node('Scatter', (b, x) => [x, rt(b, 'i', 'int64', X), x]), opset: 10 },
  ScatterElements: { status: 'op.needs-rewrite', build: node('ScatterElements', (b, x) => [x, rt(b, 'i', 'int64', X), x]) },
  Selu: { status: 'op.no-dla' },
  Shape: { status: 'build' },
  Shrink: { status: 'op.no-dla' },
  Sigmoid: { status: 'dla' },
  Sign: { status: 'op.no-dla' },
  Sin: { status: 'op.trt-version' },
  Sinh: { status: 'op.no-dla' },
  Slice: { status: 'dla', build: node('Slice', (b, x) => [x, c(b, 'int64', [1], [0]), c(b, 'int64', [1], [4]), c(b, 'int64', [1], [1])]) },
  Softmax: { status: 'dla', build: node('Softmax', undefined, { axis: attr.int(1) }) },
  Softplus: { status: 'op.no-dla' },
  Softsign: { status: 'op.no-dla' },
  SpaceToDepth: { status: 'op.needs-rewrite', build: node('SpaceToDepth', undefined, { blocksize: attr.int(2) }) },
  Split: { status: 'dla', build: node('Split', (b, x) => [x, c(b, 'int64', [2], [4, 4])], { axis: attr.int(1) }, 2) },
  Sqrt: { status: 'op.no-dla' },
  Squeeze: { status: 'op.no-dla', build: node('Squeeze', (b) => [rt(b, 'v', 'float32', [1, 8, 1, 1]), c(b, 'int64', [2], [2, 3])]) },
  Sub: { status: 'dla', build: node('Sub', (_b, x) => [x, x]) },
  Sum: { status: 'dla', build: node('Sum', (_b, x) => [x, x, x]) },
  Tan: { status: 'op.no-dla' },
  Tanh: { status: 'dla' },
  ThresholdedRelu: { status: 'op.no-dla' },
  Tile: { status: 'op.no-dla', build: node('Tile', (b, x) => [x, c(b, 'int64', [4], [1, 1, 2, 2])]) },
  Transpose: { status: 'dla', build: node('Transpose', undefined, { perm: [0, 1, 3, 2] }) },
  Unsqueeze: { status: 'op.no-dla', build: node('Unsqueeze', (b, x) => [x, c(b, 'int64', [1], [0])]) },
  Upsample: { status: 'dla', build: node('Upsample', (b, x) => [x, c(b, 'float32', [4], [1, 1, 2, 2])], { mode: 'nearest' }), opset: 9 },
  Where: { status: 'op.needs-rewrite', build: node('Where', (b, x) => [rt(b, 'p', 'bool', X), x, x]) },
  Xor: { status: 'op.needs-rewrite', build: node('Xor', (b) => [rt(b, 'p', 'bool', X), rt(b, 'q', 'bool', X)]) },
  // extra ops of the TensorRT 8.6 parser
  ArgMax: { status: 'op.no-dla' },
  ArgMin: { status: 'op.no-dla' },
  Cast: { status: 'dla', build: (b, x) => b.op('Cast', [b.op('Equal', [x, b.scalar(0.5)], {}, { name: 'eq' })], { to: attr.int(10) }, { name: N }) },
  Dropout: { status: 'build' },
  Einsum: { status: 'op.no-dla', build: node('Einsum', (_b, x) => [x, x], { equation: 'abcd,abcd->abcd' }) },
  EyeLike: { status: 'build', build: node('EyeLike', (b) => [rt(b, 'v', 'float32', [4, 4])]) },
  GridSample: { status: 'op.no-dla', build: node('GridSample', (b, x) => [x, rt(b, 'g', 'float32', [1, 4, 4, 2])]) },
  If: {
    status: 'op.no-dla',
    build: node('If', (b) => [rt(b, 'p', 'bool', [1])], { then_branch: constantBranch('then').graph, else_branch: constantBranch('else').graph }),
  },
  Loop: {
    status: 'op.no-dla',
    build: node('Loop', (b, x) => [c(b, 'int64', [], [2]), rt(b, 'p', 'bool', []), x], {
      body: subgraph('body', (g) => {
        g.input('i', 'int64', []);
        const cond = g.input('cond', 'bool', []);
        const v = g.input('v', 'float32', X);
        g.output(g.op('Identity', [cond]), 'bool', []);
        g.output(g.op('Relu', [v]), 'float32', X);
      }).graph,
    }),
  },
  Scan: {
    status: 'op.no-dla',
    build: node('Scan', (b) => [rt(b, 's0', 'float32', [1]), rt(b, 'xs', 'float32', [3, 1])], {
      num_scan_inputs: attr.int(1),
      body: subgraph('body', (g) => {
        const s = g.input('s', 'float32', [1]);
        const e = g.input('e', 'float32', [1]);
        g.output(g.op('Add', [s, e]), 'float32', [1]);
        g.output(g.op('Identity', [e]), 'float32', [1]);
      }).graph,
    }, 2),
  },
  ImageScaler: {
    status: 'dla',
    build: (b, x) => {
      const y = b.op('ImageScaler', [x], { scale: attr.float(2), bias: attr.floats(new Array(8).fill(0.5)) }, { name: N });
      b.graph.setValueType(y, { kind: 'tensor', dtype: 'float32', shape: X }); // experimental op: no shape inference, so its output is declared
      return y;
    },
    opset: 9,
  },
  IsInf: { status: 'op.no-dla' },
  IsNaN: { status: 'op.no-dla' },
  NonMaxSuppression: { status: 'op.no-dla', build: node('NonMaxSuppression', (b) => [rt(b, 'boxes', 'float32', [1, 4, 4]), rt(b, 'scores', 'float32', [1, 1, 4])]) },
  NonZero: { status: 'op.no-dla' },
  OneHot: { status: 'op.no-dla', build: node('OneHot', (b) => [rt(b, 'i', 'int64', [4]), c(b, 'int64', [], [3]), c(b, 'float32', [2], [0, 1])]) },
  ParametricSoftplus: { status: 'op.no-dla', opset: 9 },
  ScaledTanh: { status: 'op.no-dla', opset: 9 },
  Pow: { status: 'op.trt-version', build: node('Pow', (b, x) => [x, b.scalar(2)]) },
  RandomNormal: { status: 'op.no-dla', build: (b, x) => [x, b.op('RandomNormal', [], { shape: [1, 8, 4, 4] }, { name: N })] },
  RandomNormalLike: { status: 'op.no-dla' },
  RandomUniform: { status: 'op.no-dla', build: (b, x) => [x, b.op('RandomUniform', [], { shape: [1, 8, 4, 4] }, { name: N })] },
  RandomUniformLike: { status: 'op.no-dla' },
  Range: { status: 'op.no-dla', build: node('Range', (b) => [rt(b, 'start', 'float32', []), rt(b, 'limit', 'float32', []), rt(b, 'delta', 'float32', [])]) },
  ReduceMax: { status: 'op.trt-version', build: node('ReduceMax', undefined, { axes: [2, 3] }) },
  ReduceProd: { status: 'op.no-dla' },
  ReverseSequence: { status: 'op.no-dla', build: node('ReverseSequence', (b) => [rt(b, 'v', 'float32', [4, 2, 3]), rt(b, 'lens', 'int64', [2])]) },
  RoiAlign: { status: 'op.no-dla', build: node('RoiAlign', (b, x) => [x, rt(b, 'rois', 'float32', [1, 4]), rt(b, 'idx', 'int64', [1])]) },
  ScatterND: { status: 'op.no-dla', build: node('ScatterND', (b, x) => [x, rt(b, 'i', 'int64', [1, 1]), rt(b, 'u', 'float32', [1, 8, 4, 4])]) },
  Size: { status: 'build' },
  TopK: { status: 'op.no-dla', build: node('TopK', (b, x) => [x, c(b, 'int64', [1], [2])], {}, 2) },
  Trilu: { status: 'op.no-dla' },
};

/** TensorRT 10 (orin-dla-trt10): rows whose status differs from orin-dla. */
const TRT10: Record<string, Status> = {
  Atanh: 'dla',
  Cos: 'dla',
  Sin: 'dla',
  Div: 'dla',
  Greater: 'dla',
  Less: 'dla',
  GlobalMaxPool: 'dla',
  Pow: 'dla',
  ReduceMax: 'dla',
};

/** Xavier (xavier-dla, TensorRT 8.5): rows whose status differs from orin-dla, from the reference's Xavier column. */
const XAVIER: Record<string, Status> = {
  AveragePool: 'pool.count-include-pad', // P7: the model uses the ONNX default count_include_pad = 0
  Equal: 'op.no-dla', // GPU (UNCONF)
  Cast: 'op.no-dla',
  Softmax: 'op.no-dla', // X1: Orin only
  Reshape: 'op.no-dla', // SH5: assume GPU
  Transpose: 'op.no-dla',
  Atanh: 'op.no-dla',
  Cos: 'op.no-dla',
  Sin: 'op.no-dla',
  Div: 'op.no-dla',
  Greater: 'op.no-dla',
  Less: 'op.no-dla',
  Pow: 'op.no-dla',
  ReduceMax: 'op.no-dla',
  GlobalAveragePool: 'op.needs-rewrite', // Xavier column: recipe
  GlobalMaxPool: 'op.needs-rewrite',
  ReduceMean: 'op.needs-rewrite',
  And: 'op.no-dla', // Xavier column: GPU
  CumSum: 'op.no-dla',
};

function modelFor(op: string): Model {
  const row = ROWS[op]!;
  const fn = row.build ?? node(op);
  return build((b) => fn(b, b.input('x', 'float32', X)), row.opset ?? 17);
}

function statusOf(model: Model, target: string): Status {
  const v = verdict(run(model, { target }));
  if (v.placement === 'target') return 'dla';
  if (v.placement === 'build') return 'build';
  return v.rule ?? '?';
}

describe('every operator row of the reference table', () => {
  it('has a test row, and the table has the 114 R-OPS and 32 parser rows of the reference', () => {
    assert.deepEqual(OP_TABLE.map((r) => r.op).filter((op) => !(op in ROWS)), []);
    assert.deepEqual(Object.keys(ROWS).filter((op) => !OP_TABLE.some((r) => r.op === op)), []);
    assert.equal(OP_TABLE.filter((r) => r.source === 'R-OPS').length, 114);
    assert.equal(OP_TABLE.filter((r) => r.source === 'P86').length, 32);
  });

  for (const [target, diff] of [
    ['orin-dla', {}],
    ['orin-dla-trt10', TRT10],
    ['xavier-dla', XAVIER],
  ] as const) {
    describe(target, () => {
      for (const op of Object.keys(ROWS)) {
        const expected = (diff as Record<string, Status>)[op] ?? ROWS[op]!.status;
        it(`${op} → ${expected}`, () => {
          assert.equal(statusOf(modelFor(op), target), expected);
        });
      }
    });
  }

  it('an op outside the table falls back as op.unknown (DLA) and op.not-imported (TensorRT GPU)', () => {
    const m = () => build((b) => b.op('Gelu', [b.input('x', 'float32', X)], {}, { name: N }), 20);
    assert.equal(verdict(run(m())).rule, 'op.unknown');
    assert.equal(verdict(run(m(), { target: 'gpu' })).rule, 'op.not-imported');
    assert.equal(verdict(run(m(), { target: 'cpu' })).placement, 'target');
    const custom = build((b) => b.op('Custom', [b.input('x', 'float32', X)], {}, { name: N, domain: 'com.example' }));
    assert.equal(verdict(run(custom)).rule, 'op.unknown');
  });

  it('the TensorRT GPU runs every parser row except Mish', () => {
    for (const op of Object.keys(ROWS)) {
      const s = statusOf(modelFor(op), 'gpu');
      if (op === 'Mish') assert.equal(s, 'op.not-imported');
      else assert.ok(s === 'dla' || s === 'build', `${op} on gpu: ${s}`);
    }
  });
});
