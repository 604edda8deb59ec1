import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { encodeNpy } from '../../src/io/npy.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { splitModel } from '../../src/passes/split-model.js';
import { writeSplit } from '../../src/passes/write-split.js';
import { writeQuantizeArtifacts, type StageArtifacts } from '../../src/quant/quantize.js';
import { isTandemError } from '../../src/util/errors.js';
import { writeFolder, writeFileAtomic } from '../../src/util/fs.js';
import { cli } from '../helpers/cli.js';
import { fileTree, tempDir } from '../helpers/fixtures.js';
import { twoHeadModel } from './helpers.js';

const tmp = tempDir('tandem-outputs-');
after(tmp.cleanup);

const tree = fileTree;

function oneLine(stderr: string): void {
  assert.equal(stderr.trimEnd().split('\n').length, 1, `expected one line, got:\n${stderr}`);
}

const model = join(tmp.dir, 'two-head.onnx');
saveModel(twoHeadModel(), model);
/** A regular file where a command wants a folder. */
const file = join(tmp.dir, 'a-file.txt');
writeFileSync(file, 'keep me\n');
const calib = join(tmp.dir, 'calib');
mkdirSync(calib);
for (let i = 0; i < 3; i++) writeFileSync(join(calib, `s${i}.npy`), encodeNpy(new Tensor('float32', [1, 3, 8, 8], new Float32Array(192).fill(i / 3))));

describe('item 5: -o naming an existing file, checked before any work', () => {
  const cases: [string, string[]][] = [
    ['split', ['split', model, '--auto', '-o', file]],
    ['run --out', ['run', model, '--out', file]],
    ['translate-qdq', ['translate-qdq', model, '--trt-version', '8.6.1', '-o', file]],
    // The calibration folder does not exist: the output is checked before the data is even looked at.
    ['quantize', ['quantize', model, '--calib', join(tmp.dir, 'no-such-folder'), '--trt-version', '8.6.1', '-o', file]],
    ['plan', ['plan', join(tmp.dir, 'no-such.onnx'), '--target', 'orin', '-o', file]],
    ['export', ['export', join(tmp.dir, 'no-such-plan.json'), '--trt', '8.6', '-o', file]],
  ];
  for (const [name, argv] of cases) {
    it(`${name}: one line, OUTPUT_PATH, exit 2, the file untouched`, async () => {
      const r = await cli(...argv);
      assert.equal(r.code, 2, r.stderr);
      oneLine(r.stderr);
      assert.match(r.stderr, /is an existing file, not a folder.*\[OUTPUT_PATH\]/);
      assert.equal(readFileSync(file, 'utf8'), 'keep me\n');
    });
  }
  it('quantize: a method subfolder that is a file is refused before calibration', async () => {
    const out = join(tmp.dir, 'q-sub');
    mkdirSync(out);
    writeFileSync(join(out, 'entropy'), 'x');
    const r = await cli('quantize', model, '--calib', join(tmp.dir, 'no-such-folder'), '--method', 'max,entropy', '--trt-version', '8.6.1', '-o', out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\[OUTPUT_PATH\]/);
    assert.deepEqual(tree(out), ['entropy']);
  });
  it('prepare, fp16, report, bench --trace: a file output naming an existing folder is refused before loading', async () => {
    for (const argv of [['prepare', join(tmp.dir, 'missing.onnx'), '-o', tmp.dir], ['fp16', join(tmp.dir, 'missing.onnx'), '-o', tmp.dir], ['report', join(tmp.dir, 'missing.json'), '-o', tmp.dir], ['bench', join(tmp.dir, 'missing.onnx'), '--trace', tmp.dir]]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, r.stderr);
      oneLine(r.stderr);
      assert.match(r.stderr, /is an existing folder.*\[OUTPUT_PATH\]/, argv.join(' '));
    }
  });
});

describe('item 20: no command writes over a file it read', () => {
  const dir = join(tmp.dir, 'ext');
  mkdirSync(dir);
  const ext = join(dir, 'm.onnx');
  saveModel(twoHeadModel(), ext, { externalData: true });
  const data = join(dir, 'm.onnx.data');
  const dataBytes = readFileSync(data);

  for (const cmd of ['prepare', 'fp16']) {
    it(`${cmd} -o <the input's external-data file>: FILE_EXISTS, the data intact`, async () => {
      const r = await cli(cmd, ext, '-o', data);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /would overwrite the input .*m\.onnx\.data.*\[FILE_EXISTS\]/);
      assert.ok(readFileSync(data).equals(dataBytes));
      loadModel(ext); // still loads
    });
  }
  it('split into a folder where a stage file would take the external-data file\'s name', async () => {
    const d = join(tmp.dir, 'ext-split');
    mkdirSync(d);
    const m = join(d, 'm.onnx');
    saveModel(twoHeadModel(), m, { externalData: true, externalLocation: 'split.json' });
    const before = readFileSync(join(d, 'split.json'));
    const r = await cli('split', m, '--auto', '-o', d);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /split\.json.*\[FILE_EXISTS\]/);
    assert.ok(readFileSync(join(d, 'split.json')).equals(before));
    assert.deepEqual(tree(d), ['m.onnx', 'split.json']);
  });
  it('an input given through a symbolic link, -o at its target', async () => {
    const d = join(tmp.dir, 'link');
    mkdirSync(d);
    const real = join(d, 'real.onnx');
    saveModel(twoHeadModel(), real);
    const before = readFileSync(real);
    symlinkSync(real, join(d, 'link.onnx'));
    for (const cmd of ['prepare', 'fp16']) {
      const r = await cli(cmd, join(d, 'link.onnx'), '-o', real);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /\[FILE_EXISTS\]/);
      assert.ok(readFileSync(real).equals(before));
    }
  });
  it('run --out into the folder of an --input .npy of the same name as an output', async () => {
    const d = join(tmp.dir, 'npy-in');
    mkdirSync(d);
    // The model's outputs are named after their nodes' outputs; feed x from a file named like output 1.
    const out1 = loadModel(model).graph.outputs[0]!;
    const feed = join(d, `${out1.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+/, '')}.npy`);
    const bytes = encodeNpy(new Tensor('float32', [1, 3, 8, 8], new Float32Array(192).fill(0.5)));
    writeFileSync(feed, bytes);
    const r = await cli('run', model, '--input', `x=${feed}`, '--out', d);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\[FILE_EXISTS\]/);
    assert.ok(readFileSync(feed).equals(Buffer.from(bytes)));
  });
  it('writes elsewhere still work (run --out, split, prepare)', async () => {
    assert.equal((await cli('run', model, '--out', join(tmp.dir, 'run-out'))).code, 0);
    assert.equal(tree(join(tmp.dir, 'run-out')).length, 2);
    assert.equal((await cli('split', model, '--auto', '-o', join(tmp.dir, 'split-ok'))).code, 0);
    assert.deepEqual(tree(join(tmp.dir, 'split-ok')).filter((f) => f.endsWith('.json')), ['split.json']);
    assert.equal((await cli('prepare', ext, '-o', join(tmp.dir, 'prepared', 'p.onnx'))).code, 0);
  });
});

/** A tensor whose bytes cannot be read: saving a model that holds it fails midway. */
function unreadable(dims: number[]): Tensor {
  const bytes = dims.reduce((a, b) => a * b, 1) * 4;
  return new Tensor('float32', dims, {
    byteLength: bytes,
    description: 'a test source that fails',
    read: () => {
      throw new Error('disk on fire');
    },
  });
}

describe('item 22: a failed write leaves no final-named files', () => {
  it('writeFolder: a failure after two files leaves the folder as it was, no staging left', () => {
    const d = join(tmp.dir, 'wf');
    mkdirSync(d);
    writeFileSync(join(d, 'old.txt'), 'old');
    assert.throws(() =>
      writeFolder(d, (out) => {
        writeFileAtomic(out.at('a.txt'), 'a');
        writeFileAtomic(out.at('sub/b.txt'), 'b');
        throw new Error('boom');
      }),
    );
    assert.deepEqual(tree(d), ['old.txt']);
    const fresh = join(tmp.dir, 'wf-new');
    assert.throws(() => writeFolder(fresh, (out) => {
      writeFileAtomic(out.at('a.txt'), 'a');
      throw new Error('boom');
    }));
    assert.ok(!existsSync(fresh));
    assert.deepEqual(readdirSync(tmp.dir).filter((n) => n.includes('tandem-tmp')), []);
  });
  it('writeSplit: the second stage fails to save → no stage file, no split.json', () => {
    const plan = splitModel(twoHeadModel(), { auto: true });
    assert.ok(plan.stages.length >= 3);
    const broken = plan.stages[1]!.model.graph;
    const [name, t] = [...broken.initializers].find(([, x]) => x.dims.length === 4)!;
    broken.setInitializer(name, Object.assign(unreadable([...t.dims]), { name }));
    const d = join(tmp.dir, 'split-fail');
    assert.throws(() => writeSplit(plan, d));
    assert.deepEqual(tree(d), []);
    mkdirSync(d);
    writeFileSync(join(d, 'other.txt'), 'x');
    assert.throws(() => writeSplit(plan, d));
    assert.deepEqual(tree(d), ['other.txt']);
  });
  it('writeQuantizeArtifacts: the second artifact fails → none of the first one\'s files', () => {
    const ok = twoHeadModel();
    const bad = twoHeadModel();
    const [name, t] = [...bad.graph.initializers][0]!;
    bad.graph.setInitializer(name, Object.assign(unreadable([...t.dims]), { name }));
    const artifact = (stage: string, qdqModel: typeof ok): StageArtifacts =>
      ({ stage, method: 'max', cache: 'TRT-8601-EntropyCalibration2\n', scalesDocument: {}, plan: { placement: 'trt', activations: [], weights: [] }, qdqModel }) as unknown as StageArtifacts;
    const d = join(tmp.dir, 'quant-fail');
    assert.throws((): unknown => writeQuantizeArtifacts([artifact('a', ok), artifact('b', bad)], d, { byMethod: false }), (e: unknown) => isTandemError(e) || e instanceof Error);
    assert.deepEqual(tree(d), []);
    const written = writeQuantizeArtifacts([artifact('a', ok)], d, { byMethod: true });
    assert.deepEqual(tree(d), ['max/a.cache', 'max/a.qdq-plan.json', 'max/a.qdq.onnx', 'max/a.scales.json']);
    assert.equal(written[0]!.files.cache, join(d, 'max', 'a.cache'));
  });
});

describe('tensor names that build file names', () => {
  it('run --out: outputs whose names sanitise alike get distinct files', async () => {
    const b = new GraphBuilder('names', { opset: 17 });
    const x = b.input('x', 'float32', [2]);
    b.output(b.op('Relu', [x], {}, { outputs: ['a/b'] } as never), 'float32', [2]);
    b.output(b.op('Neg', [x], {}, { outputs: ['a:b'] } as never), 'float32', [2]);
    const m = join(tmp.dir, 'names.onnx');
    saveModel(buildModel(b), m);
    const r = await cli('run', m, '--out', join(tmp.dir, 'names-out'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(tree(join(tmp.dir, 'names-out')).length, 2);
  });
});
