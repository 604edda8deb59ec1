import { join } from 'node:path';
import type { Model } from '../../ir/model.js';
import { exportBundle, searchPlacement, type Deployment, type ScoredPlacement } from '../../plan/index.js';
import type { CliContext } from '../context.js';

/**
 * Demo step: the Orin latency model on the prepared multi-task model — GPU-only vs the webinar's hand
 * placement vs the searched plan (all modelled, DRIVE Orin-X as in the webinar) — then the bundle that
 * builds and measures the orin plan with trtexec (TensorRT 8.6 and 11.4).
 */
export function orinStep(prepared: Model, orin: Deployment, ctx: CliContext, options: { workDir: string }): { bundles: string[] } {
  ctx.print('── orin: predicted numbers (modelled by the fitted latency model, DRIVE Orin-X as in the webinar; not measured)');
  const r = searchPlacement(prepared.clone(), { platform: 'drive-orin-x' });
  const row = (label: string, p: ScoredPlacement): string =>
    `  ${label.padEnd(22)} ${p.fps.toFixed(1).padStart(7)} fps  ${p.latencyMs.toFixed(1).padStart(7)} ms  INT8 ${(p.int8Share * 100).toFixed(0).padStart(3)}% of MACs  ${p.label}`;
  ctx.print(row('GPU-only (FP16)', r.gpuOnly));
  if (r.handPlacement) ctx.print(row("webinar's placement", r.handPlacement));
  ctx.print(row('searched plan', r.chosen));
  for (const w of r.why) ctx.print(`  ${w}`);
  ctx.print(`  (${r.scored} placements scored in ${(r.elapsedMs / 1000).toFixed(1)} s; the Pareto set: tandem cost multitask --search)`);
  const bundles: string[] = [];
  for (const trt of ['8.6', '11.4'] as const) {
    const out = join(options.workDir, `bundle-trt${trt}`);
    const m = exportBundle(orin.plan, { trtVersion: trt, out });
    bundles.push(out);
    ctx.print(`  bundle for TensorRT ${trt}: ${out} (${m.files.length} files; build.sh, bench.sh, README.md; predicted ${m.predicted.fps.toFixed(1)} fps modelled on AGX Orin MAXN)`);
  }
  ctx.print('  on the Orin: bash build.sh && bash bench.sh, then tandem import <bundle>/results (measured vs modelled, --refit)');
  return { bundles };
}
