/**
 * node --expose-gc dist/bench/load-probe.js <model.onnx>
 *
 * Where load time goes: one read of the whole file into fresh memory (the floor any copying loader
 * pays), tandem's eager load, and its structure-only load; 7 runs each, sorted, in ms. Measured on
 * this machine.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadModel } from '../src/onnx/index.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: node --expose-gc dist/bench/load-probe.js <model.onnx>');
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});

function row(label: string, f: () => unknown): void {
  const xs: number[] = [];
  for (let i = 0; i < 7; i++) {
    gc();
    const t0 = performance.now();
    f();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  console.log(label.padEnd(30), xs.map((x) => x.toFixed(1)).join(' '));
}

console.log(`load-probe — ${path}, measured on this machine (Node ${process.version})`);
row('readFileSync', () => readFileSync(path));
row('allocUnsafeSlow + one read', () => {
  const fd = openSync(path, 'r');
  const n = fstatSync(fd).size;
  readSync(fd, Buffer.allocUnsafeSlow(n), 0, n, 0);
  closeSync(fd);
});
row('loadModel (eager)', () => loadModel(path));
row('loadModel (lazy: structure only)', () => loadModel(path, { weights: 'lazy' }));
