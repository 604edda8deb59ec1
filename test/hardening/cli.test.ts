import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { saveModel } from '../../src/onnx/index.js';
import { printable, quote } from '../../src/util/text.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { cliProcess, ROOT, twoHeadModel } from './helpers.js';

const tmp = tempDir('tandem-cli-hardening-');
after(tmp.cleanup);

/** A chain of `n` Relu nodes: `inspect --nodes --json` prints far more than a pipe buffer holds. */
function longChain(n: number): string {
  const b = new GraphBuilder('chain', { opset: 17 });
  let t = b.input('x', 'float32', [1, 8]);
  for (let i = 0; i < n; i++) t = b.relu(t);
  b.output(t, 'float32', [1, 8]);
  const file = join(tmp.dir, 'chain.onnx');
  saveModel(buildModel(b), file);
  return file;
}

describe('item 6: a closed stdout ends the command quietly', () => {
  it('inspect --nodes --json | head -c 1: exit 0, nothing on stderr', async () => {
    const model = longChain(3000);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), 'inspect', model, '--nodes', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Read one chunk and close the pipe, as `head -1` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});

describe('item 17: fp16 above --tolerance exits non-zero', () => {
  it('exit 2 with VERIFY_FAILED, nothing written; within the tolerance, exit 0 and the file', async () => {
    const m = join(tmp.dir, 'm.onnx');
    saveModel(twoHeadModel(), m);
    const out = join(tmp.dir, 'm.fp16.onnx');
    const bad = await cli('fp16', m, '-o', out, '--tolerance', '1e-12');
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /FP16 outputs differ from FP32 beyond --tolerance 1e-12: .*nothing written.*\[VERIFY_FAILED\]\n$/);
    assert.match(bad.stdout, /above --tolerance/);
    assert.ok(!existsSync(out));
    const json = await cli('fp16', m, '-o', out, '--tolerance', '1e-12', '--json');
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.stdout) as { file: unknown }).file, null);
    const good = await cli('fp16', m, '-o', out);
    assert.equal(good.code, 0, good.stderr);
    assert.ok(existsSync(out));
  });
});

describe('keep it so: names from files are escaped, errors are one line', () => {
  it('quote/printable escape control characters, bidi overrides and quotes', () => {
    assert.equal(quote('a\x1b[31mred\n"x"\\'), JSON.stringify('a\x1b[31mred\n"x"\\'));
    assert.equal(printable('ok\u202etxt.exe\u0000'), 'ok\\u202etxt.exe\\u0000');
    assert.equal(printable('x'.repeat(300)).length < 240, true);
  });
  it('a tensor name with terminal escapes reaches the error escaped, on one line', async () => {
    const b = new GraphBuilder('esc', { opset: 17 });
    const evil = 'in\x1b[2J\x1b[31m\nput';
    const x = b.input(evil, 'float32', ['batch', 3]);
    b.output(b.relu(x), 'float32', ['batch', 3]);
    const m = join(tmp.dir, 'evil.onnx');
    saveModel(buildModel(b), m);
    const feed = join(tmp.dir, 'feed.npy');
    const { encodeNpy } = await import('../../src/io/npy.js');
    writeFileSync(feed, encodeNpy(new Tensor('float32', [2], new Float32Array(2))));
    const r = await cli('run', m, '--input', `nope=${feed}`);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /\x1b/);
    assert.match(r.stderr, /in\\u001b\[2J\\u001b\[31m\\nput/);
  });
  it('flag errors are one line with exit 2, for every command', async () => {
    const m = join(tmp.dir, 'm.onnx');
    for (const argv of [
      ['run', m, '--seed', 'x'],
      ['run', m, '--bogus'],
      ['frobnicate'],
      ['run'],
      ['prepare', m],
      ['quantize', m, '--calib', tmp.dir, '--method'],
      ['fp16', m, '-o', join(tmp.dir, 'x.onnx'), '--tolerance', 'abc'],
      ['inspect', m, '--dims', 'batch=-1'],
      ['analyze', m, '--target', 'nope'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').length, 2, `${argv.join(' ')} printed:\n${r.stderr}`);
      assert.match(r.stderr, /^tandem: /);
    }
  });
  it("onnxruntime's own log lines never reach the terminal", () => {
    const b = new GraphBuilder('m', { opset: 17 });
    const x = b.input('x', 'float32', [2]);
    b.initializer('unused', new Tensor('float32', [2], new Float32Array(2))); // onnxruntime warns "Removing initializer"
    b.output(b.relu(x), 'float32', [2]);
    const m = join(tmp.dir, 'unused.onnx');
    saveModel(buildModel(b), m);
    const r = cliProcess(['run', m]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /onnxruntime|\x1b/);
  });
});
