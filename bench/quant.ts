/**
 * npm run bench:quant [-- <dir>] [-- --samples 32] [-- --holdout 8] [-- --size 128x256] [-- --threads 1]
 *
 * INT8 calibration of the multi-task reference model (MiT-B0 + SegFormer head + depth head) at a reduced
 * input size (default 128x256 instead of 512x1024, same weights and graph), on generated image-like inputs
 * written as .npy files. Each calibration runs in its own child process, so its wall time and peak RSS
 * (VmHWM, see peak-rss.ts) belong to calibration alone. Writes <dir>/tandem.json (amax per tensor,
 * time, RSS, fidelity) for bench/quant_peer.py, which runs onnxruntime's calibrators on the SAME model and
 * sample files (on the device machine: python3 bench/quant_peer.py <dir>). Everything printed is measured
 * on this machine with onnxruntime-node's cpu engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../src/ir/tensor.js';
import type { Model } from '../src/ir/model.js';
import { encodeNpy } from '../src/io/npy.js';
import { buildMultitask } from '../src/models/index.js';
import { loadModel, saveModel } from '../src/onnx/load-save.js';
import { applyQdqPlan, compareFidelity, modelInputSpecs, planQdq, qdqScales, openCalibrationFolder, quantize, type CalibrationMethod, type CalibratorOptions, type FidelityRow, type SessionOpener } from '../src/quant/index.js';
import { getEngine } from '../src/runtime/engines/registry.js';
import { createRng } from '../src/util/random.js';
import { peakRssMiB } from './peak-rss.js';

interface Config {
  model: string;
  calib: string;
  holdout: string;
  height: number;
  width: number;
  samples: number;
  holdoutSamples: number;
  ortThreads: number;
}

/** One tandem calibration configuration, run in its own child. */
interface Run {
  readonly id: string;
  readonly methods: readonly CalibrationMethod[];
  readonly calibrator: CalibratorOptions;
  /** Which onnxruntime calibrator it corresponds to, for quant_peer.py. */
  readonly peer?: string;
}

const RUNS: readonly Run[] = [
  { id: 'max', methods: ['max'], calibrator: {}, peer: 'MinMax' },
  { id: 'entropy', methods: ['entropy'], calibrator: {}, peer: 'Entropy' },
  { id: 'entropy-ort', methods: ['entropy'], calibrator: { entropyVariant: 'ort' }, peer: 'Entropy' },
  { id: 'percentile', methods: ['percentile'], calibrator: { percentile: 99.99 }, peer: 'Percentile' },
  { id: 'mse', methods: ['mse'], calibrator: {} },
  { id: 'all-four', methods: ['entropy', 'max', 'percentile', 'mse'], calibrator: { percentile: 99.99 } },
];

interface ChildResult {
  id: string;
  wallMs: number;
  maxRssKiB: number;
  samples: number;
  tensors: number;
  /** method → tensor → amax */
  amax: Record<string, Record<string, number>>;
  algorithm: Record<string, string>;
  qdq: Record<string, string>;
}

function opener(threads: number): SessionOpener {
  const engine = getEngine('cpu');
  return { open: (m: Model) => engine.open(m, { threads }) };
}

/** Calibration only, in this process: sessions, two passes, threshold search; then writes the Q/DQ models. */
async function child(runId: string, dir: string, qdqDir: string, threads: number): Promise<void> {
  const run = RUNS.find((r) => r.id === runId)!;
  const cfg = readConfig(dir);
  const model = loadModel(join(dir, cfg.model));
  const source = openCalibrationFolder(join(dir, cfg.calib), modelInputSpecs(model));
  const r = await quantize([{ name: 'multitask', model }], source, opener(cfg.ortThreads), { methods: run.methods, calibrator: run.calibrator, trtVersion: '8.6.1', threads });
  // Calibration only (sessions, passes, threshold search), as onnxruntime's create_calibrator → compute_data;
  // building the cache, scales.json and the Q/DQ model comes after and is not counted.
  const wallMs = r.calibrationMs;
  const maxRssKiB = peakRssMiB() * 1024;
  const out: ChildResult = { id: run.id, wallMs, maxRssKiB, samples: r.observation.samples, tensors: r.observation.stages[0]!.tensors.size, amax: {}, algorithm: {}, qdq: {} };
  for (const a of r.artifacts) {
    out.amax[a.method] = Object.fromEntries(a.scales.activations);
    out.algorithm[a.method] = a.scales.algorithm;
    const file = join(qdqDir, `tandem-${run.id}${run.methods.length > 1 ? `-${a.method}` : ''}.qdq.onnx`);
    saveModel(a.qdqModel, file, { externalData: false });
    out.qdq[a.method] = file;
    if (run.id === 'max' || run.id === 'percentile') {
      // The same scales with Q/DQ on every tensor (dla placement), to separate placement from scales.
      const dla = join(qdqDir, `tandem-${run.id}-dla.qdq.onnx`);
      saveModel(applyQdqPlan(model, planQdq(model, qdqScales(a.scales), { placement: 'dla' })), dla, { externalData: false });
      out.qdq[`${a.method} (dla placement)`] = dla;
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** FP32 passes over the calibration samples (the unit that normalises calibration time across machines). */
async function fp32Pass(dir: string): Promise<number> {
  const cfg = readConfig(dir);
  const model = loadModel(join(dir, cfg.model));
  const source = openCalibrationFolder(join(dir, cfg.calib), modelInputSpecs(model));
  const session = await opener(cfg.ortThreads).open(model);
  try {
    await session.run(await source.read(0), { outputs: model.graph.outputs });
    const t0 = performance.now();
    for (let i = 0; i < source.ids.length; i++) await session.run(await source.read(i), { outputs: model.graph.outputs });
    return performance.now() - t0;
  } finally {
    await session.close();
  }
}

function readConfig(dir: string): Config {
  return JSON.parse(readFileSync(join(dir, 'bench-config.json'), 'utf8')) as Config;
}

/** Image-like inputs: a few random gratings plus noise in [0, 1], ImageNet-normalised, NCHW. */
function syntheticImage(seed: number, h: number, w: number): Tensor<'float32'> {
  const rng = createRng(seed);
  const out = new Float32Array(3 * h * w);
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const waves = Array.from({ length: 4 }, () => ({ fx: rng.uniform(-0.2, 0.2), fy: rng.uniform(-0.2, 0.2), ph: rng.uniform(0, 6.3), amp: rng.uniform(0.05, 0.2), ch: [rng.next(), rng.next(), rng.next()] }));
  const base = [rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)];
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = base[c]!;
        for (const wv of waves) v += wv.amp * wv.ch[c]! * Math.sin(wv.fx * x + wv.fy * y + wv.ph);
        v += 0.05 * rng.normal();
        v = Math.min(1, Math.max(0, v));
        out[c * h * w + y * w + x] = (v - mean[c]!) / std[c]!;
      }
    }
  }
  return new Tensor('float32', [1, 3, h, w], out);
}

function setup(dir: string, o: { height: number; width: number; samples: number; holdout: number; ortThreads: number }): Config {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'calib'), { recursive: true });
  mkdirSync(join(dir, 'holdout'), { recursive: true });
  saveModel(buildMultitask({ height: o.height, width: o.width }), join(dir, 'multitask.onnx'), { externalData: false });
  for (let i = 0; i < o.samples; i++) writeFileSync(join(dir, 'calib', `${String(i).padStart(4, '0')}.npy`), encodeNpy(syntheticImage(1 + i, o.height, o.width)));
  for (let i = 0; i < o.holdout; i++) writeFileSync(join(dir, 'holdout', `${String(i).padStart(4, '0')}.npy`), encodeNpy(syntheticImage(100000 + i, o.height, o.width)));
  const cfg: Config = { model: 'multitask.onnx', calib: 'calib', holdout: 'holdout', height: o.height, width: o.width, samples: o.samples, holdoutSamples: o.holdout, ortThreads: o.ortThreads };
  writeFileSync(join(dir, 'bench-config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
  return cfg;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child(args[1]!, args[2]!, args[3]!, Number(args[4]));
    return;
  }
  if (args[0] === '--fp32') {
    process.stdout.write(`${JSON.stringify({ fp32PassMs: await fp32Pass(args[1]!) })}\n`);
    return;
  }
  const dir = resolve(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? '.tmp/bench-quant');
  const qdqDir = `${dir}-qdq`;
  const [height, width] = (flag(args, '--size') ?? '128x256').split('x').map(Number) as [number, number];
  const samples = Number(flag(args, '--samples') ?? 32);
  const holdout = Number(flag(args, '--holdout') ?? 8);
  const threads = Number(flag(args, '--threads') ?? 1);
  const cfg = setup(dir, { height, width, samples, holdout, ortThreads: threads });
  rmSync(qdqDir, { recursive: true, force: true });
  mkdirSync(qdqDir, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  const machine = `${cpus()[0]?.model ?? 'cpu'} (${availableParallelism()} threads available), Node ${process.version}, onnxruntime-node cpu`;
  console.log(`bench:quant — multitask ${height}x${width} (reduced from 512x1024), ${samples} calibration + ${holdout} held-out generated samples in ${dir}`);
  console.log(`measured on this machine: ${machine}; onnxruntime intra-op threads ${threads}, threshold-search threads ${threads}`);
  const fp32 = JSON.parse(execFileSync(process.execPath, [self, '--fp32', dir], { encoding: 'utf8' }).trim().split('\n').at(-1)!) as { fp32PassMs: number };
  console.log(`one FP32 pass over the ${samples} calibration samples: ${(fp32.fp32PassMs / 1000).toFixed(2)} s (the unit for cross-machine comparison)`);
  const results: ChildResult[] = [];
  for (const run of RUNS) {
    const out = execFileSync(process.execPath, [self, '--child', run.id, dir, qdqDir, String(threads)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
    results.push(r);
    console.log(`tandem ${run.id.padEnd(11)} calibration ${(r.wallMs / 1000).toFixed(2).padStart(7)} s wall (${(r.wallMs / fp32.fp32PassMs).toFixed(1)}x one FP32 pass), peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB, ${r.tensors} tensors`);
  }
  const model = loadModel(join(dir, cfg.model));
  const held = openCalibrationFolder(join(dir, cfg.holdout), modelInputSpecs(model));
  const candidates = results.filter((r) => r.id !== 'all-four' && r.id !== 'entropy-ort').flatMap((r) => Object.entries(r.qdq).map(([m, file]) => ({ stage: 'multitask', label: `tandem ${m}${m.includes('dla') ? '' : ' (trt placement)'}`, model: loadModel(file) })));
  const fidelity: FidelityRow[] = await compareFidelity([{ name: 'multitask', model }], candidates, held, opener(threads));
  const doc = {
    tool: 'tandem',
    machine,
    model: { file: cfg.model, input: [1, 3, height, width], note: 'multitask reference at reduced input size; same graph and weights as 512x1024' },
    samples: { calibration: samples, holdout, files: { calib: cfg.calib, holdout: cfg.holdout } },
    settings: { ortThreads: threads, searchThreads: threads, bins: 2048, percentile: 99.99, entropy: 'trt-gtc (default); entropy-ort = onnxruntime variant, 2048 bins', weights: 'per-channel max (not part of the amax comparison)', placement: 'trt' },
    fp32PassMs: fp32.fp32PassMs,
    runs: Object.fromEntries(results.map((r) => [r.id, { peer: RUNS.find((x) => x.id === r.id)!.peer ?? null, wallMs: r.wallMs, maxRssKiB: r.maxRssKiB, tensors: r.tensors, amax: r.amax, algorithm: r.algorithm }])),
    fidelity: { engine: 'onnxruntime-node cpu (this machine)', what: 'Q/DQ model vs FP32 on the held-out samples', rows: fidelity },
  };
  writeFileSync(join(dir, 'tandem.json'), `${JSON.stringify(doc)}\n`);
  console.log('');
  console.log(`fidelity on ${holdout} held-out samples: tandem Q/DQ model (per-channel weights) vs FP32, both on onnxruntime-node cpu, this machine (INT8 emulated):`);
  console.log(`${'method'.padEnd(38)}${'output'.padEnd(14)}${'rel L2'.padStart(8)}${'cosine'.padStart(10)}${'argmax agree'.padStart(14)}`);
  for (const f of fidelity) console.log(`${f.label.padEnd(38)}${f.output.padEnd(14)}${f.relL2.toFixed(4).padStart(8)}${f.cosine.toFixed(5).padStart(10)}${(f.argmaxAgreement === undefined ? '—' : `${(f.argmaxAgreement * 100).toFixed(2)} %`).padStart(14)}`);
  console.log(`\nwrote ${join(dir, 'tandem.json')} (${readdirSync(dir).length} entries in ${dir}); Q/DQ models in ${qdqDir}`);
  console.log(`peer comparison (device machine, python3 + onnxruntime 1.30): python3 bench/quant_peer.py ${dir}`);
}

await main();
