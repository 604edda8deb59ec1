import assert from 'node:assert/strict';
import type { Model } from '../../src/ir/model.js';
import { formatShape } from '../../src/ir/types.js';
import { evaluateDim, inferShapes, type ShapeInferenceReport } from '../../src/ops/index.js';
import { getEngine } from '../../src/runtime/engines/index.js';
import { randomInputs } from '../../src/runtime/verify.js';
import type { Tensor } from '../../src/ir/tensor.js';

export interface OrtComparison {
  /** Tensors compared (every node output). */
  checked: number;
  report: ShapeInferenceReport;
  results: Record<string, Tensor>;
}

/**
 * Exposes every node output of the model as a graph output, runs it in onnxruntime on random inputs
 * (symbolic input dims set from `dims`), then infers shapes and checks that the type and shape of
 * every tensor equal what onnxruntime produced. Dims inference leaves unknown fail the check unless
 * the tensor is listed in `unknownAllowed`.
 */
export async function compareWithOrt(model: Model, dims: Record<string, number> = {}, unknownAllowed: readonly string[] = []): Promise<OrtComparison> {
  const g = model.graph;
  for (const n of g.nodes) for (const o of n.outputs) if (o !== '') g.addOutput(o);
  // The session encodes the model now, before any inferred type exists to be written into it.
  const session = await getEngine('cpu').open(model);
  let results: Record<string, Tensor>;
  try {
    results = await session.run(randomInputs(model, { dims }));
  } finally {
    await session.close();
  }
  const report = inferShapes(model);
  let checked = 0;
  for (const name of g.outputs) {
    const got = results[name];
    assert.ok(got, `onnxruntime returned no "${name}"`);
    const t = g.tensorType(name);
    assert.ok(t?.shape, `no shape inferred for "${name}" (onnxruntime: [${got.dims.join(', ')}])`);
    assert.equal(t.dtype, got.dtype, `dtype of "${name}"`);
    assert.equal(t.shape.length, got.dims.length, `rank of "${name}": inferred ${formatShape(t.shape)}, onnxruntime [${got.dims.join(', ')}]`);
    t.shape.forEach((d, i) => {
      const v = evaluateDim(d, dims);
      if (v === undefined) {
        assert.ok(unknownAllowed.includes(name), `dim ${i} of "${name}" is ${d === null ? 'unknown' : d}: inferred ${formatShape(t.shape)}, onnxruntime [${got.dims.join(', ')}]`);
        return;
      }
      assert.equal(v, got.dims[i], `dim ${i} of "${name}": inferred ${formatShape(t.shape)}, onnxruntime [${got.dims.join(', ')}]`);
    });
    checked++;
  }
  return { checked, report, results };
}
