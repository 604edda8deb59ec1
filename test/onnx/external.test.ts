import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, statfsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel, Tensor, type TensorSource } from '../../src/ir/index.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/index.js';
import { readNpz } from '../../src/io/index.js';
import { getEngine, compareTensors } from '../../src/runtime/index.js';
import { isTandemError, type ErrorCode } from '../../src/util/errors.js';
import { fixture, tempDir } from '../helpers/fixtures.js';
import { message } from '../helpers/proto.js';

function throwsCode(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isTandemError(e), `expected TandemError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

/** A model with one float32 [4] initializer "w" stored externally with the given entries. */
function externalModel(entries: [string, string][], dims = [4]): Uint8Array {
  return message([
    { n: 1, varint: 9 },
    {
      n: 7,
      bytes: [
        { n: 1, bytes: [{ n: 1, bytes: 'w' }, { n: 2, bytes: 'y' }, { n: 4, bytes: 'Identity' }] },
        { n: 2, bytes: 'g' },
        {
          n: 5,
          bytes: [
            ...dims.map((d) => ({ n: 1, varint: d })),
            { n: 2, varint: 1 },
            { n: 8, bytes: 'w' },
            ...entries.map(([k, v]) => ({ n: 13, bytes: [{ n: 1, bytes: k }, { n: 2, bytes: v }] })),
            { n: 14, varint: 1 },
          ],
        },
        { n: 12, bytes: [{ n: 1, bytes: 'y' }] },
      ],
    },
    { n: 8, bytes: [{ n: 2, varint: 17 }] },
  ]);
}

describe('external data written by the onnx package', () => {
  it('loads eagerly and lazily with the right values, and onnxruntime runs it', async () => {
    const path = fixture('onnx', 'external', 'model.onnx');
    const expected = readNpz(fixture('onnx', 'external', 'expected.npz'));
    for (const weights of ['eager', 'lazy'] as const) {
      const m = loadModel(path, { weights });
      const w1 = m.graph.initializers.get('w1')!;
      assert.equal(w1.storage, 'external');
      assert.equal(w1.external?.location, 'weights.bin');
      assert.equal(w1.isLoaded, weights === 'eager');
      assert.equal(compareTensors('w1', expected.get('w1')!, w1).maxAbs, 0);
      assert.equal(compareTensors('w2', expected.get('w2')!, m.graph.initializers.get('w2')!).maxAbs, 0);
      // inline copy of the same model still runs
      await using s = await getEngine('cpu').open(encodeModel(m));
      const out = await s.run({ x: new Tensor('float32', [2, 64], new Float32Array(128).fill(1)) });
      assert.deepEqual(out.y!.dims, [2, 32]);
    }
  });

  it('re-saves with external data by default, aligned, and the copy loads and runs', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const m = loadModel(fixture('onnx', 'external', 'model.onnx'), { weights: 'lazy' });
      const r = saveModel(m, join(dir, 'copy.onnx'), { externalThreshold: 64 });
      assert.equal(r.externalTensors, 2, 'w1 and w2 go external; "small" (8 bytes) stays inline');
      assert.equal(r.externalPath, join(dir, 'copy.onnx.data'));
      const back = loadModel(join(dir, 'copy.onnx'));
      for (const t of back.graph.initializers.values()) {
        if (t.storage === 'external') assert.equal(t.external!.offset % 64, 0, 'offsets are aligned');
      }
      assert.equal(compareTensors('w1', m.graph.initializers.get('w1')!, back.graph.initializers.get('w1')!).maxAbs, 0);
      await using s = await getEngine('cpu').open(join(dir, 'copy.onnx'));
      const out = await s.run({ x: new Tensor('float32', [2, 64], new Float32Array(128).fill(1)) });
      assert.deepEqual(out.y!.dims, [2, 32]);
    } finally {
      cleanup();
    }
  });

  it('saving over the file a lazy model reads from keeps the data intact', () => {
    const { dir, cleanup } = tempDir();
    try {
      copyFileSync(fixture('onnx', 'external', 'model.onnx'), join(dir, 'model.onnx'));
      copyFileSync(fixture('onnx', 'external', 'weights.bin'), join(dir, 'weights.bin'));
      const m = loadModel(join(dir, 'model.onnx'), { weights: 'lazy' });
      saveModel(m, join(dir, 'model.onnx'), { externalLocation: 'weights.bin', externalThreshold: 64 });
      const expected = readNpz(fixture('onnx', 'external', 'expected.npz'));
      const back = loadModel(join(dir, 'model.onnx'));
      assert.equal(compareTensors('w1', expected.get('w1')!, back.graph.initializers.get('w1')!).maxAbs, 0);
      assert.equal(compareTensors('w1', expected.get('w1')!, m.graph.initializers.get('w1')!).maxAbs, 0);
    } finally {
      cleanup();
    }
  });
});

describe('external data refusals', () => {
  const data = new Uint8Array(16);
  const setup = (entries: [string, string][], dims?: number[]): { path: string; dir: string; cleanup: () => void } => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'w.bin'), data);
    writeFileSync(join(dir, 'secret.bin'), data);
    const path = join(dir, 'model', 'm.onnx');
    writeFileSync(path, externalModel(entries, dims));
    return { path, dir, cleanup };
  };

  it('accepts a plain relative location', () => {
    const s = setup([['location', 'w.bin'], ['offset', '0'], ['length', '16']]);
    try {
      assert.equal(loadModel(s.path).graph.initializers.get('w')!.size, 4);
    } finally {
      s.cleanup();
    }
  });

  const cases: [string, [string, string][], ErrorCode, RegExp][] = [
    ['an absolute path', [['location', '/etc/passwd']], 'EXTERNAL_DATA_PATH', /absolute/],
    ['a ".." segment', [['location', '../secret.bin']], 'EXTERNAL_DATA_PATH', /\.\./],
    ['a hidden ".." segment', [['location', 'sub/../../secret.bin']], 'EXTERNAL_DATA_PATH', /\.\./],
    ['a Windows drive path', [['location', 'C:\\data\\w.bin']], 'EXTERNAL_DATA_PATH', /absolute/],
    ['a missing file', [['location', 'nope.bin']], 'EXTERNAL_DATA', /not found/],
    ['an offset past the end', [['location', 'w.bin'], ['offset', '8'], ['length', '16']], 'EXTERNAL_DATA', /file has 16 bytes/],
    ['a length that does not match the shape', [['location', 'w.bin'], ['length', '12']], 'EXTERNAL_DATA', /does not match/],
    ['a non-numeric offset', [['location', 'w.bin'], ['offset', '-4']], 'EXTERNAL_DATA', /not a non-negative integer/],
    ['no location', [['offset', '0']], 'ONNX_PARSE', /location/],
  ];
  for (const [what, entries, code, pattern] of cases) {
    it(`refuses ${what} (${code})`, () => {
      const s = setup(entries);
      try {
        throwsCode(() => loadModel(s.path), code, pattern);
      } finally {
        s.cleanup();
      }
    });
  }

  it('refuses a symbolic link that leads out of the model folder', () => {
    const s = setup([['location', 'link.bin']]);
    try {
      symlinkSync(join(s.dir, 'secret.bin'), join(s.dir, 'model', 'link.bin'));
      throwsCode(() => loadModel(s.path), 'EXTERNAL_DATA_PATH', /outside the model's folder/);
      // lazily: the model opens, the read is refused
      const lazy = loadModel(s.path, { weights: 'lazy' });
      throwsCode(() => lazy.graph.initializers.get('w')!.data, 'EXTERNAL_DATA_PATH');
    } finally {
      s.cleanup();
    }
  });

  it('allows a symbolic link that stays inside the model folder', () => {
    const s = setup([['location', 'link.bin']]);
    try {
      symlinkSync('w.bin', join(s.dir, 'model', 'link.bin'));
      assert.equal(loadModel(s.path).graph.initializers.get('w')!.size, 4);
    } finally {
      s.cleanup();
    }
  });

  it('never allocates by a declared size: a huge shape with a tiny file fails fast', () => {
    const s = setup([['location', 'w.bin']], [1 << 20, 1 << 20]);
    try {
      const t0 = Date.now();
      throwsCode(() => loadModel(s.path), 'EXTERNAL_DATA', /needs bytes 0\.\.4398046511104/);
      assert.ok(Date.now() - t0 < 1000);
    } finally {
      s.cleanup();
    }
  });

  it('a model decoded from memory says how to reach its external data', () => {
    const m = decodeModel(externalModel([['location', 'w.bin']]));
    throwsCode(() => m.graph.initializers.get('w')!.data, 'EXTERNAL_DATA', /decoded from memory/);
  });
});

describe('models above 2 GiB', () => {
  const GiB = 1024 ** 3;
  const free = (() => {
    try {
      const s = statfsSync(tempDir().dir);
      return s.bavail * s.bsize;
    } catch {
      return 0;
    }
  })();
  const skip = free < 8 * GiB ? `needs 8 GiB of free disk for a 2.25 GiB model, ${(free / GiB).toFixed(1)} GiB free` : false;

  it('are refused inline and saved with external data, then load lazily', { skip, timeout: 300_000 }, () => {
    const chunk = 256 * 1024 ** 2;
    const pattern = (k: number): TensorSource => ({
      byteLength: chunk,
      description: `generated tensor ${k}`,
      read: () => {
        const out = new Uint8Array(chunk);
        new Uint32Array(out.buffer).fill(0x3f800000 + k); // float32 values just above 1.0, distinct per tensor
        return out;
      },
    });
    const b = new GraphBuilder('big');
    const x = b.input('x', 'float32', [1]);
    for (let k = 0; k < 9; k++) b.initializer(`w${k}`, new Tensor('float32', [chunk / 4], pattern(k)));
    b.output(b.relu(x), 'float32', [1]);
    const model = buildModel(b);
    throwsCode(() => encodeModel(model), 'ONNX_ENCODE', /2 GiB/);
    const { dir, cleanup } = tempDir();
    try {
      const r = saveModel(model, join(dir, 'big.onnx'));
      assert.equal(r.externalTensors, 9, 'auto mode switches to external data past 2 GiB');
      assert.ok(statSync(join(dir, 'big.onnx')).size < 4096);
      assert.ok(statSync(r.externalPath!).size >= 9 * chunk);
      const back = loadModel(join(dir, 'big.onnx'), { weights: 'lazy' });
      const w7 = back.graph.initializers.get('w7')!;
      assert.equal(w7.isLoaded, false);
      const data = w7.data as Float32Array;
      assert.equal(new Uint32Array(data.buffer, data.byteOffset, 4)[3], 0x3f800000 + 7);
      assert.equal(new Uint32Array(data.buffer, data.byteOffset, data.length).at(-1), 0x3f800000 + 7);
      assert.ok(readFileSync(join(dir, 'big.onnx')).length < 4096);
    } finally {
      cleanup();
    }
  });
});
