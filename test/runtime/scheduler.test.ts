import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildScheduleGraph, Scheduler, type ScheduleStage } from '../../src/runtime/index.js';
import { isTandemError } from '../../src/util/errors.js';

/** A value handed between fake stages: who made it, for which frame. */
interface Value {
  readonly id: number;
  readonly frame: number;
  readonly tensor: string;
}

interface Dag {
  stages: ScheduleStage[];
  outputs: string[];
}

/** Random DAGs: stage i writes t<i> and reads a non-empty subset of x and the earlier tensors; random streams. */
const dagArb = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
      fc.array(fc.array(fc.boolean(), { minLength: n + 1, maxLength: n + 1 }), { minLength: n, maxLength: n }),
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    )
    .map(([streams, picks, extraOut]): Dag => {
      const stages: ScheduleStage[] = [];
      for (let i = 0; i < n; i++) {
        const pool = ['x', ...Array.from({ length: i }, (_, j) => `t${j}`)];
        const inputs = pool.filter((_, j) => picks[i]![j]);
        stages.push({ name: `s${i}`, stream: `q${streams[i]}`, inputs: inputs.length > 0 ? inputs : [pool.at(-1)!], outputs: [`t${i}`] });
      }
      const consumed = new Set(stages.flatMap((s) => s.inputs));
      const outputs = stages.map((s) => s.outputs[0]!).filter((t, i) => !consumed.has(t) || extraOut[i]);
      // shuffle the declaration order: the graph builder must order them
      return { stages: [...stages].reverse(), outputs };
    }),
);

async function pause(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await new Promise((r) => setImmediate(r));
}

async function* source(count: number, counter: { pulled: number }): AsyncGenerator<Record<string, Value>> {
  for (let f = 0; f < count; f++) {
    counter.pulled++;
    yield { x: { id: -1, frame: f, tensor: 'x' } };
  }
}

interface Harness {
  results: number[];
  error: unknown;
  released: Map<number, number>;
  produced: Map<number, Value>;
  deliveredIds: Set<number>;
}

async function runDag(dag: Dag, frames: number, maxInFlight: number, delays: number[], fail?: { stage: number; frame: number }): Promise<Harness> {
  const graph = buildScheduleGraph(dag.stages, dag.outputs);
  let nextId = 0;
  const produced = new Map<number, Value>();
  const released = new Map<number, number>();
  /** value id → consumers still running with it */
  const readers = new Map<number, number>();
  const busy = new Set<string>();
  const lastFrame = new Map<string, number>();
  const counter = { pulled: 0 };
  let delivered = 0;
  let call = 0;
  const scheduler = new Scheduler<Value>(
    graph,
    async (stage, feeds, frame) => {
      assert.ok(!busy.has(stage.stream), `stream ${stage.stream} runs two stage-frames at once`);
      busy.add(stage.stream);
      assert.equal(frame, (lastFrame.get(stage.name) ?? -1) + 1, `stage ${stage.name} out of frame order`);
      lastFrame.set(stage.name, frame);
      assert.ok(counter.pulled - delivered <= maxInFlight, 'more frames in flight than allowed');
      for (const [name, v] of Object.entries(feeds)) {
        assert.equal(v.frame, frame, `stage ${stage.name} frame ${frame} got ${name} of frame ${v.frame}`);
        assert.equal(v.tensor, name);
        assert.ok(!released.has(v.id), `${name} of frame ${frame} read after its release`);
        readers.set(v.id, (readers.get(v.id) ?? 0) + 1);
      }
      await pause(delays[call++ % delays.length]!);
      for (const v of Object.values(feeds)) readers.set(v.id, readers.get(v.id)! - 1);
      busy.delete(stage.stream);
      if (fail && stage.name === `s${fail.stage}` && frame === fail.frame) throw new Error('injected engine failure');
      const out: Record<string, Value> = {};
      for (const o of stage.outputs) {
        const v = { id: nextId++, frame, tensor: o };
        produced.set(v.id, v);
        out[o] = v;
      }
      return out;
    },
    {
      maxInFlight,
      release: (v) => {
        assert.equal(readers.get(v.id) ?? 0, 0, `${v.tensor} of frame ${v.frame} released while a consumer runs`);
        released.set(v.id, (released.get(v.id) ?? 0) + 1);
      },
    },
  );
  const results: number[] = [];
  const deliveredIds = new Set<number>();
  let error: unknown;
  try {
    for await (const r of scheduler.run(source(frames, counter))) {
      results.push(r.frame);
      delivered++;
      assert.deepEqual(Object.keys(r.outputs).sort(), [...dag.outputs].sort());
      for (const v of Object.values(r.outputs)) {
        assert.equal(v.frame, r.frame);
        deliveredIds.add(v.id);
      }
      await pause(delays[results.length % delays.length]! % 2);
    }
  } catch (e) {
    error = e;
  }
  await scheduler.whenIdle();
  await pause(2);
  return { results, error, released, produced, deliveredIds };
}

function assertReleasedOnce(h: Harness): void {
  for (const [id, v] of h.produced) {
    const n = h.released.get(id) ?? 0;
    if (h.deliveredIds.has(id)) assert.equal(n, 0, `delivered output ${v.tensor} of frame ${v.frame} was released`);
    else assert.equal(n, 1, `${v.tensor} of frame ${v.frame} released ${n} times`);
  }
}

describe('pipeline scheduler (fake engines, random DAGs)', () => {
  it('delivers every frame once, in order; streams serial; stages in frame order; in-flight bounded; buffers released once after their consumers', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }), async (dag, frames, maxInFlight, delays) => {
        const h = await runDag(dag, frames, maxInFlight, delays);
        assert.equal(h.error, undefined);
        assert.deepEqual(h.results, Array.from({ length: frames }, (_, i) => i));
        assertReleasedOnce(h);
      }),
      { numRuns: 120, verbose: 1 },
    );
  });

  it('an engine failure stops the run naming frame and stage, keeps the frames before it, releases the rest', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }), fc.nat(), fc.nat(), async (dag, frames, maxInFlight, delays, s, f) => {
        const fail = { stage: s % dag.stages.length, frame: f % frames };
        const h = await runDag(dag, frames, maxInFlight, delays, fail);
        assert.ok(isTandemError(h.error, 'ENGINE_RUN'), String(h.error));
        assert.match((h.error as Error).message, new RegExp(`frame ${fail.frame}, stage "s${fail.stage}".*injected engine failure`));
        assert.deepEqual(h.results, Array.from({ length: h.results.length }, (_, i) => i));
        assert.ok(h.results.length <= fail.frame);
        assertReleasedOnce(h);
      }),
      { numRuns: 120, verbose: 1 },
    );
  });

  it('an abort signal stops the run at once with the frames in flight named', async () => {
    const graph = buildScheduleGraph([{ name: 'a', stream: 'q', inputs: ['x'], outputs: ['y'] }], ['y']);
    const controller = new AbortController();
    const scheduler = new Scheduler<number>(graph, async (_s, feeds) => {
      await new Promise((r) => setTimeout(r, 5));
      return { y: feeds.x! };
    }, { maxInFlight: 2, signal: controller.signal });
    async function* endless(): AsyncGenerator<Record<string, number>> {
      for (let i = 0; ; i++) yield { x: i };
    }
    const got: number[] = [];
    const t0 = Date.now();
    await assert.rejects(
      (async () => {
        for await (const r of scheduler.run(endless())) {
          got.push(r.outputs.y!);
          if (got.length === 3) controller.abort();
        }
      })(),
      (e: unknown) => isTandemError(e, 'ABORTED') && /after 3 finished frames; frames? 3/.test((e as Error).message),
    );
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(got, [0, 1, 2]);
  });

  it('an engine error reaches the caller at once, while another stream is still inside a long call', async () => {
    const graph = buildScheduleGraph([{ name: 'slow', stream: 'a', inputs: ['x'], outputs: ['y'] }, { name: 'bad', stream: 'b', inputs: ['x'], outputs: ['z'] }], ['y', 'z']);
    let slowDone = false;
    const scheduler = new Scheduler<number>(graph, async (stage, feeds) => {
      if (stage.name === 'slow') {
        await new Promise((r) => setTimeout(r, 1500));
        slowDone = true;
        return { y: feeds.x! };
      }
      await new Promise((r) => setTimeout(r, 10));
      throw new Error('device lost');
    }, { maxInFlight: 2 });
    const t0 = Date.now();
    await assert.rejects(
      (async () => {
        async function* two(): AsyncGenerator<Record<string, number>> {
          yield { x: 1 };
          yield { x: 2 };
        }
        for await (const _ of scheduler.run(two())) void _;
      })(),
      (e: unknown) => isTandemError(e, 'ENGINE_RUN') && /frame 0, stage "bad" \(stream b\): device lost/.test((e as Error).message),
    );
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    assert.equal(scheduler.running, 1);
    await scheduler.whenIdle();
    assert.ok(slowDone);
  });

  it('refuses cycles, double producers and outputs nobody makes', () => {
    assert.throws(() => buildScheduleGraph([{ name: 'a', stream: 'q', inputs: ['b'], outputs: ['a'] }, { name: 'b', stream: 'q', inputs: ['a'], outputs: ['b'] }], ['a']), (e: unknown) => isTandemError(e, 'GRAPH_CYCLE'));
    assert.throws(() => buildScheduleGraph([{ name: 'a', stream: 'q', inputs: ['x', 'b'], outputs: ['a'] }, { name: 'b', stream: 'q', inputs: ['a'], outputs: ['b'] }], ['a']), (e: unknown) => isTandemError(e, 'GRAPH_CYCLE') && /"a", "b"/.test((e as Error).message));
    assert.throws(() => buildScheduleGraph([{ name: 'a', stream: 'q', inputs: ['x'], outputs: ['y'] }, { name: 'b', stream: 'q', inputs: ['x'], outputs: ['y'] }], ['y']), (e: unknown) => isTandemError(e, 'GRAPH_INVALID') && /both stage "a" and stage "b"/.test((e as Error).message));
    assert.throws(() => buildScheduleGraph([{ name: 'a', stream: 'q', inputs: ['x'], outputs: ['y'] }], ['z']), (e: unknown) => isTandemError(e, 'GRAPH_INVALID'));
  });

  it('pipelines: two streams overlap frames (the slow stream sets the pace)', async () => {
    const graph = buildScheduleGraph([{ name: 'a', stream: 'g', inputs: ['x'], outputs: ['f'] }, { name: 'b', stream: 'd', inputs: ['f'], outputs: ['y'] }], ['y']);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const scheduler = new Scheduler<number>(graph, async (s, feeds) => {
      await sleep(20);
      return s.name === 'a' ? { f: feeds.x! } : { y: feeds.f! };
    }, { maxInFlight: 3 });
    async function* ten(): AsyncGenerator<Record<string, number>> {
      for (let i = 0; i < 10; i++) yield { x: i };
    }
    const t0 = performance.now();
    const got: number[] = [];
    for await (const r of scheduler.run(ten())) got.push(r.outputs.y!);
    const ms = performance.now() - t0;
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // serial: 10 × 40 ms; pipelined ≈ 11 × 20 ms (generous bound for a loaded machine)
    assert.ok(ms < 340, `took ${ms.toFixed(0)} ms; the streams did not overlap`);
  });
});
