import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GraphBuilder, attr, buildModel, Tensor } from '../../src/ir/index.js';
import { decodeModel, encodeModel, loadModel } from '../../src/onnx/index.js';
import { createRng } from '../../src/util/random.js';
import { isTandemError, type ErrorCode } from '../../src/util/errors.js';
import { fixture, tempDir } from '../helpers/fixtures.js';
import { message, varint, type Field } from '../helpers/proto.js';

/** decode must either succeed or throw a TandemError; anything else is a crash. */
function decodeOrTandemError(bytes: Uint8Array): 'ok' | ErrorCode {
  try {
    const m = decodeModel(bytes);
    // a model that decoded must also survive being walked and written back
    void m.graph.nodes;
    encodeModel(m);
    return 'ok';
  } catch (e) {
    if (isTandemError(e)) return e.code;
    throw new Error(`non-TandemError on ${bytes.length} bytes: ${(e as Error).stack}`);
  }
}

function smallModel(): Uint8Array {
  const b = new GraphBuilder('g');
  const x = b.input('x', 'float32', ['N', 2, 4, 4]);
  const w = new Tensor('float32', [3, 2, 3, 3], Float32Array.from({ length: 54 }, (_, i) => i / 54));
  const y = b.op('LeakyRelu', [b.conv(x, w, undefined, { pads: [1, 1, 1, 1] })], { alpha: attr.float(0.2) });
  b.output(b.reshape(y, [0, -1]), 'float32', ['N', 48]);
  return encodeModel(buildModel(b));
}

function expectCode(bytes: Uint8Array, code: ErrorCode, pattern: RegExp): void {
  assert.throws(() => decodeModel(bytes), (e: unknown) => {
    assert.ok(isTandemError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('truncated and corrupted files', () => {
  it('every prefix of a small model decodes or gives a TandemError', () => {
    const bytes = smallModel();
    const codes = new Set<string>();
    for (let n = 0; n < bytes.length; n++) codes.add(decodeOrTandemError(bytes.subarray(0, n)));
    assert.ok(codes.has('ONNX_PARSE'));
  });

  it('sampled prefixes of a PyTorch export decode or give a TandemError', () => {
    const bytes = readFileSync(fixture('pytorch', 'tiny_vit_legacy.onnx'));
    for (let n = 0; n < bytes.length; n += 97) decodeOrTandemError(bytes.subarray(0, n));
  });

  it('random byte corruption never crashes (2000 seeded mutations)', () => {
    const base = smallModel();
    const rng = createRng(42);
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(base);
      const flips = 1 + rng.int(0, 4);
      for (let k = 0; k < flips; k++) bytes[rng.int(0, bytes.length)] = rng.int(0, 256);
      decodeOrTandemError(bytes);
    }
  });

  it('random garbage never crashes', () => {
    const rng = createRng(7);
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from({ length: rng.int(1, 300) }, () => rng.int(0, 256));
      decodeOrTandemError(bytes);
    }
  });

  it('names the byte offset and the field path', () => {
    const bytes = smallModel();
    const cut = bytes.subarray(0, bytes.length - 20);
    assert.throws(() => decodeModel(cut), (e: unknown) => isTandemError(e, 'ONNX_PARSE') && /byte offset \d+/.test(e.message) && /field ModelProto\.graph[A-Za-z_.[\]0-9()]*/.test(e.message));
  });

  it('a non-ONNX file (text, PNG) is refused', () => {
    expectCode(new TextEncoder().encode('this is not a model\n'), 'ONNX_PARSE', /not an ONNX model|wire type|past the end/);
    expectCode(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'ONNX_PARSE', /./);
  });
});

describe('crafted files', () => {
  const graphWith = (fields: Field[]): Uint8Array => message([{ n: 1, varint: 8 }, { n: 7, bytes: fields }, { n: 8, bytes: [{ n: 2, varint: 17 }] }]);

  it('a wrong wire type for a known field', () => {
    expectCode(message([{ n: 1, bytes: 'eight' }]), 'ONNX_PARSE', /ir_version has wire type length-delimited, expected varint/);
  });

  it('a length past the end of the enclosing message', () => {
    const bytes = Uint8Array.from([0x3a, ...varint(1000), 0x0a, 0x00]);
    expectCode(bytes, 'ONNX_PARSE', /length 1000 runs past the end/);
  });

  it('a huge declared length in a tiny file fails fast, without allocating it', () => {
    const bytes = Uint8Array.from([0x3a, ...varint(2 ** 40), 0x0a]);
    const t0 = performance.now();
    expectCode(bytes, 'ONNX_PARSE', /runs past the end/);
    assert.ok(performance.now() - t0 < 50);
  });

  it('a declared tensor size with no bytes behind it', () => {
    const bytes = graphWith([{ n: 5, bytes: [{ n: 1, varint: 1_000_000_000 }, { n: 1, varint: 1_000_000_000 }, { n: 2, varint: 1 }, { n: 8, bytes: 'w' }] }]);
    expectCode(bytes, 'ONNX_PARSE', /declares shape \[1000000000,1000000000\] but holds no data/);
  });

  it('raw_data shorter than the shape needs', () => {
    const bytes = graphWith([{ n: 5, bytes: [{ n: 1, varint: 1000 }, { n: 2, varint: 1 }, { n: 8, bytes: 'w' }, { n: 9, bytes: new Uint8Array(12) }] }]);
    expectCode(bytes, 'ONNX_PARSE', /needs 4000 bytes of raw_data, found 12/);
  });

  it('packed int32_data with a length past the message', () => {
    const t = Uint8Array.from([0x08, 0x02, 0x10, 0x06, 0x2a, 0x10, 0x01]); // dims 2, int32, int32_data len 16 but 1 byte
    expectCode(graphWith([{ n: 5, bytes: t }]), 'ONNX_PARSE', /runs past the end/);
  });

  it('int32/int64/uint64 data in two packed runs, the second of 200,000 values, decodes (no stack overflow)', () => {
    const n = 200_000;
    const packed = (from: number, count: number): Uint8Array => Uint8Array.from({ length: count }, (_, i) => (from + i) % 100);
    for (const [dtype, field] of [[6, 5], [7, 7], [13, 11]] as const) {
      const t: Field[] = [{ n: 1, varint: n + 3 }, { n: 2, varint: dtype }, { n: 8, bytes: 'w' }, { n: field, bytes: packed(0, 3) }, { n: field, bytes: packed(3, n) }];
      const m = decodeModel(graphWith([{ n: 5, bytes: t }]));
      const w = m.graph.initializers.get('w')!;
      assert.equal(w.size, n + 3);
      assert.equal(Number(w.data[n + 2]), (n + 2) % 100);
    }
  });

  it('a varint longer than 10 bytes', () => {
    expectCode(Uint8Array.from([0x08, ...Array(11).fill(0xff), 0x01]), 'ONNX_PARSE', /varint/);
  });

  it('an unknown data type', () => {
    expectCode(graphWith([{ n: 5, bytes: [{ n: 1, varint: 1 }, { n: 2, varint: 99 }, { n: 8, bytes: 'w' }] }]), 'ONNX_UNSUPPORTED', /data type code 99/);
  });

  it('nesting deeper than the limit (If in If in If ...)', () => {
    let g: Field[] = [{ n: 2, bytes: 'leaf' }];
    for (let i = 0; i < 80; i++) g = [{ n: 1, bytes: [{ n: 4, bytes: 'If' }, { n: 5, bytes: [{ n: 1, bytes: 'then_branch' }, { n: 6, bytes: g }, { n: 20, varint: 5 }] }] }];
    expectCode(graphWith(g), 'ONNX_PARSE', /nesting deeper than 64/);
  });

  it('a cycle in the graph is a GRAPH_CYCLE naming the nodes', () => {
    const bytes = graphWith([
      { n: 1, bytes: [{ n: 1, bytes: 'b' }, { n: 2, bytes: 'a' }, { n: 3, bytes: 'first' }, { n: 4, bytes: 'Relu' }] },
      { n: 1, bytes: [{ n: 1, bytes: 'a' }, { n: 2, bytes: 'b' }, { n: 3, bytes: 'second' }, { n: 4, bytes: 'Relu' }] },
    ]);
    const m = decodeModel(bytes);
    assert.throws(() => m.graph.nodes, (e: unknown) => isTandemError(e, 'GRAPH_CYCLE') && /"first"/.test(e.message) && /"second"/.test(e.message));
  });

  it('two nodes writing one tensor', () => {
    const node = (name: string): Field => ({ n: 1, bytes: [{ n: 1, bytes: 'x' }, { n: 2, bytes: 'y' }, { n: 3, bytes: name }, { n: 4, bytes: 'Relu' }] });
    expectCode(graphWith([node('p'), node('q')]), 'GRAPH_INVALID', /produced by both/);
  });

  it('loadModel on a directory or a missing file', () => {
    const { dir, cleanup } = tempDir();
    try {
      assert.throws(() => loadModel(dir), (e: unknown) => isTandemError(e, 'IO'));
      assert.throws(() => loadModel(join(dir, 'none.onnx')), (e: unknown) => isTandemError(e, 'FILE_NOT_FOUND'));
      writeFileSync(join(dir, 'cut.onnx'), smallModel().subarray(0, 100));
      assert.throws(() => loadModel(join(dir, 'cut.onnx')), (e: unknown) => isTandemError(e, 'ONNX_PARSE') && e.message.includes('cut.onnx'));
    } finally {
      cleanup();
    }
  });
});
