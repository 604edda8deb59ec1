import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { OPS, OpRegistry, inferShapes, opInfo } from '../../src/ops/index.js';
import { isTandemError } from '../../src/util/errors.js';

/** The ops the foundation issue names; each must have a row. */
const REQUIRED = `Conv ConvTranspose MaxPool AveragePool GlobalAveragePool GlobalMaxPool BatchNormalization InstanceNormalization
LayerNormalization GroupNormalization Add Sub Mul Div Pow Max Min Mean Sum Equal Less Greater And Or Xor Not Neg Abs Exp Log Sqrt
Reciprocal Floor Ceil Round Sin Cos MatMul Gemm Relu Sigmoid Tanh LeakyRelu PRelu Clip Erf Gelu HardSwish HardSigmoid Elu Selu
Softplus Mish Softmax LogSoftmax Reshape Transpose Flatten Squeeze Unsqueeze Concat Split Slice Gather GatherElements GatherND
ScatterElements Expand Tile Pad Resize Upsample Shape Size ConstantOfShape Constant Identity Dropout Cast CastLike ReduceSum ReduceMean
ReduceMax ReduceMin ReduceProd ArgMax ArgMin TopK NonMaxSuppression NonZero QuantizeLinear DequantizeLinear Where Range Einsum
DepthToSpace SpaceToDepth CumSum Trilu If Loop Scan`.split(/\s+/);

describe('the op table', () => {
  it('has a row for every op the foundation issue names', () => {
    const missing = REQUIRED.filter((op) => !OPS.has(op));
    assert.deepEqual(missing, []);
  });

  it('chooses the row by opset version', () => {
    assert.deepEqual(opInfo('Unsqueeze', '', 11)?.inputs.map((i) => i.name), ['data']);
    assert.ok(opInfo('Unsqueeze', '', 11)?.attrs['axes']);
    assert.deepEqual(opInfo('Unsqueeze', '', 13)?.inputs.map((i) => `${i.name}:${i.role}`), ['data:data', 'axes:config']);
    assert.equal(opInfo('ReduceMean', '', 17)?.since, 1);
    assert.equal(opInfo('ReduceMean', '', 18)?.since, 18);
    assert.equal(opInfo('ReduceSum', '', 13)?.since, 13);
    assert.equal(opInfo('Softmax', '', 12)?.attrs['axis']?.default, 1);
    assert.equal(opInfo('Softmax', '', 13)?.attrs['axis']?.default, -1);
    assert.ok(opInfo('Split', '', 18)?.attrs['num_outputs']);
    assert.equal(opInfo('Split', '', 17)?.attrs['num_outputs'], undefined);
    assert.equal(opInfo('Slice', '', 9)?.inputs.length, 1);
    assert.equal(opInfo('Slice', '', 10)?.inputs.length, 5);
    assert.equal(opInfo('Gelu', '', 17), undefined, 'Gelu starts at opset 20');
    assert.equal(opInfo('Gelu', '', 20)?.since, 20);
    assert.equal(opInfo('Reshape')?.since, 14, 'no opset: the newest row');
    assert.equal(opInfo('Conv', 'ai.onnx', 11)?.op, 'Conv');
    assert.equal(opInfo('Conv', 'com.example', 11), undefined);
  });

  it('records traits and input roles as data', () => {
    const conv = opInfo('Conv')!;
    assert.deepEqual(conv.traits.weightInputs, [1, 2]);
    assert.equal(conv.traits.hasWeights, true);
    assert.equal(conv.traits.quantizable, true);
    assert.equal(conv.traits.category, 'conv');
    assert.equal(opInfo('Add')!.traits.elementwise, true);
    assert.equal(opInfo('Add')!.traits.hasWeights, false);
    assert.equal(opInfo('Shape')!.traits.shapeOp, true);
    assert.equal(opInfo('Relu')!.traits.shapeOp, false);
    assert.equal(opInfo('Transpose')!.traits.movement, true);
    assert.equal(opInfo('Reshape')!.inputs[1]!.role, 'config');
    assert.deepEqual(opInfo('BatchNormalization')!.traits.weightInputs, [1, 2, 3, 4]);
    assert.equal(opInfo('Concat')!.inputs[0]!.variadic, true);
    assert.equal(opInfo('MaxPool')!.outputs[1]!.optional, true);
    assert.equal(opInfo('Conv')!.attrs['group']!.default, 1);
  });

  it('every row is well formed', () => {
    const rows = [...OPS];
    assert.ok(rows.length > 150, `${rows.length} rows`);
    for (const r of rows) {
      assert.ok(r.since >= 1, `${r.op} since ${r.since}`);
      assert.equal(typeof r.infer, 'function');
      const variadic = r.inputs.findIndex((i) => i.variadic);
      assert.ok(variadic === -1 || variadic === r.inputs.length - 1, `${r.op}: only the last input may be variadic`);
      assert.deepEqual(r.traits.weightInputs, r.inputs.flatMap((i, k) => (i.role === 'weight' ? [k] : [])));
    }
    assert.deepEqual(OPS.names(), [...new Set(OPS.names())].sort());
  });

  it('a lookup that misses says what exists', () => {
    assert.throws(() => OPS.require('Conv2D'), (e: unknown) => isTandemError(e, 'UNKNOWN_NAME') && /^unknown ai\.onnx op "Conv2D"; known: Abs, Acos, .*Conv, .* \(did you mean "Conv"\?\); those are the ops in tandem's op table$/.test(e.message));
    assert.throws(() => OPS.require('Gelu', '', 17), (e: unknown) => isTandemError(e, 'UNKNOWN_NAME') && e.message === "op Gelu (ai.onnx) starts at opset 20, but the model imports opset 17; raise the model's opset or replace the op");
    assert.throws(() => new OpRegistry([opInfo('Relu')!, opInfo('Relu')!]), /two rows for Relu since opset 1/);
  });

  it('inferShapes reports ops it has no row for and leaves their outputs unknown', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2, 3]);
    const custom = b.op('FancyOp', [x], {}, { domain: 'com.example' });
    const after = b.relu(custom);
    const gelu = b.op('Gelu', [x]);
    const model = buildModel(b);
    const report = inferShapes(model);
    assert.deepEqual(report.unknownOps, ['Gelu', 'com.example:FancyOp']);
    assert.deepEqual(report.unresolved, [custom, after, gelu]);
    assert.equal(model.graph.tensorType(after), undefined);
  });

  it('declared value_info fills what inference cannot know, and stale inferred types are cleared', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2, 3]);
    const custom = b.op('FancyOp', [x], {}, { domain: 'com.example' });
    const y = b.relu(custom);
    b.graph.setValueType(custom, { kind: 'tensor', dtype: 'float32', shape: [2, 'K'] });
    const model = buildModel(b);
    inferShapes(model);
    assert.deepEqual(model.graph.tensorType(y)?.shape, [2, 'K']);
    model.graph.setValueType(custom, { kind: 'tensor', dtype: 'float32', shape: [5] });
    inferShapes(model);
    assert.deepEqual(model.graph.tensorType(y)?.shape, [5]);
  });
});
