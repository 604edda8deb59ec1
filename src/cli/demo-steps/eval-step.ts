import { evaluate, summarizeEval, syntheticDataset } from '../../eval/index.js';
import type { CliContext } from '../context.js';

/** Task metrics of the trained model on a few held-out generated scenes (what tandem eval prints). */
export async function evalStep(modelPath: string, ctx: CliContext, options: { frames: number }): Promise<void> {
  ctx.print(`── eval: ${options.frames} held-out synthetic scenes (seed 1000), FP32 on the cpu engine`);
  const dataset = syntheticDataset({ seed: 1000, count: options.frames, height: 128, width: 256 });
  const s = summarizeEval(await evaluate(modelPath, { dataset }));
  const seg = s.metrics.segmentation;
  const d = s.metrics.depth;
  if (seg) ctx.print(`  segmentation: mIoU ${seg.mIoU.toFixed(2)}, pixel accuracy ${seg.pixelAccuracy.toFixed(2)}%`);
  if (d) ctx.print(`  depth: AbsRel ${d.absRel.toFixed(4)}, RMSE ${d.rmse.toFixed(2)} m, δ1 ${d.delta1.toFixed(4)}`);
  ctx.print('  (tandem eval <plan> --reference <model> gives the INT8-vs-FP32 deltas; npm run bench:int8 the table)');
}
