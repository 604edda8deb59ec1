import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildProgram } from '../../src/cli/main.js';
import { createContext } from '../../src/cli/context.js';
import { readNpy } from '../../src/io/index.js';
import { cli } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/fixtures.js';

const quiet = { stdout: { write: () => true }, stderr: { write: () => true } };
const commandNames = buildProgram(createContext(quiet), quiet).commands.map((c) => c.name());

describe('every command', () => {
  it('are exactly the commands the README documents, each with an example', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^### `tandem ([a-z0-9-]+)/gm)].map((m) => m[1]!);
    assert.deepEqual([...documented].sort(), [...commandNames].sort());
    for (const name of commandNames) assert.match(readme, new RegExp(`^\\s+tandem ${name}\\b`, 'm'), `README example for ${name}`);
  });

  for (const name of commandNames) {
    it(`${name} --help prints usage with an example and exits 0`, async () => {
      const r = await cli(name, '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`Usage: tandem ${name}`));
      assert.match(r.stdout, /Example/);
    });
  }
});

describe('user errors: one line, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown flag', ['inspect', fixture('pytorch', 'tiny_cnn_legacy.onnx'), '--bogus'], /unknown option '--bogus'/],
    ['a missing file', ['inspect', '/nonexistent/model.onnx'], /no such file.*\[FILE_NOT_FOUND\]/],
    ['a bad engine', ['run', fixture('pytorch', 'tiny_cnn_legacy.onnx'), '--engine', 'tpu'], /Allowed choices are cpu, webgpu/],
    ['a bad --dims', ['inspect', fixture('pytorch', 'tiny_cnn_legacy.onnx'), '--dims', 'batch'], /expected name=size pairs/],
    ['a missing argument', ['inspect'], /missing required argument 'model'/],
  ];
  for (const [what, argv, pattern] of cases) {
    it(what, async () => {
      const r = await cli(...argv);
      assert.equal(r.code, 2);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('a file that is not a model', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'x.onnx'), 'hello, this is text');
      const r = await cli('inspect', join(dir, 'x.onnx'));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /is a text file, not an ONNX model.*\[FILE_KIND\]\n$/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    } finally {
      cleanup();
    }
  });
});

describe('tandem run', () => {
  it('runs on cpu, writes outputs as .npy and says the time is measured', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = await cli('run', fixture('pytorch', 'tiny_cnn_legacy.onnx'), '--dims', 'batch=2', '--out', dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /logits: float32\[2x10\]/);
      assert.match(r.stdout, /measured on this machine/);
      assert.deepEqual(readNpy(join(dir, 'logits.npy')).dims, [2, 10]);
    } finally {
      cleanup();
    }
  });

  it('feeds an input from .npy and rejects unknown input names', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const io = fixture('pytorch', 'tiny_cnn_legacy.io.npz');
      const { readNpz, encodeNpy } = await import('../../src/io/index.js');
      writeFileSync(join(dir, 'images.npy'), encodeNpy(readNpz(io).get('images')!));
      const ok = await cli('run', fixture('pytorch', 'tiny_cnn_legacy.onnx'), '--input', `images=${join(dir, 'images.npy')}`, '--json');
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual((JSON.parse(ok.stdout) as { outputs: { shape: number[] }[] }).outputs[0]!.shape, [3, 10]);
      const bad = await cli('run', fixture('pytorch', 'tiny_cnn_legacy.onnx'), '--input', `pixels=${join(dir, 'images.npy')}`);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /no input "pixels".*\[INPUT_MISMATCH\]/);
    } finally {
      cleanup();
    }
  });
});
