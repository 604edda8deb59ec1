/**
 * The fuzz runner's worker thread: draws inputs for the targets (time-shared by weight), runs them,
 * tallies outcomes and reports failures. Before each input it copies the input into shared memory and
 * bumps a counter, so that the supervisor can save the input of a run that hangs and end the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { cliArbitrary, mutantArbitrary } from './arbitraries.js';
import type { Sandbox } from './corpus.js';
import { makeTargets, type Outcome } from './targets.js';

export interface WorkerData {
  readonly sandbox: Sandbox;
  readonly seed: number;
  readonly targets: readonly string[];
  /** Share of the wall time per target. */
  readonly shares: Readonly<Record<string, number>>;
  /** [counter, target index, input length, truncated]; then the input bytes. */
  readonly control: SharedArrayBuffer;
  readonly input: SharedArrayBuffer;
}

export type Tally = Record<string, { inputs: number; ms: number; outcomes: Record<string, number> }>;

export type WorkerMessage =
  | { type: 'stats'; tally: Tally; final: boolean }
  | { type: 'failure'; target: string; reason: string; detail: string; input: Uint8Array }
  | { type: 'ready'; targets: string[] };

const data = workerData as WorkerData;
const port = parentPort!;
const control = new Int32Array(data.control);
const shared = new Uint8Array(data.input);
let stop = false;
port.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stop = true;
});

const all = makeTargets(data.sandbox);
const targets = all.filter((t) => data.targets.includes(t.name));
port.postMessage({ type: 'ready', targets: targets.map((t) => t.name) } satisfies WorkerMessage);
const arbs = targets.map((t) => (t.kind === 'command' ? cliArbitrary(data.sandbox.seeds[t.seeds]) : mutantArbitrary(data.sandbox.seeds[t.seeds], t.format)));
const tally: Tally = Object.fromEntries(targets.map((t) => [t.name, { inputs: 0, ms: 0, outcomes: {} }]));
/** Failures reported per target and reason (the first few; the tally counts them all). */
const reported = new Map<string, number>();

function key(o: Outcome): string {
  return o.class === 'error' ? `TandemError ${o.code}` : o.class === 'failure' ? 'failure' : o.class;
}

let batchSeed = data.seed;
let lastStats = Date.now();
while (!stop) {
  // The target furthest below its share of the time so far.
  let pick = 0;
  let best = Infinity;
  targets.forEach((t, i) => {
    const used = tally[t.name]!.ms / (data.shares[t.name] ?? 1);
    if (used < best) [best, pick] = [used, i];
  });
  const target = targets[pick]!;
  const batch = fc.sample(arbs[pick]!, { seed: batchSeed++, numRuns: target.kind === 'command' ? 4 : 200 });
  const started = performance.now();
  for (const input of batch) {
    if (stop) break;
    const n = Math.min(input.length, shared.length);
    shared.set(input.subarray(0, n));
    Atomics.store(control, 1, pick);
    Atomics.store(control, 2, input.length);
    Atomics.add(control, 0, 1);
    let outcome: Outcome;
    try {
      outcome = await target.run(input);
    } catch (e) {
      outcome = { class: 'failure', reason: `the target itself threw: ${String(e)}`, detail: String((e as Error)?.stack ?? e) };
    }
    const t = tally[target.name]!;
    t.inputs++;
    const k = key(outcome);
    t.outcomes[k] = (t.outcomes[k] ?? 0) + 1;
    if (outcome.class === 'failure') {
      const r = `${target.name}|${outcome.reason}`;
      const seen = reported.get(r) ?? 0;
      reported.set(r, seen + 1);
      if (seen < 3) port.postMessage({ type: 'failure', target: target.name, reason: outcome.reason, detail: outcome.detail, input } satisfies WorkerMessage);
    }
  }
  tally[target.name]!.ms += performance.now() - started;
  // Let the stop message in: the readers resolve without ever leaving the microtask queue.
  await new Promise((resolve) => setImmediate(resolve));
  if (Date.now() - lastStats > 2000) {
    port.postMessage({ type: 'stats', tally, final: false } satisfies WorkerMessage);
    lastStats = Date.now();
  }
}
port.postMessage({ type: 'stats', tally, final: true } satisfies WorkerMessage);
