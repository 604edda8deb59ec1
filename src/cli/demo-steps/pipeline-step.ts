import { join } from 'node:path';
import type { Plan } from '../../io/stage-file/types.js';
import { benchPipeline, type BenchResult } from '../../runtime/pipeline/bench.js';
import { runFrames } from '../../runtime/pipeline/run-frames.js';
import { openPipeline } from '../../runtime/pipeline/pipeline.js';
import { writeFileAtomic, writeFolder } from '../../util/fs.js';
import { benchDocument, formatBench, formatProfile } from '../commands/bench.js';
import { profilePlan } from '../../runtime/pipeline/profile.js';
import type { CliContext } from '../context.js';
import { progressBars } from '../progress-events.js';

export interface PipelineStepOptions {
  /** Folder the step writes into: `<workDir>/bench/trace.json`, `<workDir>/bench/bench.json`, `<workDir>/outputs/`. */
  readonly workDir: string;
  /** Seconds measured per mode. @default 5 */
  readonly durationS?: number;
  /** Frames run and written with colour maps. @default 3 */
  readonly frames?: number;
}

export interface PipelineStepResult {
  readonly bench: BenchResult;
  /** Files written: the trace, the bench JSON, then each frame's .npy and .png. */
  readonly files: readonly string[];
}

/**
 * Demo step: opens the host plan as a pipeline, benches it sequential vs pipelined (measured here),
 * profiles each stage per op type, writes the Chrome trace of the pipelined run, then runs a few synthetic frames and writes their
 * outputs as .npy and colour-mapped PNGs.
 */
export async function pipelineStep(plan: Plan, ctx: CliContext, options: PipelineStepOptions): Promise<PipelineStepResult> {
  const files: string[] = [];
  await using pipeline = await openPipeline(plan);
  ctx.print(`── bench the host plan: sequential vs pipelined (${pipeline.streams.length} stream${pipeline.streams.length > 1 ? 's' : ''}: ${pipeline.streams.map((s) => `${s} [${pipeline.stages.filter((x) => x.stream === s).map((x) => x.name).join(', ')}]`).join('; ')})`);
  if (pipeline.streams.length === 1) ctx.print('  one stream here (every stage chose an engine of the same device): pipelining has nothing to overlap; on a machine with a GPU the backbone and heads get their own streams');
  const engines = [...new Set(pipeline.stages.map((s) => s.engine))];
  const progress = progressBars(ctx);
  const bench = await benchPipeline(pipeline, {
    onProgress: progress.onProgress,
    durationS: options.durationS ?? 5,
    warmupS: 1,
    trace: true,
    frameTimes: true,
    what: `measured on this machine: onnxruntime-node ${engines.join(' + ')}${engines.includes('dla-emulated') ? ' (dla-emulated = INT8 Q/DQ numerics on the CPU, not DLA speed)' : ''}`,
  });
  progress.stop();
  for (const line of formatBench(bench)) ctx.print(line === '' ? '' : `  ${line}`);
  // where each stage's frame goes, per op type (bench --profile): a few frames, each stage alone
  const profile = await profilePlan(plan, { frames: 8, warmup: 2 });
  for (const line of formatProfile(profile)) ctx.print(line === '' ? '' : `  ${line}`);
  const benchDir = join(options.workDir, 'bench');
  writeFolder(benchDir, (out) => {
    if (bench.trace) {
      writeFileAtomic(out.at('trace.json'), JSON.stringify(bench.trace));
      files.push(out.final('trace.json'));
    }
    writeFileAtomic(out.at('bench.json'), `${JSON.stringify(benchDocument(bench, profile), null, 2)}\n`);
    files.push(out.final('bench.json'));
  });
  ctx.print('');

  const count = options.frames ?? 3;
  ctx.print(`── run ${count} synthetic frames through the pipeline; outputs as .npy and colour-mapped PNGs`);
  const outDir = join(options.workDir, 'outputs');
  files.push(...(await runFrames(pipeline, { input: `synthetic:${count}`, out: outDir })).files);
  ctx.print(`  ${count} frames in ${outDir} (<frame>/<output>.npy and .png: segmentation as an argmax class map, depth in turbo colours)`);
  return { bench, files };
}
