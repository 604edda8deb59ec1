import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { benchPipeline, buildTrace, createFunctionPipeline, type StageFrameRecord } from '../../src/runtime/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Backbone on one stream, two heads on two others, sleeping 12 / 8 / 6 ms: pipelined ≈ 1 frame per 12 ms. */
function fakeMultitask() {
  const ms: Record<string, number> = { backbone: 12, seg: 8, depth: 6 };
  return createFunctionPipeline<Tensor>(
    [
      { name: 'backbone', stream: 'gpu', engine: 'fake', inputs: ['image'], outputs: ['c1'] },
      { name: 'seg', stream: 'dla0', engine: 'fake', inputs: ['c1'], outputs: ['segmentation'] },
      { name: 'depth', stream: 'dla1', engine: 'fake', inputs: ['c1', 'image'], outputs: ['depth'] },
    ],
    ['segmentation', 'depth'],
    async (stage, feeds) => {
      await sleep(ms[stage.name]!);
      return { [stage.outputs[0]!]: feeds.image ?? feeds.c1! };
    },
    { inputs: [{ name: 'image', dtype: 'float32', dims: [1, 2] }] },
  );
}

describe('benchPipeline (fake engines)', () => {
  it('measures both modes, per-stage compute and queue wait, speed-up and efficiency; the trace has one track per stream', async () => {
    const target = fakeMultitask();
    const progress: string[] = [];
    const r = await benchPipeline(target, { iterations: 12, warmupS: 0.05, trace: true, onProgress: (e) => void (e.kind === 'bench' && progress.push(`${e.mode}:${e.phase}`)) });
    assert.deepEqual(r.modes.map((m) => [m.mode, m.frames]), [['sequential', 12], ['pipelined', 12]]);
    const [seq, pipe] = r.modes as [typeof r.modes[0], typeof r.modes[0]];
    for (const m of r.modes) {
      const l = m.latencyMs;
      assert.ok(l.min <= l.median && l.median <= l.p90 && l.p90 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.max);
      assert.deepEqual(m.stages.map((s) => s.name), ['backbone', 'seg', 'depth']);
      assert.ok(m.stages[0]!.computeMs.mean >= 11);
      assert.ok(m.hostOverheadMs >= 0);
    }
    // sequential: ≈ 26 ms per frame; pipelined: ≈ 12 ms (sleeps overshoot on a loaded machine: loose bounds)
    assert.ok(seq.latencyMs.mean >= 25, `sequential latency ${seq.latencyMs.mean}`);
    assert.ok(r.speedup! > 1.4, `speed-up ${r.speedup}`);
    assert.equal(r.slowestStream!.name, 'gpu');
    assert.ok(r.efficiency! > 0.6 && r.efficiency! < 1.2, `efficiency ${r.efficiency}`);
    assert.ok(pipe.stages[1]!.queueWaitMs >= 0);
    assert.ok(progress.includes('pipelined:measure') && progress.includes('sequential:warmup'));

    const trace = r.trace!;
    const threads = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => (e.args as { name: string }).name);
    assert.deepEqual(threads, ['stream gpu', 'stream dla0', 'stream dla1']);
    const slices = trace.traceEvents.filter((e) => e.ph === 'X');
    assert.equal(slices.length, 36);
    assert.deepEqual(new Set(slices.map((e) => (e.args as { frame: number }).frame)).size, 12);
    const flowsOut = trace.traceEvents.filter((e) => e.ph === 's');
    const flowsIn = trace.traceEvents.filter((e) => e.ph === 'f');
    assert.equal(flowsOut.length, 24); // backbone → seg and backbone → depth, per frame
    assert.deepEqual(flowsOut.map((e) => e.id), flowsIn.map((e) => e.id));
    assert.ok(JSON.parse(JSON.stringify(trace)).traceEvents.length === trace.traceEvents.length);
  });
});

describe('Chrome trace structure (hand-made records)', () => {
  it('slices in µs from the first event, queue waits as async pairs, hand-offs as flows bound to slices, in-flight counter', () => {
    const rec = (stage: string, stream: string, frame: number, readyAt: number, streamFreeAt: number, start: number, end: number, producers: string[] = []): StageFrameRecord => ({ stage, stream, frame, readyAt, streamFreeAt, start, end, producers });
    const records = [rec('a', 'g', 0, 100, 0, 100, 110), rec('b', 'd', 0, 110, 0, 110.5, 120, ['a']), rec('a', 'g', 1, 101, 110, 110, 120), rec('b', 'd', 1, 120, 120, 120, 130, ['a'])];
    const t = buildTrace(records, { label: 'test', streams: ['g', 'd'], frames: [{ frame: 0, admittedAt: 100, doneAt: 120 }, { frame: 1, admittedAt: 101, doneAt: 130 }] });
    const x = t.traceEvents.filter((e) => e.ph === 'X');
    assert.deepEqual(x.map((e) => [e.name, e.tid, e.ts, e.dur]), [['a', 1, 0, 10000], ['b', 2, 10500, 9500], ['a', 1, 10000, 10000], ['b', 2, 20000, 10000]]);
    // frame 1 of a was ready at 101 but its stream was busy until 110: a 9 ms queue wait
    assert.equal((x[2]!.args as { queueWaitMs: number }).queueWaitMs, 9);
    const waits = t.traceEvents.filter((e) => e.cat === 'queue');
    assert.deepEqual(waits.map((e) => [e.ph, e.ts]), [['b', 1000], ['e', 10000]]);
    const flows = t.traceEvents.filter((e) => e.cat === 'handoff');
    assert.deepEqual(flows.map((e) => [e.ph, e.tid, e.ts]), [['s', 1, 9999.999], ['f', 2, 10500], ['s', 1, 19999.999], ['f', 2, 20000]]);
    assert.equal(flows[1]!.bp, 'e');
    const counter = t.traceEvents.filter((e) => e.ph === 'C').map((e) => (e.args as { frames: number }).frames);
    assert.deepEqual(counter, [1, 2, 1, 0]);
  });
});
