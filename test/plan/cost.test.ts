import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getReferenceModel, MULTITASK_IO } from '../../src/models/index.js';
import { saveModel } from '../../src/onnx/index.js';
import { FIT_DATA, PUBLISHED_ROWS } from '../../src/plan/cost/published.js';
import { splitModel } from '../../src/passes/index.js';
import { ORIN_PARAMS, costModel, parseLatencyParams, pipelineCost, readLatencyParams, searchPlacement, searchStagePins, stageLatency } from '../../src/plan/index.js';
import { isTandemError } from '../../src/util/errors.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

describe('Orin latency model (modelled)', () => {
  it('the shipped parameters reproduce the fit recorded in the file, every published row within 10%', () => {
    assert.equal(ORIN_PARAMS.fit.rows.length, PUBLISHED_ROWS.length);
    for (const row of PUBLISHED_ROWS) {
      const p = row.predict(ORIN_PARAMS);
      const recorded = ORIN_PARAMS.fit.rows.find((r) => r.id === row.id);
      assert.ok(recorded, `row ${row.id} in the file`);
      assert.ok(Math.abs(p - recorded.predicted) / recorded.predicted < 1e-3, `${row.id}: ${p} vs recorded ${recorded.predicted}`);
      assert.ok(Math.abs(p - row.value) / row.value < 0.1, `${row.id}: modelled ${p} vs published ${row.value}`);
    }
    for (const [name, e] of Object.entries(ORIN_PARAMS.parameters)) assert.ok(e.source.length > 0, `${name} has a source`);
  });

  it('batch: the GPU gains from batching, the DLA runs items one after another; lower power modes are slower', () => {
    const w = FIT_DATA.workloads.yolov5s;
    const at = (engine: 'gpu' | 'dla', batch: number, power: 'maxn' | '15w' = 'maxn'): number => stageLatency(w, undefined, engine, 'int8', { params: ORIN_PARAMS, batch, power }).latencyMs;
    assert.ok(at('gpu', 8) < 8 * at('gpu', 1) * 0.8);
    assert.ok(Math.abs(at('dla', 8) - 8 * at('dla', 1)) / at('dla', 8) < 0.05);
    assert.ok(at('gpu', 1, '15w') > 2 * at('gpu', 1));
    assert.ok(at('dla', 1, '15w') > at('dla', 1));
  });

  it('DRAM contention: an engine is slower while the others run', () => {
    const w = FIT_DATA.workloads.resnet50;
    const dla = stageLatency(w, undefined, 'dla', 'int8', { params: ORIN_PARAMS });
    const gpu = stageLatency(w, undefined, 'gpu', 'int8', { params: ORIN_PARAMS });
    const alone = pipelineCost([{ name: 'a', engine: 'dla0', cost: dla, after: [] }], ORIN_PARAMS);
    const shared = pipelineCost(
      [
        { name: 'a', engine: 'dla0', cost: dla, after: [] },
        { name: 'b', engine: 'dla1', cost: dla, after: [] },
        { name: 'c', engine: 'gpu', cost: gpu, after: [] },
      ],
      ORIN_PARAMS,
    );
    assert.ok(shared.engines.dla0.sharedMs > alone.engines.dla0.sharedMs * 1.01);
    assert.ok(shared.contentionMs > 0);
  });

  it('a parameter file without a parameter is refused with what is missing', () => {
    const { dir, cleanup } = tempDir();
    try {
      const doc = JSON.parse(JSON.stringify(ORIN_PARAMS)) as { parameters: Record<string, unknown> };
      delete doc.parameters.gpuBwEff;
      const path = join(dir, 'p.json');
      writeFileSync(path, JSON.stringify(doc));
      assert.throws(() => readLatencyParams(path), (e) => isTandemError(e, 'PLAN_COST') && /parameters\.gpuBwEff/.test(e.message));
      assert.throws(() => parseLatencyParams({ target: 'orin' }, 'x'), (e) => isTandemError(e, 'PLAN_COST') && /is not a latency parameter file/.test(e.message));
    } finally {
      cleanup();
    }
  });

  it('costModel: one stage with its breakdown and alternatives', () => {
    const m = getReferenceModel('resnet50');
    const r = costModel(m.build({ ...m.smallOptions }), { engine: 'dla', batch: 2 });
    assert.equal(r.stages.length, 1);
    const s = r.stages[0]!;
    assert.equal(s.engine, 'dla0');
    assert.equal(s.precision, 'int8');
    assert.equal(s.alternatives.length, 4);
    assert.ok(s.latencyMs > 0 && Math.abs(s.fps - 2000 / s.latencyMs) < 1e-6);
    assert.ok(r.pipeline.fps > 0);
  });
});

describe('placement search (modelled)', () => {
  it('finds a Pareto set on the small multi-task model, respects the loadable limit, compares with GPU-only and the webinar', () => {
    const m = getReferenceModel('multitask');
    const r = searchPlacement(m.build({ ...m.smallOptions }), { features: MULTITASK_IO.features });
    assert.ok(r.pareto.length > 0 && r.pareto.includes(r.chosen));
    assert.ok(r.handPlacement !== undefined);
    for (const p of r.pareto) {
      for (const core of ['dla0', 'dla1'] as const) assert.ok(p.segments.filter((s) => s.engine === core).reduce((a, s) => a + s.loadables, 0) <= 16);
      assert.ok(!r.pareto.some((q) => q !== p && q.fps >= p.fps && q.latencyMs <= p.latencyMs && q.int8Share <= p.int8Share && (q.fps > p.fps || q.latencyMs < p.latencyMs || q.int8Share < p.int8Share)));
    }
    assert.ok(r.chosen.fps >= r.gpuOnly.fps && r.chosen.fps >= r.handPlacement.fps);
    const latency = searchPlacement(m.build({ ...m.smallOptions }), { features: MULTITASK_IO.features, objective: 'latency' });
    assert.ok(latency.chosen.latencyMs <= r.chosen.latencyMs);
    const capped = searchPlacement(m.build({ ...m.smallOptions }), { features: MULTITASK_IO.features, maxLatencyMs: latency.chosen.latencyMs * 1.01 });
    assert.ok(capped.chosen.latencyMs <= latency.chosen.latencyMs * 1.01);
  });
  it('searchStagePins pins every stage of the auto split to the best writable placement (GPU FP16, DLA INT8)', () => {
    const m = getReferenceModel('multitask');
    const model = m.build({ ...m.smallOptions });
    const r = searchStagePins(model);
    const stages = splitModel(model, { auto: true }).stages.filter((s) => s.kind !== 'postprocess').map((s) => s.name);
    assert.deepEqual(Object.keys(r.pins).sort(), [...stages].sort());
    for (const s of r.writable.chosen.segments) assert.equal(s.precision, s.engine === 'gpu' ? 'fp16' : 'int8');
    assert.ok(r.search.pareto.length > 0);
  });
});

describe('tandem cost (CLI)', () => {
  it('--json has stages and pipeline; the text says modelled on every figure line', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const m = getReferenceModel('resnet50');
      const path = join(dir, 'r.onnx');
      saveModel(m.build({ ...m.smallOptions }), path);
      const j = await cli('cost', path, '--target', 'orin', '--engine', 'gpu', '--precision', 'int8', '--batch', '2', '--power', '30w', '--json');
      assert.equal(j.code, 0, j.stderr);
      const doc = JSON.parse(j.stdout) as { stages: { name: string; engine: string; precision: string; latencyMs: number; fps: number }[]; pipeline: { fps: number; latencyMs: number } };
      assert.deepEqual(Object.keys(doc.stages[0]!).slice(0, 5), ['name', 'engine', 'precision', 'latencyMs', 'fps']);
      assert.equal(doc.stages[0]!.precision, 'int8');
      assert.ok(doc.pipeline.fps > 0 && doc.pipeline.latencyMs > 0);
      const t = await cli('cost', path, '--engine', 'dla');
      assert.equal(t.code, 0, t.stderr);
      for (const line of t.stdout.split('\n').filter((l) => /\d+\.\d+ (ms|fps)/.test(l))) assert.match(line, /modelled/);
      const bad = await cli('cost', path, '--target', 'xavier');
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /latency model exists for "orin" only/);
    } finally {
      cleanup();
    }
  });
});
