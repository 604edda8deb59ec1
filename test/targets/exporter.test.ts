import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadModel } from '../../src/onnx/load-save.js';
import { analyze, type Analysis, type NodeVerdict } from '../../src/targets/index.js';
import { PYTORCH_FIXTURES, fixture } from '../helpers/fixtures.js';

/**
 * Real exporter output: models written by torch.onnx.export (TorchScript exporter with its
 * Shape/Gather/Unsqueeze/Concat/Reshape chains for a dynamic batch, and the dynamo exporter); see
 * test/fixtures/pytorch/export.py. Skipped visibly where a fixture is missing.
 */

type Fixture = (typeof PYTORCH_FIXTURES)[number];

function path(name: Fixture): string {
  return fixture('pytorch', `${name}.onnx`);
}

function skip(name: Fixture): { skip?: string } {
  return existsSync(path(name)) ? {} : { skip: `fixture ${name}.onnx is missing (test/fixtures/pytorch/export.py writes it)` };
}

function analyzeFixture(name: Fixture, dims?: Record<string, number>): Analysis {
  return analyze(loadModel(path(name)), { target: 'orin-dla', ...(dims ? { dims } : {}) });
}

const byOp = (a: Analysis, op: string): NodeVerdict[] => a.nodes.filter((n) => n.op === op);

describe('PyTorch exporter output', () => {
  for (const name of ['tiny_cnn_legacy', 'tiny_cnn_dynamo'] as const) {
    it(`${name}: the dynamic batch makes every run-time node shape.dynamic`, skip(name), () => {
      const a = analyzeFixture(name);
      assert.equal(a.summary.nodes.onTarget, 0);
      for (const n of [...byOp(a, 'Conv'), ...byOp(a, 'Relu'), ...byOp(a, 'MaxPool'), ...byOp(a, 'Gemm')]) {
        assert.equal(n.rule, 'shape.dynamic', n.name);
        assert.match(n.reason ?? '', /symbolic dim "batch"/);
      }
    });

    it(`${name}: with batch = 1 the shape chain folds, the backbone runs, x.view(b, -1) falls back`, skip(name), () => {
      const a = analyzeFixture(name, { batch: 1 });
      for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Constant']) for (const n of byOp(a, op)) assert.equal(n.placement, 'build', `${n.name} folds at build time`);
      for (const op of ['Conv', 'Relu', 'MaxPool']) for (const n of byOp(a, op)) assert.equal(n.region, 'R1', n.name);
      const [reshape] = byOp(a, 'Reshape');
      assert.equal(reshape?.rule, 'shuffle.rank');
      assert.equal(reshape?.reason, 'Reshape 4-D → 2-D; DLA Shuffle is 4-D in and out (UNCONF)');
      assert.equal(byOp(a, 'Gemm')[0]?.region, 'R2');
      assert.equal(a.summary.nodes.fallback, 1);
      assert.equal(a.regions.length, 2);
    });
  }

  for (const name of ['multihead_legacy', 'multihead_dynamo'] as const) {
    it(`${name}: interpolate(size=…) resizes by sizes (Z1, R-RESIZE-SCALES); scale_factor resizes run; mean(dim=(2,3)) → R-RMEAN + R-FC`, skip(name), () => {
      const a = analyzeFixture(name, { batch: 1 });
      const resizes = byOp(a, 'Resize');
      assert.equal(resizes.length, 2);
      const bySizes = resizes.find((n) => n.rule === 'resize.scales-static');
      assert.equal(bySizes?.fix?.text, 'R-RESIZE-SCALES: replace sizes by constant scales [1,1,4,4]');
      assert.ok(resizes.some((n) => n.placement === 'target'), 'the bilinear scale_factor=4 Resize runs (linear ×4, Z3)');
      const [mean] = byOp(a, 'ReduceMean');
      assert.equal(mean?.rule, 'op.no-dla');
      assert.equal(mean?.fix?.recipe, 'R-RMEAN');
      assert.match(mean?.fix?.text ?? '', /R-FC/);
      for (const n of byOp(a, 'Conv')) assert.equal(n.placement, 'target', n.name);
      assert.equal(byOp(a, 'Sigmoid')[0]?.placement, 'target');
    });
  }

  it('tiny_vit_legacy: LayerNorm, attention MatMul, Erf and token reshapes fall back; 4-D softmax runs', skip('tiny_vit_legacy'), () => {
    const a = analyzeFixture('tiny_vit_legacy', { batch: 1 });
    for (const n of byOp(a, 'LayerNormalization')) assert.equal(n.rule, 'op.no-dla');
    assert.equal(byOp(a, 'Erf')[0]?.rule, 'op.no-dla');
    const attention = byOp(a, 'MatMul').filter((n) => n.rule === 'matmul.constant-b');
    assert.equal(attention.length, 2);
    const [softmax] = byOp(a, 'Softmax');
    assert.equal(softmax?.placement, 'target');
    for (const n of byOp(a, 'Reshape')) assert.equal(n.rule, 'shuffle.rank', n.name);
    assert.equal(byOp(a, 'Conv')[0]?.region, 'R1');
    assert.ok(a.nodes.filter((n) => n.placement === 'build').length > 20, 'the shape arithmetic folds');
  });
});
