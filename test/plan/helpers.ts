import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSplit } from '../../src/io/stage-file/index.js';
import type { Model } from '../../src/ir/model.js';
import { buildMultitask } from '../../src/models/index.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { splitModel, writeSplit } from '../../src/passes/index.js';
import { writeOrinPlan } from '../../src/plan/index.js';
import { applyQdqPlan, artifactPaths, planQdq, writeCalibrationCache } from '../../src/quant/index.js';

/** A small multi-task split with an orin plan: backbone FP16 on the GPU, heads INT8 on dla0/dla1, with the artifacts quantize writes. */
export function fixturePlan(dir: string): string {
  const split = splitModel(buildMultitask({ height: 64, width: 128, segLinear: 'conv', foldBatchNorm: true }), { auto: true });
  writeSplit(split, dir);
  const loaded = readSplit(join(dir, 'split.json'));
  const heads = loaded.stages.filter((s) => s.kind !== 'backbone');
  for (const s of heads) {
    const model = loadModel(join(dir, s.file));
    const tensors = new Set<string>([...model.graph.runtimeInputs, ...model.graph.nodes.flatMap((n) => n.outputs.filter((o) => o !== '' && model.graph.tensorType(o)?.dtype === 'float32'))]);
    const paths = artifactPaths(dir, s.name);
    saveModel(applyQdqPlan(model, planQdq(model, { activations: new Map([...tensors].map((t) => [t, 2])), weights: convWeights(model) })), paths.qdq);
    // a cache as tandem quantize writes it (scales = amax / 127)
    require_(writeCalibrationCache([...tensors].map((t): [string, number] => [t, 2 / 127]), { trtVersion: '8.6.1' }), paths.cache);
  }
  const placement = Object.fromEntries(
    loaded.stages.map((s) => [s.name, s.kind === 'backbone' ? { engine: 'gpu' as const, precision: 'fp16' as const, reason: 'trunk on the GPU' } : { engine: s === heads[0] ? ('dla0' as const) : ('dla1' as const), precision: 'int8' as const, reason: 'head on a DLA' }]),
  );
  return writeOrinPlan(loaded, placement);
}

export function require_(text: string, path: string): void {
  writeFileSync(path, text);
}

/** Per-output-channel amax 1 for every Conv weight (what weight calibration gives; values do not matter here). */
function convWeights(model: Model): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const n of model.graph.nodes) {
    const w = n.op === 'Conv' ? n.inputs[1] : undefined;
    const t = w === undefined ? undefined : model.graph.initializer(w);
    if (w !== undefined && t !== undefined) out.set(w, new Float64Array(t.dims[0]!).fill(1));
  }
  return out;
}

