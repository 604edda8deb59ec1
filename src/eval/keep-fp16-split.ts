import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readSplit } from '../io/stage-file/index.js';
import { loadModel } from '../onnx/load-save.js';
import { methodDir, type QuantizeStagesResult } from '../quant/quantize-stages.js';
import type { StageArtifacts } from '../quant/quantize.js';
import { TandemError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { ProgressCallback } from '../util/progress.js';
import { openDatasetSpec } from './dataset-spec.js';
import { keepFp16Heads, parseBudgets, type Budget, type HeadPrecisionResult } from './mixed-precision.js';
import { readModelTasks } from './model-tasks.js';

/** Options of `keepFp16ForSplit`. */
export interface KeepFp16SplitOptions {
  /** Allowed loss per task: `miou=<points>`, `absrel=<fraction>` (or the text form `miou=0.5,absrel=2%`). @default 'miou=0.5,absrel=2%' */
  budget?: string | readonly Budget[];
  /** Held-out frames with ground truth, in the dataset spec form (`synthetic[:seed,count]`, `cityscapes:<dir>`, `folder:<dir>`). @default 'synthetic:1000,16' */
  evalData?: string;
  /** Intra-op threads of the sessions. @default onnxruntime's choice */
  threads?: number;
  /** Told before each sensitivity run and bisection step (`kind: 'search'`). */
  onProgress?: ProgressCallback;
}

/** One head's mixed-precision result, with the calibration method it started from. */
export type KeepFp16Result = HeadPrecisionResult & { readonly method: string };

/**
 * keepFp16Heads for what quantizeStages made of a split.json: the task metadata comes from the split's
 * source model (recorded in split.json), the frames from `evalData`. Returns the per-head results and
 * the artifacts with the kept tensors in FP16.
 */
export async function keepFp16ForSplit(result: QuantizeStagesResult, options: KeepFp16SplitOptions = {}): Promise<{ results: KeepFp16Result[]; artifacts: StageArtifacts[] }> {
  if (!result.split) throw new TandemError('USAGE', "keeping head tensors in FP16 needs a split.json (the heads are bisected on the backbone's features); run tandem split first");
  const source = readSplit(result.input).source;
  const sourcePath = source === undefined ? undefined : [resolve(dirname(result.input), source), resolve(source)].find((p) => existsSync(p));
  if (sourcePath === undefined) throw new TandemError('MODEL_METADATA', `keeping head tensors in FP16 reads the task metadata of the split's source model (${source ?? 'none recorded in split.json'}), which is not there; split the model again with tandem split`);
  const tasks = readModelTasks(loadModel(sourcePath, { weights: 'lazy' }), { preprocess: result.image });
  const budget = options.budget ?? 'miou=0.5,absrel=2%';
  return keepFp16Heads({
    stages: result.stages,
    artifacts: result.artifacts,
    tasks,
    dataset: openDatasetSpec(options.evalData ?? 'synthetic:1000,16', { height: tasks.preprocess.height, width: tasks.preprocess.width }),
    budgets: typeof budget === 'string' ? parseBudgets(budget) : budget,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

/** Writes each result as `<stage>.keep-fp16.json` next to its stage's artifacts; returns the paths. */
export function writeKeepFp16Results(results: readonly KeepFp16Result[], result: Pick<QuantizeStagesResult, 'out' | 'byMethod'>): string[] {
  return results.map((r) => {
    const file = join(methodDir(result.out, r.method, result.byMethod), `${r.stage}.keep-fp16.json`);
    writeFileAtomic(file, `${JSON.stringify({ ...r, plan: undefined }, null, 2)}\n`);
    return file;
  });
}
