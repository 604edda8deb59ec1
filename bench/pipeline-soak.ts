/**
 * npm run bench:pipeline-soak — 100k frames through a fast function pipeline (backbone → two heads on
 * three streams; the fake engines yield to the event loop a random 0–2 times per call) with a 1 KiB
 * buffer per hand-off: checks that no frame is lost, reordered or duplicated, that every hand-off is
 * released exactly once, and reports RSS at the start and the end. Measured on this machine.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createFunctionPipeline } from '../src/runtime/index.js';
import { peakRssMiB } from './peak-rss.js';

const FRAMES = Number(process.argv[2] ?? 100_000);
const mib = (b: number): string => (b / 1048576).toFixed(1);

interface Value {
  frame: number;
  data: Float32Array;
  released: boolean;
}

let seed = 12345;
const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
let live = 0;
let releases = 0;
const pipeline = createFunctionPipeline<Value>(
  [
    { name: 'backbone', stream: 'gpu', inputs: ['image'], outputs: ['c'] },
    { name: 'seg', stream: 'dla0', inputs: ['c'], outputs: ['segmentation'] },
    { name: 'depth', stream: 'dla1', inputs: ['c', 'image'], outputs: ['depth'] },
  ],
  ['segmentation', 'depth'],
  async (stage, feeds, frame) => {
    for (const v of Object.values(feeds)) {
      if (v.frame !== frame) throw new Error(`stage ${stage.name} frame ${frame} got a value of frame ${v.frame}`);
      if (v.released) throw new Error(`stage ${stage.name} frame ${frame} read a released buffer`);
    }
    const steps = Math.floor(rand() * 3);
    for (let i = 0; i < steps; i++) await new Promise((r) => setImmediate(r));
    live++;
    return { [stage.outputs[0]!]: { frame, data: new Float32Array(256), released: false } };
  },
  {
    release: (v) => {
      if (v.released) throw new Error(`a buffer of frame ${v.frame} released twice`);
      v.released = true;
      live--;
      releases++;
    },
  },
);

function* source(): Generator<Record<string, Value>> {
  for (let f = 0; f < FRAMES; f++) yield { image: { frame: f, data: new Float32Array(256), released: false } };
}

global.gc?.();
const rss0 = process.memoryUsage().rss;
const heap0 = process.memoryUsage().heapUsed;
let heapTenth = 0;
const t0 = performance.now();
let expect = 0;
let rssTenth = 0;
for await (const r of pipeline.run(source(), { maxInFlight: 4 })) {
  if (r.frame !== expect) throw new Error(`frame ${r.frame} arrived where ${expect} was due (lost, reordered or duplicated)`);
  for (const v of Object.values(r.outputs)) if (v.frame !== expect) throw new Error(`frame ${expect} carried an output of frame ${v.frame}`);
  live -= 2; // the consumer owns the two outputs
  expect++;
  if (expect === Math.floor(FRAMES / 10)) {
    global.gc?.();
    rssTenth = process.memoryUsage().rss;
    heapTenth = process.memoryUsage().heapUsed;
  }
}
const wallS = (performance.now() - t0) / 1000;
global.gc?.();
const rss1 = process.memoryUsage().rss;
const heap1 = process.memoryUsage().heapUsed;
if (expect !== FRAMES) throw new Error(`${expect} of ${FRAMES} frames came back`);
if (releases !== FRAMES) throw new Error(`${releases} hand-offs released, expected ${FRAMES} (one per frame)`);
if (live !== 0) throw new Error(`${live} values neither released nor delivered`);
console.log(`bench:pipeline-soak — measured on this machine (${cpus().length} × ${cpus()[0]?.model}; Node ${process.version})`);
console.log(`  ${FRAMES} frames in ${wallS.toFixed(1)} s (${(FRAMES / wallS).toFixed(0)} frames/s): none lost, reordered or duplicated; ${releases} hand-offs released once each; 0 left`);
console.log(`  RSS start ${mib(rss0)} MiB, after ${Math.floor(FRAMES / 10)} frames ${mib(rssTenth)} MiB, end ${mib(rss1)} MiB, peak ${peakRssMiB().toFixed(1)} MiB${global.gc ? ' (after gc)' : ''}`);
console.log(`  JS heap used: start ${mib(heap0)} MiB, after ${Math.floor(FRAMES / 10)} frames ${mib(heapTenth)} MiB, end ${mib(heap1)} MiB`);
