import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { randomInputs } from '../../src/runtime/verify.js';
import { cli } from '../helpers/cli.js';

/**
 * Real tandem outputs of the small (64x128) built-in multi-task model, written by the CLI in-process:
 * analyze --json of the prepared model, prepare --json, split --auto, quantize of the heads with two
 * calibrators and --compare --json. Returns the folder (what `tandem report <dir>` reads).
 */
export async function makeResults(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-report-'));
  const ref = REFERENCE_MODELS.multitask;
  const model = ref.build(ref.smallOptions);
  const modelPath = join(dir, 'multitask.onnx');
  saveModel(model, modelPath);
  const run = async (file: string | undefined, ...argv: string[]): Promise<void> => {
    const r = await cli(...argv);
    assert.equal(r.code, 0, `tandem ${argv.join(' ')}: ${r.stderr}`);
    if (file !== undefined) writeFileSync(join(dir, file), r.stdout);
  };
  const prepared = join(dir, 'multitask.prepared.onnx');
  await run('prepare.json', 'prepare', modelPath, '-o', prepared, '--json');
  await run('analysis.json', 'analyze', prepared, '--json');
  await run(undefined, 'split', prepared, '--auto', '-o', join(dir, 'stages'));
  const calib = join(dir, 'calib');
  mkdirSync(calib);
  for (let i = 0; i < 6; i++) {
    const feeds = randomInputs(model, { seed: 100 + i });
    const [t] = Object.values(feeds);
    writeFileSync(join(calib, `${String(i).padStart(3, '0')}.npy`), encodeNpy(t!));
  }
  await run('quantize.json', 'quantize', join(dir, 'stages', 'split.json'), '--calib', calib, '--trt-version', '8.6.1', '--method', 'entropy,max', '--stages', 'head-segmentation,head-depth', '--compare', '--holdout', '2', '-o', join(dir, 'int8'), '--json');
  return dir;
}

/**
 * Result files of the commands that other issues add (bench, trace, cost, eval, export), written in the
 * formats those issues specify (issue 9: bench --json and the Chrome trace; issue 11: cost --json and
 * the export bundle's build.sh; issue 10: eval --json with saved pictures). Test data for the report's
 * readers and drawings: the numbers are made up and never reported as results.
 */
export async function addFormatFixtures(dir: string): Promise<void> {
  const streams = [
    { tid: 1, name: 'webgpu (backbone)', stage: 'backbone', ms: 9 },
    { tid: 2, name: 'cpu (head-segmentation)', stage: 'head-segmentation', ms: 6 },
    { tid: 3, name: 'dla-emulated (head-depth)', stage: 'head-depth', ms: 7 },
  ];
  const events: unknown[] = [{ ph: 'M', name: 'process_name', pid: 1, tid: 0, args: { name: 'tandem pipeline' } }];
  for (const s of streams) events.push({ ph: 'M', name: 'thread_name', pid: 1, tid: s.tid, args: { name: s.name } });
  for (let f = 0; f < 8; f++) {
    const t0 = 1000 + f * 9000;
    events.push({ ph: 'X', name: 'backbone', cat: 'stage', pid: 1, tid: 1, ts: t0, dur: 9000, args: { frame: f } });
    events.push({ ph: 's', name: 'hand-off', cat: 'flow', id: f, pid: 1, tid: 1, ts: t0 + 9000 });
    events.push({ ph: 'X', name: 'head-segmentation', cat: 'stage', pid: 1, tid: 2, ts: t0 + 9100, dur: 6000, args: { frame: f, queueWaitUs: 100 } });
    events.push({ ph: 'f', name: 'hand-off', cat: 'flow', id: f, pid: 1, tid: 2, ts: t0 + 9100, bp: 'e' });
    events.push({ ph: 'X', name: 'head-depth', cat: 'stage', pid: 1, tid: 3, ts: t0 + 9100, dur: 7000, args: { frame: f } });
  }
  writeFileSync(join(dir, 'trace.json'), JSON.stringify({ traceEvents: events }));
  const samples = (base: number, n: number): number[] => Array.from({ length: n }, (_, i) => base + ((i * 37) % 11) * 0.3);
  const latency = (xs: number[]): Record<string, number> => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return { min: s[0]!, mean: xs.reduce((a, b) => a + b, 0) / xs.length, median: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99), max: s[s.length - 1]! };
  };
  const seq = samples(22, 40);
  const pipe = samples(16.5, 60);
  const stages = streams.map((s) => ({ name: s.stage, engine: s.name.split(' ')[0], computeMs: s.ms, queueWaitMs: 0.1, hostOverheadMs: 0.05 }));
  writeFileSync(
    join(dir, 'bench.json'),
    JSON.stringify({
      modes: [
        { mode: 'sequential', frames: 40, throughputFps: 45.2, latencyMs: latency(seq), samplesMs: seq, cv: 0.04, stages },
        { mode: 'pipelined', frames: 60, throughputFps: 108.9, latencyMs: latency(pipe), samplesMs: pipe, cv: 0.05, stages },
      ],
      speedup: 2.41,
      efficiency: 0.98,
    }),
  );
  writeFileSync(
    join(dir, 'cost.json'),
    JSON.stringify({
      target: 'orin',
      stages: [
        { name: 'backbone', engine: 'gpu', precision: 'fp16', latencyMs: 28.1, fps: 35.6 },
        { name: 'head-segmentation', engine: 'dla0', precision: 'int8', latencyMs: 20.7, fps: 48.3 },
        { name: 'head-depth', engine: 'dla1', precision: 'int8', latencyMs: 17.6, fps: 56.8 },
      ],
      pipeline: { fps: 34.2, latencyMs: 48.9 },
    }),
  );
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle);
  writeFileSync(
    join(bundle, 'build.sh'),
    [
      '#!/usr/bin/env bash',
      'set -euo pipefail',
      'trtexec --onnx=backbone.onnx --fp16 --outputIOFormats=int8:chw32 \\',
      '  --saveEngine=backbone.engine',
      'trtexec --onnx=head-segmentation.onnx --useDLACore=0 --int8 --calib=head-segmentation.cache --inputIOFormats=int8:chw32 --buildDLAStandalone --saveEngine=head-segmentation.loadable',
      '',
    ].join('\n'),
  );
  const sharp = (await import('sharp')).default;
  const pics = join(dir, 'eval', 'pictures');
  mkdirSync(pics, { recursive: true });
  const saved: string[] = [];
  for (const [k, colour] of [['input', [90, 120, 160]], ['segmentation-int8', [128, 64, 128]], ['depth-int8', [250, 200, 60]], ['error', [220, 30, 30]]] as const) {
    const file = `pictures/frame-000-${k}.png`;
    await sharp({ create: { width: 64, height: 32, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } } }).png().toFile(join(dir, 'eval', file));
    saved.push(file);
  }
  writeFileSync(
    join(dir, 'eval', 'eval.json'),
    JSON.stringify({
      dataset: 'synthetic:7,16',
      metrics: { segmentation: { mIoU: 0.612, pixelAccuracy: 0.901 }, depth: { absRel: 0.118, delta1: 0.861 } },
      reference: { segmentation: { deltaMIoU: -0.004 }, depth: { deltaAbsRel: 0.002 } },
      sensitivity: [
        { tensor: '/head-depth/up3/Conv_output_0', deltaAbsRel: 0.0031 },
        { tensor: '/head-segmentation/fuse/Conv_output_0', deltaMIoU: -0.0012 },
      ],
      keepFp16: ['/head-depth/up3/Conv'],
      saved,
    }),
  );
}
