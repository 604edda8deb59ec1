import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { syntheticDataset, writeScenes, type FrameDataset } from '../../src/eval/index.js';
import { Tensor } from '../../src/ir/tensor.js';
import { writeFrameOutputs } from '../../src/io/frame-outputs.js';
import { encodeNpy } from '../../src/io/npy.js';
import { readPlan, writePlan } from '../../src/io/stage-file/index.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { exportBundle } from '../../src/plan/index.js';
import { artifactPaths } from '../../src/quant/index.js';
import { modelPlan } from '../../src/runtime/pipeline/model-plan.js';
import { openPipeline, type Pipeline } from '../../src/runtime/pipeline/pipeline.js';
import { runFrames } from '../../src/runtime/pipeline/run-frames.js';
import { isTandemError } from '../../src/util/errors.js';
import { assertFolderFree } from '../../src/util/fs.js';
import { cli } from '../helpers/cli.js';
import { fileTree, tempDir } from '../helpers/fixtures.js';
import { fixturePlan } from '../plan/helpers.js';
import { smallConvNet } from '../quant/helpers.js';

/** Every folder tandem writes is staged and checked against what the command reads (README, Hostile files and outputs). */

const tmp = tempDir('tandem-folder-outputs-');
after(tmp.cleanup);

const tree = fileTree;

/** Staging folders left anywhere under the test folder. */
function leftovers(): string[] {
  return readdirSync(tmp.dir, { recursive: true }).map(String).filter((p) => p.includes('tandem-tmp'));
}

const refused = (pattern: RegExp) => (e: unknown) => isTandemError(e, 'FILE_EXISTS') && pattern.test(e.message);

describe('assertFolderFree', () => {
  const root = join(tmp.dir, 'free');
  const frames = join(root, 'frames');
  mkdirSync(join(frames, 'sub'), { recursive: true });
  const input = { path: frames, what: 'the input frames folder' };
  it('refuses the input itself, a folder inside it, and (through a link) its real path', () => {
    assert.throws(() => assertFolderFree(frames, [input]), refused(/output folder .*frames is the input frames folder .*frames; tandem never writes into what it reads — choose a folder outside it/));
    assert.throws(() => assertFolderFree(join(frames, 'sub', 'new'), [input]), refused(/lies inside the input frames folder .*choose a folder outside/));
    symlinkSync(frames, join(root, 'link'));
    assert.throws(() => assertFolderFree(join(root, 'link'), [input]), refused(/through a symbolic link/));
  });
  it('a folder that holds the input: refused where an entry lands on it, or when the entries are not known', () => {
    assert.throws(() => assertFolderFree(root, [input], { entries: ['a', 'Frames'] }), refused(/holds the input frames folder .*, and this command writes .*frames — choose another output folder/));
    assert.throws(() => assertFolderFree(root, [input]), refused(/holds the input frames folder .*choose a folder that holds none of its inputs/));
    assertFolderFree(root, [input], { entries: ['a', 'b'] });
    assertFolderFree(join(root, 'elsewhere'), [input]);
  });
});

describe('runFrames --out: staged, never into what the run reads', () => {
  const model = join(tmp.dir, 'run', 'net.onnx');
  const frames = join(tmp.dir, 'run', 'frames');
  let pipeline: Pipeline;
  before(async () => {
    mkdirSync(frames, { recursive: true });
    saveModel(smallConvNet(), model);
    for (let i = 0; i < 4; i++) writeFileSync(join(frames, `f${i}.npy`), encodeNpy(new Tensor('float32', [1, 3, 32, 32], new Float32Array(3 * 32 * 32).fill(i / 4))));
    pipeline = await openPipeline(modelPlan(model, { threads: 1 }));
  });
  after(() => pipeline.close());

  it('refuses --out at or inside the frames folder, or over a protected plan folder; nothing written', async () => {
    await assert.rejects(runFrames(pipeline, { input: frames, out: frames }), refused(/is the input frames folder/));
    await assert.rejects(runFrames(pipeline, { input: frames, out: join(frames, 'results') }), refused(/lies inside the input frames folder/));
    // a frame's folder (f0) would land on the stage model's name: the model is protected
    const clash = join(tmp.dir, 'run', 'clash');
    mkdirSync(clash);
    saveModel(smallConvNet(), join(clash, 'f0'));
    const clashPipeline = await openPipeline(modelPlan(join(clash, 'f0'), { threads: 1 }));
    try {
      await assert.rejects(runFrames(clashPipeline, { input: frames, out: clash }), refused(/holds the model of stage "model" .*f0, and this command writes .*f0/));
    } finally {
      await clashPipeline.close();
    }
    const planDir = join(tmp.dir, 'run');
    await assert.rejects(runFrames(pipeline, { input: 'synthetic:2', out: join(planDir, 'out'), protect: [{ path: planDir, what: "the plan's folder" }] }), refused(/lies inside the plan's folder/));
    assert.deepEqual(tree(frames), ['f0.npy', 'f1.npy', 'f2.npy', 'f3.npy']);
    assert.deepEqual(leftovers(), []);
  });

  it('a frame that cannot be read midway (frame 2): no final-named file, in a new or an existing folder', async () => {
    const bad = join(tmp.dir, 'run', 'bad-frames');
    mkdirSync(bad);
    for (let i = 0; i < 4; i++) writeFileSync(join(bad, `f${i}.npy`), i === 2 ? 'not an npy file' : readFileSync(join(frames, `f${i}.npy`)));
    const fresh = join(tmp.dir, 'run', 'fresh');
    let done = 0;
    await assert.rejects(runFrames(pipeline, { input: bad, out: fresh, mode: 'sequential', onProgress: () => void done++ }), (e) => isTandemError(e, 'NPY_PARSE'));
    assert.equal(done, 2, 'frames 0 and 1 ran and were written to the staging folder');
    assert.ok(!existsSync(fresh));
    const existing = join(tmp.dir, 'run', 'existing');
    mkdirSync(existing);
    writeFileSync(join(existing, 'keep.txt'), 'x');
    await assert.rejects(runFrames(pipeline, { input: bad, out: existing }), (e) => isTandemError(e, 'NPY_PARSE'));
    assert.deepEqual(tree(existing), ['keep.txt']);
    assert.deepEqual(leftovers(), []);
  });

  it('a stop after two frames writes the finished frames, each whole, and says so', async () => {
    const out = join(tmp.dir, 'run', 'stopped');
    const controller = new AbortController();
    await assert.rejects(
      runFrames(pipeline, { input: frames, out, mode: 'sequential', signal: controller.signal, onProgress: (e) => e.kind === 'frame' && e.done === 2 && controller.abort() }),
      (e) => isTandemError(e, 'ABORTED') && /the outputs of the 2 finished frames are in .*stopped/.test(e.message),
    );
    const output = pipeline.outputs[0]!.replace(/[^A-Za-z0-9._-]+/g, '_');
    assert.deepEqual(tree(out), [`f0/${output}.npy`, `f1/${output}.npy`]);
    assert.deepEqual(leftovers(), []);
  });

  it('a whole run: every frame folder appears, files listed at their final paths', async () => {
    const out = join(tmp.dir, 'run', 'ok');
    const r = await runFrames(pipeline, { input: frames, out });
    assert.equal(r.files.length, 4);
    for (const f of r.files) assert.ok(f.startsWith(out) && existsSync(f), f);
    assert.deepEqual(leftovers(), []);
  });
});

/** A tensor whose bytes cannot be read: writing it fails. */
function unreadable(): Tensor {
  return new Tensor('float32', [1, 4], {
    byteLength: 16,
    description: 'a test source that fails',
    read: () => {
      throw new Error('disk on fire');
    },
  });
}

describe('writeFrameOutputs', () => {
  it('the second output fails: the first is not left behind', async () => {
    const dir = join(tmp.dir, 'frame-out');
    await assert.rejects(writeFrameOutputs({ a: new Tensor('float32', [1, 4], new Float32Array(4)), b: unreadable() }, dir), /disk on fire/);
    assert.ok(!existsSync(dir));
    const ok = await writeFrameOutputs({ 'x/y': new Tensor('float32', [2], new Float32Array(2)), 'x:y': new Tensor('float32', [2], new Float32Array(2)) }, dir);
    assert.deepEqual(tree(dir), ['x_y-2.npy', 'x_y.npy'], 'names that sanitise alike get distinct files');
    assert.deepEqual(ok, [join(dir, 'x_y.npy'), join(dir, 'x_y-2.npy')]);
    assert.deepEqual(leftovers(), []);
  });
});

describe('exportBundle: staged, never into the plan', () => {
  const root = join(tmp.dir, 'export');
  let planPath = '';
  before(() => {
    // the plan's folder is named like a bundle entry (stages/), so a bundle in `root` would land on it
    planPath = fixturePlan(join(root, 'stages'));
  });

  it('refuses the plan folder, a folder inside it, and a folder whose stages/ is the plan', () => {
    const plan = readPlan(planPath);
    assert.throws(() => exportBundle(plan, { trtVersion: '8.6', out: plan.dir }), refused(/is the plan's folder/));
    assert.throws(() => exportBundle(plan, { trtVersion: '8.6', out: join(plan.dir, 'bundle') }), refused(/lies inside the plan's folder/));
    assert.throws(() => exportBundle(plan, { trtVersion: '8.6', out: root }), refused(/holds the plan's folder .*, and this command writes .*stages — choose another output folder/));
    assert.throws(() => exportBundle(plan, { trtVersion: '8.6', out: join(tmp.dir, 'artifacts', 'b'), artifacts: join(tmp.dir, 'artifacts') }), refused(/lies inside the artifacts folder/));
    assert.deepEqual(leftovers(), []);
  });

  it('the second INT8 stage has no calibration cache: none of the earlier stages\' files is left', () => {
    const plan = readPlan(planPath);
    const heads = plan.stages.filter((s) => s.precision === 'int8');
    assert.equal(heads.length, 2);
    const cache = artifactPaths(plan.dir, heads[1]!.name).cache;
    const saved = readFileSync(cache);
    rmSync(cache);
    const out = join(tmp.dir, 'bundle-fail');
    try {
      assert.throws(() => exportBundle(plan, { trtVersion: '8.6', out }), (e) => isTandemError(e, 'FILE_NOT_FOUND'));
    } finally {
      writeFileSync(cache, saved);
    }
    assert.ok(!existsSync(out));
    assert.deepEqual(leftovers(), []);
    const m = exportBundle(plan, { trtVersion: '8.6', out });
    assert.deepEqual(m.files.map((f) => f.path).sort(), tree(out).filter((f) => f !== 'manifest.json'), 'the manifest lists exactly the bundle\'s files');
  });

  it('CLI: export -o inside the plan folder is one line, FILE_EXISTS, exit 2', async () => {
    const r = await cli('export', planPath, '--trt', '8.6', '-o', join(root, 'stages', 'b'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /lies inside the plan's folder.*\[FILE_EXISTS\]/);
  });
});

describe('writeScenes: staged', () => {
  /** Synthetic scenes whose frame 2 cannot be read. */
  function failing(): FrameDataset {
    const base = syntheticDataset({ seed: 3, count: 4, height: 8, width: 16 });
    return { ...base, read: (i) => (i === 2 ? Promise.reject(new Error('frame 2 unreadable')) : base.read(i)) };
  }
  for (const format of ['png', 'npy'] as const) {
    it(`${format}: a frame that fails midway leaves no final-named file`, async () => {
      const dir = join(tmp.dir, `scenes-${format}`);
      await assert.rejects(writeScenes(failing(), dir, { format }), /frame 2 unreadable/);
      assert.ok(!existsSync(dir));
      mkdirSync(dir);
      await assert.rejects(writeScenes(failing(), dir, { format }), /frame 2 unreadable/);
      assert.deepEqual(tree(dir), []);
      assert.deepEqual(leftovers(), []);
      const r = await writeScenes(syntheticDataset({ seed: 3, count: 2, height: 8, width: 16 }), dir, { format });
      assert.equal(tree(dir).length, format === 'png' ? 6 : 3);
      assert.ok(r.files.every((f) => existsSync(f)));
    });
  }
  it('refuses a folder that would write over a protected dataset folder', async () => {
    const data = join(tmp.dir, 'scenes-in', 'images');
    mkdirSync(data, { recursive: true });
    await assert.rejects(writeScenes(syntheticDataset({ count: 1, height: 8, width: 16 }), join(tmp.dir, 'scenes-in'), { protect: [{ path: data, what: 'the dataset folder' }] }), refused(/holds the dataset folder .*images/));
  });
});

describe('run <plan> and demo refuse before any work', () => {
  it('run <plan> --out <the plan folder>: FILE_EXISTS before the sessions open', async () => {
    const dir = join(tmp.dir, 'cli-run');
    mkdirSync(dir);
    saveModel(smallConvNet(), join(dir, 'net.onnx'));
    const { dir: _, ...plan } = modelPlan(join(dir, 'net.onnx'));
    writePlan(plan, dir);
    const r = await cli('run', join(dir, 'plan.json'), '--out', join(dir, 'results'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /lies inside the plan's folder.*\[FILE_EXISTS\]/);
    assert.deepEqual(tree(dir), ['net.onnx', 'plan.json']);
  });
  it('demo -o <the folder of the trained reference model>: FILE_EXISTS, nothing written', async () => {
    const r = await cli('demo', '-o', join('assets', 'models'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /holds the reference model .*tandem-street\.onnx.*\[FILE_EXISTS\]/);
    assert.deepEqual(readdirSync(join('assets', 'models')).sort(), ['README.md', 'tandem-street.onnx']);
  });
});
