/**
 * npm run bench:scenes [-- --size 256x512 --frames 300]
 *
 * Generation speed of the synthetic street scenes (image, labels, depth; no file I/O), one thread, in
 * frames per minute — measured on this machine. The goal is ≥ 1,000 frames/min at 256x512 on the
 * 2-core dev machine.
 */
import { performance } from 'node:perf_hooks';
import { renderScene } from '../src/eval/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const [height, width] = arg('size', '256x512').split('x').map(Number) as [number, number];
const frames = Number(arg('frames', '300'));
for (let i = 0; i < 10; i++) renderScene(99, i, width, height);
const runs: number[] = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) renderScene(r, i, width, height);
  runs.push((60000 * frames) / (performance.now() - t0));
}
runs.sort((a, b) => a - b);
console.log(`synthetic scenes at ${height}x${width}: ${runs[1]!.toFixed(0)} frames/min (median of 3 runs of ${frames} frames; min ${runs[0]!.toFixed(0)}, max ${runs[2]!.toFixed(0)}), one thread — measured on this machine (${process.arch}, node ${process.version})`);
