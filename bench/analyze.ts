/**
 * npm run bench:analyze
 *
 * `analyze` (shape inference, every rule, regions, crossings, costs) of a generated 10,000-node model
 * for orin-dla: residual conv/BN/ReLU/Add blocks, with MaxPool → Resize → Concat → 1×1 Conv every
 * fourth block and a HardSwish (no DLA path) every 20 groups, on 1×32×64×64 maps. Reports the wall
 * time of the analyze call, measured on this machine, as min and median over several runs after one
 * warm-up. Must stay under 1 s.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { attr } from '../src/ir/attribute.js';
import { GraphBuilder, buildModel } from '../src/ir/builder.js';
import type { Model } from '../src/ir/model.js';
import { tensorFromValues } from '../src/ir/tensor-values.js';
import { analyze } from '../src/targets/index.js';

const TARGET_NODES = 10_000;
const RUNS = 7;
const LIMIT_MS = 1000;
const C = 32;
const SIZE = 64;

function weights(dims: number[], seed: number): ReturnType<typeof tensorFromValues> {
  const n = dims.reduce((a, b) => a * b, 1);
  return tensorFromValues('float32', dims, Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.05));
}

/** The generated model: shared weights, so it is cheap to build, and ~TARGET_NODES nodes. */
function generateModel(nodes = TARGET_NODES): Model {
  const b = new GraphBuilder('bench');
  const w3 = b.initializer('w3x3', weights([C, C, 3, 3], 1));
  const w1 = b.initializer('w1x1', weights([C, 2 * C, 1, 1], 2));
  const bn = ['gamma', 'beta', 'mean', 'var'].map((name, i) => b.initializer(name, tensorFromValues('float32', [C], new Array<number>(C).fill(i === 3 ? 1 : 0.1))));
  const scales = b.constant('scales', 'float32', [4], [1, 1, 2, 2]);
  let t = b.input('image', 'float32', [1, C, SIZE, SIZE]);
  let group = 0;
  let count = 0;
  while (count < nodes) {
    for (let block = 0; block < 4; block++) {
      const c1 = b.op('Conv', [t, w3], { pads: [1, 1, 1, 1] });
      const r1 = b.op('Relu', [b.op('BatchNormalization', [c1, ...bn])]);
      const c2 = b.op('Conv', [r1, w3], { pads: [1, 1, 1, 1] });
      t = b.op('Relu', [b.op('Add', [b.op('BatchNormalization', [c2, ...bn]), t])]);
    }
    const pooled = b.op('MaxPool', [t], { kernel_shape: [2, 2], strides: [2, 2] });
    const up = b.op('Resize', [pooled, '', scales], { mode: attr.string('nearest'), coordinate_transformation_mode: attr.string('asymmetric'), nearest_mode: attr.string('floor') });
    t = b.op('Conv', [b.op('Concat', [t, up], { axis: attr.int(1) }), w1]);
    count += 4 * 7 + 4;
    if (++group % 20 === 0) {
      t = b.op('HardSwish', [t]);
      count++;
    }
  }
  b.output(t);
  return buildModel(b);
}

function main(): void {
  const t0 = performance.now();
  const model = generateModel();
  const buildMs = performance.now() - t0;
  const times: number[] = [];
  let last: ReturnType<typeof analyze> | undefined;
  for (let i = 0; i <= RUNS; i++) {
    const start = performance.now();
    last = analyze(model, { target: 'orin-dla' });
    if (i > 0) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const min = times[0]!;
  const median = times[Math.floor(times.length / 2)]!;
  const s = last!.summary;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`bench:analyze — analyze(model, { target: 'orin-dla' }) incl. shape inference, rules, regions, crossings, costs`);
  console.log(`measured on this machine: Node ${process.version}, ${cpu}, ${RUNS} runs after 1 warm-up`);
  console.log(`model: ${s.nodes.total} nodes (generated in ${buildMs.toFixed(0)} ms; not timed), ${s.nodes.onTarget} on the DLA, ${s.regions} regions, ${s.crossings} crossings`);
  console.log(`analyze wall time: min ${min.toFixed(1)} ms, median ${median.toFixed(1)} ms (limit ${LIMIT_MS} ms)`);
  if (median >= LIMIT_MS) {
    console.log(`FAIL: median ${median.toFixed(1)} ms ≥ ${LIMIT_MS} ms`);
    process.exitCode = 1;
  }
}

main();
