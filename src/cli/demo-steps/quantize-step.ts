import { join } from 'node:path';
import type { Model } from '../../ir/model.js';
import type { Tensor } from '../../ir/tensor.js';
import { getEngine } from '../../runtime/engines/registry.js';
import { randomInputs } from '../../runtime/verify.js';
import { arraySource, compareFidelity, loadSplitStages, orderStages, quantize, writeQuantizeArtifacts, type QuantizeResult, type QuantizeStage } from '../../quant/index.js';
import { writeFileAtomic } from '../../util/fs.js';
import { classMapOutputs } from '../../eval/index.js';
import { progressBars } from '../progress-events.js';
import { classMapArgmax, formatFidelityTable, formatQuantizeSummary, quantizeJson } from '../commands/quantize.js';
import type { CliContext } from '../context.js';

export interface QuantizeStepOptions {
  /** Folder the step writes into (`<workDir>/quantize/<method>/`). */
  workDir: string;
  /** split.json of the split built-in model: its `head*` stages are calibrated on the features the backbone produces. Without it the whole model is calibrated. */
  splitManifest?: string;
  /** Generated calibration samples. @default 16 */
  samples?: number;
  /** Generated held-out samples for the fidelity table. @default 4 */
  holdout?: number;
  /** TensorRT version written into the caches. @default '8.6.1' (DRIVE OS 6.0 / JetPack 6.0, the webinar's TensorRT 8.6) */
  trtVersion?: string;
}

/**
 * Demo step: calibrates the heads of the split built-in model (or, without a split, the whole model)
 * on generated inputs with all four methods, writes the caches, scales.json and Q/DQ models, and prints
 * the fidelity table (Q/DQ vs FP32 on held-out generated inputs, onnxruntime cpu).
 */
export async function quantizeStep(model: Model, ctx: CliContext, options: QuantizeStepOptions): Promise<QuantizeResult> {
  const split = options.splitManifest;
  const stages: QuantizeStage[] = split === undefined ? [{ name: 'multitask', model }] : orderStages(loadSplitStages(split)).map((s) => ({ name: s.name, model: s.model, quantize: s.name.startsWith('head') }));
  ctx.print(`── quantize: INT8 calibration of ${split === undefined ? 'the whole multi-task model (no split given)' : `the head stages of ${split}, on the features the backbone produces`}`);
  const count = options.samples ?? 16;
  const holdout = options.holdout ?? 4;
  // Generated inputs: seeded uniform noise in [-1, 1] (about the range of ImageNet-normalised pixels).
  const gen = (n: number, seed: number): Record<string, Tensor>[] => Array.from({ length: n }, (_, i) => randomInputs(stages[0]!.model, { seed: seed + i }));
  const engine = getEngine('cpu');
  const bars = progressBars(ctx);
  const result = await quantize(stages, arraySource(gen(count, 1000), `${count} generated inputs (seeded uniform noise)`), engine, {
    methods: ['entropy', 'max', 'percentile', 'mse'],
    trtVersion: options.trtVersion ?? '8.6.1',
    onProgress: bars.onProgress,
  });
  bars.stop();
  for (const line of formatQuantizeSummary(result, `${count} generated inputs`)) ctx.print(line);
  // Every method's artifacts as one set (staged, renamed at the end), as tandem quantize writes them.
  const written = writeQuantizeArtifacts(result.artifacts, join(options.workDir, 'quantize'), { byMethod: true }).map(({ stage, method, files }) => {
    ctx.print(`  ${stage} (${method}): ${files.cache}, ${files.qdq}`);
    return files;
  });
  const cmp = progressBars(ctx);
  const rows = classMapArgmax(await compareFidelity(stages, result.artifacts.map((a) => ({ stage: a.stage, label: a.method, model: a.qdqModel })), arraySource(gen(holdout, 9000)), engine, { onProgress: cmp.onProgress }), new Set(stages.flatMap((s) => classMapOutputs(s.model))));
  cmp.stop();
  for (const line of formatFidelityTable(rows, `fidelity on ${holdout} held-out generated inputs: Q/DQ model vs FP32, both on onnxruntime cpu — INT8 emulated, not measured on a DLA`, new Set(stages.flatMap((s) => classMapOutputs(s.model))))) ctx.print(line);
  // The same document `quantize --json` prints, for the report.
  writeFileAtomic(join(options.workDir, 'quantize', 'quantize.json'), `${JSON.stringify(quantizeJson(result, `${count} generated inputs (seeded uniform noise)`, written, { samples: holdout, rows }), null, 2)}\n`);
  return result;
}
