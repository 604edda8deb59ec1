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
  // The trace as tandem bench writes it (runtime/pipeline/trace.ts): one thread per stream, a slice per
  // stage-frame, queue waits as async b/e slices, hand-offs as s/f flows, a frames-in-flight counter.
  const streams = [
    { tid: 1, stream: 'webgpu', stage: 'backbone', engine: 'webgpu', ms: 9 },
    { tid: 2, stream: 'cpu', stage: 'head-segmentation', engine: 'cpu', ms: 6 },
    { tid: 3, stream: 'dla-emulated', stage: 'head-depth', engine: 'dla-emulated', ms: 7 },
  ];
  const events: unknown[] = [{ name: 'process_name', ph: 'M', pid: 1, args: { name: 'tandem bench pipelined' } }];
  for (const s of streams) events.push({ name: 'thread_name', ph: 'M', pid: 1, tid: s.tid, args: { name: `stream ${s.stream}` } }, { name: 'thread_sort_index', ph: 'M', pid: 1, tid: s.tid, args: { sort_index: s.tid - 1 } });
  for (let f = 0; f < 8; f++) {
    const t0 = f * 9000;
    events.push({ name: 'backbone', ph: 'X', cat: 'stage', pid: 1, tid: 1, ts: t0, dur: 9000, args: { frame: f, stream: 'webgpu', engine: 'webgpu', queueWaitMs: 0, computeMs: 9 } });
    for (const s of streams.slice(1)) {
      events.push({ name: `wait ${s.stage}`, ph: 'b', cat: 'queue', id: `wait:${s.stage}:${f}`, pid: 1, tid: s.tid, ts: t0 + 9000, args: { frame: f } });
      events.push({ name: `wait ${s.stage}`, ph: 'e', cat: 'queue', id: `wait:${s.stage}:${f}`, pid: 1, tid: s.tid, ts: t0 + 9400 });
      events.push({ name: s.stage, ph: 'X', cat: 'stage', pid: 1, tid: s.tid, ts: t0 + 9400, dur: s.ms * 1000, args: { frame: f, stream: s.stream, engine: s.engine, queueWaitMs: 0.4, computeMs: s.ms } });
      events.push({ name: 'hand-off', ph: 's', cat: 'handoff', id: `handoff:${2 * f + s.tid}`, pid: 1, tid: 1, ts: t0 + 8999.999, args: { frame: f, from: 'backbone', to: s.stage } });
      events.push({ name: 'hand-off', ph: 'f', bp: 'e', cat: 'handoff', id: `handoff:${2 * f + s.tid}`, pid: 1, tid: s.tid, ts: t0 + 9400 });
    }
    events.push({ name: 'frames in flight', ph: 'C', pid: 1, ts: t0, args: { frames: 2 } });
  }
  writeFileSync(join(dir, 'trace.json'), JSON.stringify({ traceEvents: events, displayTimeUnit: 'ms' }));
  const latency = (base: number): Record<string, number> => ({ min: base, mean: base + 1.1, median: base + 1, p90: base + 2.2, p95: base + 2.6, p99: base + 3.1, max: base + 3.5 });
  const stages = streams.map((s) => ({ name: s.stage, engine: s.engine, stream: s.stream, computeMs: latency(s.ms), queueWaitMs: 0.4 }));
  // bench --json as tandem bench prints it (runtime/pipeline/bench.ts BenchResult without the trace)
  writeFileSync(
    join(dir, 'bench.json'),
    JSON.stringify({
      source: 'plan-host/plan.json',
      modes: [
        { mode: 'sequential', frames: 40, wallS: 0.9, throughputFps: 45.2, latencyMs: latency(21), latencyCv: 0.04, hostOverheadMs: 0.06, stages, streams: [] },
        { mode: 'pipelined', frames: 60, wallS: 0.55, throughputFps: 108.9, latencyMs: latency(16), latencyCv: 0.05, hostOverheadMs: 0.07, stages, streams: [] },
      ],
      speedup: 2.41,
      efficiency: 0.98,
      slowestStream: { name: 'webgpu', msPerFrame: 9, fps: 111.1 },
      what: 'measured on this machine: onnxruntime-node webgpu + cpu + dla-emulated (dla-emulated runs INT8 Q/DQ numerics on the CPU: not DLA speed)',
      traceFile: 'trace.json',
      // bench --profile (runtime/pipeline/profile.ts StageProfile): a webgpu stage with GPU times, a cpu one without
      profile: [
        { stage: 'backbone', engine: 'webgpu', medianMs: 31.2, profile: { frames: 20, kernelCpuMs: 25.0, gpu: { busyMs: 7.1, dispatches: 283 }, ops: [{ op: 'Conv', nodes: 26, cpuMs: 1.4, gpuMs: 2.47, dispatches: 26 }, { op: 'Transpose', nodes: 91, cpuMs: 13.7, gpuMs: 1.06, dispatches: 91 }] } },
        { stage: 'head-depth', engine: 'cpu', medianMs: 12.0, profile: { frames: 20, kernelCpuMs: 10.0, ops: [{ op: 'Conv', nodes: 6, cpuMs: 8.0 }, { op: 'Resize', nodes: 4, cpuMs: 2.0 }] } },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'cost.json'),
    JSON.stringify({
      basis: 'modelled: latency model fitted on published Orin measurements; no Orin ran',
      batch: 1,
      power: 'maxn',
      platform: 'Jetson AGX Orin 64GB',
      stages: [
        { name: 'backbone', engine: 'gpu', precision: 'fp16', latencyMs: 28.1, fps: 35.6, breakdown: { computeMs: 20, memoryMs: 5, overheadMs: 1.1, submissionMs: 0, fallbackMs: 0, crossingMs: 2 } },
        { name: 'head-segmentation', engine: 'dla0', precision: 'int8', latencyMs: 20.7, fps: 48.3 },
        { name: 'head-depth', engine: 'dla1', precision: 'int8', latencyMs: 17.6, fps: 56.8 },
      ],
      pipeline: { fps: 34.2, latencyMs: 48.9, bottleneck: 'gpu', contentionMs: 3.1 },
    }),
  );
  // cost --search --json (plan/search.ts SearchResult, node lists as counts)
  const placement = (label: string, fps: number, latencyMs: number, segments: [string, string, string][]): unknown => ({
    label,
    fps,
    latencyMs,
    int8Share: 0.4,
    bottleneck: segments[0]![1],
    engineLoadMs: {},
    modelled: true,
    segments: segments.map(([name, engine, precision]) => ({ name, engine, precision, nodes: 10, aloneMs: 5, loadables: 1, fallbackLayers: 0 })),
  });
  const gpuOnly = placement('gpu-only', 25.7, 38.9, [['all', 'gpu', 'fp16']]);
  const hand = placement('webinar', 34.2, 48.9, [['backbone', 'gpu', 'fp16'], ['head-segmentation', 'dla0', 'int8'], ['head-depth', 'dla1', 'int8']]);
  const chosen = placement('searched', 36.0, 45.0, [['backbone', 'gpu', 'int8'], ['head-segmentation', 'dla0', 'int8'], ['head-depth', 'dla1', 'int8']]);
  writeFileSync(join(dir, 'search.json'), JSON.stringify({ basis: 'modelled', scored: 120, infeasible: 3, elapsedMs: 800, chosen, why: ['highest modelled throughput of the Pareto set'], gpuOnly, handPlacement: hand, pareto: [chosen, gpuOnly] }));
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'results'), { recursive: true });
  // tandem import's results/tandem-bench.json (plan/import ImportResult)
  const run = (qps: number, medianMs: number): unknown => ({ qps, compute: { minMs: medianMs * 0.9, maxMs: medianMs * 1.2, meanMs: medianMs, medianMs } });
  writeFileSync(
    join(bundle, 'results', 'tandem-bench.json'),
    JSON.stringify({
      kind: 'tandem-bench',
      basis: 'measured on the Orin by trtexec (GPU and DLA engines there), read by tandem import; predicted = modelled',
      trt: '8.6',
      stages: [
        { name: 'backbone', engine: 'gpu', precision: 'fp16', alone: run(35, 28.6), concurrent: run(31, 32.2), predicted: { aloneMs: 28.1, concurrentMs: 31 }, errorPct: { alone: 1.8, concurrent: 3.9 } },
        { name: 'head-depth', engine: 'dla1', precision: 'int8', alone: run(57, 17.5), concurrent: run(48, 20.8), predicted: { aloneMs: 17.6, concurrentMs: 20 }, errorPct: { alone: -0.6, concurrent: 4 } },
      ],
      windowMs: 9500,
      pipeline: { measuredFps: 31, predictedFps: 34.2 },
    }),
  );
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
  // eval --json (eval/ EvalSummary) with the pictures --save wrote
  writeFileSync(
    join(dir, 'eval', 'eval.json'),
    JSON.stringify({
      target: 'plan-orin/plan.json',
      reference: 'multitask.onnx',
      dataset: { name: 'synthetic:7,16', frames: 16 },
      frames: 16,
      complete: true,
      shards: { count: 1, indices: [0] },
      classNames: null,
      metrics: { segmentation: { mIoU: 61.2, pixelAccuracy: 90.1 }, depth: { absRel: 0.118, delta1: 0.861 } },
      referenceMetrics: { segmentation: { mIoU: 61.6, pixelAccuracy: 90.3 }, depth: { absRel: 0.116, delta1: 0.866 } },
      deltas: { mIoU: -0.4, absRel: 0.002, absRelRelative: 0.017, delta1: -0.005 },
      agreement: { argmaxAgreement: 97.9, depthRelativeError: 0.011, depthWorstFrame: 0.02 },
      savedFiles: saved,
    }),
  );
  // quantize --keep-fp16 auto --json's per-head results (eval/ HeadPrecisionResult without the plan)
  writeFileSync(
    join(dir, 'eval', 'quantize-keep-fp16.json'),
    JSON.stringify({
      calibration: { source: '16 generated frames', samples: 16, batchSize: 1, wallMs: 1200, measured: 'wall time, onnxruntime cpu engine, this machine' },
      artifacts: [{ stage: 'head-depth', method: 'max', algorithm: 'max', tensors: 24, weights: 6, qdqPairs: 30 }],
      keepFp16: [
        {
          stage: 'head-depth',
          metric: 'absrel',
          fp32: 0.116,
          int8: 0.121,
          int8Loss: 0.043,
          mixed: 0.117,
          mixedLoss: 0.009,
          withinBudget: true,
          bisectionSteps: 3,
          sensitivity: [
            { tensor: '/depth_head/up3/Conv_output_0', kind: 'activation', layer: '/depth_head/up3/Conv', recovers: 0.021 },
            { tensor: '/depth_head/up2/Conv_output_0', kind: 'activation', layer: '/depth_head/up2/Conv', recovers: 0.008 },
          ],
          keep: [{ tensor: '/depth_head/up3/Conv_output_0', kind: 'activation', layer: '/depth_head/up3/Conv' }],
          trtexecArgs: '--layerPrecisions=/depth_head/up3/Conv:fp16 --precisionConstraints=prefer',
        },
      ],
    }),
  );
}
