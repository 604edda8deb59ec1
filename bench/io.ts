/**
 * npm run bench:io [-- <model.onnx>] [-- --peer]
 *
 * Load (all weights read), inspect (structure only, weights left unread; and in full, with shape
 * inference and FLOPs as `tandem inspect` does) and save of an ONNX file —
 * by default the fp32 resnet50 reference (~102 MB), built and saved to a temporary folder first.
 * Each operation runs in its own child process, so the peak RSS it reports belongs to that operation:
 * measured as the process's peak RSS after the first run minus its RSS before it. Before each timed
 * run the previous run's model is garbage-collected (python: dropped and gc.collect()), outside the clock. With --peer, runs
 * python's onnx.load/onnx.save on the same file in the same call (bench/io_peer.py) for comparison.
 * Everything printed is measured on this machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadModel, saveModel } from '../src/onnx/index.js';
import { inspectModel } from '../src/inspect/index.js';
import { buildResNet50 } from '../src/models/index.js';
import { peakRssMiB } from './peak-rss.js';

type Op = 'load' | 'inspect' | 'inspect-full' | 'save';
const RUNS = 7;

interface ChildResult {
  op: Op;
  seconds: number[];
  rssBeforeMb: number;
  rssPeakMb: number;
}

/** Runs one operation `RUNS` times in this process and prints its timings and peak RSS as JSON. */
function child(op: Op, path: string): void {
  const rssBeforeMb = peakRssMiB();
  const seconds: number[] = [];
  let rssPeakMb = 0;
  const out = mkdtempSync(join(tmpdir(), 'tandem-bench-io-'));
  try {
    // Each run starts from a process that holds no earlier model (as a fresh `tandem` command would):
    // the previous run's weights are collected before the clock starts, not during the timed load.
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < RUNS; i++) {
      gc?.();
      if (op === 'save') {
        const model = loadModel(path);
        const t0 = performance.now();
        saveModel(model, join(out, `copy${i}.onnx`), { externalData: false });
        seconds.push((performance.now() - t0) / 1000);
      } else if (op === 'load') {
        const t0 = performance.now();
        const model = loadModel(path);
        let bytes = 0;
        for (const t of model.graph.initializers.values()) bytes += (t.data as ArrayBufferView).byteLength;
        seconds.push((performance.now() - t0) / 1000);
        if (bytes === 0) throw new Error('no weights read');
      } else {
        // 'inspect': the structure only; 'inspect-full': what `tandem inspect` does (shapes, FLOPs too)
        const t0 = performance.now();
        const summary = inspectModel(path, { shapes: op === 'inspect-full' });
        seconds.push((performance.now() - t0) / 1000);
        if (summary.weightsRead) throw new Error('inspect read weights');
      }
      if (i === 0) rssPeakMb = peakRssMiB();
      rmSync(join(out, `copy${i}.onnx`), { force: true });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const result: ChildResult = { op, seconds, rssBeforeMb, rssPeakMb };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function stats(xs: number[]): { min: number; median: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]! };
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    child(args[1] as Op, args[2]!);
    return;
  }
  const peer = args.includes('--peer');
  let path = args.find((a) => !a.startsWith('--'));
  let cleanup = (): void => {};
  if (path === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-io-'));
    path = join(dir, 'resnet50.onnx');
    saveModel(buildResNet50({}), path, { externalData: false });
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  }
  try {
    const fileMb = statSync(path).size / 1e6;
    const self = fileURLToPath(import.meta.url);
    console.log(`bench:io — ${path} (${fileMb.toFixed(1)} MB), ${RUNS} runs each, measured on this machine (Node ${process.version})`);
    const rows: Record<string, ChildResult> = {};
    for (const op of ['load', 'inspect', 'inspect-full', 'save'] as const) {
      const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', op, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
      rows[op] = JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
    }
    for (const op of ['load', 'inspect', 'inspect-full', 'save'] as const) {
      const r = rows[op]!;
      const t = stats(r.seconds);
      const grown = r.rssPeakMb - r.rssBeforeMb;
      console.log(
        `tandem ${op.padEnd(12)} min ${(t.min * 1000).toFixed(1).padStart(7)} ms  median ${(t.median * 1000).toFixed(1).padStart(7)} ms  ` +
          `peak RSS ${r.rssPeakMb.toFixed(0)} MB (+${grown.toFixed(0)} MB over ${r.rssBeforeMb.toFixed(0)} MB before = ${((grown * 2 ** 20) / (fileMb * 1e6)).toFixed(2)}x the file)`,
      );
    }
    if (peer) {
      const py = JSON.parse(execFileSync('python3', [join(self, '..', '..', '..', 'bench', 'io_peer.py'), path, String(RUNS)], { encoding: 'utf8' }).trim().split('\n').at(-1)!) as {
        tool: string;
        load_s: { min: number; median: number };
        save_s: { min: number; median: number };
        rss_mb: { baseline: number; peak_after_load: number };
      };
      console.log(`${py.tool}: onnx.load min ${(py.load_s.min * 1000).toFixed(1)} ms median ${(py.load_s.median * 1000).toFixed(1)} ms; onnx.save min ${(py.save_s.min * 1000).toFixed(1)} ms median ${(py.save_s.median * 1000).toFixed(1)} ms; peak RSS ${py.rss_mb.peak_after_load.toFixed(0)} MB (+${(py.rss_mb.peak_after_load - py.rss_mb.baseline).toFixed(0)} MB)`);
      const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;
      console.log(
        `speed-up over python onnx (median): load ${ratio(py.load_s.median, stats(rows.load!.seconds).median)}, inspect ${ratio(py.load_s.median, stats(rows.inspect!.seconds).median)} (full: ${ratio(py.load_s.median, stats(rows['inspect-full']!.seconds).median)}) (vs onnx.load), save ${ratio(py.save_s.median, stats(rows.save!.seconds).median)}`,
      );
    }
  } finally {
    cleanup();
  }
}

main();
