/**
 * npm run bench:webgpu-profile -- [--size HxW] [--precision fp16|fp32] [--io] [--frames n] [--warmup n]
 *   [--layout NCHW|NHWC] [--validation disabled|wgpuOnly|basic|full] [--robustness 0|1] [--pending n]
 *   [--json file]
 *
 * Where a frame's time goes on onnxruntime's WebGPU EP, for the multi-task reference model (one session,
 * batch 1): the frame's wall time unprofiled, then the same session options with onnxruntime's profiler,
 * whose WebGPU events are GPU timestamps of every dispatch (timestamp queries). Prints per frame: wall
 * time, GPU busy time (sum of kernel durations), CPU time inside the kernels' Compute (encoding the
 * dispatches), dispatch count, and the kernels and op types that take the GPU time. The GPU numbers
 * come from the profiled run, whose per-dispatch timestamps add some overhead of their own.
 * --io: tandem's compact frame I/O (RGBA uint32 in, class ids and float16 depth out).
 * Everything printed is measured on this machine; it needs a WebGPU adapter.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { REFERENCE_MODELS } from '../src/models/index.js';
import { saveModel } from '../src/onnx/index.js';
import { convertToFloat16 } from '../src/quant/fp16.js';
import { compactOutputs, encodeInput, pixelNormalization } from '../src/plan/frame-io.js';
import { syntheticFeeds } from '../src/runtime/pipeline/bench.js';
import { toOrtTensor } from '../src/runtime/engines/convert.js';
import { writeFileAtomic } from '../src/util/fs.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const [height, width] = arg('size', '512x1024').split('x').map(Number) as [number, number];
const precision = arg('precision', 'fp16') as 'fp16' | 'fp32';
const io = process.argv.includes('--io');
const frames = Number(arg('frames', '50'));
const warmup = Number(arg('warmup', '20'));
const jsonOut = arg('json', '');

const provider: Record<string, unknown> = { name: 'webgpu' };
if (process.argv.includes('--layout')) provider.preferredLayout = arg('layout', 'NCHW');
const context: Record<string, string> = {};
if (process.argv.includes('--validation')) context.validationMode = arg('validation', 'basic');
if (process.argv.includes('--robustness')) context.enableRobustness = arg('robustness', '1');
if (process.argv.includes('--pending')) context.maxNumPendingDispatches = arg('pending', '16');
const settings = { ...provider, ...context };

const dir = mkdtempSync(join(tmpdir(), 'tandem-webgpu-profile-'));
const built = REFERENCE_MODELS.multitask.build({ height, width });
let model = precision === 'fp16' ? convertToFloat16(built).model : built;
if (io) model = compactOutputs(encodeInput(model, 'image', 'rgba-uint32', pixelNormalization(built, 'image')), { segmentation: 'argmax', depth: 'fp16' });
const file = join(dir, 'model.onnx');
saveModel(model, file);
const inputs = model.graph.runtimeInputs.map((name) => {
  const t = model.graph.tensorType(name)!;
  return { name, dtype: t.dtype!, dims: t.shape as number[] };
});
const feeds = Object.fromEntries(Object.entries(syntheticFeeds(inputs, 7)).map(([k, v]) => [k, toOrtTensor(v, k)]));

function sessionOptions(profile: boolean): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider as unknown as ort.InferenceSession.ExecutionProviderConfig],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(Object.keys(context).length > 0 ? { extra: { ep: { webgpuexecutionprovider: context } } } : {}),
    ...(profile ? { enableProfiling: true, profileFilePrefix: join(dir, 'profile') } : {}),
  };
}

async function timeRuns(session: ort.InferenceSession, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const out = await session.run(feeds);
    ms.push(performance.now() - t0);
    for (const v of Object.values(out)) v.dispose();
  }
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: Record<string, string>;
}

async function main(): Promise<void> {
  console.log(`bench:webgpu-profile — measured on this machine; multi-task ${height}x${width}, batch 1, ${precision}${io ? ', compact frame I/O' : ', float input and outputs'}; WebGPU settings ${JSON.stringify(settings)}`);
  const plain = await ort.InferenceSession.create(file, sessionOptions(false));
  await timeRuns(plain, warmup);
  const wall = await timeRuns(plain, frames);
  await plain.release();
  console.log(`unprofiled: ${frames} frames after ${warmup}, median ${median(wall).toFixed(2)} ms/frame (mean ${(wall.reduce((a, b) => a + b, 0) / wall.length).toFixed(2)})`);

  const profiled = await ort.InferenceSession.create(file, sessionOptions(true));
  const runs = warmup + frames;
  const pwall = (await timeRuns(profiled, runs)).slice(warmup);
  profiled.endProfiling();
  await profiled.release();
  const json = readdirSync(dir).find((f) => f.startsWith('profile') && f.endsWith('.json'));
  if (json === undefined) throw new Error('onnxruntime wrote no profile');
  const events = JSON.parse(readFileSync(join(dir, json), 'utf8')) as ProfileEvent[];
  const opOf = new Map<string, string>();
  let cpuKernelUs = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    opOf.set(e.name.slice(0, -'_kernel_time'.length), e.args?.op_name ?? '?');
    cpuKernelUs += e.dur;
  }
  const gpu = events.filter((e) => e.cat === 'Api');
  if (gpu.length === 0) console.log('no GPU kernel events: this adapter has no timestamp queries');
  const gpuUs = gpu.reduce((a, e) => a + e.dur, 0);
  const byProgram = new Map<string, { us: number; n: number }>();
  const byOp = new Map<string, { us: number; n: number }>();
  const add = (m: Map<string, { us: number; n: number }>, k: string, us: number): void => {
    const v = m.get(k) ?? { us: 0, n: 0 };
    v.us += us;
    v.n += 1;
    m.set(k, v);
  };
  for (const e of gpu) {
    // kernel names are "<node name>&<program name>" (older builds use '|')
    const [node = '', program = e.name] = e.name.split(/[&|]/);
    add(byProgram, program, e.dur);
    add(byOp, opOf.get(node) ?? `(${program})`, e.dur);
  }
  const per = (us: number): string => `${(us / runs / 1000).toFixed(3)} ms`;
  console.log(`profiled: median ${median(pwall).toFixed(2)} ms/frame; per frame: GPU busy ${per(gpuUs)} in ${(gpu.length / runs).toFixed(0)} dispatches; CPU inside kernels' Compute ${per(cpuKernelUs)}`);
  const top = (m: Map<string, { us: number; n: number }>, title: string): { name: string; msPerFrame: number; dispatchesPerFrame: number; share: number }[] => {
    const rows = [...m].sort((a, b) => b[1].us - a[1].us).slice(0, 15);
    console.log(`\n${title} (GPU time per frame, share of GPU busy, dispatches per frame)`);
    for (const [k, v] of rows) console.log(`  ${k.slice(0, 48).padEnd(48)} ${per(v.us).padStart(10)}  ${((100 * v.us) / gpuUs).toFixed(1).padStart(5)}%  ${(v.n / runs).toFixed(0).padStart(4)}`);
    return rows.map(([name, v]) => ({ name, msPerFrame: v.us / runs / 1000, dispatchesPerFrame: v.n / runs, share: v.us / gpuUs }));
  };
  const ops = top(byOp, 'by op type');
  const programs = top(byProgram, 'by kernel (program)');
  if (jsonOut !== '') {
    writeFileAtomic(jsonOut, JSON.stringify({ size: [height, width], precision, io, settings, frames, unprofiledMedianMs: median(wall), profiledMedianMs: median(pwall), gpuBusyMsPerFrame: gpuUs / runs / 1000, cpuKernelMsPerFrame: cpuKernelUs / runs / 1000, dispatchesPerFrame: gpu.length / runs, ops, programs }, null, 2));
  }
  rmSync(dir, { recursive: true, force: true });
}

await main();
