/**
 * npm run bench:pipeline -- [--size HxW] [--configs a,b,...] [--precision fp32|fp16] [--threads n]
 *   [--duration s] [--warmup s] [--json file]
 *
 * The multi-task reference model (MiT-B0 backbone + SegFormer head + depth decoder) split into backbone
 * and two heads, run as tandem pipelines in several layouts, each benched sequential vs pipelined in one
 * process (benchPipeline): throughput, latency percentiles, per-stage compute, speed-up and pipeline
 * efficiency. Layouts (--configs):
 *   cpu-2streams      backbone on one cpu stream, both heads on another (each --threads threads)
 *   whole-<engine>    the unsplit model as one stage (whole-cpu, whole-webgpu)
 *   webgpu-resident   all three stages on webgpu, hand-offs kept on the GPU
 *   webgpu-host       all three stages on webgpu, hand-offs through host memory
 *   webgpu+cpu        backbone on webgpu, heads on one cpu stream
 *   host-plan         what tandem plan --target host chooses here (planDeployment: stages timed on every engine)
 *   plan=<path>       an existing plan.json (e.g. from tandem plan --target host)
 * A suffix @fp32 or @fp16 sets the precision of that layout's webgpu stages (default --precision).
 * Everything printed is measured on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { REFERENCE_MODELS } from '../src/models/index.js';
import { saveModel } from '../src/onnx/index.js';
import { splitModel, writeSplit } from '../src/passes/index.js';
import { convertToFloat16 } from '../src/quant/fp16.js';
import { readPlan, STAGE_FILE_VERSION, type Plan, type PlanEngine, type PlanTensor } from '../src/io/stage-file/index.js';
import { benchPipeline, openPipeline, type BenchResult } from '../src/runtime/index.js';
import { isTandemError } from '../src/util/errors.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { formatBench } from '../src/cli/commands/bench.js';
import type { Model } from '../src/ir/model.js';
import { planDeployment } from '../src/plan/index.js';
import { getEngine } from '../src/runtime/engines/registry.js';
import { semanticsOpener } from '../src/runtime/host-engines.js';
import { formatDeployment, hostEngines } from '../src/cli/commands/plan.js';
import { createContext } from '../src/cli/context.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function machine(): string {
  let gpu = 'no NVIDIA GPU visible';
  try {
    gpu = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    // none
  }
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${gpu}; Node ${process.version}`;
}

const [height, width] = arg('size', '64x128').split('x').map(Number) as [number, number];
const configs = arg('configs', 'cpu-2streams').split(',');
const precision = arg('precision', 'fp32') as 'fp32' | 'fp16';
const threads = Number(arg('threads', '1'));
const durationS = Number(arg('duration', '10'));
const warmupS = Number(arg('warmup', '2'));
const jsonOut = process.argv.includes('--json') ? arg('json', '') : '';

const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-pipeline-'));
const model = REFERENCE_MODELS.multitask.build({ height, width });
const split = writeSplit(splitModel(model, { auto: true }), dir).manifest;

/** A stage model converted to FP16 once (float32 inputs and outputs kept, with Casts), for GPU stages. */
const fp16Files = new Map<string, string>();
function fileFor(stage: string, file: string, engine: PlanEngine, precision: 'fp32' | 'fp16', source?: Model): string {
  if (precision !== 'fp16' || engine !== 'webgpu') return file;
  const key = `${stage}.fp16.onnx`;
  if (!fp16Files.has(key)) {
    const m = source ?? splitModel(model, { auto: true }).stages.find((s) => s.name === stage)!.model;
    saveModel(convertToFloat16(m).model, join(dir, key));
    fp16Files.set(key, key);
  }
  return key;
}

function splitPlan(engines: (stage: string) => PlanEngine, streams: (stage: string) => string | undefined, precision: 'fp32' | 'fp16'): Plan {
  return {
    version: STAGE_FILE_VERSION,
    kind: 'plan',
    target: 'host',
    cut: split.cut,
    dir,
    stages: split.stages.map((s) => {
      const engine = engines(s.name);
      const stream = streams(s.name);
      const opts = { ...(engine === 'cpu' ? { threads } : {}), ...(stream ? { stream } : {}) };
      return { ...s, file: fileFor(s.name, s.file, engine, precision), engine, precision: engine === 'webgpu' ? precision : 'fp32', ...(Object.keys(opts).length ? { engineOptions: opts } : {}), choice: { how: 'pinned', reason: 'bench layout' } };
    }),
    tensors: split.tensors as PlanTensor[],
  };
}

function wholePlan(engine: PlanEngine, precision: 'fp32' | 'fp16'): Plan {
  const file = `whole-${engine}-${engine === 'webgpu' ? precision : 'fp32'}.onnx`;
  saveModel(engine === 'webgpu' && precision === 'fp16' ? convertToFloat16(model).model : model, join(dir, file));
  const inputs = split.tensors.filter((t) => t.from === null);
  const outputs = split.tensors.filter((t) => t.modelOutput);
  return {
    version: STAGE_FILE_VERSION,
    kind: 'plan',
    target: 'host',
    cut: [],
    dir,
    stages: [{ name: 'whole', file, kind: 'backbone', inputs: inputs.map((t) => t.name), outputs: outputs.map((t) => t.name), engine, precision: engine === 'webgpu' ? precision : 'fp32', ...(engine === 'cpu' ? { engineOptions: { threads } } : {}), choice: { how: 'pinned', reason: 'bench layout' } }],
    tensors: [...inputs.map((t) => ({ ...t, to: ['whole'] })), ...outputs.map((t) => ({ ...t, from: 'whole', to: [] }))],
  };
}

async function planOf(spec: string): Promise<{ plan: Plan; hostHandoff: boolean }> {
  const [config, p] = spec.split('@') as [string, string | undefined];
  const prec = (p ?? precision) as 'fp32' | 'fp16';
  if (config.startsWith('plan=')) return { plan: readPlan(config.slice(5)), hostHandoff: false };
  if (config.startsWith('whole-')) return { plan: wholePlan(config.slice(6) as PlanEngine, prec), hostHandoff: false };
  switch (config) {
    case 'host-plan': {
      // what tandem plan --target host chooses on this machine (stages timed on each engine that starts here)
      const ctx = createContext({ stdout: process.stdout, stderr: process.stderr });
      const d = await planDeployment({ splitPath: join(dir, 'split.json') }, { target: 'host', out: join(dir, 'host-plan'), opener: getEngine('cpu'), verifyOpener: semanticsOpener, generatedSamples: 4, engines: await hostEngines(ctx) });
      for (const line of formatDeployment(d)) console.log(`  ${line}`);
      return { plan: d.plan, hostHandoff: false };
    }
    case 'cpu-2streams':
      return { plan: splitPlan(() => 'cpu', (s) => (s === 'backbone' ? 'cpu-backbone' : 'cpu-heads'), prec), hostHandoff: false };
    case 'webgpu-resident':
      return { plan: splitPlan(() => 'webgpu', () => undefined, prec), hostHandoff: false };
    case 'webgpu-host':
      return { plan: splitPlan(() => 'webgpu', () => undefined, prec), hostHandoff: true };
    case 'webgpu+cpu':
      return { plan: splitPlan((s) => (s === 'backbone' ? 'webgpu' : 'cpu'), (s) => (s === 'backbone' ? undefined : 'cpu-heads'), prec), hostHandoff: false };
    default:
      throw new Error(`unknown config "${config}"; see the header of bench/pipeline.ts`);
  }
}

async function main(): Promise<void> {
  console.log(`bench:pipeline — measured on this machine (${machine()})`);
  let weights = 0;
  for (const t of model.graph.initializers.values()) if (t.dtype === 'float32' && t.dims.length > 0) weights += t.dims.reduce((a, b) => a * b, 1);
  console.log(`model: ${model.graph.nodes.length} nodes, ${weights} float weights in non-scalar initializers (parameters + BatchNorm statistics)`);
  console.log(`multi-task ${height}x${width}, batch 1; webgpu stages ${precision}; cpu stages fp32, ${threads} thread(s) each; warm-up ${warmupS} s + ${durationS} s per mode`);
  const all: Record<string, Omit<BenchResult, 'trace'> | { error: string }> = {};
  try {
    for (const config of configs) {
      console.log(`\n=== ${config}`);
      try {
        const { plan, hostHandoff } = await planOf(config);
        await using pipeline = await openPipeline(plan, { residentHandoff: !hostHandoff });
        const resident = pipeline.stages.flatMap((s) => s.residentOutputs);
        console.log(`streams: ${pipeline.streams.map((s) => `${s} [${pipeline.stages.filter((x) => x.stream === s).map((x) => x.name).join(', ')}]`).join('; ')}${resident.length ? `; on the GPU between stages: ${resident.join(', ')}` : ''}`);
        const r = await benchPipeline(pipeline, { durationS, warmupS, what: `measured on this machine: onnxruntime-node ${[...new Set(pipeline.stages.map((s) => s.engine))].join(' + ')}` });
        for (const line of formatBench(r)) console.log(line);
        const { trace: _t, ...rest } = r;
        all[config] = rest;
      } catch (e) {
        if (!isTandemError(e)) throw e;
        console.log(`skipped: ${e.message}`);
        all[config] = { error: e.message };
      }
    }
    console.log('\nsummary (fps, measured):');
    for (const [config, r] of Object.entries(all)) {
      if ('error' in r) {
        console.log(`  ${config.padEnd(18)} not run: ${r.error.slice(0, 120)}`);
        continue;
      }
      const seq = r.modes.find((m) => m.mode === 'sequential');
      const pipe = r.modes.find((m) => m.mode === 'pipelined');
      console.log(`  ${config.padEnd(18)} sequential ${seq?.throughputFps.toFixed(2) ?? '–'}  pipelined ${pipe?.throughputFps.toFixed(2) ?? '–'}  speed-up ${r.speedup?.toFixed(2) ?? '–'}  efficiency ${r.efficiency?.toFixed(3) ?? '–'}`);
    }
    if (jsonOut) writeFileAtomic(jsonOut, JSON.stringify({ machine: machine(), size: `${height}x${width}`, precision, threads, durationS, warmupS, results: all }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
