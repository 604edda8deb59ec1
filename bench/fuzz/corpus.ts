/**
 * The fuzz sandbox and seed corpus: generated models (the ir builders, the reference models of
 * src/models), test fixtures, and tandem's own outputs — split, quantize, translate-qdq, fp16, prepare
 * and run write into the sandbox, and what they write becomes seeds. Everything lives under one folder.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encodeNpy, encodeNpz } from '../../src/io/npy.js';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { encodeModel, saveModel } from '../../src/onnx/index.js';
import { writeCalibrationCache } from '../../src/quant/calibration-cache.js';
import { createRng, randomNormal } from '../../src/util/random.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

export type SeedKind = 'onnx' | 'npy' | 'npz' | 'cache' | 'split' | 'cli';

export interface Sandbox {
  readonly root: string;
  /** Where models with external data and stage files live (onnx-file and split targets read here). */
  readonly corpusDir: string;
  /** Stage files of a split and a plan, where the stage-file target writes its split.json / plan.json inputs. */
  readonly splitDir: string;
  /** The CLI's working directory: every path in a CLI seed is relative to it. */
  readonly cliDir: string;
  readonly seeds: Readonly<Record<SeedKind, Uint8Array[]>>;
}

/** A two-head conv net (trunk + one conv per output); weights over 1 KiB, so external data applies. */
export function twoHead(batch: number | string = 1): Model {
  const rng = createRng(5);
  const w = (dims: number[]): Tensor<'float32'> => new Tensor('float32', dims, randomNormal(rng, dims.reduce((a, b) => a * b, 1), 0.2));
  const b = new GraphBuilder('two-head', { opset: 17 });
  const x = b.input('x', 'float32', [batch, 3, 8, 8]);
  const trunk = b.relu(b.conv(x, w([16, 3, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'trunk' }));
  b.output(b.conv(trunk, w([4, 16, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'head1' }), 'float32', [batch, 4, 8, 8]);
  b.output(b.conv(trunk, w([2, 16, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'head2' }), 'float32', [batch, 2, 8, 8]);
  return buildModel(b);
}

/** Small graphs of many ops, types and attributes: more decoder paths than the conv nets take. */
function opZoo(): Model[] {
  const out: Model[] = [];
  const b = new GraphBuilder('zoo', { opset: 17 });
  const x = b.input('x', 'float32', ['n', 4]);
  const i = b.input('idx', 'int64', [2]);
  let t = b.sigmoid(b.add(b.matmul(x, new Tensor('float32', [4, 4], new Float32Array(16).fill(0.1))), b.scalar(1)));
  t = b.softmax(b.transpose(b.reshape(t, [-1, 2, 2]), [0, 2, 1]), -1);
  const g = b.op('Gather', [b.flatten(t), i], { axis: 1 });
  b.output(g, 'float32', ['n', 2]);
  b.output(b.op('Shape', [x]), 'int64', [2]);
  out.push(buildModel(b));
  const c = new GraphBuilder('strings', { opset: 13 });
  const s = c.input('s', 'string', [2]);
  c.output(c.op('Identity', [s]), 'string', [2]);
  const flags = c.input('flags', 'bool', [3]);
  c.output(c.op('Not', [flags]), 'bool', [3]);
  out.push(buildModel(c));
  return out;
}

function npyFor(dtype: 'float32' | 'int64' | 'uint8' | 'float16', dims: number[]): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = dtype === 'float32' ? new Float32Array(n).fill(0.5) : dtype === 'int64' ? new BigInt64Array(n).fill(3n) : dtype === 'uint8' ? new Uint8Array(n).fill(7) : new Uint16Array(n).fill(0x3c00);
  return encodeNpy(new Tensor(dtype, dims, data as never));
}

/** Runs the CLI quietly; returns the exit code (seeding should not fail, and says so when it does). */
async function tandem(cwd: string, ...argv: string[]): Promise<void> {
  let err = '';
  const here = process.cwd();
  process.chdir(cwd);
  try {
    const code = await runCli(argv, { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s), isTTY: false } });
    if (code !== 0) throw new Error(`seeding: tandem ${argv.join(' ')} failed: ${err}`);
  } finally {
    process.chdir(here);
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Builds the sandbox under `root`. `large` adds the reference models (resnet50, multitask at their small
 * sizes; their structure, with weights in external data) — seconds to build, so only for long runs.
 */
export async function buildSandbox(root: string, options: { large?: boolean } = {}): Promise<Sandbox> {
  const corpusDir = join(root, 'corpus');
  const cliDir = join(root, 'a', 'b', 'cwd');
  mkdirSync(corpusDir, { recursive: true });
  mkdirSync(cliDir, { recursive: true });
  const seeds: Record<SeedKind, Uint8Array[]> = { onnx: [], npy: [], npz: [], cache: [], split: [], cli: [] };

  // Models: generated, written both inline and with external data.
  const models: [string, Model][] = [['two-head', twoHead()], ['two-head-dyn', twoHead('batch')], ...opZoo().map((m, k): [string, Model] => [`zoo${k}`, m])];
  for (const [name, m] of models) {
    seeds.onnx.push(encodeModel(m));
    saveModel(m, join(corpusDir, `${name}.ext.onnx`), { externalData: true });
  }
  if (options.large) {
    for (const ref of [REFERENCE_MODELS.resnet50, REFERENCE_MODELS.multitask]) {
      const file = join(corpusDir, `${ref.name}.onnx`);
      saveModel(ref.build({ ...ref.smallOptions } as never), file, { externalData: true });
      seeds.onnx.push(readFileSync(file)); // the structure: the weights stay in <name>.onnx.data next to it
    }
  }
  for (const f of ['onnx/kitchen_sink.onnx', 'pytorch/tiny_cnn_legacy.onnx', 'pytorch/tiny_vit_legacy.onnx', 'pytorch/multihead_dynamo.onnx']) {
    if (existsSync(join(FIXTURES, f))) seeds.onnx.push(readFileSync(join(FIXTURES, f)));
  }
  if (existsSync(join(FIXTURES, 'onnx/external'))) cpSync(join(FIXTURES, 'onnx/external'), join(corpusDir, 'external'), { recursive: true });

  // The CLI's sandbox: inputs of every kind a command takes, and hostile neighbours.
  saveModel(twoHead(), join(cliDir, 'm.onnx'));
  saveModel(twoHead('batch'), join(cliDir, 'dyn.onnx'));
  saveModel(twoHead(), join(cliDir, 'ext.onnx'), { externalData: true });
  mkdirSync(join(cliDir, 'calib'));
  for (let k = 0; k < 2; k++) writeFileSync(join(cliDir, 'calib', `s${k}.npy`), npyFor('float32', [1, 3, 8, 8]));
  writeFileSync(join(cliDir, 'feed.npy'), npyFor('float32', [1, 3, 8, 8]));
  writeFileSync(join(cliDir, 'empty.onnx'), '');
  writeFileSync(join(cliDir, 'a-file.txt'), 'text\n');
  mkdirSync(join(cliDir, 'dir'));
  symlinkSync('m.onnx', join(cliDir, 'link.onnx'));
  symlinkSync('/dev/zero', join(cliDir, 'zero.onnx'));
  try {
    execFileSync('mkfifo', [join(cliDir, 'fifo.onnx')]);
  } catch {
    // no mkfifo on this system: the FIFO cases are skipped
  }

  // tandem's own outputs, written into the sandbox by tandem itself.
  await tandem(cliDir, 'split', 'm.onnx', '--auto', '-o', 'split');
  await tandem(cliDir, 'quantize', 'm.onnx', '--calib', 'calib', '--method', 'max', '--trt-version', '8.6.1', '-o', 'int8');
  await tandem(cliDir, 'translate-qdq', join('int8', 'm.qdq.onnx'), '--trt-version', '10.3.0', '-o', 'translated');
  await tandem(cliDir, 'fp16', 'm.onnx', '-o', 'm.fp16.onnx', '--no-check');
  await tandem(cliDir, 'prepare', 'm.onnx', '-o', 'm.prepared.onnx', '--no-verify');
  await tandem(cliDir, 'run', 'm.onnx', '--out', 'outputs');
  await tandem(cliDir, 'plan', join('split', 'split.json'), '--target', 'orin', '--calib', 'calib', '--method', 'max', '--no-verify', '-o', 'plan');
  // The stage-file reader writes its inputs next to copies of the stage files, outside the CLI's folder.
  const splitDir = join(corpusDir, 'split');
  cpSync(join(cliDir, 'split'), splitDir, { recursive: true });
  cpSync(join(cliDir, 'plan'), splitDir, { recursive: true, force: false });
  for (const f of filesUnder(cliDir)) {
    if (statSync(f).size > 4 << 20) continue;
    const bytes = readFileSync(f);
    if (f.endsWith('.onnx')) seeds.onnx.push(bytes);
    else if (f.endsWith('.npy')) seeds.npy.push(bytes);
    else if (f.endsWith('.cache')) seeds.cache.push(bytes);
    else if (f.endsWith('split.json') || f.endsWith('plan.json')) seeds.split.push(bytes);
  }
  for (const f of filesUnder(FIXTURES)) if (f.endsWith('.npz')) seeds.npz.push(readFileSync(f));
  seeds.npz.push(encodeNpz({ a: new Tensor('float32', [2, 2], new Float32Array(4)), b: new Tensor('int64', [3], new BigInt64Array(3)) }));
  for (const d of ['float32', 'int64', 'uint8', 'float16'] as const) seeds.npy.push(npyFor(d, [2, 3]));
  seeds.npy.push(npyFor('float32', []));
  seeds.cache.push(new TextEncoder().encode(writeCalibrationCache([['x', 0.01], ['a:b', 1.5], ['/model/conv/Conv_output_0', 3e-3]], { trtVersion: '8.6.1' })));
  seeds.split.push(new TextEncoder().encode(JSON.stringify({ version: 1, stages: [{ name: 'backbone', file: 'backbone.onnx', inputs: ['x'], outputs: ['t'] }] })));

  // CLI seeds: one valid invocation per command and a few hostile ones, as JSON argv arrays.
  const cli: string[][] = [
    ['inspect', 'm.onnx'],
    ['inspect', 'dyn.onnx', '--nodes', '--dims', 'batch=2', '--json'],
    ['analyze', 'm.onnx', '--target', 'orin-dla', '--nodes'],
    ['analyze', 'ext.onnx', '--json'],
    ['targets'],
    ['prepare', 'm.onnx', '-o', 'out/p.onnx'],
    ['prepare', 'ext.onnx', '-o', 'out/p.onnx', '--no-verify', '--rewrites'],
    ['split', 'm.onnx', '--auto', '-o', 'out'],
    ['split', 'm.onnx', '--at', 'Relu_1_out', '-o', 'out', '--json'],
    ['run', 'm.onnx', '--out', 'out', '--seed', '3'],
    ['run', 'dyn.onnx', '--dims', 'batch=2', '--input', 'x=feed.npy', '--json'],
    ['quantize', 'm.onnx', '--calib', 'calib', '--trt-version', '8.6.1', '--method', 'max', '-o', 'out'],
    ['quantize', 'split/split.json', '--calib', 'calib', '--trt-version', '10.3.0', '--method', 'percentile,max', '-o', 'out'],
    ['translate-qdq', 'int8/m.qdq.onnx', '--trt-version', '8.6.1', '-o', 'out'],
    ['fp16', 'm.onnx', '-o', 'out/h.onnx', '--trials', '1'],
    ['plan', 'split/split.json', '--target', 'orin', '--calib', 'calib', '--method', 'max', '-o', 'out'],
    ['export', 'plan/plan.json', '--trt', '8.6', '-o', 'out'],
    ['report', 'plan/plan.json', '-o', 'out/r.html'],
    ['cost', 'plan/plan.json', '--target', 'orin'],
    ['inspect', 'fifo.onnx'],
    ['run', 'zero.onnx'],
    ['prepare', 'link.onnx', '-o', 'm.onnx'],
    ['run', 'm.onnx', '--input', 'x=feed.npy', '--out', '.'],
  ];
  for (const argv of cli) seeds.cli.push(new TextEncoder().encode(JSON.stringify(argv)));
  return { root, corpusDir, splitDir, cliDir, seeds };
}

/** Paths under `root`, relative, for snapshots. */
export function relativeFiles(root: string): string[] {
  return filesUnder(root).map((f) => relative(root, f));
}
