import { join } from 'node:path';
import { evaluate, summarizeEval, syntheticDataset } from '../../eval/index.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { CliContext } from '../context.js';
import { progressBars } from '../progress-events.js';

/**
 * Task metrics of the trained model on a few held-out generated scenes (what tandem eval prints). With
 * `workDir`, also writes what `tandem eval --json --save 2` would (eval/eval.json and the first frames'
 * colour-mapped PNGs) for the report.
 */
export async function evalStep(modelPath: string, ctx: CliContext, options: { frames: number; workDir?: string }): Promise<void> {
  ctx.print(`── eval: ${options.frames} held-out synthetic scenes (seed 1000), FP32 on the cpu engine`);
  const dataset = syntheticDataset({ seed: 1000, count: options.frames, height: 128, width: 256 });
  const saveDir = options.workDir === undefined ? undefined : join(options.workDir, 'eval');
  const progress = progressBars(ctx, { label: 'eval' });
  // evaluate writes the pictures as one staged set; eval.json follows them once the numbers exist
  const s = summarizeEval(await evaluate(modelPath, { dataset, ...(saveDir === undefined ? {} : { save: 2, saveDir }), onProgress: progress.onProgress }));
  if (saveDir !== undefined) writeFileAtomic(join(saveDir, 'eval.json'), `${JSON.stringify(s, null, 2)}\n`);
  progress.stop();
  const seg = s.metrics.segmentation;
  const d = s.metrics.depth;
  if (seg) ctx.print(`  segmentation: mIoU ${seg.mIoU.toFixed(2)}, pixel accuracy ${seg.pixelAccuracy.toFixed(2)}%`);
  if (d) ctx.print(`  depth: AbsRel ${d.absRel.toFixed(4)}, RMSE ${d.rmse.toFixed(2)} m, δ1 ${d.delta1.toFixed(4)}`);
  if (saveDir !== undefined) {
    ctx.print(`  wrote ${join(saveDir, 'eval.json')} and colour-mapped PNGs of 2 frames`);
  }
  ctx.print('  (tandem eval <plan> --reference <model> gives the INT8-vs-FP32 deltas; npm run bench:int8 the table)');
}
