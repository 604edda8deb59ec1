/**
 * npm run bench:webgpu-profile -- [--size HxW] [--precision fp16|fp32] [--io] [--frames n] [--warmup n]
 *   [--layout NCHW|NHWC] [--validation disabled|wgpuOnly|basic|full] [--robustness 0|1] [--pending n]
 *   [--cpu] [--json file]
 *
 * Where a frame's time goes on onnxruntime's WebGPU EP, for the multi-task reference model (one session,
 * batch 1): the frame's wall time unprofiled, then the same session options with onnxruntime's profiler,
 * whose WebGPU events are GPU timestamps of every dispatch (timestamp queries). Prints per frame: wall
 * time, GPU busy time (sum of kernel durations), CPU time inside the kernels' Compute (encoding the
 * dispatches), dispatch count, and the kernels and op types that take the GPU time. The GPU numbers
 * come from the profiled run, whose per-dispatch timestamps add some overhead of their own.
 * --io: tandem's compact frame I/O (RGBA uint32 in, class ids and float16 depth out). --cpu profiles on
 * onnxruntime cpu instead (no GPU times).
 * Everything printed is measured on this machine; it needs a WebGPU adapter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REFERENCE_MODELS } from '../src/models/index.js';
import { saveModel } from '../src/onnx/index.js';
import { convertToFloat16 } from '../src/quant/fp16.js';
import { compactOutputs, encodeInput, pixelNormalization } from '../src/plan/frame-io.js';
import { syntheticFeeds } from '../src/runtime/pipeline/bench.js';
import { getEngine } from '../src/runtime/engines/registry.js';
import type { EngineOptions, Session } from '../src/runtime/engines/types.js';
import { formatProfile } from '../src/cli/commands/bench.js';
import { writeFileAtomic } from '../src/util/fs.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const given = (name: string): boolean => process.argv.includes(`--${name}`);

const [height, width] = arg('size', '512x1024').split('x').map(Number) as [number, number];
const precision = arg('precision', 'fp16') as 'fp16' | 'fp32';
const io = given('io');
const frames = Number(arg('frames', '50'));
const warmup = Number(arg('warmup', '20'));
const jsonOut = arg('json', '');
const engine = given('cpu') ? 'cpu' : 'webgpu';
// the WebGPU EP settings as tandem engine options (what a plan stage's engineOptions holds)
const settings: EngineOptions = {
  ...(given('layout') ? { layout: arg('layout', 'NCHW') as 'NCHW' | 'NHWC' } : {}),
  ...(given('validation') ? { validation: arg('validation', 'basic') as 'disabled' | 'wgpuOnly' | 'basic' | 'full' } : {}),
  ...(given('robustness') ? { robustness: arg('robustness', '1') !== '0' } : {}),
  ...(given('pending') ? { maxPendingDispatches: Number(arg('pending', '16')) } : {}),
};

const dir = mkdtempSync(join(tmpdir(), 'tandem-webgpu-profile-'));
const built = REFERENCE_MODELS.multitask.build({ height, width });
let model = precision === 'fp16' ? convertToFloat16(built).model : built;
if (io) model = compactOutputs(encodeInput(model, 'image', 'rgba-uint32', pixelNormalization(built, 'image')), { segmentation: 'argmax', depth: 'fp16' });
const file = join(dir, 'model.onnx');
saveModel(model, file);
const feeds = syntheticFeeds(
  model.graph.runtimeInputs.map((name) => {
    const t = model.graph.tensorType(name)!;
    return { name, dtype: t.dtype!, dims: t.shape as number[] };
  }),
  7,
);

async function timeRuns(session: Session, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    ms.push(performance.now() - t0);
  }
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  console.log(`bench:webgpu-profile — measured on this machine; multi-task ${height}x${width}, batch 1, ${precision}${io ? ', compact frame I/O' : ', float input and outputs'}; engine ${engine} ${JSON.stringify(settings)}`);
  let wall: number[];
  {
    await using plain = await getEngine(engine).open(file, settings);
    await timeRuns(plain, warmup);
    wall = await timeRuns(plain, frames);
  }
  console.log(`unprofiled: ${frames} frames after ${warmup}, median ${median(wall).toFixed(2)} ms/frame (mean ${(wall.reduce((a, b) => a + b, 0) / wall.length).toFixed(2)})`);
  await using profiled = await getEngine(engine).open(file, { ...settings, profile: true });
  const pwall = (await timeRuns(profiled, warmup + frames)).slice(warmup);
  const profile = await profiled.endProfiling!(warmup);
  for (const line of formatProfile([{ stage: 'whole model', engine, medianMs: median(pwall), profile }])) console.log(line);
  if (jsonOut !== '') writeFileAtomic(jsonOut, JSON.stringify({ size: [height, width], precision, io, engine, settings, frames, unprofiledMedianMs: median(wall), profiledMedianMs: median(pwall), profile }, null, 2));
  rmSync(dir, { recursive: true, force: true });
}

await main();
