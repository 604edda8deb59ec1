import assert from 'node:assert/strict';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { DataType } from '../../src/ir/dtype.js';
import type { Model } from '../../src/ir/model.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import { analyze, type AnalyzeOptions, type Analysis, type NodeVerdict } from '../../src/targets/index.js';

/** The node under test in one-node models is named this. */
export const N = 'n';

/** A float32 tensor of the given dims (values 0.5, so uniform constants stay uniform). */
export function filled(dims: readonly number[], value = 0.5, dtype: DataType = 'float32'): Tensor {
  return tensorFromValues(dtype, dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(value));
}

/** Builds a model; the callback returns the tensors to mark as graph outputs. */
export function build(fn: (b: GraphBuilder) => string | readonly string[], opset = 17): Model {
  const b = new GraphBuilder('test', { opset });
  const outs = fn(b);
  for (const o of typeof outs === 'string' ? [outs] : outs) b.output(o);
  return buildModel(b);
}

export function run(model: Model, options: Partial<AnalyzeOptions> = {}): Analysis {
  return analyze(model, { target: 'orin-dla', ...options });
}

export function verdict(a: Analysis, name = N): NodeVerdict {
  const v = a.nodes.find((n) => n.name === name);
  assert.ok(v, `no node "${name}" in the analysis (nodes: ${a.nodes.map((n) => n.name).join(', ')})`);
  return v;
}

/** `true`: the node runs on the target; a rule id: the node falls back with that rule among its problems. */
export type Expect = true | string;

export function check(v: NodeVerdict, expect: Expect, label: string): void {
  if (expect === true) {
    assert.equal(v.placement, 'target', `${label}: expected on target, got ${v.rule}: ${v.reason}`);
    assert.equal(v.ok, true);
    return;
  }
  assert.equal(v.placement, 'fallback', `${label}: expected ${expect}, but the node runs on the target`);
  assert.equal(v.ok, false);
  const rules = (v.problems ?? []).map((p) => p.rule);
  assert.ok(rules.includes(expect), `${label}: expected rule ${expect}, got ${rules.join(', ')} (${v.reason})`);
}
