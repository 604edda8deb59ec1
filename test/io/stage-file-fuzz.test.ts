import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { readStageFile } from '../../src/io/stage-file/index.js';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { isTandemError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/fixtures.js';

const tmp = tempDir('tandem-stage-fuzz-');
after(tmp.cleanup);
const dir = join(tmp.dir, 'f');
mkdirSync(dir);
for (const [name, i, o] of [['a', 'x', 't'], ['b', 't', 'y']] as const) {
  const b = new GraphBuilder(name, { opset: 17 });
  b.op('Relu', [b.input(i, 'float32', [1, 4])], {}, { outputs: [o] });
  b.output(o, 'float32', [1, 4]);
  saveModel(buildModel(b), join(dir, `${name}.onnx`));
}
const valid = {
  version: 2,
  kind: 'plan',
  target: 'host',
  cut: ['t'],
  stages: [
    { name: 'a', file: 'a.onnx', kind: 'backbone', inputs: ['x'], outputs: ['t'], engine: 'cpu', precision: 'fp32', choice: { how: 'pinned', reason: 'r' } },
    { name: 'b', file: 'b.onnx', kind: 'head', inputs: ['t'], outputs: ['y'], engine: 'cpu', precision: 'fp32', choice: { how: 'pinned', reason: 'r' } },
  ],
  tensors: [
    { name: 'x', dtype: 'float32', shape: [1, 4], from: null, to: ['a'], modelOutput: false },
    { name: 't', dtype: 'float32', shape: [1, 4], from: 'a', to: ['b'], modelOutput: false },
    { name: 'y', dtype: 'float32', shape: [1, 4], from: 'b', to: [], modelOutput: true },
  ],
};

/** Replaces the value at a random path of a JSON value with `v`. */
function mutate(doc: unknown, path: readonly number[], v: unknown): unknown {
  if (path.length === 0 || doc === null || typeof doc !== 'object') return v;
  const keys = Object.keys(doc);
  if (keys.length === 0) return v;
  const k = keys[path[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(doc) ? ([...doc] as unknown as Record<string, unknown>) : { ...(doc as Record<string, unknown>) };
  copy[k] = mutate((doc as Record<string, unknown>)[k], path.slice(1), v);
  return copy;
}

const SEED = 20261203;

describe('stage-file reader under mutation (fast-check)', () => {
  it('the valid plan loads', () => {
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(valid));
    assert.equal(readStageFile(join(dir, 'plan.json')).kind, 'plan');
  });
  it(`any mutated document loads or gives a TandemError, never another exception (seed ${SEED})`, () => {
    const value = fc.oneof(fc.jsonValue(), fc.constantFrom('../x', 'a\u0000', '.a', 'a.onnx', 'b', 't', 'y', -1, 1e300, null, [], {}, 'dla0', 'int8'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.nat(20), { maxLength: 5 }), value), { minLength: 1, maxLength: 4 }), (edits) => {
        let doc: unknown = valid;
        for (const [path, v] of edits) doc = mutate(doc, path, v);
        writeFileSync(join(dir, 'm.json'), JSON.stringify(doc) ?? 'null');
        try {
          readStageFile(join(dir, 'm.json'));
        } catch (e) {
          if (!isTandemError(e)) throw e;
          assert.ok(['STAGE_FILE', 'IO'].includes(e.code), `${e.code}: ${e.message}`);
          assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(e.message), 'control characters escaped');
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
