/**
 * npm run bench:pipeline -- [--size HxW] [--configs a,b,...] [--precision fp32|fp16] [--threads n]
 *   [--duration s] [--warmup s] [--stream-threads auto|main] [--json file]
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
 *   webgpu-capture    three webgpu stages: upload (pixels → normalised, on the GPU), the whole model with
 *                     enableGraphCapture (inputs and outputs GPU buffers), download (Identity to host);
 *                     its outputs are first compared with the uncaptured model's on two different frames;
 *                     +nocapture: the same three stages without graph capture
 * A suffix @fp32 or @fp16 sets the precision of that layout's webgpu stages (default --precision); a
 * further +io gives the layout tandem's compact frame I/O (plan --input rgba-uint32 --outputs compact:
 * RGBA pixels as uint32 normalised on the GPU, segmentation as int32 class ids, depth float16), each
 * rewritten stage checked against its float form on onnxruntime cpu (1 random input) first.
 * WebGPU EP settings as further modifiers, on every webgpu stage of the layout: +nhwc (layout NHWC),
 * +novalid (Dawn validation disabled), +norobust (robust buffer access off), +pd<N> (N dispatches per
 * submit). All but +nhwc are process-wide in onnxruntime (the first webgpu session decides): give a
 * layout that uses them its own process.
 * host-plan: `+io` and `@fp16` pass --input/--outputs/--gpu-precision to planDeployment, whose candidates
 * run pipelined (--candidates, default 3; --measure-seconds, default 1.5).
 * Everything printed is measured on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { REFERENCE_MODELS } from '../src/models/index.js';
import { loadModel, saveModel } from '../src/onnx/index.js';
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
import { compactOutputs, encodeInput, pixelNormalization, verifyFrameIo } from '../src/plan/frame-io.js';
import { GraphBuilder, buildModel } from '../src/ir/builder.js';
import { compareTensors } from '../src/runtime/verify.js';
import { syntheticFeeds } from '../src/runtime/pipeline/bench.js';

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
/** auto: cpu streams on worker threads where there are several streams (openPipeline's default); main: all on this thread. */
const streamThreads = arg('stream-threads', 'auto') as 'auto' | 'main';
const candidates = Number(arg('candidates', '3'));
const measureS = Number(arg('measure-seconds', '1.5'));
const cpuOpener = getEngine('cpu');
const IO_FORMS = { segmentation: 'argmax', depth: 'fp16' } as const;

/**
 * A stage with compact frame I/O: the image input as RGBA uint32 (normalised in the graph) where it
 * reads it, segmentation ids and float16 depth where it makes them; checked against the float stage.
 */
async function withIo(name: string, m: Model): Promise<Model> {
  const readsImage = m.graph.runtimeInputs.includes('image');
  const forms = Object.fromEntries(Object.entries(IO_FORMS).filter(([o]) => m.graph.outputs.includes(o)));
  if (!readsImage && Object.keys(forms).length === 0) return m;
  const norm = pixelNormalization(model, 'image');
  let after = readsImage ? encodeInput(m, 'image', 'rgba-uint32', norm) : m;
  after = compactOutputs(after, forms);
  const t0 = performance.now();
  const check = await verifyFrameIo(m, after, cpuOpener, { ...(readsImage ? { input: { name: 'image', encoding: 'rgba-uint32' as const, norm } } : {}), outputs: forms, samples: 1 });
  console.log(`  +io ${name}: ${check.outputs.map((o) => `${o.name} ${o.form} ${o.form === 'argmax' ? `${o.mismatches} ids differ` : `max |diff| ${o.maxAbsDiff.toPrecision(2)} of ${o.maxAbsRef.toPrecision(3)}`}`).join(', ')} → ${check.ok ? 'ok' : 'FAILED'} (onnxruntime cpu, 1 random input, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  if (!check.ok) throw new Error(`+io check failed for ${name}`);
  return after;
}

/** The plan tensors' dtype and shape where +io changed them (read from the rewritten models). */
function retype(tensors: readonly PlanTensor[], models: readonly Model[]): PlanTensor[] {
  return tensors.map((t) => {
    for (const m of models) {
      if (!m.graph.runtimeInputs.includes(t.name) && !m.graph.outputs.includes(t.name)) continue;
      const type = m.graph.tensorType(t.name);
      if (type?.dtype !== undefined && type.dtype !== t.dtype) return { ...t, dtype: type.dtype, shape: type.shape === undefined ? t.shape : [...type.shape] };
    }
    return t;
  });
}

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

async function splitPlan(engines: (stage: string) => PlanEngine, streams: (stage: string) => string | undefined, precision: 'fp32' | 'fp16', io = false): Promise<Plan> {
  const models: Model[] = [];
  const stages = [];
  for (const s of split.stages) {
    const engine = engines(s.name);
    const stream = streams(s.name);
    const opts = { ...(engine === 'cpu' ? { threads } : {}), ...(stream ? { stream } : {}) };
    let file = fileFor(s.name, s.file, engine, precision);
    if (io) {
      const m = await withIo(s.name, loadModel(join(dir, file)));
      models.push(m);
      file = file.replace(/\.onnx$/, '.io.onnx');
      saveModel(m, join(dir, file));
    }
    stages.push({ ...s, file, engine, precision: engine === 'webgpu' ? precision : 'fp32', ...(Object.keys(opts).length ? { engineOptions: opts } : {}), choice: PINNED });
  }
  return benchPlan(split.cut, stages, retype(split.tensors as PlanTensor[], models));
}

/** The pin every bench layout records for its stages. */
const PINNED = { how: 'pinned', reason: 'bench layout' } as const;

/** The WebGPU EP settings of the layout being built (its +nhwc, +novalid, +norobust, +pd<N> modifiers). */
let webgpuTuning: Record<string, string | number | boolean> = {};

function tuningOf(mods: readonly string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const m of mods) {
    if (m === 'nhwc') out.layout = 'NHWC';
    else if (m === 'novalid') out.validation = 'disabled';
    else if (m === 'norobust') out.robustness = false;
    else if (/^pd\d+$/.test(m)) out.maxPendingDispatches = Number(m.slice(2));
  }
  return out;
}

/** A host plan of this run's folder from its stages and tensors (webgpu stages get the layout's WebGPU settings). */
function benchPlan(cut: readonly string[], stages: Plan['stages'], tensors: Plan['tensors']): Plan {
  const tuned = stages.map((s) => (s.engine === 'webgpu' && Object.keys(webgpuTuning).length > 0 ? { ...s, engineOptions: { ...s.engineOptions, ...webgpuTuning } } : s));
  return { version: STAGE_FILE_VERSION, kind: 'plan', target: 'host', cut: [...cut], dir, stages: tuned, tensors };
}

async function wholePlan(engine: PlanEngine, precision: 'fp32' | 'fp16', io = false): Promise<Plan> {
  const file = `whole-${engine}-${engine === 'webgpu' ? precision : 'fp32'}${io ? '-io' : ''}.onnx`;
  let m = engine === 'webgpu' && precision === 'fp16' ? convertToFloat16(model).model : model;
  if (io) m = await withIo('whole', m);
  saveModel(m, join(dir, file));
  const inputs = retype(split.tensors.filter((t) => t.from === null) as PlanTensor[], [m]);
  const outputs = retype(split.tensors.filter((t) => t.modelOutput) as PlanTensor[], [m]);
  return benchPlan(
    [],
    [{ name: 'whole', file, kind: 'backbone', inputs: inputs.map((t) => t.name), outputs: outputs.map((t) => t.name), engine, precision: engine === 'webgpu' ? precision : 'fp32', ...(engine === 'cpu' ? { engineOptions: { threads } } : {}), choice: PINNED }],
    [...inputs.map((t) => ({ ...t, to: ['whole'] })), ...outputs.map((t) => ({ ...t, from: 'whole', to: [] }))],
  );
}

async function planOf(spec: string): Promise<{ plan: Plan; hostHandoff: boolean }> {
  const [config, suffix] = spec.split('@') as [string, string | undefined];
  const [p, ...mods] = (suffix ?? precision).split('+');
  const prec = (p === '' || p === undefined ? precision : p) as 'fp32' | 'fp16';
  const io = mods.includes('io');
  webgpuTuning = tuningOf(mods);
  if (config.startsWith('plan=')) return { plan: readPlan(config.slice(5)), hostHandoff: false };
  if (config.startsWith('whole-')) return { plan: await wholePlan(config.slice(6) as PlanEngine, prec, io), hostHandoff: false };
  switch (config) {
    case 'host-plan': {
      // what tandem plan --target host chooses on this machine: stages timed on each engine that starts
      // here, the best-ranked candidates run pipelined
      const ctx = createContext({ stdout: process.stdout, stderr: process.stderr });
      const t0 = performance.now();
      const d = await planDeployment({ splitPath: join(dir, 'split.json') }, {
        target: 'host',
        out: join(dir, `host-plan-${prec}${io ? '-io' : ''}`),
        opener: getEngine('cpu'),
        verifyOpener: semanticsOpener,
        generatedSamples: 4,
        engines: await hostEngines(ctx, candidates > 0 ? { measureS } : {}),
        candidates: Math.max(1, candidates),
        gpuPrecision: prec,
        ...(io ? { input: 'rgba-uint32' as const, outputs: 'compact' as const } : {}),
      });
      for (const line of formatDeployment(d)) console.log(`  ${line}`);
      console.log(`  (planned in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      return { plan: d.plan, hostHandoff: false };
    }
    case 'webgpu-capture':
      return { plan: await capturePlan(prec, !mods.includes('nocapture')), hostHandoff: false };
    case 'cpu-2streams':
      return { plan: await splitPlan(() => 'cpu', (s) => (s === 'backbone' ? 'cpu-backbone' : 'cpu-heads'), prec, io), hostHandoff: false };
    case 'webgpu-resident':
      return { plan: await splitPlan(() => 'webgpu', () => undefined, prec, io), hostHandoff: false };
    case 'webgpu-host':
      return { plan: await splitPlan(() => 'webgpu', () => undefined, prec, io), hostHandoff: true };
    case 'webgpu+cpu':
      return { plan: await splitPlan((s) => (s === 'backbone' ? 'webgpu' : 'cpu'), (s) => (s === 'backbone' ? undefined : 'cpu-heads'), prec, io), hostHandoff: false };
    default:
      throw new Error(`unknown config "${config}"; see the header of bench/pipeline.ts`);
  }
}

/**
 * upload → whole model (graph capture) → download, all webgpu: the middle session's inputs and outputs
 * are GPU buffers, which is what onnxruntime needs to capture it.
 */
async function capturePlan(prec: 'fp32' | 'fp16', capture: boolean): Promise<Plan> {
  const H = height;
  const W = width;
  const up = new GraphBuilder('upload', { opset: 17 });
  up.op('Identity', [up.input('image', 'float32', [1, 3, H, W])], {}, { outputs: ['image_gpu'] });
  up.output('image_gpu', 'float32', [1, 3, H, W]);
  const upload = encodeInput(buildModel(up), 'image', 'rgba-uint32', pixelNormalization(model, 'image'));
  let body = compactOutputs(prec === 'fp16' ? convertToFloat16(model).model : model, IO_FORMS);
  body = body.clone();
  body.graph.renameValue('image', 'image_gpu');
  body.graph.renameValue('segmentation', 'segmentation_gpu');
  body.graph.renameValue('depth', 'depth_gpu');
  const segShape = body.graph.tensorType('segmentation_gpu')!.shape as number[];
  const down = new GraphBuilder('download', { opset: 17 });
  down.op('Identity', [down.input('segmentation_gpu', 'int32', segShape)], {}, { outputs: ['segmentation'] });
  down.op('Identity', [down.input('depth_gpu', 'float16', [1, 1, H, W])], {}, { outputs: ['depth'] });
  down.output('segmentation', 'int32', segShape);
  down.output('depth', 'float16', [1, 1, H, W]);
  const download = buildModel(down);
  for (const [f, m] of [['cap-upload.onnx', upload], ['cap-body.onnx', body], ['cap-download.onnx', download]] as const) saveModel(m, join(dir, f));
  const t = (name: string, dtype: PlanTensor['dtype'], shape: number[], from: string | null, to: string[], modelOutput = false): PlanTensor => ({ name, dtype, shape, from, to, modelOutput });
  const stage = (name: string, file: string, inputs: string[], outputs: string[], capture = false) => ({ name, file, kind: 'backbone' as const, inputs, outputs, engine: 'webgpu' as const, precision: prec, ...(capture ? { engineOptions: { graphCapture: true } } : {}), choice: PINNED });
  return benchPlan(
    [],
    [stage('upload', 'cap-upload.onnx', ['image'], ['image_gpu']), stage('body', 'cap-body.onnx', ['image_gpu'], ['segmentation_gpu', 'depth_gpu'], capture), stage('download', 'cap-download.onnx', ['segmentation_gpu', 'depth_gpu'], ['segmentation', 'depth'])],
    [
      t('image', 'uint32', [1, H, W], null, ['upload']),
      t('image_gpu', 'float32', [1, 3, H, W], 'upload', ['body']),
      t('segmentation_gpu', 'int32', segShape, 'body', ['download']),
      t('depth_gpu', 'float16', [1, 1, H, W], 'body', ['download']),
      t('segmentation', 'int32', segShape, 'download', [], true),
      t('depth', 'float16', [1, 1, H, W], 'download', [], true),
    ],
  );
}

/** Frames A, B, A through a capture pipeline vs the same model uncaptured (one webgpu session, host I/O). */
async function checkCapture(pipeline: Awaited<ReturnType<typeof openPipeline>>, prec: 'fp32' | 'fp16'): Promise<void> {
  const a = syntheticFeeds(pipeline.inputs, 11);
  const b = syntheticFeeds(pipeline.inputs, 12);
  const got = [];
  for await (const r of pipeline.run([a, b, a], { mode: 'sequential' })) got.push(r.outputs);
  const ref = compactOutputs(prec === 'fp16' ? convertToFloat16(model).model : model, IO_FORMS);
  const full = encodeInput(ref, 'image', 'rgba-uint32', pixelNormalization(model, 'image'));
  await using plain = await getEngine('webgpu').open(full);
  const want = [await plain.run(a), await plain.run(b)];
  const diff = (x: Record<string, import('../src/ir/tensor.js').Tensor>, y: Record<string, import('../src/ir/tensor.js').Tensor>): string =>
    ['segmentation', 'depth'].map((n) => `${n} max |diff| ${compareTensors(n, y[n]!, x[n]!).maxAbs.toPrecision(2)}`).join(', ');
  console.log(`  capture check (measured, webgpu): frame A vs uncaptured ${diff(got[0]!, want[0]!)}; frame B vs uncaptured ${diff(got[1]!, want[1]!)}; second A vs uncaptured ${diff(got[2]!, want[0]!)}; A vs B (should differ) ${diff(got[0]!, got[1]!)}`);
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
        await using pipeline = await openPipeline(plan, { residentHandoff: !hostHandoff, streamThreads });
        const resident = pipeline.stages.flatMap((s) => s.residentOutputs);
        if (config.startsWith('webgpu-capture')) await checkCapture(pipeline, (config.split('@')[1]?.split('+')[0] || precision) as 'fp32' | 'fp16');
        console.log(`streams: ${pipeline.streams.map((s) => `${s} [${pipeline.stages.filter((x) => x.stream === s).map((x) => x.name).join(', ')}]${pipeline.stages.some((x) => x.stream === s && x.thread === 'worker') ? ' (worker thread)' : ''}`).join('; ')}${resident.length ? `; on the GPU between stages: ${resident.join(', ')}` : ''}`);
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
