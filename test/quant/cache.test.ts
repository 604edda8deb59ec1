import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTandemError } from '../../src/util/errors.js';
import { fakeQuantize, float32Hex, hexFloat32, roundHalfEven, scaleFromAmax } from '../../src/quant/arithmetic.js';
import { cacheVersionMismatch, readCalibrationCache, trtVersionNumber, writeCalibrationCache } from '../../src/quant/calibration-cache.js';

describe('INT8 arithmetic (reference §1)', () => {
  it('gives the reference worked hex values of the scale amax/127', () => {
    assert.equal(float32Hex(scaleFromAmax(1.0)), '3c010204');
    assert.equal(float32Hex(scaleFromAmax(6.0)), '3d418306');
    assert.equal(float32Hex(scaleFromAmax(127)), '3f800000');
  });
  it('decodes the reference cache examples, padded or not', () => {
    assert.equal(hexFloat32('3c010204'), Math.fround(1 / 127));
    assert.ok(Math.abs(hexFloat32('3c00f9f4')! * 127 - 0.99976) < 1e-5);
    assert.equal(hexFloat32('0'), 0);
    assert.equal(hexFloat32('3c0102040'), undefined);
    assert.equal(hexFloat32('xyz'), undefined);
  });
  it('rounds half to even and saturates to [-128, 127]', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven), [0, 2, 2, -0, -2, -2, 2, -3]);
    assert.equal(fakeQuantize(1000, 1), 127);
    assert.equal(fakeQuantize(-1000, 1), -128);
    assert.equal(fakeQuantize(2.5, 1), 2);
  });
});

describe('calibration cache format (reference §3)', () => {
  it('numbers the header per TensorRT version', () => {
    const cases: [string, number][] = [['7.1.3', 7103], ['8.2.3', 8203], ['8.5.2', 8502], ['8.6.1', 8601], ['10.3.0', 100300], ['10.9.0', 100900], ['10.15.3.2', 101503], ['8600', 8600]];
    for (const [v, n] of cases) assert.equal(trtVersionNumber(v), n, v);
    assert.throws(() => trtVersionNumber('9.2.0'), (e) => isTandemError(e, 'USAGE') && /major version 9/.test(e.message));
    assert.throws(() => trtVersionNumber('eight'), (e) => isTandemError(e, 'USAGE'));
  });
  it('writes the exact text: header, "name: hex8" lines, LF, trailing LF', () => {
    const text = writeCalibrationCache([['images', scaleFromAmax(1)], ['conv1/Relu:0', scaleFromAmax(6)], ['logits', 1]], { trtVersion: '8.6.1' });
    assert.equal(text, 'TRT-8601-EntropyCalibration2\nimages: 3c010204\nconv1/Relu:0: 3d418306\nlogits: 3f800000\n');
    assert.equal(writeCalibrationCache([], { trtVersion: '10.3.0', algorithm: 'MinMaxCalibration' }), 'TRT-100300-MinMaxCalibration\n');
  });
  it('round-trips write → read exactly, names with ":" included', () => {
    const scales = new Map<string, number>([
      ['input', scaleFromAmax(2.640625)],
      ['/backbone/block.0/attn/MatMul_output_0', scaleFromAmax(17.3)],
      ['tf/BiasAdd:0', scaleFromAmax(1e-3)],
      ['tiny', Math.fround(1e-30)],
    ]);
    const back = readCalibrationCache(writeCalibrationCache(scales, { trtVersion: 100300 }));
    assert.deepEqual(back.header, { version: 100300, algorithm: 'EntropyCalibration2' });
    assert.deepEqual([...back.scales], [...scales]);
  });
  it('reads unpadded hex (QDQT/TAO) and CRLF', () => {
    const c = readCalibrationCache('TRT-8600-EntropyCalibration2\r\na: 3f800000\r\nb: 1\r\n\r\n');
    assert.equal(c.scales.get('a'), 1);
    assert.equal(c.scales.get('b'), hexFloat32('00000001'));
  });
  it('refuses what TensorRT would refuse, with the line named', () => {
    assert.throws(() => writeCalibrationCache([['x', 0]], { trtVersion: '8.6.1' }), (e) => isTandemError(e, 'CALIB_CACHE') && e.message === 'tensor "x" has scale 0; TensorRT needs a positive finite scale ("Scale coefficients must all be positive")');
    assert.throws(() => readCalibrationCache('calibration.cache\nx 0.5\n', 'c.cache'), (e) => isTandemError(e, 'CALIB_CACHE') && /^c\.cache: line 1 is "calibration\.cache"/.test(e.message));
    assert.throws(() => readCalibrationCache('TRT-8601-EntropyCalibration2\nx 0.5\n', 'c.cache'), (e) => isTandemError(e, 'CALIB_CACHE') && /line 2/.test(e.message));
    assert.throws(() => readCalibrationCache('TRT-8601-EntropyCalibration2\nx: 3f800000\nx: 3f800000\n'), (e) => isTandemError(e, 'CALIB_CACHE') && /appears twice/.test(e.message));
  });
  it('reports a version mismatch, major or patch', () => {
    assert.match(cacheVersionMismatch({ version: 8600, algorithm: 'EntropyCalibration2' }, '10.3.0')!, /major version differs/);
    assert.match(cacheVersionMismatch({ version: 8600, algorithm: 'EntropyCalibration2' }, '8.6.1')!, /patch-level/);
    assert.equal(cacheVersionMismatch({ version: 8601, algorithm: 'EntropyCalibration2' }, '8.6.1'), undefined);
  });
});
