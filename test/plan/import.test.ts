import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readPlan } from '../../src/io/stage-file/index.js';
import { exportBundle, importResults, ORIN_PARAMS, parseExportProfile, parseExportTimes, parseTrtexecLog, readLatencyParams, refitFromResults } from '../../src/plan/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { cli } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/fixtures.js';
import { fixturePlan } from './helpers.js';

const F = (name: string): string => fixture('trtexec', name);
const text = (name: string): string => readFileSync(F(name), 'utf8');

describe('trtexec output parsers (fixtures in the documented formats)', () => {
  it('reads the performance summary of 8.6, 10.x and 11.x logs', () => {
    const cases = [
      ['trtexec-8.6.log', '8.6.2', 35.4121, 28.136],
      ['trtexec-10.x.log', '10.3.0', 36.0212, 27.601],
      ['trtexec-11.x.log', '11.4.1', 36.5012, 27.201],
    ] as const;
    for (const [file, version, qps, medianMs] of cases) {
      const log = parseTrtexecLog(text(file), file);
      assert.equal(log.trtVersion, version, file);
      assert.equal(log.throughputQps, qps, file);
      assert.equal(log.gpuCompute.medianMs, medianMs, file);
      assert.equal(log.gpuCompute.p99Ms, 29.4012, file);
      assert.equal(log.latency?.meanMs, 28.3129, file);
      assert.match(log.command ?? '', /--loadEngine=engines\/backbone\.engine/);
    }
  });

  it('reads --exportTimes (8.x with its count object, 10.x without) and --exportProfile', () => {
    const t86 = parseExportTimes(text('times-8.6.json'), 'times-8.6.json');
    assert.equal(t86.length, 6);
    assert.equal(t86[0]!.computeMs, 28.136);
    assert.ok(t86[1]!.startMs > t86[0]!.startMs);
    assert.equal(parseExportTimes(text('times-10.x.json'), 'times-10.x.json').length, 6);
    const prof = parseExportProfile(text('profile-8.6.json'), 'profile-8.6.json');
    assert.equal(prof.length, 3);
    assert.equal(prof[2]!.averageMs, 10.05);
  });

  it('bad or partial logs are clear TRT_LOG errors', () => {
    assert.throws(() => parseTrtexecLog(text('failed.log'), 'failed.log'), (e) => isTandemError(e, 'TRT_LOG') && /failed\.log: trtexec reports FAILED \(last error: .*Engine deserialization failed\)/.test(e.message));
    assert.throws(() => parseTrtexecLog(text('partial.log'), 'partial.log'), (e) => isTandemError(e, 'TRT_LOG') && /no "Throughput: … qps" line/.test(e.message));
    assert.throws(() => parseTrtexecLog(text('trtexec-8.6.log').replace(/GPU Compute Time: .*/, 'GPU Compute Time: min = 1 ms'), 'x.log'), (e) => isTandemError(e, 'TRT_LOG') && /lacks min \/ max \/ mean \/ median/.test(e.message));
    assert.throws(() => parseExportTimes('[{"startComputeMs": 1', 't.json'), (e) => isTandemError(e, 'TRT_LOG') && /not JSON/.test(e.message));
    assert.throws(() => parseExportTimes('{"a": 1}', 't.json'), (e) => isTandemError(e, 'TRT_LOG') && /expected a JSON array/.test(e.message));
    assert.throws(() => parseExportTimes('[{"count": 3}]', 't.json'), (e) => isTandemError(e, 'TRT_LOG') && /no inference/.test(e.message));
    assert.throws(() => parseExportProfile('[{"timeMs": 3}]', 'p.json'), (e) => isTandemError(e, 'TRT_LOG') && /lacks "name" and "averageMs"/.test(e.message));
  });
});

describe('tandem import (a bundle\'s results/)', () => {
  const { dir, cleanup } = tempDir();
  let results = '';
  before(() => {
    const plan = readPlan(fixturePlan(join(dir, 'plan')));
    const bundle = join(dir, 'bundle');
    const manifest = exportBundle(plan, { trt: '8.6', out: bundle });
    results = join(bundle, 'results');
    mkdirSync(results, { recursive: true });
    manifest.stages.forEach((s, i) => {
      copyFileSync(F('trtexec-8.6.log'), join(results, `${s.name}.alone.log`));
      copyFileSync(F('times-8.6.json'), join(results, `${s.name}.alone.times.json`));
      copyFileSync(F('profile-8.6.json'), join(results, `${s.name}.alone.profile.json`));
      copyFileSync(F('trtexec-8.6.log'), join(results, `${s.name}.concurrent.log`));
      copyFileSync(F('times-8.6.json'), join(results, `${s.name}.concurrent.times.json`));
      // launched 5 ms apart: the window where all ran starts at the last one's first inference
      writeFileSync(join(results, `${s.name}.concurrent.start`), `${1764780000000000000 + i * 5_000_000}\n`);
    });
    writeFileSync(join(results, 'environment.txt'), 'power mode: NV Power Mode: MAXN\n');
  });
  after(cleanup);

  it('measured vs modelled per stage, the concurrent window, the bench JSON', () => {
    const r = importResults(results);
    assert.equal(r.stages.length, 3);
    for (const s of r.stages) {
      assert.equal(s.alone.compute.medianMs, 28.136);
      assert.ok(s.concurrent !== undefined && s.concurrent.inferences! >= 1 && s.concurrent.inferences! < 6, 'only inferences inside the common window');
      assert.ok(Number.isFinite(s.errorPct.alone) && s.predicted.aloneMs > 0);
      assert.equal(s.slowestLayers?.[0]?.name, 'attention.0 matmul');
    }
    assert.ok(r.windowMs! > 0 && r.windowMs! < 6 * 28.3);
    assert.ok(r.pipeline.measuredFps! > 0 && r.pipeline.predictedFps > 0);
    assert.match(r.basis, /measured on the Orin by trtexec/);
  });

  it('--refit writes a new parameter file that loads, never the shipped one', async () => {
    const out = join(dir, 'refit.json');
    const fit = refitFromResults(importResults(results), results, { params: ORIN_PARAMS, out });
    assert.ok(existsSync(out));
    const p = readLatencyParams(out);
    assert.equal(p.fit.on, results);
    assert.equal(fit.rows.length, 6);
    assert.ok(Object.entries(p.parameters).some(([n, e]) => e.value !== ORIN_PARAMS.parameters[n as keyof typeof p.parameters]!.value), 'the refit moved the fitted parameters');
    assert.ok(Object.entries(p.parameters).every(([n, e]) => e.fit !== undefined || e.value === ORIN_PARAMS.parameters[n as keyof typeof p.parameters]!.value), 'fixed (datasheet) parameters stay');
    const shipped = new URL('../../src/plan/cost/orin-params.json', import.meta.url).pathname;
    assert.throws(() => refitFromResults(importResults(results), results, { out: shipped }), (e) => isTandemError(e, 'FILE_EXISTS'));
    const c = await cli('import', results, '--refit', join(dir, 'cli-refit.json'));
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /measured on the Orin by trtexec; predicted = modelled/);
    assert.ok(existsSync(join(results, 'tandem-bench.json')));
  });

  it('a missing log names the file and what to do', async () => {
    const c = await cli('import', join(dir, 'plan'));
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /manifest\.json is missing/);
  });
});
