import assert from 'node:assert/strict';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { checkGraph } from '../../src/ir/check.js';
import { encodeModel } from '../../src/onnx/index.js';
import { inferShapes } from '../../src/ops/index.js';
import type { Pass, Rewrite } from '../../src/passes/pass.js';
import { checkEquivalent, type EquivalenceOptions } from '../../src/runtime/verify.js';
import { createRng } from '../../src/util/random.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import type { Tensor } from '../../src/ir/tensor.js';
import type { Shape } from '../../src/ir/types.js';

/** Node count per op type. */
export function opHistogram(model: Model): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of model.graph.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
}

/** A graph output: its name (float32, type inferred), or name and shape where inference cannot tell. */
export type OutputSpec = string | readonly [string, Shape];

/** Builds a model: `body` declares inputs and returns the tensors that become outputs. */
export function build(body: (b: GraphBuilder) => OutputSpec[], opset = 17): Model {
  const b = new GraphBuilder('test', { opset });
  const outputs = body(b);
  const model = buildModel(b);
  inferShapes(model, { strict: false });
  for (const spec of outputs) {
    if (typeof spec !== 'string') {
      b.output(spec[0], 'float32', spec[1]);
      continue;
    }
    const o = spec;
    const t = model.graph.tensorType(o);
    assert.ok(t?.dtype !== undefined && t.shape !== undefined, `output ${o} has no inferred type`);
    b.output(o, t.dtype, t.shape);
  }
  model.graph.clearInferred();
  return model;
}

/** Seeded float32 tensor with values in [-1, 1) (or [lo, hi)). */
export function randomTensor(dims: readonly number[], seed = 7, lo = -1, hi = 1): Tensor {
  const rng = createRng(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return tensorFromValues('float32', dims, Array.from({ length: n }, () => rng.uniform(lo, hi)));
}

export interface PassCheck<R extends Rewrite> {
  model: Model;
  rewrites: readonly R[];
}

/**
 * Runs a pass to its fixpoint and checks: something was rewritten, the graph is valid, the op counts
 * changed as `expect` says (op → count after; 0 = gone), and onnxruntime cpu gives the same outputs.
 */
export async function checkPass<R extends Rewrite>(
  pass: Pass<R>,
  model: Model,
  expect: Readonly<Record<string, number>>,
  options: EquivalenceOptions = {},
): Promise<PassCheck<R>> {
  const { model: after, applied } = pass.run(model);
  assert.ok(applied.length > 0, `${pass.name} rewrote nothing`);
  assert.deepEqual(checkGraph(after.graph), []);
  const hist = opHistogram(after);
  for (const [op, n] of Object.entries(expect)) assert.equal(hist[op] ?? 0, n, `${op} count after ${pass.name}: ${JSON.stringify(hist)}`);
  const report = await checkEquivalent(model, after, { tolerance: 1e-5, trials: 2, ...options });
  assert.ok(report.ok, `${pass.name} changed the outputs: ${JSON.stringify(report.outputs)}`);
  return { model: after, rewrites: applied };
}

/** The pass finds nothing, and its result encodes byte for byte like the input. */
export function checkUnchanged(pass: Pass, model: Model): void {
  const before = encodeModel(model);
  const plan = pass.plan(model);
  assert.deepEqual(plan.rewrites, [], `${pass.name} planned ${JSON.stringify(plan.rewrites)}`);
  const after = encodeModel(pass.run(model).model);
  assert.ok(Buffer.from(before).equals(Buffer.from(after)), `${pass.name} changed a graph it does not apply to`);
}
