import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel, Tensor, attr } from '../../src/ir/index.js';
import { inferShapes, modelCost } from '../../src/ops/index.js';
import { randomInputs } from '../../src/runtime/index.js';
import { createRng, randomNormal } from '../../src/util/random.js';
import { ortShapes } from '../helpers/ort-shapes.js';

const GATES = { RNN: 1, GRU: 3, LSTM: 4 } as const;

function recurrent(cell: keyof typeof GATES, direction: string, withState: boolean) {
  const rng = createRng(3);
  const [seq, batch, input, hidden] = [5, 2, 6, 4];
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const g = GATES[cell];
  const b = new GraphBuilder('rnn');
  const x = b.input('x', 'float32', [seq, 'B', input]);
  const w = b.initializer('W', new Tensor('float32', [dirs, g * hidden, input], randomNormal(rng, dirs * g * hidden * input, 0.3)));
  const r = b.initializer('R', new Tensor('float32', [dirs, g * hidden, hidden], randomNormal(rng, dirs * g * hidden * hidden, 0.3)));
  const bias = b.initializer('Bias', new Tensor('float32', [dirs, 2 * g * hidden], randomNormal(rng, dirs * 2 * g * hidden, 0.1)));
  const h0 = withState ? b.input('h0', 'float32', [dirs, 'B', hidden]) : undefined;
  const outs = b.opMulti(cell, [x, w, r, bias, undefined, h0], { hidden_size: attr.int(hidden), direction: attr.string(direction) }, { outputs: cell === 'LSTM' ? 3 : 2 });
  for (const o of outs) b.output(o);
  return { model: buildModel(b, { opsetImports: [{ domain: '', version: 14 }] }), outs, seq, batch, input, hidden, dirs, g };
}

describe('RNN, GRU, LSTM', () => {
  for (const cell of ['RNN', 'GRU', 'LSTM'] as const) {
    for (const direction of ['forward', 'bidirectional']) {
      it(`${cell} ${direction}: inferred shapes equal onnxruntime's`, async () => {
        const { model, outs } = recurrent(cell, direction, cell !== 'RNN');
        inferShapes(model);
        const actual = await ortShapes(model, randomInputs(model, { dims: { B: 2 } }));
        inferShapes(model, { dims: { B: 2 } });
        for (const o of outs) assert.deepEqual(model.graph.tensorType(o)?.shape, actual.get(o), o);
      });
    }
  }

  it('keeps the batch symbolic and counts the gate products as MACs', () => {
    const { model, outs, seq, batch, input, hidden, dirs, g } = recurrent('GRU', 'forward', false);
    inferShapes(model);
    assert.deepEqual(model.graph.tensorType(outs[0]!)?.shape, [5, 1, 'B', 4]);
    const cost = modelCost(model, { dims: { B: batch } });
    assert.equal(cost.totals.macs, seq * dirs * batch * g * hidden * (input + hidden));
  });
});
