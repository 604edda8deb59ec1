/**
 * The worker side of a SessionThread (session-thread.ts): opens sessions on this thread's own
 * onnxruntime binding and runs them when asked. Not a public module; loaded by `new Worker`.
 */
import { parentPort } from 'node:worker_threads';
import { assert, isTandemError } from '../../util/errors.js';
import { Tensor } from '../../ir/tensor.js';
import { getEngine } from './registry.js';
import type { Session } from './types.js';
import type { WireReply, WireRequest, WireTensor } from './session-thread.js';

const port = parentPort;
const sessions = new Map<number, Session>();

function toWire(t: Tensor): { wire: WireTensor; transfer: ArrayBuffer[] } {
  if (Array.isArray(t.data)) return { wire: { dtype: t.dtype, dims: [...t.dims], data: t.data as never }, transfer: [] };
  let data = t.data as ArrayBufferView;
  // onnxruntime's output arrays own their buffer; anything else is copied before it is given away
  if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || !(data.buffer instanceof ArrayBuffer)) data = (data as unknown as { slice(): ArrayBufferView }).slice();
  return { wire: { dtype: t.dtype, dims: [...t.dims], data }, transfer: [data.buffer as ArrayBuffer] };
}

async function handle(m: WireRequest): Promise<{ reply: WireReply; transfer: ArrayBuffer[] }> {
  switch (m.kind) {
    case 'open': {
      const session = await getEngine(m.engine).open(m.model, m.options);
      sessions.set(m.session, session);
      return { reply: { id: m.id, ok: true, inputNames: [...session.inputNames], outputNames: [...session.outputNames] }, transfer: [] };
    }
    case 'run': {
      const session = sessions.get(m.session);
      assert(session !== undefined, () => `no session ${m.session} on this thread`);
      const feeds = Object.fromEntries(Object.entries(m.feeds).map(([k, w]) => [k, new Tensor(w.dtype, w.dims, w.data as never, { name: k })]));
      const out = await session.run(feeds, m.outputs !== undefined ? { outputs: m.outputs } : {});
      const outputs: Record<string, WireTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [k, t] of Object.entries(out)) {
        const w = toWire(t);
        outputs[k] = w.wire;
        transfer.push(...w.transfer);
      }
      return { reply: { id: m.id, ok: true, outputs }, transfer };
    }
    case 'close': {
      const session = sessions.get(m.session);
      sessions.delete(m.session);
      await session?.close();
      return { reply: { id: m.id, ok: true }, transfer: [] };
    }
  }
}

port?.on('message', (m: WireRequest) => {
  handle(m).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (e: unknown) => port.postMessage({ id: m.id, ok: false, ...(isTandemError(e) ? { code: e.code } : {}), message: (e as Error)?.message ?? String(e) } satisfies WireReply),
  );
});
