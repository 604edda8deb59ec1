/**
 * npm run bench:coverage [-- --json] [-- --small] [-- --light]
 *
 * DLA coverage (nodes, FLOPs) of the multi-task reference model (512x1024; --small: 64x128) on
 * orin-dla at INT8, per stage of its split into backbone and heads (--auto), before and after
 * `prepare`. Coverage is modelled from the DLA rules of the support reference (what TensorRT would
 * place on the DLA), not measured: no DLA runs here. Also checks on onnxruntime cpu that prepare kept
 * the outputs (that part is measured). --light writes every float weight (a weight input by the op table) as a
 * ConstantOfShape (one uniform value), as ONNX's light_* zoo test models do: what TensorRT folds at build
 * must count as constant weights.
 */
import { performance } from 'node:perf_hooks';
import { Node, Tensor, tensorFromValues, type Model } from '../src/ir/index.js';
import { getReferenceModel } from '../src/models/index.js';
import { OPS } from '../src/ops/index.js';
import { compareStageCoverage, prepareModel, type CoverageChange } from '../src/passes/index.js';
import { checkEquivalent } from '../src/runtime/verify.js';
import type { AnalysisSummary } from '../src/targets/index.js';

const json = process.argv.includes('--json');
const small = process.argv.includes('--small');
const light = process.argv.includes('--light');
const reference = getReferenceModel('multitask');
const options = small ? reference.smallOptions : {};
const model = light ? withConstantOfShapeWeights(reference.build(options)) : reference.build(options);
const target = { target: 'orin-dla', precision: 'int8' } as const;

const t0 = performance.now();
const { model: prepared, report } = prepareModel(model, target);
const prepareMs = performance.now() - t0;
const verification = await checkEquivalent(model, prepared, { tolerance: 1e-5, trials: 2 });
const stages = compareStageCoverage(model, prepared, { ...target, split: { auto: true } });
const rows: CoverageChange[] = [...stages, { stage: 'whole model', kind: 'backbone', before: report.before, after: report.after }];

if (json) {
  console.log(
    JSON.stringify(
      {
        model: light ? 'multitask, weights as ConstantOfShape' : 'multitask',
        options,
        target,
        basis: report.after.basis,
        stages: rows.map((r) => ({ stage: r.stage, before: pick(r.before), after: pick(r.after) })),
        passes: report.passes.filter((p) => p.applied.length > 0).map((p) => ({ pass: p.pass, applied: p.applied.length })),
        verification: { engine: 'cpu', ok: verification.ok, outputs: verification.outputs.map((o) => ({ name: o.name, relL2: o.relL2 })) },
        prepareMs,
      },
      null,
      2,
    ),
  );
} else {
  const size = small ? '64x128' : '512x1024';
  console.log(`multi-task reference (MiT-B0 + SegFormer head + depth decoder, ${size})${light ? ', weights as ConstantOfShape (--light)' : ''} on orin-dla, INT8, split --auto`);
  console.log(`coverage ${report.after.basis}`);
  console.log('');
  console.log('| stage | nodes on DLA before | nodes on DLA after | FLOPs on DLA before | FLOPs on DLA after |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.stage} | ${nodes(r.before)} | ${nodes(r.after)} | ${flops(r.before)} | ${flops(r.after)} |`);
  console.log('');
  console.log(`passes that changed something: ${report.passes.filter((p) => p.applied.length > 0).map((p) => `${p.pass} ×${p.applied.length}`).join(', ')}`);
  console.log(`prepare took ${(prepareMs / 1000).toFixed(1)} s (measured on this machine)`);
  console.log(`outputs after prepare vs before, onnxruntime cpu, 2 random inputs (measured): ${verification.outputs.map((o) => `${o.name} rel L2 ${o.relL2.toExponential(1)}`).join(', ')} — ${verification.ok ? 'within' : 'NOT within'} 1e-5`);
}

function pick(s: AnalysisSummary | undefined): unknown {
  return s === undefined ? null : { nodes: s.nodes, flops: s.flops, regions: s.regions, crossings: s.crossings };
}

function nodes(s: AnalysisSummary | undefined): string {
  if (s === undefined) return '–';
  const n = s.nodes.total - s.nodes.build;
  return `${s.nodes.onTarget} / ${n} (${((100 * s.nodes.onTarget) / n).toFixed(1)}%)`;
}

function flops(s: AnalysisSummary | undefined): string {
  if (s === undefined) return '–';
  return `${(s.flops.onTarget / 1e9).toFixed(3)} / ${(s.flops.total / 1e9).toFixed(3)} GFLOP (${((100 * s.flops.onTarget) / s.flops.total).toFixed(1)}%)`;
}

/** Every float weight (an input of role weight in the op table) becomes ConstantOfShape(its dims) of one value (0.01). */
function withConstantOfShapeWeights(m: Model): Model {
  const g = m.graph;
  const opset = m.opset('');
  const isWeight = (name: string): boolean =>
    g.consumers(name).length > 0 && g.consumers(name).every((n) => n.inputs.every((input, i) => input !== name || (OPS.get(n.op, n.domain, opset)?.traits.weightInputs.includes(i) ?? false)));
  for (const [name, t] of [...g.initializers]) {
    if (t.dtype !== 'float32' || t.size <= 1 || g.isGraphInput(name) || g.isGraphOutput(name) || !isWeight(name)) continue;
    g.removeInitializer(name);
    const dims = g.freshName(`${name}/dims`);
    g.setInitializer(dims, tensorFromValues('int64', [t.dims.length], t.dims));
    g.addNode(new Node({ op: 'ConstantOfShape', name: `${name}/fill`, inputs: [dims], outputs: [name], attrs: { value: { type: 'tensor', value: new Tensor('float32', [1], Float32Array.of(0.01)) } } }));
  }
  g.topologicalSort();
  return m;
}
