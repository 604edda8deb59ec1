import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  checkStageDocument,
  newPlanDocument,
  newSplitDocument,
  readPlan,
  readSplit,
  readStageFile,
  runOrder,
  stageOrder,
  writePlan,
  writeSplitDocument,
  type PlanDocument,
  type SplitDocument,
  type StageFileProblem,
} from '../../src/io/stage-file/index.js';
import type { DataType } from '../../src/ir/dtype.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { isTandemError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/fixtures.js';
import { runCli } from '../../src/cli/main.js';

const tmp = tempDir('tandem-stage-file-');
after(tmp.cleanup);

/** A Relu model reading `input` and writing `output`, declared with the given dtypes and shape. */
function reluModel(input: string, output: string, inType: DataType = 'float32', outType: DataType = inType, shape = [1, 4]) {
  const b = new GraphBuilder('relu', { opset: 17 });
  const x = b.input(input, inType, shape);
  b.op('Relu', [x], {}, { outputs: [output] });
  b.output(output, outType, shape);
  return buildModel(b);
}

/** A folder with backbone (image → feat) and two heads (feat → seg, feat → depth), and its split.json document. */
function fixture(name: string, types: { head?: DataType } = {}): { dir: string; doc: SplitDocument } {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  saveModel(reluModel('image', 'feat'), join(dir, 'backbone.onnx'));
  saveModel(reluModel('feat', 'seg', types.head ?? 'float32'), join(dir, 'head-seg.onnx'));
  saveModel(reluModel('feat', 'depth'), join(dir, 'head-depth.onnx'));
  const t = (n: string, from: string | null, to: string[], modelOutput = false) => ({ name: n, dtype: 'float32' as const, shape: [1, 4], from, to, modelOutput });
  const doc = newSplitDocument({
    cut: ['feat'],
    stages: [
      { name: 'backbone', file: 'backbone.onnx', kind: 'backbone', inputs: ['image'], outputs: ['feat'] },
      { name: 'head-seg', file: 'head-seg.onnx', kind: 'head', inputs: ['feat'], outputs: ['seg'] },
      { name: 'head-depth', file: 'head-depth.onnx', kind: 'head', inputs: ['feat'], outputs: ['depth'] },
    ],
    tensors: [t('image', null, ['backbone']), t('feat', 'backbone', ['head-seg', 'head-depth']), t('seg', 'head-seg', [], true), t('depth', 'head-depth', [], true)],
  });
  return { dir, doc };
}

function write(dir: string, doc: unknown, name = 'split.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

/** The problems of a STAGE_FILE error (asserting that it is one). */
function problemsOf(fn: () => unknown): StageFileProblem[] {
  try {
    fn();
  } catch (e) {
    assert.ok(isTandemError(e, 'STAGE_FILE'), `expected STAGE_FILE, got ${String(e)}`);
    return e.details.problems as StageFileProblem[];
  }
  assert.fail('expected a STAGE_FILE error');
}

function has(problems: readonly StageFileProblem[], path: string, message: RegExp): void {
  assert.ok(
    problems.some((p) => p.path === path && message.test(p.message)),
    `no problem at ${path} matching ${message}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
  );
}

const plain = (d: object): Record<string, unknown> => JSON.parse(JSON.stringify(d)) as Record<string, unknown>;

describe('stage files: read and write', () => {
  it('writes split.json at the current version and reads it back equal, with its folder', () => {
    const { dir, doc } = fixture('round-trip');
    const path = writeSplitDocument(doc, dir);
    const back = readSplit(path);
    assert.equal(back.dir, dir);
    const { dir: _dir, ...rest } = back;
    assert.deepEqual(rest, doc);
    assert.throws(() => readPlan(path), (e) => isTandemError(e, 'STAGE_FILE') && /is a split.json, not a plan; make a plan from it with tandem plan/.test(e.message));
  });
  it('loads split.json version 1, also without kinds and tensors (derived from the stages)', () => {
    const { dir, doc } = fixture('v1');
    const v1 = plain(doc);
    v1.version = 1;
    delete v1.kind;
    assert.deepEqual(readSplit(write(dir, v1)).stages, doc.stages);
    const bare = { version: 1, stages: doc.stages.map(({ kind: _k, ...s }) => s).reverse() };
    const r = readSplit(write(dir, bare, 'bare.json'));
    assert.deepEqual(r.stages.map((s) => s.kind), ['head', 'head', 'backbone']);
    assert.deepEqual(r.tensors.find((t) => t.name === 'feat'), { name: 'feat', dtype: null, shape: null, from: 'backbone', to: ['head-depth', 'head-seg'], modelOutput: false });
    assert.deepEqual(runOrder(r.stages).map((s) => s.name), ['backbone', 'head-depth', 'head-seg']);
  });
  it('writes plan.json, reads it with readPlan; readSplit refuses it', () => {
    const { dir, doc } = fixture('plan');
    const plan = newPlanDocument({
      target: 'host',
      cut: doc.cut,
      tensors: doc.tensors,
      stages: doc.stages.map((s) => ({ ...s, engine: 'cpu' as const, precision: 'fp32' as const, choice: { how: 'pinned' as const, reason: 'test' } })),
    });
    const path = writePlan(plan, dir);
    assert.equal(readPlan(path).stages[1]!.engine, 'cpu');
    assert.throws(() => readSplit(path), (e) => isTandemError(e, 'STAGE_FILE') && /is a plan.json/.test(e.message));
  });
  it('writers refuse to write over an input and refuse a document they would not read', () => {
    const { dir, doc } = fixture('writers');
    assert.throws(() => writeSplitDocument(doc, dir, { protect: [join(dir, 'split.json')] }), (e) => isTandemError(e, 'FILE_EXISTS'));
    const bad = { ...doc, stages: [...doc.stages, { ...doc.stages[1]!, name: 'head-seg' }] };
    assert.throws(() => writeSplitDocument(bad, dir), (e) => isTandemError(e, 'STAGE_FILE') && /not written/.test(e.message));
    assert.equal(existsSync(join(dir, 'split.json')), false);
  });
  it('a missing file, a directory and non-JSON are clear errors', () => {
    const { dir } = fixture('not-json');
    assert.throws(() => readStageFile(join(dir, 'nope.json')), (e) => isTandemError(e, 'FILE_NOT_FOUND'));
    assert.throws(() => readStageFile(dir), (e) => isTandemError(e, 'IO') && /not a regular file/.test(e.message));
    assert.throws(() => readStageFile(write(dir, '{"version": 2,')), (e) => isTandemError(e, 'STAGE_FILE') && /is not JSON/.test(e.message));
  });
});

describe('stage files: every problem at once', () => {
  it('wrong types: "stages": [null] and friends, all listed', () => {
    const { dir } = fixture('types');
    const p = problemsOf(() => readStageFile(write(dir, { version: 2, kind: 'split', cut: 'feat', stages: [null, { name: 3 }], tensors: {} })));
    has(p, 'cut', /expected array/);
    has(p, 'stages[0]', /expected object, received null/);
    has(p, 'stages[1].name', /expected string/);
    has(p, 'stages[1].inputs', /expected array/);
    has(p, 'tensors', /expected array/);
  });
  it('version, kind: too new, missing, unknown', () => {
    const { dir } = fixture('version');
    has(problemsOf(() => readStageFile(write(dir, { version: 3, kind: 'split' }))), 'version', /newer than this tandem reads \(up to 2\); update tandem/);
    has(problemsOf(() => readStageFile(write(dir, { version: 2 }))), 'kind', /is missing/);
    has(problemsOf(() => readStageFile(write(dir, [1, 2]))), '', /expected object/);
  });
  it('unsafe stage names and files that leave the folder (item 18)', () => {
    const { dir, doc } = fixture('names');
    const d = plain(doc) as { stages: Record<string, unknown>[] };
    d.stages[0]!.name = '../../x';
    d.stages[1]!.name = 'a\u0000b';
    d.stages[2]!.name = '.hidden';
    d.stages[0]!.file = '../backbone.onnx';
    d.stages[1]!.file = '/etc/passwd';
    const p = problemsOf(() => readStageFile(write(dir, d)));
    has(p, 'stages[0].name', /not a safe file name/);
    has(p, 'stages[1].name', /not a safe file name/);
    has(p, 'stages[2].name', /not a safe file name/);
    has(p, 'stages[0].file', /leaves the folder/);
    has(p, 'stages[1].file', /absolute path/);
    assert.equal(p.length, 5);
  });
  it('a file that is a symlink out of the folder is refused, resolved by realpath (item 19); missing and unreadable files are named', () => {
    const { dir, doc } = fixture('symlink');
    const outside = join(tmp.dir, 'outside.onnx');
    saveModel(reluModel('feat', 'seg'), outside);
    symlinkSync(outside, join(dir, 'link.onnx'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    const d = plain(doc) as { stages: Record<string, unknown>[] };
    d.stages[1]!.file = 'link.onnx';
    d.stages[2]!.file = 'gone.onnx';
    d.stages[0]!.file = 'sub/up/../x.onnx';
    const p = problemsOf(() => readStageFile(write(dir, d)));
    has(p, 'stages[1].file', /leaves the folder of this file through a symlink \(it resolves to ".*outside.onnx"\)/);
    has(p, 'stages[2].file', /"gone.onnx" does not exist/);
    has(p, 'stages[0].file', /leaves the folder|does not exist/);
    writeFileSync(join(dir, 'garbage.onnx'), 'not a model');
    d.stages[0]!.file = 'backbone.onnx';
    d.stages[1]!.file = 'head-seg.onnx';
    d.stages[2]!.file = 'garbage.onnx';
    has(problemsOf(() => readStageFile(write(dir, d))), 'stages[2].file', /is not a model tandem can read/);
  });
  it('tensors that do not connect: inputs nobody produces, from/to that disagree with the stages, duplicates', () => {
    const { dir, doc } = fixture('connect');
    const d = plain(doc) as { stages: Record<string, unknown>[]; tensors: Record<string, unknown>[]; cut: string[] };
    d.stages[1]!.inputs = ['feet'];
    d.tensors[1]!.from = 'head-depth';
    d.tensors[3]!.to = ['nobody'];
    d.tensors.push({ ...d.tensors[0]! });
    d.cut = ['c9'];
    const p = problemsOf(() => readStageFile(write(dir, d), { models: false }));
    has(p, 'stages[1].inputs[0]', /"feet" is not in "tensors"; no stage computes it and it is not an input of the model/);
    has(p, 'tensors[1].from', /is "head-depth", but that stage's outputs do not include "feat" \(it is computed by "backbone"\)/);
    has(p, 'tensors[1].to', /lists "head-seg", but that stage's inputs do not include "feat"/);
    has(p, 'tensors[3].to', /names no stage: "nobody"/);
    has(p, 'tensors[4].name', /"image" is also tensors\[0\]/);
    has(p, 'cut[0]', /"c9" is not in "tensors"/);
  });
  it('duplicate stage names and a tensor with two producers', () => {
    const { doc } = fixture('dupes');
    const d = { ...doc, stages: [...doc.stages, { ...doc.stages[1]!, file: 'other.onnx' }] };
    const p = checkStageDocument(d);
    has(p, 'stages[3].name', /"head-seg" is also the name of stages\[1\]; stage names must be unique/);
    has(p, 'stages', /tensor "seg" is computed by "head-seg" and "head-seg"/);
  });
  it('cycles: the stages on them are named', () => {
    const { doc } = fixture('cycle');
    const d: SplitDocument = {
      ...doc,
      stages: [
        { name: 'a', file: 'a.onnx', kind: 'head', inputs: ['t2'], outputs: ['t1'] },
        { name: 'b', file: 'b.onnx', kind: 'head', inputs: ['t1'], outputs: ['t2'] },
      ],
      cut: [],
      tensors: [
        { name: 't1', dtype: null, shape: null, from: 'a', to: ['b'], modelOutput: false },
        { name: 't2', dtype: null, shape: null, from: 'b', to: ['a'], modelOutput: false },
      ],
    };
    has(checkStageDocument(d), 'stages', /"a", "b" read each other's outputs in a cycle/);
    assert.deepEqual(stageOrder(d.stages).blocked.map((s) => s.name), ['a', 'b']);
    assert.throws(() => runOrder(d.stages), (e) => isTandemError(e, 'GRAPH_CYCLE'));
  });
  it('dtype and shape: the document against the models, and producer against consumer', () => {
    const { dir, doc } = fixture('dtypes', { head: 'float16' });
    const d = plain(doc) as { tensors: Record<string, unknown>[] };
    d.tensors[3]!.shape = [1, 5];
    const p = problemsOf(() => readStageFile(write(dir, d)));
    has(p, 'tensors[1].dtype', /is float32, but stage "head-seg"'s model reads "feat" as float16/);
    has(p, 'tensors[1]', /"feat" is produced as float32 by "backbone" but read as float16 by "head-seg"/);
    has(p, 'tensors[3].shape', /is \[1,5\], but stage "head-depth"'s model produces "depth" as \[1,4\]/);
  });
  it('a stage that does not match its model: inputs and outputs named', () => {
    const { dir, doc } = fixture('model-io');
    const d = plain(doc) as { stages: Record<string, unknown>[]; tensors: Record<string, unknown>[] };
    d.stages[2]!.outputs = ['depth', 'extra'];
    d.tensors.push({ name: 'extra', dtype: null, shape: null, from: 'head-depth', to: [], modelOutput: true });
    has(problemsOf(() => readStageFile(write(dir, d))), 'stages[2].outputs', /"extra" is not an output of "head-depth.onnx" \(its outputs: "depth"\)/);
  });
  it('plans: unknown engines, engines of another target, INT8 hand-offs to non-INT8 stages', () => {
    const { dir, doc } = fixture('engines');
    const plan: PlanDocument = newPlanDocument({
      target: 'orin',
      cut: doc.cut,
      tensors: doc.tensors.map((t) => (t.name === 'feat' ? { ...t, dtype: 'int8' as const, quantization: { dtype: 'int8' as const, scale: 0.05, zeroPoint: 0 as const } } : t)),
      stages: doc.stages.map((s, i) => ({ ...s, engine: (['gpu', 'cpu', 'dla1'] as const)[i]!, precision: i === 2 ? ('int8' as const) : ('fp16' as const), choice: { how: 'layout' as const, reason: 'test' } })),
    });
    const d = plain(plan) as { stages: Record<string, unknown>[] };
    const p = problemsOf(() => readStageFile(write(dir, d, 'plan.json'), { models: false }));
    has(p, 'stages[1].engine', /"cpu" is not an engine of target "orin"; engines there: gpu, dla0, dla1/);
    has(p, 'tensors[1].quantization', /the INT8 hand-off "feat" is read by "head-seg", which runs fp16/);
    d.stages[0]!.engine = 'tpu';
    has(problemsOf(() => readStageFile(write(dir, d, 'plan.json'), { models: false })), 'stages[0].engine', /is not an engine; engines: host cpu, webgpu/);
  });
  it('plans: the calibration cache and scales.json of an INT8 stage are read back, confined like "file" and checked on read', () => {
    const { dir, doc } = fixture('int8-files');
    const plan = newPlanDocument({
      target: 'orin',
      cut: doc.cut,
      tensors: doc.tensors,
      stages: doc.stages.map((s, i) => ({
        ...s,
        engine: (['gpu', 'dla0', 'dla1'] as const)[i]!,
        precision: i === 0 ? ('fp16' as const) : ('int8' as const),
        choice: { how: 'layout' as const, reason: 'test' },
        ...(i > 0 ? { calibrationCache: `${s.name}.cache`, scales: `${s.name}.scales.json` } : {}),
      })),
    });
    // The writer checks the files as the reader does: not written while the cache is missing.
    assert.throws(() => writePlan(plan, dir), (e) => isTandemError(e, 'STAGE_FILE') && /stages\[1\]\.calibrationCache: "head-seg.cache" does not exist/.test(e.message));
    for (const s of ['head-seg', 'head-depth']) {
      writeFileSync(join(dir, `${s}.cache`), 'TRT-8601-EntropyCalibration2\n');
      writeFileSync(join(dir, `${s}.scales.json`), '{}\n');
    }
    const back = readPlan(writePlan(plan, dir));
    assert.deepEqual(back.stages.map((s) => [s.calibrationCache, s.scales]), [[undefined, undefined], ['head-seg.cache', 'head-seg.scales.json'], ['head-depth.cache', 'head-depth.scales.json']]);
    const outside = join(tmp.dir, 'outside.cache');
    writeFileSync(outside, 'TRT-8601-EntropyCalibration2\n');
    symlinkSync(outside, join(dir, 'link.cache'));
    const d = plain(plan) as { stages: Record<string, unknown>[] };
    d.stages[1]!.calibrationCache = '../x.cache';
    d.stages[2]!.calibrationCache = 'link.cache';
    d.stages[2]!.scales = '/abs/scales.json';
    d.stages[0]!.scales = 'head-seg.scales.json';
    // Shape problems and file problems together, in one error.
    const p = problemsOf(() => readStageFile(write(dir, d, 'plan.json')));
    has(p, 'stages[1].calibrationCache', /leaves the folder of this file/);
    has(p, 'stages[2].scales', /absolute path/);
    has(p, 'stages[2].calibrationCache', /leaves the folder of this file through a symlink/);
    d.stages[1]!.calibrationCache = 'gone.cache';
    d.stages[2]!.calibrationCache = 'head-depth.onnx';
    d.stages[2]!.scales = 'head-depth.scales.json';
    const q = problemsOf(() => readStageFile(write(dir, d, 'plan.json'), { models: false }));
    has(q, 'stages[1].calibrationCache', /"gone.cache" does not exist/);
    has(q, 'stages[0].scales', /is given, but the stage runs fp16; INT8 scales belong to INT8 stages only/);
    has(q, 'stages[2].calibrationCache', /"head-depth.onnx" is the stage's model file/);
    assert.equal(q.length, 3);
  });
  it('names from the file are quoted with control characters escaped', () => {
    const { dir, doc } = fixture('escape');
    const d = plain(doc) as { stages: Record<string, unknown>[] };
    d.stages[1]!.inputs = ['evil\u001b[2J\u202e'];
    try {
      readStageFile(write(dir, d), { models: false });
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(isTandemError(e, 'STAGE_FILE'));
      assert.ok(!/[\u001b\u202e]/.test(e.message), e.message);
      assert.match(e.message, /"evil\\u001b\[2J\\u202e" is not in "tensors"/);
    }
  });
  it('the error message lists every problem with its path and ends with the remedy', () => {
    const { dir } = fixture('message');
    assert.throws(
      () => readStageFile(write(dir, { version: 2, kind: 'split', cut: [], stages: [null], tensors: [] })),
      (e) => isTandemError(e, 'STAGE_FILE') && /is not a valid stage file \(split.json or plan.json\) \(1 problem\):\n {2}stages\[0\]: .*\nfix these, or write the file again with tandem split \/ tandem plan$/.test(e.message),
    );
  });
});

describe('stage order', () => {
  it('runs each stage after its producers, otherwise as listed', () => {
    const s = (name: string, inputs: string[], outputs: string[]) => ({ name, inputs, outputs });
    assert.deepEqual(
      runOrder([s('post', ['seg'], ['mask']), s('head', ['f'], ['seg']), s('other', ['x'], ['y']), s('back', ['x'], ['f'])]).map((x) => x.name),
      ['other', 'back', 'head', 'post'],
    );
  });
});



describe('commands that read split.json refuse hostile ones before writing anything (items 18, 19)', () => {
  it('tandem quantize: a stage named "../../x" and a symlinked file out of the folder', async () => {
    const { dir, doc } = fixture('cli-hostile');
    const outside = join(tmp.dir, 'outside-cli.onnx');
    saveModel(reluModel('feat', 'depth'), outside);
    symlinkSync(outside, join(dir, 'link.onnx'));
    const d = plain(doc) as { stages: Record<string, unknown>[] };
    d.stages[1]!.name = '../../x';
    d.stages[2]!.file = 'link.onnx';
    const path = write(dir, d);
    let err = '';
    const out = join(dir, 'out', 'deep');
    const code = await runCli(['quantize', path, '--calib', dir, '--trt-version', '8.6.1', '-o', out], { stdout: { write: () => true }, stderr: { write: (x: string) => (err += x) } });
    assert.equal(code, 2);
    assert.match(err, /stages\[1\]\.name: is not a safe file name/);
    assert.match(err, /stages\[2\]\.file: "link.onnx" leaves the folder of this file through a symlink/);
    assert.match(err, /\[STAGE_FILE\]/);
    assert.equal(existsSync(join(dir, 'out')), false);
    assert.equal(existsSync(join(tmp.dir, 'x.cache')), false);
  });
});
