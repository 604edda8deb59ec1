/**
 * npm run bench:int8 [-- --frames 256 --calib 64 --methods max,entropy,percentile,mse --out <dir>]
 *
 * The INT8 accuracy table of the trained reference model (assets/models/tandem-street.onnx): FP32 vs the
 * two heads in INT8 on the dla-emulated engine (DLA numerics by Q/DQ on onnxruntime cpu; placement 'dla':
 * every activation of the head, per-channel weights), one host plan per calibrator, each built by
 * `tandem plan --target host` from calibration frames of seed 2000 and evaluated by `tandem eval` on
 * held-out frames of seed 1000 against the FP32 model. Everything runs through the CLI, as a user would.
 * Then the calibrator with the best depth AbsRel gets `tandem quantize --keep-fp16 auto --budget
 * miou=0.5,absrel=2%`, bisected on 16 frames of another seed (3000), and the mixed-precision heads are
 * evaluated on the same held-out frames as a host plan. --reuse keeps the per-calibrator rows of an
 * earlier run in --out.
 * Numbers: task metrics of emulated INT8 outputs; times are not the point and are not printed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const model = join(root, 'assets', 'models', 'tandem-street.onnx');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const frames = Number(arg('frames', '256'));
const calibFrames = Number(arg('calib', '64'));
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

tandem(['scenes', '--count', String(calibFrames), '--seed', '2000', '--size', '128x256', '-o', join(out, 'calib')]);
tandem(['split', model, '--auto', '-o', join(out, 'split')]);
let rows: { method: string; s: Summary }[] = [];
const reuse = process.argv.includes('--reuse') && existsSync(join(out, 'int8-table.json'));
if (reuse) {
  const saved = JSON.parse(readFileSync(join(out, 'int8-table.json'), 'utf8')) as typeof rows | { rows: typeof rows };
  rows = Array.isArray(saved) ? saved : saved.rows;
} else {
  for (const method of methods) {
    const plan = join(out, `plan-${method}`);
    tandem(['plan', join(out, 'split', 'split.json'), '--target', 'host', '--calib', join(out, 'calib', 'images'), '--engine', 'backbone=cpu', '--engine', 'head-segmentation=dla-emulated', '--engine', 'head-depth=dla-emulated', '--method', method, '--iterations', '1', '-o', plan]);
    const s = JSON.parse(tandem(['eval', plan, '--reference', model, '--dataset', `synthetic:1000,${frames}`, '--threads', '2', '--json'])) as Summary;
    rows.push({ method, s });
    process.stderr.write(`${method}: mIoU ${s.metrics.segmentation.mIoU.toFixed(2)} AbsRel ${s.metrics.depth.absRel.toFixed(4)}\n`);
  }
  writeFileSync(join(out, 'int8-table.json'), JSON.stringify({ rows }, null, 2));
}

// Mixed precision on the calibrator with the best depth AbsRel.
const best = [...rows].sort((a, b) => a.s.metrics.depth.absRel - b.s.metrics.depth.absRel)[0]!.method;
const kfDir = join(out, `keep-fp16-${best}`);
const kf = JSON.parse(tandem(['quantize', join(out, 'split', 'split.json'), '--calib', join(out, 'calib', 'images'), '--stages', 'head-segmentation,head-depth', '--placement', 'dla', '--method', best, '--keep-fp16', 'auto', '--budget', 'miou=0.5,absrel=2%', '--eval-data', 'synthetic:3000,16', '--trt-version', '8.6.1', '--json', '-o', kfDir])) as {
  keepFp16: { stage: string; metric: string; keep: { tensor: string; layer: string }[]; sensitivity: { tensor: string; kind: string; recovers: number }[]; bisectionSteps: number; int8Loss: number; mixedLoss: number; trtexecArgs: string }[];
};
// A host plan over the split with the mixed heads: float hand-offs, each head quantizing its own inputs.
const split = JSON.parse(readFileSync(join(out, 'split', 'split.json'), 'utf8')) as { source: string; cut: string[]; stages: { name: string; file: string; kind: string; inputs: string[]; outputs: string[] }[]; tensors: unknown[] };
const planDir = join(out, `plan-${best}-keep-fp16`);
mkdirSync(planDir, { recursive: true });
const stages = split.stages.map((st) => {
  const head = st.kind === 'head';
  const file = head ? `${st.name}.qdq.onnx` : st.file;
  copyFileSync(head ? join(kfDir, file) : join(out, 'split', st.file), join(planDir, file));
  return { ...st, file, engine: head ? 'dla-emulated' : 'cpu', precision: head ? 'int8' : 'fp32', choice: { how: 'pinned', reason: head ? `INT8 (${best}) with the tensors tandem quantize --keep-fp16 auto kept in FP16` : 'FP32 backbone on the cpu engine' } };
});
writeFileSync(join(planDir, 'plan.json'), JSON.stringify({ version: 2, kind: 'plan', target: 'host', source: split.source, cut: split.cut, stages, tensors: split.tensors }, null, 2));
const mixed = JSON.parse(tandem(['eval', planDir, '--reference', model, '--dataset', `synthetic:1000,${frames}`, '--threads', '2', '--json'])) as Summary;
const fp32 = rows[0]!.s.referenceMetrics;
const lines = [
  `INT8 heads (dla-emulated: Q/DQ on onnxruntime cpu, placement dla) vs FP32, tandem-street on ${frames} held-out synthetic frames (seed 1000, 128x256); calibration: ${calibFrames} frames of seed 2000`,
  '',
  '| heads | calibrator | mIoU | Δ mIoU | AbsRel | Δ AbsRel (rel.) | δ1 | argmax agreement | depth rel. error vs FP32 |',
  '|---|---|---|---|---|---|---|---|---|',
  `| FP32 | — | ${fp32.segmentation.mIoU.toFixed(2)} | — | ${fp32.depth.absRel.toFixed(4)} | — | ${fp32.depth.delta1.toFixed(4)} | — | — |`,
  ...rows.map(({ method, s }) => {
    const m = s.metrics;
    const dm = m.segmentation.mIoU - fp32.segmentation.mIoU;
    const da = m.depth.absRel / fp32.depth.absRel - 1;
    return `| INT8 | ${method} | ${m.segmentation.mIoU.toFixed(2)} | ${dm >= 0 ? '+' : ''}${dm.toFixed(2)} | ${m.depth.absRel.toFixed(4)} | ${da >= 0 ? '+' : ''}${(100 * da).toFixed(2)}% | ${m.depth.delta1.toFixed(4)} | ${s.agreement.argmaxAgreement.toFixed(2)}% | ${(100 * s.agreement.depthRelativeError).toFixed(2)}% |`;
  }),
  ...[{ method: `${best} + keep-fp16 auto`, s: mixed }].map(({ method, s }) => {
    const m = s.metrics;
    const dm = m.segmentation.mIoU - fp32.segmentation.mIoU;
    const da = m.depth.absRel / fp32.depth.absRel - 1;
    return `| INT8 + FP16 | ${method} | ${m.segmentation.mIoU.toFixed(2)} | ${dm >= 0 ? '+' : ''}${dm.toFixed(2)} | ${m.depth.absRel.toFixed(4)} | ${da >= 0 ? '+' : ''}${(100 * da).toFixed(2)}% | ${m.depth.delta1.toFixed(4)} | ${s.agreement.argmaxAgreement.toFixed(2)}% | ${(100 * s.agreement.depthRelativeError).toFixed(2)}% |`;
  }),
  '',
  `keep-fp16 auto (${best}; budget miou=0.5, absrel=2%; bisected on 16 frames of seed 3000, emulated INT8):`,
  ...kf.keepFp16.map((r) => {
    const unit = (v: number): string => (r.metric === 'miou' ? `${v.toFixed(2)} mIoU` : `${(100 * v).toFixed(2)}% AbsRel`);
    return `- ${r.stage}: INT8 loss ${unit(r.int8Loss)} → ${unit(r.mixedLoss)} keeping ${r.keep.length === 0 ? 'nothing' : r.keep.map((k) => k.tensor).join(', ')} (${r.sensitivity.length} sensitivity runs + ${r.bisectionSteps} bisection steps)${r.trtexecArgs ? `; trtexec ${r.trtexecArgs}` : ''}\n  most sensitive: ${r.sensitivity.slice(0, 4).map((x) => `${x.tensor} (${x.kind}) ${unit(x.recovers)}`).join('; ')}`;
  }),
];
writeFileSync(join(out, 'int8-mixed.json'), JSON.stringify({ best, keepFp16: kf.keepFp16, mixed }, null, 2));
console.log(lines.join('\n'));
