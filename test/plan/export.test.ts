import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, after, describe, it } from 'node:test';
import { readPlan } from '../../src/io/stage-file/index.js';
import { getReferenceModel } from '../../src/models/index.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { exportBundle } from '../../src/plan/index.js';
import { artifactPaths } from '../../src/quant/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { fixturePlan, require_ } from './helpers.js';

const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('tandem export (bundle)', () => {
  const { dir, cleanup } = tempDir();
  let planPath = '';
  before(() => {
    planPath = fixturePlan(join(dir, 'plan'));
  });
  after(cleanup);

  for (const trt of ['8.6', '10.x', '11.4'] as const) {
    it(`TensorRT ${trt}: the flags that version accepts, hashes that match, scripts that pass bash -n and shellcheck`, (t) => {
      const out = join(dir, `bundle-${trt}`);
      const manifest = exportBundle(readPlan(planPath), { trtVersion: trt, out });
      for (const f of manifest.files) assert.equal(createHash('sha256').update(readFileSync(join(out, f.path))).digest('hex'), f.sha256, f.path);
      for (const name of ['build.sh', 'bench.sh', 'README.md', 'manifest.json']) assert.ok(existsSync(join(out, name)), name);
      const build = readFileSync(join(out, 'build.sh'), 'utf8');
      const bench = readFileSync(join(out, 'bench.sh'), 'utf8');
      assert.match(build, /--useDLACore=0/);
      assert.match(build, /--useDLACore=1/);
      assert.match(bench, /--exportTimes=results\//);
      assert.match(bench, /--exportProfile=results\//);
      assert.match(bench, /--loadEngine=engines\//);
      assert.match(build, /--outputIOFormats=/);
      const dlaStages = manifest.stages.filter((s) => s.dlaCore !== null);
      assert.equal(dlaStages.length, 2);
      if (trt === '11.4') {
        assert.doesNotMatch(build, /--int8|--fp16|--calib|--precisionConstraints|--layerPrecisions/);
        assert.doesNotMatch(bench, /--useSpinWait/);
        for (const s of dlaStages) {
          assert.equal(s.calib, null);
          assert.ok(loadModel(join(out, s.onnx)).graph.nodes.some((n) => n.op === 'QuantizeLinear'), 'typed Q/DQ model');
        }
      } else {
        assert.match(build, /--int8/);
        assert.match(build, /--calib=stages\/[^ ]+\.cache/);
        assert.match(build, /--fp16/);
        assert.match(bench, /--useSpinWait/);
        for (const s of dlaStages) {
          const header = readFileSync(join(out, s.calib!), 'utf8').split('\n')[0]!;
          assert.equal(header, trt === '8.6' ? 'TRT-8602-EntropyCalibration2' : 'TRT-100300-EntropyCalibration2', 'cache header for the TensorRT that reads it');
        }
        const gpu = manifest.stages.find((s) => s.engine === 'gpu')!;
        assert.ok(gpu.outputFormats.some((f) => f === 'int8:chw32'), `trunk hands INT8 to the DLA in chw32: ${gpu.outputFormats.join(',')}`);
      }
      assert.ok(manifest.predicted.fps > 0 && manifest.stages.every((s) => s.predicted.basis === 'modelled'));
      for (const script of ['build.sh', 'bench.sh']) {
        const r = spawnSync('bash', ['-n', join(out, script)], { encoding: 'utf8' });
        assert.equal(r.status, 0, `bash -n ${script}: ${r.stderr}`);
      }
      if (!shellcheck) {
        t.skip('shellcheck is not installed (apt-get install -y shellcheck); bash -n passed');
        return;
      }
      for (const script of ['build.sh', 'bench.sh']) {
        const r = spawnSync('shellcheck', ['-s', 'bash', join(out, script)], { encoding: 'utf8' });
        assert.equal(r.status, 0, `shellcheck ${script}:\n${r.stdout}`);
      }
    });
  }

  it('an INT8 stage without its calibration cache is refused with what to run', () => {
    const out = join(dir, 'bundle-missing');
    const plan = readPlan(planPath);
    const head = plan.stages.find((s) => s.precision === 'int8')!;
    const cache = artifactPaths(plan.dir, head.name).cache;
    const saved = readFileSync(cache);
    rmSync(cache);
    try {
      assert.throws(() => exportBundle(plan, { trtVersion: '8.6', out }), (e) => isTandemError(e, 'FILE_NOT_FOUND') && /run tandem quantize/.test(e.message));
    } finally {
      require_(saved.toString('utf8'), cache);
    }
  });

  it('CLI: --trt is checked; the bundle is written', async () => {
    const bad = await cli('export', planPath, '--trt', '9.0', '-o', join(dir, 'x'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /expected 8\.6, 10\.x or 11\.4/);
    const ok = await cli('export', planPath, '--trt', '10.3', '-o', join(dir, 'cli-bundle'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /modelled/);
    assert.ok(existsSync(join(dir, 'cli-bundle', 'manifest.json')));
  });
});

describe('tandem export of a plan written by tandem plan --target orin (Q/DQ stages, INT8 hand-offs)', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it('8.6 translates the Q/DQ into caches (hand-offs int8:chw32), 11.4 keeps the typed models', async () => {
    const m = getReferenceModel('multitask');
    const model = join(dir, 'mt.onnx');
    saveModel(m.build({ ...m.smallOptions }), model);
    const p = await cli('plan', model, '--target', 'orin', '--samples', '1', '--no-verify', '-o', join(dir, 'plan'));
    assert.equal(p.code, 0, p.stderr);
    const plan = readPlan(join(dir, 'plan', 'plan.json'));
    const m86 = exportBundle(plan, { trtVersion: '8.6', out: join(dir, 'b86') });
    const trunk = m86.stages.find((s) => s.engine === 'gpu')!;
    assert.ok(trunk.outputFormats.every((f) => f === 'int8:chw32'), trunk.outputFormats.join(','));
    for (const s of m86.stages.filter((x) => x.dlaCore !== null)) {
      assert.ok(s.calib !== null && s.inputFormats.every((f) => f === 'int8:chw32'));
      assert.ok(!loadModel(join(dir, 'b86', s.onnx)).graph.nodes.some((n) => n.op === 'QuantizeLinear'), 'implicit INT8: no Q/DQ left');
    }
    const m11 = exportBundle(plan, { trtVersion: '11.4', out: join(dir, 'b11') });
    for (const s of m11.stages.filter((x) => x.dlaCore !== null)) {
      assert.equal(s.calib, null);
      assert.ok(loadModel(join(dir, 'b11', s.onnx)).graph.nodes.some((n) => n.op === 'DequantizeLinear'), 'typed Q/DQ kept');
    }
    if (shellcheck) for (const b of ['b86', 'b11']) for (const f of ['build.sh', 'bench.sh']) assert.equal(spawnSync('shellcheck', ['-s', 'bash', join(dir, b, f)]).status, 0, `${b}/${f}`);
  });
});
