import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Node, type Model } from '../../src/ir/index.js';
import { checkGraph } from '../../src/ir/check.js';
import { decodeModel, encodeModel } from '../../src/onnx/index.js';
import { inferShapes } from '../../src/ops/index.js';
import { prepareModel } from '../../src/passes/prepare-model.js';
import { splitModel } from '../../src/passes/split-model.js';
import { analyze } from '../../src/targets/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { build, randomTensor } from './helpers.js';

/**
 * ONNX lets a node leave an optional output unnamed (""); a required output must be named. A node that
 * names no output computes nothing anyone reads: every stage treats it as dead code.
 */
function withExtraNode(op: string, outputs: string[]): Model {
  let h = '';
  const m = build((b) => {
    h = b.relu(b.conv(b.input('x', 'float32', [1, 3, 4, 4]), randomTensor([3, 3, 1, 1], 1)));
    return [b.relu(h), b.op('Sigmoid', [h])];
  });
  m.graph.addNode(new Node({ op, inputs: [h], outputs }));
  return decodeModel(encodeModel(m));
}

describe('omitted outputs ("")', () => {
  for (const outputs of [[''], []]) {
    it(`a Sigmoid with outputs ${JSON.stringify(outputs)}: strict shapes refuse, analyze warns, prepare drops it, split ignores it`, async () => {
      const m = withExtraNode('Sigmoid', outputs);
      assert.deepEqual(checkGraph(m.graph), []);
      assert.throws(() => inferShapes(m.clone()), (e) => isTandemError(e, 'GRAPH_INVALID') && /Sigmoid \(unnamed, no named output\) (leaves its required output 0 \(Y\) unnamed|has no output 0 \(Y\))/.test(e.message));
      const a = analyze(m.clone(), { target: 'orin-dla' });
      assert.ok(a.diagnostics.some((d) => d.rule === 'shape.inference' && /output 0 \(Y\)/.test(d.message)));
      const { model: out, report } = prepareModel(m);
      assert.equal(out.graph.nodes.filter((n) => n.firstOutput === undefined).length, 0);
      const dead = report.passes.find((p) => p.pass === 'remove-dead-nodes')!;
      assert.ok(dead.applied.some((r) => /1 node that names no output/.test(r.summary)));
      const split = splitModel(m, { at: [m.graph.nodes[1]!.outputs[0]!] });
      assert.ok(split.stages.every((s) => s.model.graph.nodes.every((n) => n.firstOutput !== undefined)));
    });
  }

  it('an omitted optional output (Dropout mask "") and an omitted required one named after it', () => {
    const ok = withExtraNode('Dropout', ['d', '']);
    assert.deepEqual(inferShapes(ok).issues, []);
    const bad = withExtraNode('Dropout', ['', 'mask']);
    const report = inferShapes(bad, { strict: false });
    assert.match(report.issues[0]!.message, /Dropout \(unnamed, output "mask"\) leaves its required output 0 \(output\) unnamed/);
    // planned by its first named output, not by ""
    const { model: out } = prepareModel(bad, { passes: ['remove-dead-nodes'] });
    assert.equal(out.graph.nodes.some((n) => n.op === 'Dropout'), false);
  });
});
