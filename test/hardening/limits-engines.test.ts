import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import type { Model } from '../../src/ir/model.js';
import { Tensor } from '../../src/ir/tensor.js';
import { saveModel } from '../../src/onnx/index.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { runOnce } from '../../src/runtime/run-once.js';
import { checkEquivalent, randomInputs } from '../../src/runtime/verify.js';
import { isTandemError } from '../../src/util/errors.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { shapedModel } from './helpers.js';

const tmp = tempDir('tandem-limits-');
after(tmp.cleanup);

async function rejectsCode(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => {
      assert.ok(isTandemError(e), `expected a TandemError, got ${String((e as Error)?.stack ?? e)}`);
      assert.equal(e.code, code, e.message);
      if (message) assert.match(e.message, message);
      return true;
    },
  );
}

describe('item 9: one element limit, checked before allocating, dims in the message', () => {
  for (const [label, shape, code, message] of [
    ['a negative declared dim', [-5, 3], 'DYNAMIC_SHAPE', /\[-5, 3\].*non-negative integer/],
    ['a dim of 2^40', [2 ** 40], 'TOO_LARGE', /\[1099511627776\]/],
    ['[1, 3, 1e5, 1e5]', [1, 3, 100000, 100000], 'TOO_LARGE', /\[1, 3, 100000, 100000\] = 3\.000e\+10 elements, over tandem's limit/],
  ] as const) {
    it(`random inputs (run, prepare's check, fp16's check) refuse ${label}`, async () => {
      const model = shapedModel([...shape]);
      await rejectsCode(() => randomInputs(model), code, message);
      await rejectsCode(runOnce(model), code, message);
      await rejectsCode(checkEquivalent(model, model), code, message);
    });
  }
  it('run --dims batch=1000000000 is refused before allocating; fp16 and prepare refuse huge declared dims', async () => {
    const m = join(tmp.dir, 'dyn.onnx');
    saveModel(shapedModel(['batch', 3, 224, 224]), m);
    const r = await cli('run', m, '--dims', 'batch=1000000000');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /input "x" \(declared shape \[batch, 3, 224, 224\]\) would have dims \[1000000000, 3, 224, 224\].*\[TOO_LARGE\]$/m);
    const huge = join(tmp.dir, 'huge.onnx');
    saveModel(shapedModel([1, 3, 100000, 100000]), huge);
    for (const argv of [['fp16', huge, '-o', join(tmp.dir, 'h16.onnx')], ['prepare', huge, '-o', join(tmp.dir, 'hp.onnx')]]) {
      const x = await cli(...argv);
      assert.equal(x.code, 2, x.stderr);
      assert.match(x.stderr, /\[TOO_LARGE\]/);
    }
    const overflow = await cli('run', m, '--dims', 'batch=99999999999999999999');
    assert.equal(overflow.code, 2);
    assert.match(overflow.stderr, /needs a positive integer size/);
  });
  it('quantize with images refuses to resize to a declared 30000x30000 before calibrating', async () => {
    const m = join(tmp.dir, 'big-image.onnx');
    saveModel(shapedModel([1, 3, 30000, 30000]), m);
    const calib = join(tmp.dir, 'images');
    mkdirSync(calib);
    writeFileSync(join(calib, 'a.png'), await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer());
    const r = await cli('quantize', m, '--calib', calib, '--trt-version', '8.6.1', '-o', join(tmp.dir, 'q'));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\[30000, 30000, 3\].*--size HxW \[TOO_LARGE\]/);
  });
});

function model4bit(kind: 'int4-in' | 'uint4-in' | 'int4-out' | 'uint4-out' | 'optional-out' | 'optional-empty' | 'cast-untyped'): Model {
  const b = new GraphBuilder('m', { opset: 21 });
  if (kind === 'int4-in' || kind === 'uint4-in') {
    const x = b.input('x', kind === 'int4-in' ? 'int4' : 'uint4', [2, 3]);
    b.output(b.op('Cast', [x], { to: 1 }), 'float32', [2, 3]);
  } else if (kind === 'int4-out' || kind === 'uint4-out') {
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.op('Cast', [x], { to: kind === 'int4-out' ? 22 : 21 }), kind === 'int4-out' ? 'int4' : 'uint4', [2, 3]);
  } else if (kind === 'cast-untyped') {
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.op('Cast', [x], { to: 22 }));
  } else {
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.relu(x), 'float32', [2, 3]);
    const n = kind === 'optional-out' ? b.node('Optional', [x]) : b.node('Optional', []);
    if (kind === 'optional-empty') n.attrs.set('type', { type: 'typeProto', value: { kind: 'tensor', dtype: 'float32', shape: undefined } });
    b.graph.addOutput(n.outputs[0]!, { kind: 'optional', elem: { kind: 'tensor', dtype: 'float32', shape: [2, 3] } });
  }
  return buildModel(b);
}

describe('item 8: 4-bit and optional I/O are refused before onnxruntime-node sees them', () => {
  // Each of these, given to onnxruntime-node 1.30, throws a TypeError or kills the process (rc 134 / 139).
  for (const kind of ['int4-in', 'uint4-in', 'int4-out', 'uint4-out', 'optional-out', 'optional-empty', 'cast-untyped'] as const) {
    it(`${kind}: ENGINE_RUN before a session is opened (Model, file path and bytes alike)`, async () => {
      const model = model4bit(kind);
      const file = join(tmp.dir, `${kind}.onnx`);
      saveModel(model, file);
      await rejectsCode(getEngine('cpu').open(model), 'ENGINE_RUN', /onnxruntime-node cannot pass it .* no session was opened/);
      await rejectsCode(getEngine('cpu').open(file), 'ENGINE_RUN');
      const r = await cli('run', file);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /\[ENGINE_RUN\]\n$/);
    });
  }
  it('an int4 tensor fed to a session is refused by the conversion with a clear error', async () => {
    const b = new GraphBuilder('m', { opset: 17 });
    const x = b.input('x', 'float32', [2]);
    b.output(b.relu(x), 'float32', [2]);
    await using s = await getEngine('cpu').open(buildModel(b));
    await rejectsCode(s.run({ x: new Tensor('int4', [2], new Uint8Array(1)) }), 'INPUT_MISMATCH', /input "x" has type int4, which onnxruntime-node cannot pass/);
  });
});
