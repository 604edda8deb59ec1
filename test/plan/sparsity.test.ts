import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildResNet50, getReferenceModel } from '../../src/models/index.js';
import { saveModel } from '../../src/onnx/index.js';
import { pruneTwoFour } from '../../src/passes/index.js';
import { FIT_DATA } from '../../src/plan/cost/published.js';
import { ORIN_PARAMS, stageLatency, type Workload } from '../../src/plan/index.js';
import { checkEquivalent } from '../../src/runtime/verify.js';
import { convSparsity, followsTwoFour } from '../../src/targets/index.js';
import { tensorValues } from '../../src/ir/tensor-values.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

describe('2:4 structured sparsity', () => {
  it('the pattern: at most 2 non-zeros in every aligned group of 4 input channels', () => {
    // K=1, C=8, 1x1: groups [1,0,2,0] and [0,0,0,3]
    assert.equal(followsTwoFour([1, 0, 2, 0, 0, 0, 0, 3], [1, 8, 1, 1]), true);
    assert.equal(followsTwoFour([1, 1, 2, 0, 0, 0, 0, 3], [1, 8, 1, 1]), false);
    // C runs slowest inside a filter: KCRS with R·S = 2 interleaves channels
    assert.equal(followsTwoFour([1, 1, 1, 1, 0, 0, 0, 0], [1, 4, 1, 2]), true);
  });

  it('prune: qualifying Convs follow 2:4 afterwards, the rest keep their weights; pruning is idempotent (checked on onnxruntime)', async () => {
    const model = buildResNet50({ height: 64, width: 64, foldBatchNorm: true });
    const before = convSparsity(model);
    const { model: pruned, convs } = pruneTwoFour(model);
    const after = new Map(convSparsity(pruned).map((c) => [c.node, c]));
    for (const b of before) {
      if (b.qualifies) assert.equal(after.get(b.node)!.follows, true, b.node);
      else assert.equal(after.get(b.node)!.follows, b.follows, `${b.node} untouched`);
    }
    assert.ok(convs.some((c) => c.pruned) && convs.some((c) => !c.pruned && /C > 64/.test(c.reason ?? '')));
    const conv = model.graph.nodes.find((n) => n.op === 'Conv' && convs.find((c) => c.node === n.name)?.pruned === false)!;
    assert.deepEqual(tensorValues(pruned.graph.initializer(conv.inputs[1]!)!), tensorValues(model.graph.initializer(conv.inputs[1]!)!));
    const again = pruneTwoFour(pruned);
    assert.ok(again.convs.every((c) => !c.pruned));
    const same = await checkEquivalent(pruned, again.model, { tolerance: 0, trials: 1 });
    assert.ok(same.ok, 'a 2:4 model is a fixed point of pruning');
  });

  it('the latency model: sparse INT8 convolutions are faster on the DLA where they are compute-bound', () => {
    const w = FIT_DATA.workloads.ssd;
    const sparse: Workload = { ...w, layers: w.layers.map((l) => (l.cls === 'conv' ? { ...l, sparse: true } : l)) };
    const dense = stageLatency(w, undefined, 'dla', 'int8', { params: ORIN_PARAMS });
    const fast = stageLatency(sparse, undefined, 'dla', 'int8', { params: ORIN_PARAMS });
    assert.ok(fast.latencyMs < dense.latencyMs * 0.9);
    assert.ok(fast.latencyMs > dense.latencyMs / 2, 'memory-bound time does not shrink');
  });

  it('CLI: prepare --prune-2:4 says accuracy needs retraining; analyze --sparsity lists the Convs', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const m = getReferenceModel('resnet50');
      const path = join(dir, 'r.onnx');
      saveModel(m.build({ ...m.smallOptions }), path);
      const p = await cli('prepare', path, '-o', join(dir, 'p.onnx'), '--prune-2:4', '--no-verify');
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /pruned {5}2:4 along C in \d+ of \d+ Convs.*accuracy needs retraining/);
      const a = await cli('analyze', join(dir, 'p.onnx'), '--sparsity');
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /(\d+) of \d+ Convs qualify, \1 already follow the pattern/);
      const e = await cli('export', '--help');
      assert.match(e.stdout, /--sparsity/);
    } finally {
      cleanup();
    }
  });
});
