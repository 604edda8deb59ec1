import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { encodeModel } from '../../src/onnx/index.js';
import { extractSubgraph, planExtract } from '../../src/passes/extract-subgraph.js';
import { prepareModel } from '../../src/passes/prepare-model.js';
import { PASSES, getPass } from '../../src/passes/registry.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { checkEquivalent, randomInputs } from '../../src/runtime/verify.js';
import { isTandemError } from '../../src/util/errors.js';
import { build, opHistogram, randomTensor } from './helpers.js';

/** Conv → Gather of channels → Conv, and a LayerNorm on tokens: one recipe that helps, one that cannot. */
const model = build((b) => {
  const x = b.input('x', 'float32', [1, 8, 6, 6]);
  const a = b.relu(b.conv(x, randomTensor([8, 8, 3, 3], 1), randomTensor([8], 2), { pads: [1, 1, 1, 1] }));
  const picked = b.op('Gather', [a, b.initializer('idx', tensorFromValues('int64', [4], [7, 0, 3, 3]))], { axis: 1 });
  const y = b.conv(picked, randomTensor([4, 4, 1, 1], 3));
  const t = b.input('t', 'float32', [1, 5, 8]);
  return [y, b.layerNorm(t, randomTensor([8], 4, 0.5, 1.5), randomTensor([8], 5))];
});

describe('prepareModel', () => {
  it('keeps the Gather reconstruction (fallback nodes down) and not the LayerNorm decomposition (up)', async () => {
    const { model: out, report } = prepareModel(model, { target: 'orin-dla' });
    const hist = opHistogram(out);
    assert.equal(hist['Gather'], undefined);
    assert.equal(hist['LayerNormalization'], 1);
    const gather = report.passes.find((p) => p.pass === 'reconstruct-gather')!;
    assert.equal(gather.applied.length, 1);
    const norm = report.passes.find((p) => p.pass === 'decompose-normalization')!;
    assert.equal(norm.applied.length, 0);
    assert.match(norm.rejected[0]!.reason, /^no gain: fallback nodes \d+ → \d+/);
    assert.ok(report.after.nodes.fallback < report.before.nodes.fallback);
    assert.ok((await checkEquivalent(model, out)).ok);
  });
  it("keep: 'all' applies every reconstruction whose conditions hold", async () => {
    const { model: out } = prepareModel(model, { keep: 'all' });
    assert.equal(opHistogram(out)['LayerNormalization'], undefined);
    assert.ok((await checkEquivalent(model, out)).ok);
  });
  it('runs only the passes asked for, in that order', () => {
    const { report } = prepareModel(model, { passes: ['reconstruct-neg', 'remove-dead-nodes'] });
    assert.deepEqual(report.passes.map((p) => p.pass), ['reconstruct-neg', 'remove-dead-nodes']);
    assert.throws(() => prepareModel(model, { passes: ['nope'] }), (e) => isTandemError(e, 'UNKNOWN_NAME') && /^unknown pass "nope"; known: remove-no-ops, /.test(e.message));
  });
  it('leaves a model none of its passes applies to byte for byte unchanged', () => {
    const clean = build((b) => [b.relu(b.conv(b.input('x', 'float32', [1, 3, 8, 8]), randomTensor([4, 3, 3, 3], 1), randomTensor([4], 2)))]);
    const { model: out, report } = prepareModel(clean);
    assert.ok(report.passes.every((p) => p.applied.length === 0));
    assert.ok(Buffer.from(encodeModel(out)).equals(Buffer.from(encodeModel(clean))));
  });
  it('every registered pass has a kebab-case name equal to its key and a summary', () => {
    for (const [key, pass] of Object.entries(PASSES)) {
      assert.equal(pass.name, key);
      assert.match(key, /^[a-z]+(-[a-z]+)*$/);
      assert.ok(pass.summary.length > 20);
      assert.equal(getPass(key), pass);
    }
  });
});

describe('extractSubgraph', () => {
  it('cuts out the nodes between given tensors, which then compute the same values', async () => {
    const sub = extractSubgraph(model, { inputs: [model.graph.nodes.find((n) => n.op === 'Relu')!.outputs[0]!], outputs: [model.graph.outputs[0]!] });
    assert.deepEqual(opHistogram(sub), { Gather: 1, Conv: 1 });
    assert.equal(sub.graph.initializers.size, 2);
    const plan = planExtract(model.clone(), { inputs: [], outputs: [model.graph.outputs[0]!] });
    assert.deepEqual(plan.addedInputs, ['x']);
    const y = model.graph.outputs[0]!;
    const part = extractSubgraph(model, { inputs: ['x'], outputs: [y] });
    const feeds = randomInputs(model, { seed: 5 });
    await using a = await getEngine('cpu').open(model);
    await using b = await getEngine('cpu').open(part);
    const [full, cut] = [await a.run(feeds), await b.run({ x: feeds['x']! })];
    assert.ok(Buffer.from(full[y]!.rawBytes()).equals(Buffer.from(cut[y]!.rawBytes())));
  });
  it('names tensors that do not exist', () => {
    assert.throws(() => extractSubgraph(model, { inputs: ['x'], outputs: ['nope'] }), (e) => isTandemError(e, 'UNKNOWN_NAME'));
  });
});
