import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspectModel } from '../../src/inspect/index.js';
import { buildResNet50 } from '../../src/models/index.js';
import { saveModel } from '../../src/onnx/index.js';
import { cli } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/fixtures.js';

describe('inspect', () => {
  it('summarises resnet50 without reading its weights', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'resnet50.onnx');
      saveModel(buildResNet50(), path);
      const s = inspectModel(path);
      assert.equal(s.weightsRead, false);
      assert.deepEqual(s.inputs, [{ name: 'input', dtype: 'float32', shape: [1, 3, 224, 224] }]);
      assert.deepEqual(s.outputs, [{ name: 'logits', dtype: 'float32', shape: [1, 1000] }]);
      // torchvision's 25,557,032 trainable parameters + 53,120 BatchNorm running statistics, which an ONNX
      // inference graph holds as initializers like any other weight
      assert.equal(s.params.count, 25_557_032 + 53_120);
      assert.equal(s.ops.find((o) => o.op === 'Conv')?.count, 53);
      assert.equal(s.cost?.complete, true);
      // ResNet-50 at 224x224: 4.09 GMACs in its convolutions and fc (the commonly quoted ~4.1 G)
      assert.ok(s.cost!.macs > 4.0e9 && s.cost!.macs < 4.2e9, `${s.cost!.macs}`);
    } finally {
      cleanup();
    }
  });

  it('keeps symbolic dims symbolic and sizes them on request', () => {
    const path = fixture('pytorch', 'tiny_cnn_legacy.onnx');
    const symbolic = inspectModel(path);
    assert.deepEqual(symbolic.inputs[0]!.shape, ['batch', 3, 32, 32]);
    assert.deepEqual(symbolic.outputs[0]!.shape, ['batch', 10]);
    assert.equal(symbolic.cost?.complete, false);
    const sized = inspectModel(path, { dims: { batch: 4 } });
    assert.equal(sized.cost?.complete, true);
    assert.deepEqual(sized.outputs[0]!.shape, [4, 10]);
  });

  it('lists nodes with inferred output shapes', () => {
    const s = inspectModel(fixture('pytorch', 'multihead_legacy.onnx'), { nodes: true });
    assert.equal(s.nodes?.length, s.counts.nodes);
    const conv = s.nodes!.find((n) => n.op === 'Conv')!;
    assert.deepEqual(conv.outputs[0]!.shape, ['batch', 16, 16, 32]);
  });
});

describe('tandem inspect', () => {
  it('prints a summary', async () => {
    const r = await cli('inspect', fixture('pytorch', 'tiny_cnn_legacy.onnx'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /input +images: float32 \[batch,3,32,32\]/);
    assert.match(r.stdout, /parameters [\d,]+/);
    assert.match(r.stdout, /ops: .*Conv 2/);
  });

  it('--json has inputs, outputs and, with --nodes, nodes', async () => {
    const r = await cli('inspect', fixture('pytorch', 'multihead_dynamo.onnx'), '--json', '--nodes');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { inputs: unknown[]; outputs: { name: string; dtype: string; shape: (number | string)[] }[]; nodes: unknown[] };
    assert.deepEqual(j.outputs.map((o) => o.name), ['seg', 'depth', 'cls']);
    assert.deepEqual(j.outputs[2], { name: 'cls', dtype: 'float32', shape: ['batch', 4] });
    assert.equal(j.nodes.length, 17);
  });
});
