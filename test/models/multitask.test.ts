import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkGraph } from '../../src/ir/check.js';
import type { Model } from '../../src/ir/model.js';
import { buildMultitask, MULTITASK_IO, type MultitaskOptions } from '../../src/models/index.js';
import { encodeModel } from '../../src/onnx/index.js';
import { checkEquivalent } from '../../src/runtime/verify.js';
import { isTandemError } from '../../src/util/errors.js';
import { countParameters, opHistogram, runOnCpu, summarize } from './helpers.js';

/**
 * MiT-B0 parameters from the architecture (SegFormer Table 6 / NVlabs mit_b0), written out here rather
 * than read from the code under test. Per stage with width C, previous width C', patch kernel k and
 * reduction R: patch conv C'·C·k² + C and its LayerNorm 2C; per block two LayerNorms 4C, q C²+C,
 * kv 2C²+2C, proj C²+C, sr conv C²R² + C and its LayerNorm 2C when R > 1, fc1 4C²+4C, depthwise 3x3
 * 36C+4C, fc2 4C²+C; a final LayerNorm 2C. MiT-B0 comes to 3,319,392 (the "3.3 M" usually quoted;
 * SegFormer's 3.7 M for B0 includes the decoder).
 */
function mitParameters(stages: readonly { c: number; k: number; r: number; depth: number }[]): number {
  let total = 0;
  let prev = 3;
  for (const { c, k, r, depth } of stages) {
    const block = 4 * c + (c * c + c) + (2 * c * c + 2 * c) + (c * c + c) + (r > 1 ? c * c * r * r + c + 2 * c : 0) + (4 * c * c + 4 * c) + (36 * c + 4 * c) + (4 * c * c + c);
    total += prev * c * k * k + c + 2 * c + depth * block + 2 * c;
    prev = c;
  }
  return total;
}

const MIT_B0_TABLE = [
  { c: 32, k: 7, r: 8, depth: 2 },
  { c: 64, k: 3, r: 4, depth: 2 },
  { c: 160, k: 3, r: 2, depth: 2 },
  { c: 256, k: 3, r: 1, depth: 2 },
];
const ENCODER_PARAMETERS = 3_319_392;
/** Σ_i (C_i·256 + 256) linear_c, 256·256 linear_fuse conv (no bias) + 2·256 BN, 256·19 + 19 linear_pred. */
const SEG_HEAD_PARAMETERS = 203_027;
/** 3x3 convs 256→160→64→32→16→16 with biases, and 16→1. */
const DEPTH_HEAD_PARAMETERS = 486_577;

const SMALL: MultitaskOptions = { height: 64, width: 128 };
let small: Model | undefined;
const smallModel = (): Model => (small ??= buildMultitask(SMALL));

const intAttr = (model: Model, node: string, name: string): number | undefined => {
  const a = model.graph.node(node)?.attrs.get(name);
  return a?.type === 'int' ? a.value : undefined;
};

describe('multitask', () => {
  test('parameter counts: MiT-B0 encoder, summed SegFormer head, depth decoder', () => {
    const model = smallModel();
    assert.equal(mitParameters(MIT_B0_TABLE), ENCODER_PARAMETERS);
    assert.equal(countParameters(model, 'backbone.'), ENCODER_PARAMETERS);
    assert.equal(countParameters(model, 'seg_head.'), SEG_HEAD_PARAMETERS);
    assert.equal(countParameters(model, 'depth_head.'), DEPTH_HEAD_PARAMETERS);
    assert.equal(countParameters(model), ENCODER_PARAMETERS + SEG_HEAD_PARAMETERS + DEPTH_HEAD_PARAMETERS);
    // the sum, not the concat: linear_fuse reads E channels, not 4E
    assert.deepEqual(model.graph.initializer('seg_head.linear_fuse.conv.weight')?.dims, [256, 256, 1, 1]);
  });

  test('op structure: LayerNorm, MatMul, Softmax over the last axis, depthwise convs, Gather for k/v', () => {
    const model = smallModel();
    assert.deepEqual(checkGraph(model.graph), []);
    assert.equal(model.opset(''), 17);
    const h = opHistogram(model);
    // per stage: patch-embed norm, 2 blocks x (norm1, norm2), sr norm per block when R > 1, stage norm
    assert.equal(h.LayerNormalization, 8 + 8 + 8 + 6);
    // per block q, kv, QKᵀ, AV, proj, fc1, fc2; plus the head's four linear_c
    assert.equal(h.MatMul, 8 * 7 + 4);
    assert.equal(h.Softmax, 8);
    assert.equal(h.Gather, 16);
    assert.equal(h.Erf, 8);
    assert.equal(h.BatchNormalization, 1);
    assert.equal(h.Sigmoid, 1);
    assert.equal(h.Concat, undefined, 'heads sum features, never concatenate');
    for (const n of model.graph.nodes.filter((n) => n.op === 'Softmax')) assert.equal(intAttr(model, n.name, 'axis'), -1);

    const depthwise = model.graph.nodes.filter((n) => n.op === 'Conv' && (intAttr(model, n.name, 'group') ?? 1) > 1);
    assert.deepEqual(
      depthwise.map((n) => intAttr(model, n.name, 'group')),
      [128, 128, 256, 256, 640, 640, 1024, 1024],
    );
    for (const n of depthwise) {
      const w = model.graph.initializer(n.inputs[1]!)!;
      assert.deepEqual(w.dims, [intAttr(model, n.name, 'group'), 1, 3, 3], `${n.name} is depthwise`);
    }
    // sequence reduction: conv with kernel = stride = R in stages 1-3 only
    for (const [stage, r] of [[1, 8], [2, 4], [3, 2]] as const) {
      assert.deepEqual(model.graph.initializer(`backbone.block${stage}.0.attn.sr.weight`)?.dims.slice(2), [r, r]);
    }
    assert.equal(model.graph.initializer('backbone.block4.0.attn.sr.weight'), undefined);
    assert.deepEqual(model.graph.initializer('backbone.patch_embed1.proj.weight')?.dims, [32, 3, 7, 7]);
    assert.deepEqual(model.graph.initializer('backbone.block3.1.attn.kv.weight')?.dims, [160, 320], 'Linear weight stored [in, out] for MatMul');

    const resizes = model.graph.nodes.filter((n) => n.op === 'Resize').map((n) => {
      const mode = n.attrs.get('mode');
      return `${n.name.split('/')[1]}:${mode?.type === 'string' ? mode.value : '?'}`;
    });
    assert.deepEqual(resizes.sort(), [...Array(5).fill('depth_head:nearest'), ...Array(3).fill('seg_head:linear')]);
    // the attention scale is a Mul by the constant 1/√32
    const scale = model.graph.node('/backbone/block2/block2.0/attn/Mul');
    assert.equal(scale?.op, 'Mul');
    assert.ok(Math.abs((model.graph.initializer(scale.inputs[1]!)!.data as Float32Array)[0]! - 1 / Math.sqrt(32)) < 1e-7);
  });

  test('runs on cpu at 64x128: shapes, finite non-constant outputs, NCHW features at 1/4..1/32', async () => {
    const model = buildMultitask(SMALL);
    const featureShapes = [
      [1, 32, 16, 32],
      [1, 64, 8, 16],
      [1, 160, 4, 8],
      [1, 256, 2, 4],
    ];
    MULTITASK_IO.features.forEach((f, i) => model.graph.addOutput(f, { kind: 'tensor', dtype: 'float32', shape: featureShapes[i]! }));
    const out = await runOnCpu(model);
    const seg = summarize(out[MULTITASK_IO.segmentation]!);
    const depth = summarize(out[MULTITASK_IO.depth]!);
    assert.deepEqual(seg.dims, [1, 19, 16, 32]);
    assert.deepEqual(depth.dims, [1, 1, 64, 128]);
    assert.equal(seg.nonFinite + depth.nonFinite, 0);
    assert.ok(seg.std > 0.05 && seg.distinct > 1000, `segmentation std ${seg.std}`);
    assert.ok(depth.min > 0 && depth.max < 1 && depth.std > 0.01 && depth.distinct > 1000, `depth ${JSON.stringify(depth)}`);
    MULTITASK_IO.features.forEach((f, i) => {
      const s = summarize(out[f]!);
      assert.deepEqual(s.dims, featureShapes[i]);
      // each stage ends in a LayerNorm: about zero mean, unit spread
      assert.ok(Math.abs(s.mean) < 0.2 && s.std > 0.5 && s.std < 2, `${f}: ${JSON.stringify(s)}`);
    });
  });

  test('declares the type of every graph input and output', () => {
    const model = buildMultitask({ height: 96, width: 160, batch: 2, classes: 7 });
    const type = (name: string): unknown => model.graph.value(name)?.type;
    assert.deepEqual(type(MULTITASK_IO.input), { kind: 'tensor', dtype: 'float32', shape: [2, 3, 96, 160] });
    assert.deepEqual(type(MULTITASK_IO.segmentation), { kind: 'tensor', dtype: 'float32', shape: [2, 7, 24, 40] });
    assert.deepEqual(type(MULTITASK_IO.depth), { kind: 'tensor', dtype: 'float32', shape: [2, 1, 96, 160] });
    assert.deepEqual(model.graph.outputs, [MULTITASK_IO.segmentation, MULTITASK_IO.depth]);
  });

  test('batch 2, non-square 96x160: declared shapes are what onnxruntime returns; images differ', async () => {
    const model = buildMultitask({ height: 96, width: 160, batch: 2 });
    const out = await runOnCpu(model, 3);
    for (const name of model.graph.outputs) {
      const declared = model.graph.value(name)?.type;
      assert.ok(declared?.kind === 'tensor');
      assert.deepEqual(out[name]!.dims, declared.shape);
    }
    const d = out[MULTITASK_IO.depth]!.data as Float32Array;
    const half = d.length / 2;
    let diff = 0;
    for (let i = 0; i < half; i++) diff = Math.max(diff, Math.abs(d[i]! - d[half + i]!));
    assert.ok(diff > 1e-3, 'two random images give different depth maps');
  });

  test('is deterministic: same options give byte-identical models, another seed other weights', () => {
    const a = encodeModel(smallModel());
    const b = encodeModel(buildMultitask(SMALL));
    assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0);
    const other = buildMultitask({ ...SMALL, seed: 42 });
    const name = 'backbone.block1.0.attn.q.weight';
    assert.notDeepEqual(other.graph.initializer(name)!.data, smallModel().graph.initializer(name)!.data);
  });

  test("segLinear 'conv' writes the head's Linear layers as 1x1 convs with the same function", async () => {
    const conv = buildMultitask({ ...SMALL, segLinear: 'conv' });
    const headOps = (m: Model): string[] => [...new Set(m.graph.nodes.filter((n) => n.name.startsWith('/seg_head/')).map((n) => n.op))].sort();
    assert.deepEqual(headOps(conv), ['Add', 'BatchNormalization', 'Conv', 'Relu', 'Resize']);
    assert.deepEqual(headOps(smallModel()), ['Add', 'BatchNormalization', 'Conv', 'MatMul', 'Relu', 'Reshape', 'Resize', 'Transpose']);
    assert.deepEqual(conv.graph.initializer('seg_head.linear_c1.proj.weight')?.dims, [256, 32, 1, 1]);
    assert.equal(countParameters(conv), countParameters(smallModel()));
    const report = await checkEquivalent(smallModel(), conv, { tolerance: 1e-5 });
    assert.ok(report.ok, JSON.stringify(report.outputs));
  });

  test('foldBatchNorm folds linear_fuse and computes the same function', async () => {
    const folded = buildMultitask({ ...SMALL, foldBatchNorm: true });
    assert.equal(opHistogram(folded).BatchNormalization, undefined);
    assert.deepEqual(folded.graph.initializer('seg_head.linear_fuse.conv.bias')?.dims, [256]);
    assert.equal(countParameters(folded), countParameters(smallModel()) - 256);
    const report = await checkEquivalent(smallModel(), folded, { tolerance: 1e-5 });
    assert.ok(report.ok, JSON.stringify(report.outputs));
  });

  test('depthSkips: false drops the three skip additions and changes only the depth output', async () => {
    const plain = buildMultitask({ ...SMALL, depthSkips: false });
    const depthAdds = (m: Model): number => m.graph.nodes.filter((n) => n.op === 'Add' && n.name.startsWith('/depth_head/')).length;
    assert.equal(depthAdds(smallModel()), 3);
    assert.equal(depthAdds(plain), 0);
    const report = await checkEquivalent(smallModel(), plain, { tolerance: 1e-6, trials: 1 });
    const byName = Object.fromEntries(report.outputs.map((o) => [o.name, o]));
    assert.ok(byName[MULTITASK_IO.segmentation]!.relL2 <= 1e-6, 'segmentation unchanged');
    assert.ok(byName[MULTITASK_IO.depth]!.shapeMatch && byName[MULTITASK_IO.depth]!.relL2 > 1e-3, 'depth changed');
  });

  test('rejects bad options with a USAGE error that names the option', () => {
    assert.throws(
      () => buildMultitask({ height: 500 }),
      (e) => isTandemError(e, 'USAGE') && e.message === 'multitask: option height is 500; expected a positive multiple of 32',
    );
    assert.throws(() => buildMultitask({ width: 0 }), (e) => isTandemError(e, 'USAGE') && e.message.includes('option width is 0'));
    assert.throws(() => buildMultitask({ batch: 1.5 }), (e) => isTandemError(e, 'USAGE') && e.message.includes('option batch is 1.5'));
    assert.throws(
      () => buildMultitask({ segLinear: 'dense' as 'conv' }),
      (e) => isTandemError(e, 'USAGE') && e.message === 'multitask: option segLinear is "dense"; expected one of matmul, conv',
    );
  });

  test('default size 512x1024: segmentation [1,19,128,256] (1/4), depth [1,1,512,1024]', async () => {
    const started = performance.now();
    const model = buildMultitask();
    const out = await runOnCpu(model);
    const seg = summarize(out[MULTITASK_IO.segmentation]!);
    const depth = summarize(out[MULTITASK_IO.depth]!);
    assert.deepEqual(seg.dims, [1, 19, 128, 256]);
    assert.deepEqual(depth.dims, [1, 1, 512, 1024]);
    assert.equal(seg.nonFinite + depth.nonFinite, 0);
    assert.ok(seg.std > 0.05 && depth.std > 0.01 && depth.min > 0 && depth.max < 1);
    assert.ok(performance.now() - started < 60_000);
  });
});
