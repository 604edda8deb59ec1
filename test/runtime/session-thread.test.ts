import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { Tensor } from '../../src/ir/tensor.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { SessionThread } from '../../src/runtime/engines/session-thread.js';
import { isTandemError } from '../../src/util/errors.js';

function model() {
  const b = new GraphBuilder('t', { opset: 17 });
  b.output(b.sigmoid(b.input('x', 'float32', [2, 3])), 'float32', [2, 3]);
  return buildModel(b);
}

describe('SessionThread: sessions on a worker thread', () => {
  it('runs like a session on this thread, keeps error codes, and refuses use after close', async () => {
    const thread = new SessionThread('test');
    try {
      const m = model();
      const s = await thread.open('cpu', m, { threads: 1 });
      assert.deepEqual([s.inputNames, s.outputNames], [['x'], [m.graph.outputs[0]]]);
      const x = new Tensor('float32', [2, 3], Float32Array.of(-2, -1, 0, 1, 2, 3));
      const got = await s.run({ x });
      await using here = await getEngine('cpu').open(m, { threads: 1 });
      const want = await here.run({ x });
      const name = m.graph.outputs[0]!;
      assert.deepEqual([...(got[name]!.data as Float32Array)], [...(want[name]!.data as Float32Array)]);
      assert.deepEqual(got[name]!.dims, [2, 3]);
      // the feed stays usable here (it was copied, not transferred)
      assert.equal((x.data as Float32Array).length, 6);
      await assert.rejects(s.run({ y: x }), (e) => isTandemError(e, 'INPUT_MISMATCH') && /missing "x"; unknown "y"/.test(e.message));
      await assert.rejects(thread.open('webgpu', m), (e) => isTandemError(e, 'USAGE') && /only cpu and dla-emulated/.test(e.message));
      await s.close();
      await s.close();
      await assert.rejects(s.run({ x }), (e) => isTandemError(e, 'SESSION_CLOSED') && /closed/.test(e.message));
    } finally {
      await thread.close();
      await thread.close();
    }
    await assert.rejects(thread.open('cpu', model()), (e) => isTandemError(e, 'SESSION_CLOSED') && /worker thread of stream "test" is closed/.test(e.message));
  });
});
