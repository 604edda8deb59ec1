import { performance } from 'node:perf_hooks';
import { TandemError } from '../../util/errors.js';
import { assertFolderFree } from '../../util/fs.js';
import { formatShape } from '../../ir/types.js';
import { openPipeline } from '../../runtime/pipeline/pipeline.js';
import { readPlanAt } from '../../runtime/pipeline/model-plan.js';
import { runFrames } from '../../runtime/pipeline/run-frames.js';
import type { CliContext } from '../context.js';
import { plural } from '../format.js';
import { withInterrupt } from '../pipeline-args.js';
import { progressBars } from '../progress-events.js';
import type { RunFlags } from './run.js';

/** `tandem run <plan>`: frames through the plan's pipeline; outputs as .npy and colour-mapped PNGs. */
export async function runPlanCommand(planPath: string, flags: RunFlags, ctx: CliContext): Promise<void> {
  if (flags.input.length > 1) throw new TandemError('USAGE', `a plan takes one --input (a folder or synthetic:N), got ${flags.input.length}`);
  const plan = readPlanAt(planPath);
  const planFolder = { path: plan.dir, what: "the plan's folder" };
  // --out at or inside the plan's or the frames' folder is refused before the sessions open; runFrames checks each frame's folder.
  const frames = flags.input[0] !== undefined && !flags.input[0].startsWith('synthetic') ? [{ path: flags.input[0], what: 'the input frames folder' }] : [];
  if (flags.out !== undefined) assertFolderFree(flags.out, [planFolder, ...frames], { entries: [] });
  const t0 = performance.now();
  await using pipeline = await openPipeline(plan, {
    ...(flags.hostHandoff ? { residentHandoff: false } : {}),
    ...(flags.threads ? { engineOptions: { threads: flags.threads } } : {}),
  });
  const openMs = performance.now() - t0;
  ctx.note(`${plural(plan.stages.length, 'stage')} on ${plural(pipeline.streams.length, 'stream')} (${pipeline.streams.map((s) => `${s}: ${pipeline.stages.filter((x) => x.stream === s).map((x) => x.name).join(', ')}`).join('; ')})`);
  const resident = pipeline.stages.flatMap((s) => s.residentOutputs);
  if (resident.length > 0) ctx.note(`kept on the GPU between webgpu stages: ${resident.join(', ')}`);
  const bars = progressBars(ctx);
  const r = await withInterrupt((signal) =>
    runFrames(pipeline, {
      input: flags.input[0] ?? 'synthetic:8',
      seed: flags.seed,
      mode: flags.mode,
      signal,
      ...(flags.out !== undefined ? { out: flags.out, protect: [planFolder] } : {}),
      ...(flags.maxInFlight ? { maxInFlight: flags.maxInFlight } : {}),
      onProgress: bars.onProgress,
    }),
  ).finally(() => bars.stop());
  const lat = r.latencyMs;
  ctx.note(`frames: ${r.source}`);
  if (flags.json) {
    ctx.printJson({ plan: planPath, frames: r.frames, mode: flags.mode, openMs, wallS: r.wallS, latencyMs: lat, outputs: r.outputs, files: r.files, measured: `wall time on this machine (${[...new Set(plan.stages.map((s) => s.engine))].join(', ')}), output writing included` });
    return;
  }
  for (const [name, t] of Object.entries(r.outputs)) ctx.print(`${name}: ${t.dtype}[${formatShape(t.dims)}]`);
  ctx.print(`${plural(r.frames, 'frame')} ${flags.mode} in ${r.wallS.toFixed(2)} s (${(r.frames / r.wallS).toFixed(2)} fps incl. writing outputs); latency mean ${lat.mean.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms; sessions opened in ${(openMs / 1000).toFixed(1)} s — measured on this machine`);
  if (flags.out !== undefined) ctx.print(`wrote ${plural(r.files.length, 'file')} under ${flags.out} (<frame>/<output>.npy, .png for class maps and depth)`);
}
