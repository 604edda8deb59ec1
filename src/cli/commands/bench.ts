import { quote } from '../../util/text.js';
import { join } from 'node:path';
import { Option } from 'commander';
import { TandemError } from '../../util/errors.js';
import { assertOutputsFree, checkOutputFile, writeFileAtomic } from '../../util/fs.js';
import { ENGINE_NAMES, type EngineName } from '../../runtime/engines/types.js';
import { benchPipeline, type BenchModeResult, type BenchResult } from '../../runtime/pipeline/bench.js';
import { openPipeline, type PipelineMode } from '../../runtime/pipeline/pipeline.js';
import { jsonReplacer } from '../context.js';
import { progressBars } from '../progress-events.js';
import { dimSizes, finiteNumber, positiveInt } from '../parse.js';
import { isPlanPath, withInterrupt } from '../pipeline-args.js';
import { modelPlan, readPlanAt } from '../../runtime/pipeline/model-plan.js';
import { profilePlan, type StageProfile } from '../../runtime/pipeline/profile.js';
import { loadModel } from '../../onnx/load-save.js';
import { unusedDimsNotes } from '../dims.js';
import { plural } from '../format.js';
import type { CliCommand } from './types.js';

interface BenchFlags {
  mode: 'sequential' | 'pipelined' | 'both';
  duration?: number;
  iterations?: number;
  warmup: number;
  maxInFlight?: number;
  json?: boolean;
  trace?: string;
  engine: EngineName;
  threads?: number;
  hostHandoff?: boolean;
  dims?: Record<string, number>;
  out?: string;
  profile?: true | number;
  exportTimes?: string;
}

export const benchCommand: CliCommand = {
  name: 'bench',
  examples: [
    'tandem bench host-plan/plan.json --mode both --duration 20 --trace trace.json',
    'tandem bench host-plan/ --iterations 500 --json',
    'tandem bench model.onnx --engine webgpu --duration 5',
    'tandem bench host-plan/plan.json --duration 5 --profile 20',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('bench')
      .description('measure a plan (or a model) like trtexec: latency percentiles, throughput, per-stage compute and queue wait, host overhead; sequential vs pipelined with speed-up and pipeline efficiency')
      .argument('<plan|model>', 'plan.json (or its folder) from tandem plan, or an ONNX model (one stage on --engine)')
      .addOption(new Option('--mode <mode>', 'sequential (one stage at a time), pipelined (each engine on its own frame) or both').choices(['sequential', 'pipelined', 'both']).default('both'))
      .option('--duration <s>', 'seconds to measure per mode (default: 10)', finiteNumber)
      .option('--iterations <n>', 'frames to measure per mode (instead of --duration)', positiveInt)
      .option('--warmup <s>', 'seconds of warm-up per mode, not measured', finiteNumber, 1)
      .option('--max-in-flight <n>', 'pipelined: frames in flight at most (default: streams + 1)', positiveInt)
      .option('--json', 'print the result as JSON: per mode { mode, frames, throughputFps, latencyMs, stages, ... }, plus speedup and efficiency when both ran')
      .option('-o, --out <file.json>', 'write the result as JSON (what --json prints; tandem report reads it)')
      .option('--trace <file.json>', 'write a Chrome trace of the measured pipelined run (open it in https://ui.perfetto.dev)')
      .option('--export-times <file.json>', "write every measured frame's times per mode (trtexec's --exportTimes): { modes: [{ mode, frames: [{ frame, startMs, endMs, latencyMs }] }] }, ms from the mode's measurement start")
      .addOption(new Option('--engine <engine>', 'engine for a model (plans name their own)').choices(ENGINE_NAMES).default('cpu'))
      .option('--threads <n>', 'intra-op threads for every cpu session', positiveInt)
      .option('--dims <name=size,...>', 'a model: sizes for its symbolic input dims (the frames fed have these sizes)', dimSizes)
      .option('--host-handoff', 'pass hand-offs between webgpu stages through host memory instead of keeping them on the GPU')
      .option('--profile [frames]', 'after the bench, profile each stage alone (onnxruntime profiler; GPU time per dispatch on webgpu) over this many frames (default: 20) after 5 of warm-up, and print where the time goes per op type', positiveInt)
      .action(async (path: string, flags: BenchFlags) => {
        if (flags.trace !== undefined) checkOutputFile(flags.trace, '--trace');
        if (flags.out !== undefined) checkOutputFile(flags.out, '--out');
        if (flags.exportTimes !== undefined) checkOutputFile(flags.exportTimes, '--export-times');
        if (flags.duration !== undefined && !(flags.duration > 0)) throw new TandemError('USAGE', `--duration must be positive seconds, got ${flags.duration}`);
        if (!(flags.warmup >= 0)) throw new TandemError('USAGE', `--warmup must be 0 or more seconds, got ${flags.warmup}`);
        if (flags.duration !== undefined && flags.iterations !== undefined) throw new TandemError('USAGE', 'give --duration or --iterations, not both');
        if (flags.dims && isPlanPath(path)) throw new TandemError('USAGE', `--dims sizes a model's symbolic input dims; ${path} is a plan, whose stages have their own shapes`);
        if (flags.dims) for (const line of unusedDimsNotes(loadModel(path, { weights: 'lazy' }), flags.dims)) ctx.note(line);
        const plan = isPlanPath(path) ? readPlanAt(path) : modelPlan(path, { engine: flags.engine, ...(flags.threads !== undefined ? { threads: flags.threads } : {}), ...(flags.dims ? { dims: flags.dims } : {}) });
        const outputs = [flags.trace, flags.out, flags.exportTimes].filter((o): o is string => o !== undefined);
        assertOutputsFree(outputs, [...(isPlanPath(path) ? [join(plan.dir, 'plan.json')] : []), ...plan.stages.map((s) => join(plan.dir, s.file))]);
        const modes: PipelineMode[] = flags.mode === 'both' ? ['sequential', 'pipelined'] : [flags.mode];
        await using pipeline = await openPipeline(plan, {
          ...(flags.hostHandoff ? { residentHandoff: false } : {}),
          ...(flags.threads ? { engineOptions: { threads: flags.threads } } : {}),
          onProgress: (e) => {
            if (e.kind === 'open') ctx.note(`opening ${e.stage} (${e.done + 1}/${e.total}) on ${e.engine}`);
          },
        });
        const engines = [...new Set(pipeline.stages.map((s) => s.engine))];
        const what = `measured on this machine: onnxruntime-node ${engines.join(' + ')}${engines.includes('dla-emulated') ? ' (dla-emulated runs INT8 Q/DQ numerics on the CPU: not DLA speed)' : ''}`;
        const bars = progressBars(ctx);
        const result = await withInterrupt((signal) =>
          benchPipeline(pipeline, {
            modes,
            warmupS: flags.warmup,
            ...(flags.iterations !== undefined ? { iterations: flags.iterations } : { durationS: flags.duration ?? 10 }),
            ...(flags.maxInFlight !== undefined ? { maxInFlight: flags.maxInFlight } : {}),
            trace: flags.trace !== undefined,
            frameTimes: true, // each frame's latency goes into the JSON (samplesMs: the report's histogram)
            signal,
            what,
            onProgress: bars.onProgress,
          }),
        ).finally(() => bars.stop());
        if (flags.trace !== undefined && result.trace) writeFileAtomic(flags.trace, JSON.stringify(result.trace));
        if (flags.exportTimes !== undefined) writeFileAtomic(flags.exportTimes, `${JSON.stringify({ what: result.what, modes: result.modes.map((m) => ({ mode: m.mode, frames: m.frameTimes ?? [] })) })}\n`);
        let profile: StageProfile[] | undefined;
        if (flags.profile !== undefined) {
          await pipeline.close(); // one stage at a time, nothing else on its engine
          profile = await withInterrupt((signal) =>
            profilePlan(plan, {
              frames: flags.profile === true ? 20 : flags.profile!,
              signal,
              ...(flags.threads ? { engineOptions: { threads: flags.threads } } : {}),
              onProgress: (e) => {
                if (e.kind === 'timing') ctx.note(`profiling ${e.stage} (${e.done + 1}/${e.total}) on ${e.engine}`);
              },
            }),
          );
        }
        const doc = { source: path, ...benchDocument(result, profile), ...(flags.trace !== undefined ? { traceFile: flags.trace } : {}) };
        if (flags.out !== undefined) writeFileAtomic(flags.out, `${JSON.stringify(doc, jsonReplacer, 2)}\n`);
        if (flags.json) {
          ctx.printJson(doc);
          return;
        }
        ctx.print(`${path}: ${plural(pipeline.stages.length, 'stage')} on ${plural(pipeline.streams.length, 'stream')} (${pipeline.streams.map((s) => `${s}: ${pipeline.stages.filter((x) => x.stream === s).map((x) => x.name).join(', ')}`).join('; ')})`);
        const resident = pipeline.stages.flatMap((s) => s.residentOutputs);
        if (resident.length > 0) ctx.print(`kept on the GPU between webgpu stages: ${resident.join(', ')}`);
        for (const line of formatBench(result)) ctx.print(line);
        if (profile) for (const line of formatProfile(profile)) ctx.print(line);
        if (flags.trace !== undefined) ctx.print(`trace: ${flags.trace} (open in https://ui.perfetto.dev)`);
        if (flags.exportTimes !== undefined) ctx.print(`frame times: ${flags.exportTimes}`);
        if (flags.out !== undefined) ctx.print(`wrote ${flags.out}`);
      });
  },
};

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '–');

/**
 * The bench JSON (`--json`, `-o`; what `tandem report` reads): the result without the trace, each mode's
 * frame times reduced to `samplesMs` (per-frame latency, µs precision; `--export-times` has the rest), and
 * the stage profiles where `--profile` ran.
 */
export function benchDocument(result: BenchResult, profile?: readonly StageProfile[]): Record<string, unknown> {
  const { trace: _trace, ...rest } = result;
  const modes = rest.modes.map(({ frameTimes, ...m }) => (frameTimes === undefined ? m : { ...m, samplesMs: frameTimes.map((t) => Math.round(t.latencyMs * 1000) / 1000) }));
  return { ...rest, modes, ...(profile ? { profile } : {}) };
}

/** The result as trtexec-like text lines. */
export function formatBench(r: BenchResult): string[] {
  const lines = [r.what, ''];
  lines.push(`${'mode'.padEnd(11)} ${'frames'.padStart(7)} ${'fps'.padStart(8)}  latency ms: ${['min', 'mean', 'median', 'p90', 'p95', 'p99', 'max'].map((h) => h.padStart(8)).join('')}  ${'CV'.padStart(6)}  host ms/frame`);
  for (const m of r.modes) {
    const l = m.latencyMs;
    lines.push(`${m.mode.padEnd(11)} ${String(m.frames).padStart(7)} ${f(m.throughputFps).padStart(8)}              ${[l.min, l.mean, l.median, l.p90, l.p95, l.p99, l.max].map((x) => f(x).padStart(8)).join('')}  ${f(m.latencyCv, 3).padStart(6)}  ${f(m.hostOverheadMs, 3)}`);
  }
  for (const m of r.modes) lines.push('', ...formatStages(m));
  if (r.speedup !== undefined && r.efficiency !== undefined && r.slowestStream) {
    const pipe = r.modes.find((m) => m.mode === 'pipelined')!;
    lines.push('');
    lines.push(`speed-up pipelined ÷ sequential: ${f(r.speedup)}x`);
    lines.push(`pipeline efficiency: ${f(r.efficiency, 3)} (pipelined ${f(pipe.throughputFps)} fps ÷ slowest stream ${quote(r.slowestStream.name)} alone ${f(r.slowestStream.fps)} fps = 1000 ÷ ${f(r.slowestStream.msPerFrame)} ms of its stages' compute, measured in the sequential run)`);
  }
  return lines;
}

/** Each stage's profile: totals, then its most expensive op types (ten at most). */
export function formatProfile(stages: readonly StageProfile[]): string[] {
  const lines: string[] = [];
  for (const s of stages) {
    const p = s.profile;
    const gpu = p.gpu;
    lines.push('', `profile of ${s.stage} alone on ${s.engine}${s.engine === 'dla-emulated' ? ' (INT8 numerics on the CPU, not DLA speed)' : ''} (measured, onnxruntime's profiler, ${plural(p.frames, 'frame')} after the warm-up): ${f(s.medianMs)} ms per frame profiled; ${gpu ? `GPU busy ${f(gpu.busyMs, 3)} ms in ${f(gpu.dispatches, 0)} dispatches; ` : ''}CPU inside kernels ${f(p.kernelCpuMs, 3)} ms${gpu ? ' (encoding the GPU work, slowed by the per-dispatch timestamps)' : ''}`);
    const w = Math.max(7, ...p.ops.slice(0, 10).map((o) => o.op.length));
    lines.push(`  ${'op type'.padEnd(w)} ${gpu ? `${'GPU ms'.padStart(8)} ${'share'.padStart(6)} ${'disp.'.padStart(6)} ` : ''}${'CPU ms'.padStart(8)} ${'share'.padStart(6)} ${'nodes'.padStart(6)}`);
    for (const o of p.ops.slice(0, 10)) {
      const g = gpu ? `${f(o.gpuMs ?? 0, 3).padStart(8)} ${`${f((100 * (o.gpuMs ?? 0)) / gpu.busyMs, 1)}%`.padStart(6)} ${f(o.dispatches ?? 0, 0).padStart(6)} ` : '';
      lines.push(`  ${o.op.padEnd(w)} ${g}${f(o.cpuMs, 3).padStart(8)} ${`${f((100 * o.cpuMs) / p.kernelCpuMs, 1)}%`.padStart(6)} ${f(o.nodes, 0).padStart(6)}`);
    }
    if (p.ops.length > 10) lines.push(`  … ${plural(p.ops.length - 10, 'more op type')} (--json lists all)`);
  }
  return lines;
}

function formatStages(m: BenchModeResult): string[] {
  const w = Math.max(5, ...m.stages.map((s) => s.name.length));
  const lines = [`${m.mode}: per stage (compute = inside the engine call; queue = ready but its stream busy)`];
  lines.push(`  ${'stage'.padEnd(w)}  ${'engine'.padEnd(12)} ${'stream'.padEnd(12)} ${'mean'.padStart(8)} ${'median'.padStart(8)} ${'p99'.padStart(8)}  ${'queue'.padStart(8)}`);
  for (const s of m.stages) lines.push(`  ${s.name.padEnd(w)}  ${s.engine.padEnd(12)} ${s.stream.padEnd(12)} ${f(s.computeMs.mean).padStart(8)} ${f(s.computeMs.median).padStart(8)} ${f(s.computeMs.p99).padStart(8)}  ${f(s.queueWaitMs).padStart(8)}`);
  lines.push(`  streams: ${m.streams.map((s) => `${s.name} ${f(s.msPerFrame)} ms/frame, busy ${f(100 * s.utilization, 0)}%`).join('; ')}`);
  return lines;
}
