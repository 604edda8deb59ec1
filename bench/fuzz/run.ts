/**
 * npm run fuzz -- --minutes N [--seed S] [--out fuzz-out] [--targets a,b] [--large]
 *
 * Long fuzz runs over tandem's readers (ONNX decoder and model files, .npy, .npz, calibration caches,
 * split.json, plan.json) and its CLI, in one worker thread supervised by this process. Inputs come from a corpus of
 * generated models (--large adds the reference models resnet50 and multitask, as structure with external
 * data), test fixtures, and tandem's own outputs, mutated by the same fast-check arbitraries as
 * test/fuzz. Outcome classes: ok, skipped, TandemError (by code), failure, hang. Failures and hangs are
 * saved as reproducers under <out>/failures/; the tally goes to <out>/summary.json and, as a table, to
 * stdout. Measured on this machine; the sandbox is a temporary folder, removed at the end.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSandbox } from './corpus.js';
import type { Tally, WorkerData, WorkerMessage } from './worker.js';

const TARGETS = ['onnx-decode', 'onnx-file', 'npy', 'npz', 'calibration-cache', 'stage-file', 'cli'];
/** Wall-time shares: the decoder and model files get the most, the CLI a fifth (each run opens sessions). */
const SHARES: Record<string, number> = { 'onnx-decode': 25, 'onnx-file': 15, npy: 8, npz: 10, 'calibration-cache': 5, 'stage-file': 15, cli: 22 };
/** No progress for this long is a hang (the CLI's slowest honest case, quantize, takes a few seconds). */
const HANG_MS = { reader: 20_000, command: 120_000 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const minutes = Number(arg('minutes') ?? 1);
if (!(minutes > 0)) throw new Error('--minutes needs a positive number');
const seed = Number(arg('seed') ?? Date.now() % 2 ** 31);
const out = resolve(arg('out') ?? 'fuzz-out');
const targets = arg('targets')?.split(',') ?? TARGETS;
const large = process.argv.includes('--large');
const failuresDir = join(out, 'failures');
mkdirSync(failuresDir, { recursive: true });
const command = `npm run fuzz -- ${process.argv.slice(2).join(' ')}`;

const root = mkdtempSync(join(tmpdir(), 'tandem-fuzz-'));
const started = new Date();
console.log(`fuzz: seed ${seed}, ${minutes} min, targets ${targets.join(', ')}; building the corpus in ${root}${large ? ' (with the reference models)' : ''} ...`);
const sandbox = await buildSandbox(root, { large });
// The CLI resolves paths against the process's folder, which worker threads cannot change: set it here.
process.chdir(sandbox.cliDir);
const seedCounts = Object.fromEntries(Object.entries(sandbox.seeds).map(([k, v]) => [k, v.length]));
console.log(`corpus: ${JSON.stringify(seedCounts)}`);

const totals: Tally = {};
const hangs: Record<string, number> = {};
const saved: string[] = [];
let workerSeed = seed;

function save(target: string, kind: string, input: Uint8Array, text: string): void {
  const file = join(failuresDir, `${target}-${kind}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}`);
  writeFileSync(`${file}.bin`, input);
  writeFileSync(`${file}.txt`, `${text}\n`);
  saved.push(`${file}.bin`);
}

function merge(into: Tally, from: Tally): void {
  for (const [t, v] of Object.entries(from)) {
    const x = (into[t] ??= { inputs: 0, ms: 0, outcomes: {} });
    x.inputs += v.inputs;
    x.ms += v.ms;
    for (const [k, n] of Object.entries(v.outcomes)) x.outcomes[k] = (x.outcomes[k] ?? 0) + n;
  }
}

const deadline = Date.now() + minutes * 60_000;

/** Runs one worker until the deadline or a hang; returns its last tally. */
async function runWorker(): Promise<{ tally: Tally; hung: boolean }> {
  const control = new SharedArrayBuffer(16);
  const input = new SharedArrayBuffer(64 << 20);
  const data: WorkerData = { sandbox, seed: workerSeed, targets, shares: SHARES, control, input };
  workerSeed += 1_000_003;
  // From sources (tsx), the worker registers tsx itself: Node 20 loads a worker's entry before its --import hooks.
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? './worker.ts' : './worker.js', import.meta.url).href;
  const worker = ts
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true, workerData: data })
    : new Worker(new URL(entry), { workerData: data });
  let tally: Tally = {};
  let names: string[] = [];
  let done = false;
  const finished = new Promise<void>((resolveDone) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') names = m.targets;
      else if (m.type === 'stats') {
        tally = m.tally;
        if (m.final) resolveDone();
      } else {
        save(m.target, 'failure', m.input, `${m.reason}\n${m.detail}`);
        console.log(`failure in ${m.target}: ${m.reason}`);
      }
    });
    worker.on('error', (e) => {
      console.log(`worker error: ${String((e as Error)?.stack ?? e)}`);
      // A worker that cannot even start would fail the same way again: stop there.
      if (names.length === 0) process.exit(4);
      resolveDone();
    });
    worker.on('exit', () => resolveDone());
  });
  const ctl = new Int32Array(control);
  let last = -1;
  let since = Date.now();
  let hung = false;
  let lastPrint = Date.now();
  while (!done) {
    const r = await Promise.race([finished.then(() => 'done' as const), new Promise<'tick'>((r2) => setTimeout(() => r2('tick'), 1000))]);
    if (r === 'done') break;
    const n = Atomics.load(ctl, 0);
    if (n !== last) [last, since] = [n, Date.now()];
    const target = names[Atomics.load(ctl, 1)] ?? '?';
    const limit = target === 'cli' ? HANG_MS.command : HANG_MS.reader;
    if (Date.now() - since > limit) {
      const len = Atomics.load(ctl, 2);
      const bytes = new Uint8Array(input).slice(0, Math.min(len, input.byteLength));
      save(target, 'hang', bytes, `no progress for ${limit / 1000} s on this input (${len} bytes)`);
      console.log(`hang in ${target}: input saved; restarting the worker`);
      hangs[target] = (hangs[target] ?? 0) + 1;
      hung = true;
      const t = setTimeout(() => {
        console.log('the worker does not end (blocked in a system call); stopping with the tally so far');
        merge(totals, tally);
        finish(3);
      }, 10_000);
      await worker.terminate();
      clearTimeout(t);
      done = true;
      break;
    }
    if (Date.now() >= deadline) {
      worker.postMessage({ type: 'stop' });
      await finished;
      done = true;
    }
    if (Date.now() - lastPrint > 60_000) {
      lastPrint = Date.now();
      const sum = Object.values(tally).reduce((a, v) => a + v.inputs, 0);
      console.log(`${new Date().toISOString()} ${sum} inputs (this worker): ${Object.entries(tally).map(([k, v]) => `${k} ${v.inputs}`).join(', ')}`);
    }
  }
  return { tally, hung };
}

while (Date.now() < deadline) {
  const { tally } = await runWorker();
  merge(totals, tally);
}

finish(0);

/** Writes the summary and the table, removes the sandbox and ends the process. */
function finish(code: number): never {
  const ended = new Date();
  const rows = targets.map((t) => {
    const v = totals[t] ?? { inputs: 0, ms: 0, outcomes: {} };
    const errors = Object.entries(v.outcomes).filter(([k]) => k.startsWith('TandemError'));
    return {
      target: t,
      inputs: v.inputs,
      ok: v.outcomes.ok ?? 0,
      skipped: v.outcomes.skipped ?? 0,
      tandemErrors: errors.reduce((a, [, n]) => a + n, 0),
      byCode: Object.fromEntries(errors.sort((a, b) => b[1] - a[1]).map(([k, n]) => [k.slice('TandemError '.length), n])),
      failures: v.outcomes.failure ?? 0,
      hangs: hangs[t] ?? 0,
      seconds: Math.round(v.ms / 1000),
    };
  });
  const readerInputs = rows.filter((r) => r.target !== 'cli').reduce((a, r) => a + r.inputs, 0);
  const summary = {
    command,
    seed,
    started: started.toISOString(),
    ended: ended.toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    measured: 'outcome counts of this run on this machine',
    corpus: seedCounts,
    readerInputs,
    rows,
    reproducers: saved,
  };
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log('');
  console.log(`| target | inputs | ok | skipped | TandemError (top codes) | failures | hangs | s |`);
  console.log(`|---|---:|---:|---:|---|---:|---:|---:|`);
  for (const r of rows) {
    const top = Object.entries(r.byCode).slice(0, 4).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`| ${r.target} | ${r.inputs} | ${r.ok} | ${r.skipped} | ${r.tandemErrors} (${top}) | ${r.failures} | ${r.hangs} | ${r.seconds} |`);
  }
  console.log(`\nreaders: ${readerInputs} inputs; failures ${rows.reduce((a, r) => a + r.failures, 0)}, hangs ${rows.reduce((a, r) => a + r.hangs, 0)}; ${summary.machine}; ${summary.started} → ${summary.ended}`);
  console.log(`summary: ${join(out, 'summary.json')}${saved.length ? `; reproducers: ${failuresDir}` : ''}`);
  process.chdir(tmpdir());
  rmSync(root, { recursive: true, force: true });
  // onnxruntime's thread pools keep the event loop alive; the run is over.
  process.exit(code);
}

