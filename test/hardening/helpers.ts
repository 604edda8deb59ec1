import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { createRng, randomNormal } from '../../src/util/random.js';

/** The repository root (child processes run the CLI from here). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A small two-head net: a conv trunk, then one conv head per output. Weights are over 1 KiB each, so
 * saveModel puts them in external data when asked. Input [batch, 3, 8, 8].
 */
export function twoHeadModel(options: { batch?: number | string; seed?: number } = {}): Model {
  const rng = createRng(options.seed ?? 5);
  const w = (dims: number[]): Tensor<'float32'> => new Tensor('float32', dims, randomNormal(rng, dims.reduce((a, b) => a * b, 1), 0.2));
  const b = new GraphBuilder('two-head', { opset: 17 });
  const x = b.input('x', 'float32', [options.batch ?? 1, 3, 8, 8]);
  const trunk = b.relu(b.conv(x, w([16, 3, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'trunk' }));
  const y1 = b.conv(trunk, w([4, 16, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'head1' });
  const y2 = b.conv(trunk, w([2, 16, 3, 3]), undefined, { pads: [1, 1, 1, 1], name: 'head2' });
  b.output(y1, 'float32', [options.batch ?? 1, 4, 8, 8]);
  b.output(y2, 'float32', [options.batch ?? 1, 2, 8, 8]);
  return buildModel(b);
}

/** A model whose one input has the declared shape `shape` (a Relu). */
export function shapedModel(shape: readonly (number | string)[], dtype: 'float32' | 'int64' = 'float32'): Model {
  const b = new GraphBuilder('shaped', { opset: 17 });
  const x = b.input('x', dtype, shape);
  b.output(b.op('Identity', [x]), dtype, shape);
  return buildModel(b);
}

/** Runs the CLI (TypeScript sources) in a child process. */
export function cliProcess(args: readonly string[], options: { timeoutMs?: number; cwd?: string } = {}): { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut };
}
