/**
 * npm run bench:gpu — the reference models on every engine this machine can start (cpu, webgpu,
 * cuda, tensorrt): session time, warm latency (median, p90 over timed runs after warm-up) and the
 * agreement of each engine's outputs with the cpu engine's (relative L2). Engines that cannot start
 * are listed with the reason. Everything printed is measured on this machine.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { isTandemError } from '../src/util/errors.js';
import type { Model } from '../src/ir/model.js';
import type { Tensor } from '../src/ir/tensor.js';
import { REFERENCE_MODELS } from '../src/models/index.js';
import { encodeModel } from '../src/onnx/index.js';
import { compareTensors, ENGINE_NAMES, getEngine, randomInputs, type EngineName, type EngineOptions } from '../src/runtime/index.js';

const WARMUP = 3;
const RUNS = 20;

interface Row {
  model: string;
  engine: string;
  openMs: number;
  medianMs: number;
  p90Ms: number;
  relL2: Record<string, number>;
}

function gpuName(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    return 'no NVIDIA GPU visible';
  }
}

async function measure(name: string, bytes: Uint8Array, feeds: Record<string, Tensor>, engine: EngineName, options: EngineOptions, reference?: Record<string, Tensor>): Promise<{ row: Row; outputs: Record<string, Tensor> }> {
  const t0 = performance.now();
  await using session = await getEngine(engine).open(bytes, options);
  const openMs = performance.now() - t0;
  let outputs: Record<string, Tensor> = {};
  for (let i = 0; i < WARMUP; i++) outputs = await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    outputs = await session.run(feeds);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const relL2: Record<string, number> = {};
  if (reference) for (const [k, t] of Object.entries(outputs)) relL2[k] = compareTensors(k, reference[k]!, t).relL2;
  return { row: { model: name, engine, openMs, medianMs: times[Math.floor(RUNS / 2)]!, p90Ms: times[Math.floor(RUNS * 0.9)]!, relL2 }, outputs };
}

async function main(): Promise<void> {
  console.log(`bench:gpu — measured on this machine: ${gpuName()}; Node ${process.version}; ${WARMUP} warm-up + ${RUNS} timed runs each, batch 1`);
  const rows: Row[] = [];
  const unavailable = new Map<string, string>();
  const models: [string, Model][] = [
    ['resnet50 224x224', REFERENCE_MODELS.resnet50.build()],
    ['multitask 512x1024', REFERENCE_MODELS.multitask.build()],
  ];
  for (const [name, model] of models) {
    const bytes = encodeModel(model);
    const feeds = randomInputs(model, { seed: 5 });
    const cpu = await measure(name, bytes, feeds, 'cpu', {});
    rows.push(cpu.row);
    // dla-emulated is the cpu engine on Q/DQ models: numerics, not speed, so it has no place here
    for (const engine of ENGINE_NAMES.filter((e) => e !== 'cpu' && e !== 'dla-emulated')) {
      if (unavailable.has(engine)) continue;
      try {
        rows.push((await measure(name, bytes, feeds, engine, {}, cpu.outputs)).row);
      } catch (e) {
        if (!isTandemError(e, 'ENGINE_UNAVAILABLE')) throw e;
        unavailable.set(engine, e.message);
      }
    }
  }
  console.log('model               engine                     session ms  median ms  p90 ms  rel L2 vs cpu');
  for (const r of rows) {
    const agree = Object.entries(r.relL2).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ') || '(reference)';
    console.log(`${r.model.padEnd(20)}${r.engine.padEnd(27)}${r.openMs.toFixed(0).padStart(10)}${r.medianMs.toFixed(2).padStart(11)}${r.p90Ms.toFixed(2).padStart(8)}  ${agree}`);
  }
  for (const [engine, why] of unavailable) console.log(`${engine}: not measured — ${why}`);
}

await main();
