import { mkdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TandemError } from '../../util/errors.js';
import { formatShape } from '../../ir/types.js';
import { safeFileName, writeFrameOutputs } from '../../io/frame-outputs.js';
import { openPipeline } from '../../runtime/pipeline/pipeline.js';
import { openFrameSource } from '../../runtime/pipeline/frame-source.js';
import { summarize } from '../../runtime/pipeline/stats.js';
import type { CliContext } from '../context.js';
import { plural } from '../format.js';
import { loadPlanArg, withInterrupt } from '../pipeline-args.js';
import type { RunFlags } from './run.js';

/** `tandem run <plan>`: frames through the plan's pipeline; outputs as .npy and colour-mapped PNGs. */
export async function runPlanCommand(planPath: string, flags: RunFlags, ctx: CliContext): Promise<void> {
  if (flags.input.length > 1) throw new TandemError('USAGE', `a plan takes one --input (a folder or synthetic:N), got ${flags.input.length}`);
  const plan = loadPlanArg(planPath);
  const t0 = performance.now();
  await using pipeline = await openPipeline(plan, {
    ...(flags.hostHandoff ? { residentHandoff: false } : {}),
    ...(flags.threads ? { engineOptions: { threads: flags.threads } } : {}),
  });
  const openMs = performance.now() - t0;
  const source = openFrameSource(flags.input[0] ?? 'synthetic:8', pipeline.inputs, { seed: flags.seed });
  ctx.note(`${plural(plan.stages.length, 'stage')} on ${plural(pipeline.streams.length, 'stream')} (${pipeline.streams.map((s) => `${s}: ${pipeline.stages.filter((x) => x.stream === s).map((x) => x.name).join(', ')}`).join('; ')}); ${source.description}`);
  const resident = pipeline.stages.flatMap((s) => s.residentOutputs);
  if (resident.length > 0) ctx.note(`kept on the GPU between webgpu stages: ${resident.join(', ')}`);
  if (flags.out !== undefined) mkdirSync(flags.out, { recursive: true });
  const bar = ctx.progress('frames', source.ids.length, { everyS: 5, unit: 'frames' });
  const latencies: number[] = [];
  const written: string[] = [];
  let last: Record<string, { dtype: string; dims: readonly number[] }> = {};
  const t1 = performance.now();
  try {
    await withInterrupt(async (signal) => {
      for await (const r of pipeline.run(source.frames(), { signal, mode: flags.mode, ...(flags.maxInFlight ? { maxInFlight: flags.maxInFlight } : {}) })) {
        latencies.push(r.latencyMs);
        last = Object.fromEntries(Object.entries(r.outputs).map(([k, t]) => [k, { dtype: t.dtype, dims: t.dims }]));
        if (flags.out !== undefined) {
          const id = source.ids[r.frame]!;
          const dir = join(flags.out, safeFileName(id.slice(0, id.length - extname(id).length) || id));
          written.push(...(await writeFrameOutputs(dir, r.outputs)));
        }
        bar.update(latencies.length);
      }
    });
  } finally {
    bar.stop();
  }
  const wallS = (performance.now() - t1) / 1000;
  const lat = summarize(latencies);
  if (flags.json) {
    ctx.printJson({ plan: planPath, frames: latencies.length, mode: flags.mode, openMs, wallS, latencyMs: lat, outputs: last, files: written, measured: `wall time on this machine (${[...new Set(plan.stages.map((s) => s.engine))].join(', ')}), output writing included` });
    return;
  }
  for (const [name, t] of Object.entries(last)) ctx.print(`${name}: ${t.dtype}[${formatShape(t.dims)}]`);
  ctx.print(`${plural(latencies.length, 'frame')} ${flags.mode} in ${wallS.toFixed(2)} s (${(latencies.length / wallS).toFixed(2)} fps incl. writing outputs); latency mean ${lat.mean.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms; sessions opened in ${(openMs / 1000).toFixed(1)} s — measured on this machine`);
  if (flags.out !== undefined) ctx.print(`wrote ${plural(written.length, 'file')} under ${flags.out} (<frame>/<output>.npy, .png for class maps and depth)`);
}
