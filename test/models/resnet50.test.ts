import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkGraph } from '../../src/ir/check.js';
import type { Model } from '../../src/ir/model.js';
import { tensorValues } from '../../src/ir/tensor-values.js';
import { buildResNet50, RESNET50_IO } from '../../src/models/index.js';
import { encodeModel } from '../../src/onnx/index.js';
import { checkEquivalent } from '../../src/runtime/verify.js';
import { isTandemError } from '../../src/util/errors.js';
import { channelSpread, countParameters, opHistogram, runOnCpu, summarize } from './helpers.js';

/** torchvision.models.resnet50(): sum(p.numel() for p in model.parameters()). */
const TORCHVISION_RESNET50_PARAMETERS = 25_557_032;
/** BatchNorm channels in ResNet-50 (stem 64; per block planes + planes + 4·planes; 4·planes per downsample). */
const RESNET50_BN_CHANNELS = 26_560;

let small: Model | undefined;
const smallModel = (): Model => (small ??= buildResNet50({ height: 64, width: 64 }));

const attrInts = (model: Model, node: string, name: string): number[] | undefined => {
  const a = model.graph.node(node)?.attrs.get(name);
  return a?.type === 'ints' ? a.value : undefined;
};

describe('resnet50', () => {
  test('has the torchvision layout, names and exact parameter count', () => {
    const model = smallModel();
    assert.deepEqual(checkGraph(model.graph), []);
    assert.equal(model.opset(''), 17);
    assert.equal(countParameters(model), TORCHVISION_RESNET50_PARAMETERS);
    assert.deepEqual(opHistogram(model), {
      Conv: 53, // stem 1 + 16 blocks x 3 + 4 downsample
      BatchNormalization: 53,
      Relu: 49, // stem 1 + 16 blocks x 3
      MaxPool: 1,
      Add: 16,
      GlobalAveragePool: 1,
      Flatten: 1,
      Gemm: 1,
    });
    const dims = (name: string): readonly number[] | undefined => model.graph.initializer(name)?.dims;
    assert.deepEqual(dims('conv1.weight'), [64, 3, 7, 7]);
    assert.deepEqual(dims('layer1.0.conv2.weight'), [64, 64, 3, 3]);
    assert.deepEqual(dims('layer1.0.conv3.weight'), [256, 64, 1, 1]);
    assert.deepEqual(dims('layer3.5.bn3.running_var'), [1024]);
    assert.deepEqual(dims('layer4.0.downsample.0.weight'), [2048, 1024, 1, 1]);
    assert.deepEqual(dims('fc.weight'), [1000, 2048]);
    assert.equal(model.graph.initializer('layer1.0.conv1.bias'), undefined, 'torchvision convs have no bias');
    // v1.5: the stride sits on the 3x3 conv, and on the downsample conv
    assert.deepEqual(attrInts(model, '/layer2/layer2.0/conv1/Conv', 'strides'), [1, 1]);
    assert.deepEqual(attrInts(model, '/layer2/layer2.0/conv2/Conv', 'strides'), [2, 2]);
    assert.deepEqual(attrInts(model, '/layer2/layer2.0/downsample/downsample.0/Conv', 'strides'), [2, 2]);
    assert.deepEqual(attrInts(model, '/maxpool/MaxPool', 'kernel_shape'), [3, 3]);
    assert.equal(model.graph.producer(RESNET50_IO.output)?.name, '/fc/Gemm');
    assert.equal(model.graph.nodes.filter((n) => n.name.startsWith('/layer3/layer3.')).filter((n) => n.op === 'Add').length, 6);
  });

  test('batch-norm statistics are realistic: positive variances, non-trivial means', () => {
    const model = smallModel();
    const vars = [...model.graph.initializers].filter(([n]) => n.endsWith('.running_var')).flatMap(([, t]) => tensorValues(t));
    const means = [...model.graph.initializers].filter(([n]) => n.endsWith('.running_mean')).flatMap(([, t]) => tensorValues(t));
    assert.equal(vars.length, RESNET50_BN_CHANNELS);
    assert.ok(vars.every((v) => Number.isFinite(v) && v > 0));
    assert.ok(means.every(Number.isFinite));
    assert.ok(new Set(vars).size > RESNET50_BN_CHANNELS / 2, 'variances vary per channel');
    assert.ok(means.some((m) => Math.abs(m) > 0.1), 'means are not all zero');
  });

  test('runs on cpu at 64x64 with batch 2: finite, non-constant logits that differ per image', async () => {
    const model = buildResNet50({ height: 64, width: 64, batch: 2 });
    const out = await runOnCpu(model);
    const logits = out[RESNET50_IO.output]!;
    assert.deepEqual(logits.dims, [2, 1000]);
    const s = summarize(logits);
    assert.equal(s.nonFinite, 0);
    assert.ok(s.std > 0.1 && s.std < 100, `logit std ${s.std}`);
    assert.ok(s.distinct > 1900);
    const d = logits.data as Float32Array;
    let diff = 0;
    for (let i = 0; i < 1000; i++) diff = Math.max(diff, Math.abs(d[i]! - d[1000 + i]!));
    assert.ok(diff > 0.1, 'two random images give different logits');
  });

  test('is deterministic: same options give byte-identical models, another seed other weights', () => {
    const a = encodeModel(smallModel());
    const b = encodeModel(buildResNet50({ height: 64, width: 64 }));
    assert.equal(Buffer.compare(Buffer.from(a), Buffer.from(b)), 0);
    const other = buildResNet50({ height: 64, width: 64, seed: 7 });
    assert.notDeepEqual(other.graph.initializer('layer1.0.conv1.weight')!.data, smallModel().graph.initializer('layer1.0.conv1.weight')!.data);
    assert.equal(countParameters(other), TORCHVISION_RESNET50_PARAMETERS);
  });

  test('foldBatchNorm folds every BN into its conv and computes the same function', async () => {
    const folded = buildResNet50({ height: 64, width: 64, foldBatchNorm: true });
    const h = opHistogram(folded);
    assert.equal(h.BatchNormalization, undefined);
    assert.equal(h.Conv, 53);
    assert.deepEqual(folded.graph.initializer('layer1.0.conv1.bias')?.dims, [64]);
    // BN weight+bias (2 per channel) become one conv bias per channel
    assert.equal(countParameters(folded), TORCHVISION_RESNET50_PARAMETERS - RESNET50_BN_CHANNELS);
    const report = await checkEquivalent(smallModel(), folded, { tolerance: 1e-4 });
    assert.ok(report.ok, JSON.stringify(report.outputs));
  });

  test('rejects bad options with a USAGE error that names the option', () => {
    assert.throws(
      () => buildResNet50({ height: 16 }),
      (e) => isTandemError(e, 'USAGE') && e.message === 'resnet50: option height is 16; expected an integer of at least 32',
    );
    assert.throws(() => buildResNet50({ seed: -1 }), (e) => isTandemError(e, 'USAGE') && e.message.includes('option seed is -1'));
    assert.throws(() => buildResNet50({ classes: 0 }), (e) => isTandemError(e, 'USAGE') && e.message.includes('option classes is 0'));
  });

  test('default size 224x224: [1, 1000] logits, every BatchNorm output stays normalised', async () => {
    const started = performance.now();
    const model = buildResNet50();
    assert.deepEqual(model.graph.value(RESNET50_IO.input)?.type, { kind: 'tensor', dtype: 'float32', shape: [1, 3, 224, 224] });
    assert.deepEqual(model.graph.value(RESNET50_IO.output)?.type, { kind: 'tensor', dtype: 'float32', shape: [1, 1000] });
    const bnOutputs = model.graph.nodes.filter((n) => n.op === 'BatchNormalization').map((n) => n.outputs[0]!);
    for (const name of bnOutputs) model.graph.addOutput(name);
    const out = await runOnCpu(model);
    const logits = summarize(out[RESNET50_IO.output]!);
    assert.deepEqual(logits.dims, [1, 1000]);
    assert.equal(logits.nonFinite, 0);
    assert.ok(logits.std > 0.1 && logits.std < 100, `logit std ${logits.std}`);
    assert.ok(logits.distinct > 950);
    // the running statistics are those of the real input, so no layer drifts by orders of magnitude
    for (const name of bnOutputs) {
      const { rmsChannelMean, withinStd } = channelSpread(out[name]!);
      assert.ok(withinStd > 0.25 && withinStd < 4, `${name}: within-channel std ${withinStd}`);
      assert.ok(rmsChannelMean < 4, `${name}: channel means ${rmsChannelMean}`);
    }
    assert.ok(performance.now() - started < 60_000);
  });
});
