import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Model } from '../../src/ir/model.js';
import { encodeModel } from '../../src/onnx/index.js';
import { applyQdqPlan } from '../../src/quant/apply-qdq.js';
import { arraySource } from '../../src/quant/calibration-source.js';
import { extractQdqPlan } from '../../src/quant/extract-qdq-plan.js';
import { quantize } from '../../src/quant/quantize.js';
import type { QdqPlan } from '../../src/quant/qdq-plan.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { quantizeStageOutputs } from '../../src/plan/boundary-quantization.js';
import { cpu, samplesFor, smallConvNet } from './helpers.js';

/** Largest |a − b| over every output of the two models on the same fresh inputs (onnxruntime cpu). */
async function maxDiff(a: Model, b: Model, seed: number): Promise<number> {
  const sa = await getEngine('cpu').open(encodeModel(a));
  const sb = await getEngine('cpu').open(encodeModel(b));
  let worst = 0;
  try {
    for (const feeds of samplesFor(a, 2, seed)) {
      const ra = await sa.run(feeds);
      const rb = await sb.run(feeds);
      for (const [name, t] of Object.entries(ra)) {
        const u = rb[name]!.data as Float32Array;
        (t.data as Float32Array).forEach((v, i) => (worst = Math.max(worst, Math.abs(v - u[i]!))));
      }
    }
  } finally {
    await sa.close();
    await sb.close();
  }
  return worst;
}

const summary = (p: QdqPlan): unknown => ({
  activations: p.activations.map((a) => [a.tensor, a.scale]).sort(),
  weights: p.weights.map((w) => [w.tensor, w.consumer.node, w.axis, w.scales]).sort(),
});

describe('extractQdqPlan (the inverse of applyQdqPlan)', () => {
  for (const placement of ['trt', 'dla'] as const) {
    it(`gives back the float model and the plan of a ${placement}-placement Q/DQ model: same tensors, scales, consumers; re-applied it computes the same`, async () => {
      const model = smallConvNet({ seed: 3 });
      const a = (await quantize([{ name: 'net', model }], arraySource(samplesFor(model, 3)), cpu, { trtVersion: '8.6.1', methods: ['max'], placement })).artifacts[0]!;
      const x = extractQdqPlan(a.qdqModel);
      assert.deepEqual(x.fixed, []);
      assert.deepEqual(summary(x.plan), summary(a.plan));
      assert.equal(x.plan.placement, placement);
      assert.equal(x.model.graph.nodes.filter((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear').length, 0);
      assert.equal(x.model.graph.nodes.length, model.graph.nodes.length);
      // Tolerances: the float model is the source model exactly; the re-applied plan is the same Q/DQ graph.
      assert.ok((await maxDiff(model, x.model, 11)) < 1e-6, 'float model = source');
      assert.ok((await maxDiff(a.qdqModel, applyQdqPlan(x.model, x.plan), 12)) < 1e-6, 're-applied = Q/DQ model');
    });
  }

  it('leaves an INT8 hand-off (QuantizeLinear on a stage output) in place and says why', async () => {
    const model = smallConvNet({ seed: 4 });
    const a = (await quantize([{ name: 'net', model }], arraySource(samplesFor(model, 2)), cpu, { trtVersion: '8.6.1', methods: ['max'] })).artifacts[0]!;
    const out = model.graph.outputs[0]!;
    const handOff = quantizeStageOutputs(a.qdqModel, [{ name: out, scale: 0.05 }]);
    const x = extractQdqPlan(handOff);
    assert.deepEqual(x.fixed.map((f) => [f.tensor, /hand-off/.test(f.reason)]), [[`${out}_float`, true]]);
    assert.equal(x.plan.activations.length, a.plan.activations.length);
  });
});
