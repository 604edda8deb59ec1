import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../../src/ir/tensor.js';
import { decodeNpz, encodeNpy, encodeNpz, readNpy } from '../../src/io/npy.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { readCalibrationCache, trtVersionNumber, writeCalibrationCache } from '../../src/quant/calibration-cache.js';
import { isTandemError } from '../../src/util/errors.js';
import { MAX_TENSOR_ELEMENTS } from '../../src/util/limits.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { ROOT, shapedModel, twoHeadModel } from './helpers.js';

const tmp = tempDir('tandem-readers-');
after(tmp.cleanup);

function throwsCode(f: () => unknown, code: string, message?: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isTandemError(e), `expected a TandemError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** Runs fifo-probe.ts on a path in a child process: every reader must answer (not hang) with IO. */
function probe(path: string): { name: string; outcome: string }[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fifo-probe.ts', import.meta.url)), path], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.ok((r.error as NodeJS.ErrnoException | undefined)?.code !== 'ETIMEDOUT', `a reader hung on ${path}; it answered: ${r.stdout}`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; outcome: string });
}

describe('item 21: files that are not regular files are refused by every reader', () => {
  const fifo = join(tmp.dir, 'pipe.onnx');
  execFileSync('mkfifo', [fifo]);
  const zero = join(tmp.dir, 'zero.npy');
  symlinkSync('/dev/zero', zero);
  for (const [what, path, kind] of [['a FIFO', fifo, /named pipe \(FIFO\)/], ['/dev/zero through a symbolic link', zero, /character device/], ['a directory', tmp.dir, /a directory/]] as const) {
    it(`${what}: IO error from loadModel, readNpy, readNpz, split.json, images — no hang`, () => {
      const results = probe(path);
      assert.equal(results.length, 5);
      for (const r of results) assert.match(r.outcome, new RegExp(`^IO: .*${kind.source}`), `${r.name}: ${r.outcome}`);
    });
  }
  it('external data that is a FIFO: refused, no hang', () => {
    const d = join(tmp.dir, 'ext-fifo');
    mkdirSync(d);
    saveModel(twoHeadModel(), join(d, 'm.onnx'), { externalData: true });
    rmSync(join(d, 'm.onnx.data'));
    execFileSync('mkfifo', [join(d, 'm.onnx.data')]);
    const results = probe(join(d, 'm.onnx'));
    assert.match(results.find((r) => r.name === 'loadModel')!.outcome, /^EXTERNAL_DATA: .*named pipe/);
  });
  it('the CLI says so in one line', async () => {
    const r = await cli('inspect', tmp.dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tandem: .* is a directory, not a regular file; give the path of a ONNX model.*\[IO\]\n$/);
  });
});

/** A zip with one stored/deflated entry whose directory declares `declared` bytes. */
function zipOf(name: string, data: Uint8Array, declared: number, method: 0 | 8): Uint8Array {
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(method, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const cdOffset = 30 + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + nameBytes.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

/** A .npy header (format 1.0) for a float32 array of `shape`. */
function npyHeader(shape: number[]): Buffer {
  let h = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + h.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out);
  out.writeUInt16LE(h.length, 8);
  out.write(h, 10, 'latin1');
  return out;
}

describe('item 11: .npz sizes are checked before inflating', () => {
  it('a zip bomb (an array declared at 20000x20000 float32, 1.6 GB) is refused from its header, without inflating it', () => {
    // 4 MB of zeros after the header stand in for the 1.6 GB the entry declares: refused before any of it is needed.
    const head = npyHeader([20000, 20000]);
    const body = deflateRawSync(Buffer.concat([head, Buffer.alloc(4 << 20)]));
    const bomb = zipOf('x.npy', body, head.length + 20000 * 20000 * 4, 8);
    assert.ok(bomb.length < 64 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    throwsCode(() => decodeNpz(bomb, 'bomb.npz'), 'NPY_PARSE', /\[20000, 20000\].*over tandem's limit/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'refused without allocating the declared size');
  });
  it('an entry that inflates past its declared size is refused there (a lying directory)', () => {
    const head = npyHeader([4]);
    const body = deflateRawSync(Buffer.concat([head, Buffer.alloc(16 << 20)]));
    throwsCode(() => decodeNpz(zipOf('x.npy', body, head.length + 16, 8), 'lie.npz'), 'NPY_PARSE', /inflates to more than its declared/);
  });
  it('an entry declaring 4 GiB with 10 bytes of data is refused without allocating it', () => {
    const big = zipOf('x.npy', new Uint8Array(10), 0xffffffff, 8);
    const before = process.memoryUsage().arrayBuffers;
    throwsCode(() => decodeNpz(big, 'big.npz'), 'NPY_PARSE');
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20);
  });
  it('np.savez and np.savez_compressed archives still read', () => {
    const t = new Tensor('float32', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
    const back = decodeNpz(encodeNpz({ a: t }));
    assert.deepEqual([...(back.get('a')!.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
    const compressed = zipOf('b.npy', deflateRawSync(encodeNpy(t)), encodeNpy(t).length, 8);
    assert.deepEqual(decodeNpz(compressed).get('b')!.dims, [2, 3]);
  });
});

describe('item 16: refusals where a file or flag means nothing', () => {
  it('a 0-byte file is not a model', async () => {
    const empty = join(tmp.dir, 'empty.onnx');
    writeFileSync(empty, '');
    throwsCode(() => loadModel(empty), 'ONNX_PARSE', /is empty \(0 bytes\)/);
    const r = await cli('inspect', empty);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\[ONNX_PARSE\]/);
  });
  it('bytes that decode as a ModelProto without a graph are not a model', () => {
    const f = join(tmp.dir, 'nograph.onnx');
    writeFileSync(f, Buffer.from([0x08, 0x07])); // ir_version = 7, nothing else
    throwsCode(() => loadModel(f), 'ONNX_PARSE', /holds no graph/);
  });
  it('translate-qdq on a model with no Q/DQ nodes is refused, nothing written', async () => {
    const m = join(tmp.dir, 'float.onnx');
    saveModel(twoHeadModel(), m);
    const out = join(tmp.dir, 'tq');
    const r = await cli('translate-qdq', m, '--trt-version', '8.6.1', '-o', out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /has no QuantizeLinear\/DequantizeLinear nodes.*\[QDQ_MODEL\]/);
    assert.equal(r.stdout, '');
  });
  it('--trt-version is validated (a huge number, 9.x, junk) before any work', async () => {
    for (const v of ['99999999999999999999999', '12345', '9.0.0', '8.6.1.2.3', '100.0.0', 'x']) throwsCode(() => trtVersionNumber(v), 'USAGE');
    assert.equal(trtVersionNumber('8.6.1'), 8601);
    assert.equal(trtVersionNumber('10.3.0'), 100300);
    assert.equal(trtVersionNumber('8601'), 8601);
    assert.equal(trtVersionNumber('100300'), 100300);
    const m = join(tmp.dir, 'float.onnx');
    const r = await cli('quantize', m, '--calib', join(tmp.dir, 'nothing'), '--trt-version', '99999999999999999999999', '-o', join(tmp.dir, 'q'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a calibration-cache header number.*\[USAGE\]/);
  });
  it('readCalibrationCache refuses NaN, ±Inf, 0 and negative scales, as the writer does', () => {
    for (const hex of ['7fc00000', 'ff800000', '7f800000', '00000000', '80000000', 'bf800000']) {
      throwsCode(() => readCalibrationCache(`TRT-8601-EntropyCalibration2\nt: ${hex}\n`), 'CALIB_CACHE', /line 2: tensor "t" has scale/);
    }
    const good = writeCalibrationCache([['t', 0.5]], { trtVersion: '8.6.1' });
    assert.equal(readCalibrationCache(good).scales.get('t'), 0.5);
  });
  it('--dims naming a dim the model lacks, or on a static model, is warned about', async () => {
    const dyn = join(tmp.dir, 'dyn.onnx');
    saveModel(shapedModel(['batch', 3]), dyn);
    const stat = join(tmp.dir, 'static.onnx');
    saveModel(shapedModel([1, 3]), stat);
    const typo = await cli('inspect', dyn, '--dims', 'bacth=2');
    assert.equal(typo.code, 0);
    assert.match(typo.stderr, /warning: --dims "bacth": no input of the model has this dim \(ignored\); its symbolic dims: "batch"/);
    const onStatic = await cli('run', stat, '--dims', 'batch=2');
    assert.equal(onStatic.code, 0, onStatic.stderr);
    assert.match(onStatic.stderr, /warning: --dims "batch" has no effect: the model's inputs have no symbolic dims/);
    const fine = await cli('inspect', dyn, '--dims', 'batch=2');
    assert.doesNotMatch(fine.stderr, /warning/);
    for (const cmd of ['analyze', 'prepare']) {
      const r = await cli(cmd, dyn, '--dims', 'bacth=2', ...(cmd === 'prepare' ? ['-o', join(tmp.dir, 'p.onnx'), '--no-verify'] : []));
      assert.match(r.stderr, /warning: --dims "bacth"/, `${cmd}: ${r.stderr}`);
    }
  });
});

describe('the .npy reader', () => {
  it('refuses a header over the element limit before reading the data, and a file of the wrong size', () => {
    const f = join(tmp.dir, 'huge.npy');
    writeFileSync(f, Buffer.concat([npyHeader([MAX_TENSOR_ELEMENTS + 1]), Buffer.alloc(16)]));
    throwsCode(() => readNpy(f), 'NPY_PARSE', /over tandem's limit/);
    writeFileSync(f, Buffer.concat([npyHeader([4]), Buffer.alloc(15)]));
    throwsCode(() => readNpy(f), 'NPY_PARSE', /needs 16 data bytes, the file has 15/);
    writeFileSync(f, Buffer.concat([npyHeader([4]), Buffer.alloc(16)]));
    assert.deepEqual(readNpy(f).dims, [4]);
  });
});
