import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveModel } from '../../src/onnx/load-save.js';
import { modelPlan, readPlanAt } from '../../src/runtime/pipeline/model-plan.js';
import { openPipeline } from '../../src/runtime/pipeline/pipeline.js';
import { runFrames } from '../../src/runtime/pipeline/run-frames.js';
import { isTandemError } from '../../src/util/errors.js';
import type { ProgressEvent } from '../../src/util/progress.js';
import { smallConvNet, tempDir } from '../quant/helpers.js';

const tmp = tempDir('tandem-run-frames-');
after(tmp.cleanup);

describe('runFrames over modelPlan', () => {
  it('runs N synthetic frames in order through a one-stage plan, writes each frame, tells each frame and open', async () => {
    const model = smallConvNet();
    const path = join(tmp.dir, 'net.onnx');
    saveModel(model, path);
    const plan = modelPlan(path, { threads: 1 });
    assert.deepEqual(plan.stages.map((s) => [s.name, s.engine, s.engineOptions?.threads]), [['model', 'cpu', 1]]);
    const events: ProgressEvent[] = [];
    await using pipeline = await openPipeline(plan, { onProgress: (e) => void events.push(e) });
    const out = join(tmp.dir, 'out');
    const r = await runFrames(pipeline, { input: 'synthetic:3', out, onProgress: (e) => void events.push(e) });
    assert.equal(r.frames, 3);
    assert.equal(r.latencyMs.count, 3);
    assert.deepEqual(Object.keys(r.outputs), model.graph.outputs);
    for (const id of ['synthetic-0', 'synthetic-1', 'synthetic-2']) assert.ok(existsSync(join(out, id, `${model.graph.outputs[0]}.npy`)), id);
    assert.deepEqual(events.map((e) => e.kind), ['open', 'frame', 'frame', 'frame']);
    assert.deepEqual(events.filter((e) => e.kind === 'frame').map((e) => (e.kind === 'frame' ? `${e.done}/${e.total}` : '')), ['1/3', '2/3', '3/3']);
  });
  it('readPlanAt reads plan.json in a folder and says where it looked', () => {
    assert.throws(() => readPlanAt(tmp.dir), (e) => isTandemError(e) && e.message.includes('plan.json'));
  });
});
