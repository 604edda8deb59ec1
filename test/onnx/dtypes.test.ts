import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DATA_TYPES, dataTypeFromCode, GraphBuilder, buildModel, Tensor, tensorFromValues, tensorValues, type DataType } from '../../src/ir/index.js';
import { decodeModel, encodeModel } from '../../src/onnx/index.js';
import { bfloat16Bits, float16Bits, float16Value, miniFloatBits, miniFloatValue } from '../../src/util/float16.js';
import { fixture } from '../helpers/fixtures.js';

interface Expected {
  dtype: number;
  raw: boolean;
  values: (number | string)[];
}

const oracle = JSON.parse(readFileSync(fixture('onnx', 'kitchen_sink.json'), 'utf8')) as { tensors: Record<string, Expected> };
const model = decodeModel(readFileSync(fixture('onnx', 'kitchen_sink.onnx')));

describe('every TensorProto data type, as the onnx package writes it', () => {
  for (const [name, want] of Object.entries(oracle.tensors)) {
    it(`${name}: type ${want.dtype}, ${want.raw ? 'raw_data' : 'typed field'}`, () => {
      const t = model.graph.initializers.get(name)!;
      assert.ok(t, 'present');
      assert.equal(t.dtype, dataTypeFromCode(want.dtype));
      assert.equal(t.storage, want.raw ? 'raw' : 'typed');
      if (t.dtype === 'string') {
        assert.deepEqual((t.data as Uint8Array[]).map((s) => new TextDecoder().decode(s)), want.values);
      } else if (t.dtype === 'complex64' || t.dtype === 'complex128') {
        assert.deepEqual(Array.from(t.data as Float32Array), want.values);
      } else if (t.dtype === 'int64' || t.dtype === 'uint64') {
        // JSON numbers past 2^53 round the same way Number(bigint) does; the extremes are checked exactly below
        assert.deepEqual(Array.from(t.data as BigInt64Array, Number), want.values);
      } else {
        const got = tensorValues(t);
        want.values.forEach((v, i) => assert.ok(Object.is(got[i], v) || got[i] === v, `element ${i}: ${got[i]} vs ${v}`));
      }
    });
  }

  it('keeps int64 and uint64 extremes exact', () => {
    for (const suffix of ['raw', 'typed']) {
      const i64 = model.graph.initializers.get(`i64_${suffix}`)!.data as BigInt64Array;
      assert.equal(i64[0], -(2n ** 63n));
      assert.equal(i64[1], 2n ** 63n - 1n);
      const u64 = model.graph.initializers.get(`u64_${suffix}`)!.data as BigUint64Array;
      assert.equal(u64[1], 2n ** 64n - 1n);
    }
  });
});

describe('encoding every data type in both forms', () => {
  const sample: Record<DataType, number[]> = {
    float32: [1.5, -2, 0], float64: [1e-300, -2, 3], float16: [1, -2, 0.5], bfloat16: [1, -2, 0.5], int8: [-128, 127, 0],
    uint8: [0, 255, 7], int16: [-32768, 32767, 1], uint16: [0, 65535, 2], int32: [-2147483648, 2147483647, 3],
    uint32: [0, 4294967295, 4], int64: [-5, 2 ** 40, 6], uint64: [0, 2 ** 40, 7], bool: [1, 0, 1],
    float8e4m3fn: [1, -2, 448], float8e4m3fnuz: [1, -2, 240], float8e5m2: [1, -2, 57344], float8e5m2fnuz: [1, -2, 0.5],
    float8e8m0: [1, 2, 0.25], uint4: [0, 15, 3], int4: [-8, 7, -1], float4e2m1: [0.5, -6, 1.5], uint2: [0, 3, 1], int2: [-2, 1, -1],
    string: [], complex64: [], complex128: [],
  };
  for (const dtype of Object.keys(DATA_TYPES) as DataType[]) {
    if (dtype === 'string' || dtype === 'complex64' || dtype === 'complex128') continue;
    for (const storage of ['raw', 'typed'] as const) {
      it(`${dtype} as ${storage}`, () => {
        const t = tensorFromValues(dtype, [3], sample[dtype]);
        t.storage = storage;
        const b = new GraphBuilder('g');
        b.initializer('t', t);
        const x = b.input('x', 'float32', [1]);
        b.output(b.relu(x));
        const bytes = encodeModel(buildModel(b));
        const back = decodeModel(bytes).graph.initializers.get('t')!;
        assert.equal(back.dtype, dtype);
        assert.equal(back.storage, storage);
        assert.deepEqual(tensorValues(back), tensorValues(t));
        assert.deepEqual(Array.from(back.data as Uint8Array), Array.from(t.data as Uint8Array));
        assert.deepEqual(encodeModel(decodeModel(bytes)), bytes);
      });
    }
  }

  it('string and complex tensors', () => {
    const s = new Tensor('string', [2], [new TextEncoder().encode('a'), new Uint8Array([0xff, 0x00])]);
    const c = new Tensor('complex128', [2], new Float64Array([1, 2, 3, 4]));
    c.storage = 'typed';
    const b = new GraphBuilder('g');
    b.initializer('s', s);
    b.initializer('c', c);
    b.output(b.relu(b.input('x', 'float32', [1])));
    const back = decodeModel(encodeModel(buildModel(b))).graph;
    assert.deepEqual((back.initializers.get('s')!.data as Uint8Array[]).map((x) => Array.from(x)), [[0x61], [0xff, 0x00]]);
    assert.deepEqual(Array.from(back.initializers.get('c')!.data as Float64Array), [1, 2, 3, 4]);
  });
});

describe('narrow float conversions', () => {
  it('float16 rounds to nearest even and keeps specials', () => {
    assert.equal(float16Bits(1), 0x3c00);
    assert.equal(float16Bits(65504), 0x7bff);
    assert.equal(float16Bits(65520), 0x7c00); // rounds up to inf
    assert.equal(float16Bits(1 + 2 ** -11), 0x3c00); // tie → even
    assert.equal(float16Bits(1 + 3 * 2 ** -11), 0x3c02);
    assert.equal(float16Bits(2 ** -24), 0x0001); // smallest subnormal
    assert.equal(float16Bits(-0), 0x8000);
    assert.ok(Number.isNaN(float16Value(float16Bits(NaN))));
    for (let bits = 0; bits < 0x7c00; bits += 37) assert.equal(float16Bits(float16Value(bits)), bits);
  });

  it('bfloat16 and float8 round-trip their representable values', () => {
    assert.equal(bfloat16Bits(1), 0x3f80);
    assert.equal(bfloat16Bits(-2), 0xc000);
    for (const fmt of ['float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz'] as const) {
      for (let bits = 0; bits < 256; bits++) {
        const v = miniFloatValue(fmt, bits);
        if (Number.isFinite(v) && !Object.is(v, -0)) assert.equal(miniFloatValue(fmt, miniFloatBits(fmt, v)), v, `${fmt} ${bits}`);
      }
    }
    assert.equal(miniFloatValue('float8e4m3fn', miniFloatBits('float8e4m3fn', 1000)), 448, 'saturates to the largest finite value');
  });
});
