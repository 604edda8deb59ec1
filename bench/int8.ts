/**
 * npm run bench:int8 [-- --frames 256 --calib 64 --search-frames 64 --methods max,entropy,percentile,mse --out <dir>]
 *
 * The INT8 accuracy table of the trained reference model (assets/models/tandem-street.onnx): FP32 vs the
 * two heads in INT8 on the dla-emulated engine (DLA numerics by Q/DQ on onnxruntime cpu; placement 'dla':
 * every activation of the head, per-channel weights), one host plan per calibrator, each built by
 * `tandem plan --target host` from calibration frames of seed 2000 and evaluated by `tandem eval` on
 * held-out frames of seed 1000 against the FP32 model. Everything runs through the CLI, as a user would.
 * Then the calibrator with the best depth AbsRel gets `tandem quantize --keep-fp16 auto --budget
 * miou=0.5,absrel=2%`, searched on --search-frames (64) frames of another seed (3000), and the mixed-precision heads are
 * evaluated on the same held-out frames as a host plan. --reuse keeps the per-calibrator rows of an
 * earlier run in --out.
 *
 * The onnxruntime quantize_static peer, on the same heads and the same calibration frames:
 *   npm run bench:int8 -- --peer-prep <dir>     the split's two head models, the FP32 backbone's features of
 *                                               the calibration frames (one .npy per head input, [N, C, H, W])
 *                                               and peer-config.json, for bench/quant_peer.py --steps heads
 *   python3 bench/quant_peer.py <dir> --steps heads     (device machine: python onnxruntime) → <dir>/ort-heads/
 *   npm run bench:int8 -- --peer <dir>/ort-heads [--reuse]   one host plan per ORT calibrator (FP32 backbone,
 *                                               ORT's Q/DQ heads on dla-emulated), evaluated by tandem eval
 *                                               exactly as tandem's rows
 * Numbers: task metrics of emulated INT8 outputs; times are not the point and are not printed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../src/ir/tensor.js';
import { encodeNpy } from '../src/io/npy.js';
import { loadModel } from '../src/onnx/load-save.js';
import { modelInputSpecs, openCalibrationFolder } from '../src/quant/calibration-source.js';
import { preprocessFromMetadata } from '../src/quant/image-preprocess.js';
import { getEngine } from '../src/runtime/engines/registry.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const model = join(root, 'assets', 'models', 'tandem-street.onnx');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const frames = Number(arg('frames', '256'));
const calibFrames = Number(arg('calib', '64'));
const searchFrames = Number(arg('search-frames', '64'));
const methods = arg('methods', 'max,entropy,percentile,mse').split(',');
const out = resolve(arg('out', join(tmpdir(), 'tandem-bench-int8')));
mkdirSync(out, { recursive: true });

function tandem(args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
}

interface Summary {
  metrics: { segmentation: { mIoU: number }; depth: { absRel: number; delta1: number } };
  referenceMetrics: { segmentation: { mIoU: number }; depth: { absRel: number; delta1: number } };
  agreement: { argmaxAgreement: number; depthRelativeError: number };
}

const HEADS = ['head-segmentation', 'head-depth'] as const;
type Row = { method: string; s: Summary };

/** A host plan over the split: the FP32 backbone on cpu, the given Q/DQ head models on dla-emulated (float hand-offs; each head quantizes its own inputs). */
function hostPlan(dir: string, heads: Readonly<Record<string, string>>, reason: string): void {
  const split = JSON.parse(readFileSync(join(out, 'split', 'split.json'), 'utf8')) as { source: string; cut: string[]; stages: { name: string; file: string; kind: string; inputs: string[]; outputs: string[] }[]; tensors: unknown[] };
  mkdirSync(dir, { recursive: true });
  const stages = split.stages.map((st) => {
    const head = heads[st.name];
    const file = head !== undefined ? `${st.name}.qdq.onnx` : st.file;
    copyFileSync(head ?? join(out, 'split', st.file), join(dir, file));
    return { ...st, file, engine: head !== undefined ? 'dla-emulated' : 'cpu', precision: head !== undefined ? 'int8' : 'fp32', choice: { how: 'pinned', reason: head !== undefined ? reason : 'FP32 backbone on the cpu engine' } };
  });
  writeFileSync(join(dir, 'plan.json'), JSON.stringify({ version: 2, kind: 'plan', target: 'host', source: split.source, cut: split.cut, stages, tensors: split.tensors }, null, 2));
}

function evalPlan(dir: string): Summary {
  return JSON.parse(tandem(['eval', dir, '--reference', model, '--dataset', `synthetic:1000,${frames}`, '--threads', '2', '--json'])) as Summary;
}

function tableRow(heads: string, method: string, s: Summary, fp32: Summary['referenceMetrics']): string {
  const m = s.metrics;
  const dm = m.segmentation.mIoU - fp32.segmentation.mIoU;
  const da = m.depth.absRel / fp32.depth.absRel - 1;
  return `| ${heads} | ${method} | ${m.segmentation.mIoU.toFixed(2)} | ${dm >= 0 ? '+' : ''}${dm.toFixed(2)} | ${m.depth.absRel.toFixed(4)} | ${da >= 0 ? '+' : ''}${(100 * da).toFixed(2)}% | ${m.depth.delta1.toFixed(4)} | ${s.agreement.argmaxAgreement.toFixed(2)}% | ${(100 * s.agreement.depthRelativeError).toFixed(2)}% |`;
}

/**
 * The peer's inputs: the split's head models as they are, and the calibration frames tandem calibrates
 * on (calib/images, read with the model's own preprocessing as tandem quantize reads them) through the
 * FP32 backbone on onnxruntime cpu: one float32 .npy per head input, [frames, C, H, W].
 */
async function writePeerInputs(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const h of HEADS) copyFileSync(join(out, 'split', `${h}.onnx`), join(dir, `${h}.onnx`));
  const backbone = loadModel(join(out, 'split', 'backbone.onnx'));
  const source = openCalibrationFolder(join(out, 'calib', 'images'), modelInputSpecs(backbone), { ...(preprocessFromMetadata(backbone.metadata) ? { image: preprocessFromMetadata(backbone.metadata)! } : {}) });
  const session = await getEngine('cpu').open(backbone, { threads: 2 });
  const parts = new Map<string, Tensor[]>();
  try {
    for (let i = 0; i < source.ids.length; i++) {
      const outs = await session.run(await source.read(i));
      for (const [name, t] of Object.entries(outs)) parts.set(name, [...(parts.get(name) ?? []), t]);
    }
  } finally {
    await session.close();
  }
  const inputs = [...parts.entries()].map(([name, ts], k) => {
    const one = ts[0]!;
    const data = new Float32Array(ts.length * one.size);
    ts.forEach((t, i) => data.set(t.data as Float32Array, i * one.size));
    const file = `feature-${k}.npy`;
    writeFileSync(join(dir, file), encodeNpy(new Tensor('float32', [ts.length, ...one.dims.slice(1)], data)));
    return { name, file, shape: [ts.length, ...one.dims.slice(1)] };
  });
  const config = {
    what: `tandem-street's heads as tandem split --auto cuts them, and the FP32 backbone's features of the ${source.ids.length} calibration frames tandem's INT8 table calibrates on (tandem scenes --seed 2000 --size 128x256, ${source.description})`,
    models: HEADS.map((h) => `${h}.onnx`),
    frames: source.ids.length,
    inputs,
  };
  writeFileSync(join(dir, 'peer-config.json'), JSON.stringify(config, null, 2));
  console.log(`wrote ${dir}: ${HEADS.length} head models, ${inputs.length} feature files of ${source.ids.length} frames (${inputs.map((i) => `${i.name} ${i.shape.join('x')}`).join(', ')})`);
}

/** One host plan per ORT calibrator found in `dir` (<method>/<head>.qdq.onnx), each evaluated as tandem's rows are. */
function evalPeer(dir: string, reuse: boolean): void {
  const doc = JSON.parse(readFileSync(join(dir, 'ort-heads.json'), 'utf8')) as { onnxruntime: string; settings: Record<string, unknown>; methods: Record<string, { ok: boolean; error?: string }> };
  const saved = join(out, 'int8-peer.json');
  const rows: Row[] = reuse && existsSync(saved) ? (JSON.parse(readFileSync(saved, 'utf8')) as { rows: Row[] }).rows : [];
  for (const [method, r] of Object.entries(doc.methods)) {
    if (!r.ok || rows.some((x) => x.method === method)) continue;
    const plan = join(out, `plan-ort-${method}`);
    hostPlan(plan, Object.fromEntries(HEADS.map((h) => [h, join(dir, method, `${h}.qdq.onnx`)])), `onnxruntime ${doc.onnxruntime} quantize_static (${method}) Q/DQ head`);
    const s = evalPlan(plan);
    rows.push({ method, s });
    writeFileSync(saved, JSON.stringify({ rows }, null, 2));
    process.stderr.write(`ORT ${method}: mIoU ${s.metrics.segmentation.mIoU.toFixed(2)} AbsRel ${s.metrics.depth.absRel.toFixed(4)}\n`);
  }
  const fp32 = rows[0]!.s.referenceMetrics;
  console.log([
    `onnxruntime ${doc.onnxruntime} quantize_static on tandem's split heads (settings: ${JSON.stringify(doc.settings)}), evaluated by tandem eval on ${frames} held-out frames (seed 1000, 128x256) as a host plan: FP32 backbone on cpu, ORT's Q/DQ heads on dla-emulated (onnxruntime cpu)`,
    '',
    '| heads | calibrator | mIoU | Δ mIoU | AbsRel | Δ AbsRel (rel.) | δ1 | argmax agreement | depth rel. error vs FP32 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(({ method, s }) => tableRow('INT8 (ORT)', method, s, fp32)),
    ...Object.entries(doc.methods).filter(([, r]) => !r.ok).map(([m, r]) => `| INT8 (ORT) | ${m} | failed: ${r.error ?? '?'} | | | | | | |`),
  ].join('\n'));
}

tandem(['scenes', '--count', String(calibFrames), '--seed', '2000', '--size', '128x256', '-o', join(out, 'calib')]);
tandem(['split', model, '--auto', '-o', join(out, 'split')]);
const peerPrep = process.argv.indexOf('--peer-prep');
const peer = process.argv.indexOf('--peer');
if (peerPrep >= 0) {
  await writePeerInputs(resolve(process.argv[peerPrep + 1] ?? join(out, 'peer')));
  process.exit(0);
}
if (peer >= 0) {
  evalPeer(resolve(process.argv[peer + 1] ?? join(out, 'peer', 'ort-heads')), process.argv.includes('--reuse'));
  process.exit(0);
}
let rows: Row[] = [];
const reuse = process.argv.includes('--reuse') && existsSync(join(out, 'int8-table.json'));
if (reuse) {
  const saved = JSON.parse(readFileSync(join(out, 'int8-table.json'), 'utf8')) as typeof rows | { rows: typeof rows };
  rows = Array.isArray(saved) ? saved : saved.rows;
} else {
  for (const method of methods) {
    const plan = join(out, `plan-${method}`);
    tandem(['plan', join(out, 'split', 'split.json'), '--target', 'host', '--calib', join(out, 'calib', 'images'), '--engine', 'backbone=cpu', '--engine', 'head-segmentation=dla-emulated', '--engine', 'head-depth=dla-emulated', '--method', method, '--iterations', '1', '-o', plan]);
    const s = evalPlan(plan);
    rows.push({ method, s });
    process.stderr.write(`${method}: mIoU ${s.metrics.segmentation.mIoU.toFixed(2)} AbsRel ${s.metrics.depth.absRel.toFixed(4)}\n`);
  }
  writeFileSync(join(out, 'int8-table.json'), JSON.stringify({ rows }, null, 2));
}

// Mixed precision on the calibrator with the best depth AbsRel.
const best = [...rows].sort((a, b) => a.s.metrics.depth.absRel - b.s.metrics.depth.absRel)[0]!.method;
const kfDir = join(out, `keep-fp16-${best}`);
const kf = JSON.parse(tandem(['quantize', join(out, 'split', 'split.json'), '--calib', join(out, 'calib', 'images'), '--stages', 'head-segmentation,head-depth', '--placement', 'dla', '--method', best, '--keep-fp16', 'auto', '--budget', 'miou=0.5,absrel=2%', '--eval-data', `synthetic:3000,${searchFrames}`, '--trt-version', '8.6.1', '--json', '-o', kfDir])) as {
  keepFp16: { stage: string; metric: string; keep: { tensor: string; layer: string }[]; sensitivity: { tensor: string; kind: string; recovers: number }[]; bisectionSteps: number; int8Loss: number; mixedLoss: number; trtexecArgs: string }[];
};
const planDir = join(out, `plan-${best}-keep-fp16`);
hostPlan(planDir, Object.fromEntries(HEADS.map((h) => [h, join(kfDir, `${h}.qdq.onnx`)])), `INT8 (${best}) with the tensors tandem quantize --keep-fp16 auto kept in FP16`);
const mixed = evalPlan(planDir);
const fp32 = rows[0]!.s.referenceMetrics;
const lines = [
  `INT8 heads (dla-emulated: Q/DQ on onnxruntime cpu, placement dla) vs FP32, tandem-street on ${frames} held-out synthetic frames (seed 1000, 128x256); calibration: ${calibFrames} frames of seed 2000`,
  '',
  '| heads | calibrator | mIoU | Δ mIoU | AbsRel | Δ AbsRel (rel.) | δ1 | argmax agreement | depth rel. error vs FP32 |',
  '|---|---|---|---|---|---|---|---|---|',
  `| FP32 | — | ${fp32.segmentation.mIoU.toFixed(2)} | — | ${fp32.depth.absRel.toFixed(4)} | — | ${fp32.depth.delta1.toFixed(4)} | — | — |`,
  ...rows.map(({ method, s }) => tableRow('INT8', method, s, fp32)),
  tableRow('INT8 + FP16', `${best} + keep-fp16 auto`, mixed, fp32),
  '',
  `keep-fp16 auto (${best}; budget miou=0.5, absrel=2%; searched on ${searchFrames} frames of seed 3000, emulated INT8):`,
  ...kf.keepFp16.map((r) => {
    const unit = (v: number): string => (r.metric === 'miou' ? `${v.toFixed(2)} mIoU` : `${(100 * v).toFixed(2)}% AbsRel`);
    return `- ${r.stage}: INT8 loss ${unit(r.int8Loss)} → ${unit(r.mixedLoss)} keeping ${r.keep.length === 0 ? 'nothing' : r.keep.map((k) => k.tensor).join(', ')} (${r.sensitivity.length} sensitivity runs + ${r.bisectionSteps} bisection steps)${r.trtexecArgs ? `; trtexec ${r.trtexecArgs}` : ''}\n  most sensitive: ${r.sensitivity.slice(0, 4).map((x) => `${x.tensor} (${x.kind}) ${unit(x.recovers)}`).join('; ')}`;
  }),
];
writeFileSync(join(out, 'int8-mixed.json'), JSON.stringify({ best, keepFp16: kf.keepFp16, mixed }, null, 2));
console.log(lines.join('\n'));
