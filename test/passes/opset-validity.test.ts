import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Node, buildModel, GraphBuilder } from '../../src/ir/index.js';
import { attr } from '../../src/ir/attribute.js';
import { emittedNodeProblem } from '../../src/passes/emitted-ops.js';
import { nodeKey, type GraphFacts } from '../../src/passes/graph-facts.js';
import { definePass, replaceEachNode, type Rewrite } from '../../src/passes/pass.js';
import { compare, prepareModel } from '../../src/passes/prepare-model.js';
import { getPass } from '../../src/passes/registry.js';
import type { AnalysisSummary } from '../../src/targets/index.js';
import { build } from './helpers.js';

/** Neg, LogSoftmax and ReduceSum: their rewrites emit Mul/Sub with a broadcast that opset 6 writes only with broadcast=1. */
const modelAt = (opset: number) =>
  build((b) => {
    const x = b.input('x', 'float32', [1, 4, 6, 6]);
    return [b.op('Neg', [x]), b.op('LogSoftmax', [b.input('t', 'float32', [2, 5])], { axis: 1 }), b.op('ReduceSum', [x], { axes: [2, 3], keepdims: 1 })];
  }, opset);

describe('every rewrite emits ops valid at the model opset, or does not apply', () => {
  const passes = ['reconstruct-neg', 'decompose-log-reductions', 'reconstruct-reduce-sum'];
  it('at opset 6 the rewrites are refused with the reason; at opset 13 they are planned', () => {
    for (const name of passes) {
      const old = getPass(name).plan(modelAt(6));
      assert.deepEqual(old.rewrites, [], name);
      assert.ok(old.refused !== undefined && old.refused.length > 0, name);
      for (const x of old.refused) assert.match(x.reason, /^not valid at the model's opset: the emitted (Mul|Sub) ".*": shapes \[.*\] and \[.*\] differ and broadcast=0$/);
      assert.ok(getPass(name).plan(modelAt(13)).rewrites.length > 0, name);
    }
  });

  it("prepare lists them as rejected, and the opset-6 model keeps its ops", () => {
    const { model, report } = prepareModel(modelAt(6), { passes, keep: 'all' });
    assert.deepEqual(model.graph.nodes.map((n) => n.op), ['Neg', 'LogSoftmax', 'ReduceSum']);
    for (const p of report.passes) {
      assert.equal(p.applied.length, 0, p.pass);
      assert.ok(p.rejected.length > 0 && p.rejected.every((r) => /not valid at the model's opset/.test(r.reason)), p.pass);
    }
  });

  it('the op table judges the emitted node: version, attributes, inputs', () => {
    const b = new GraphBuilder('g', { opset: 13 });
    b.output(b.relu(b.input('x', 'float32', [2])), 'float32', [2]);
    const m = buildModel(b);
    assert.match(emittedNodeProblem(m, new Node({ op: 'Trilu', inputs: ['x'], outputs: ['y'] }))!, /emit Trilu, which starts at opset 14 \(the model imports ai.onnx opset 13\)/);
    assert.match(emittedNodeProblem(m, new Node({ op: 'Split', inputs: ['x'], outputs: ['y'], attrs: { num_outputs: 1 } }))!, /Split at opset 13 \(the row since 13\) with attribute num_outputs, which that version does not have/);
    assert.match(emittedNodeProblem(m, new Node({ op: 'Relu', inputs: ['x', 'x'], outputs: ['y'] }))!, /Relu at opset 13 .* with 2 inputs; that version takes 1/);
    assert.match(emittedNodeProblem(m, new Node({ op: 'Add', inputs: ['x', ''], outputs: ['y'] }))!, /without its required input 1 \(B\)/);
    assert.equal(emittedNodeProblem(m, new Node({ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] })), undefined);
  });
});

describe('the check sits in definePass: any pass is held to it', () => {
  const relu = () => build((b) => [b.relu(b.input('x', 'float32', [2, 3]))], 13);
  const find = (facts: GraphFacts): Rewrite[] => facts.nodes.filter((n) => n.op === 'Relu').map((n) => ({ nodes: [nodeKey(n)], summary: 'test' }));
  it('an emitted op the opset lacks', () => {
    const pass = definePass({ name: 'emit-trilu', kind: 'conversion', summary: 'test pass', recipes: [], find, rewrite: replaceEachNode((e, node) => void e.op1('Trilu', [node.inputs[0]], {}, node.outputs[0])) });
    const plan = pass.plan(relu());
    assert.deepEqual(plan.rewrites, []);
    assert.match(plan.refused![0]!.reason, /it would emit Trilu, which starts at opset 14/);
  });
  it('a node edited in place into something its version does not have', () => {
    const pass = definePass({ name: 'set-attr', kind: 'conversion', summary: 'test pass', recipes: [], find, rewrite: (edit, r) => edit.node(r.nodes[0]!).attrs.set('alpha', attr.float(0.1)) });
    const plan = pass.plan(relu());
    assert.deepEqual(plan.rewrites, []);
    assert.match(plan.refused![0]!.reason, /it would leave Relu at opset 13 \(the row since \d+\) with attribute alpha/);
  });
});

describe('prepare: unknown cost is no gain', () => {
  const summary = (fallback: number, flops: number, unknownNodes: number): AnalysisSummary =>
    ({ nodes: { total: 9, onTarget: 9 - fallback, fallback, build: 0 }, flops: { total: flops, onTarget: 0, fallback: flops, unknownNodes }, crossings: 2 }) as unknown as AnalysisSummary;
  it('fewer fallback FLOPs only because a new node has no known cost does not count', () => {
    const v = compare(summary(3, 100, 0), summary(3, 40, 1));
    assert.equal(v.better, false);
    assert.match(v.text, /^no gain: .*\(1 more node of unknown cost: FLOPs not compared\)/);
    assert.match(compare(summary(3, 10142220288, 0), summary(3, 10141302784, 0)).text, /fallback FLOPs 10\.1 GFLOPs → 10\.1 GFLOPs \(−918 kFLOPs\)/);
    assert.equal(compare(summary(3, 100, 1), summary(3, 40, 1)).better, true);
    assert.equal(compare(summary(3, 100, 0), summary(2, 100, 1)).better, true);
  });
});
