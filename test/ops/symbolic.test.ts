import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dim } from '../../src/ir/types.js';
import { addDims, ceilDivDims, dimsEqual, divDimsExact, dimSymbols, evaluateDim, floorDivDims, isNonNegativeDim, mulDims, productOfDims, subDims } from '../../src/ops/symbolic.js';

describe('symbolic dims', () => {
  const cases: [string, Dim, Dim][] = [
    ['batch*3', mulDims('batch', 3), 'batch*3'],
    ['3*batch is the same spelling', mulDims(3, 'batch'), 'batch*3'],
    ['products sort their symbols', mulDims('W', 'H'), 'H*W'],
    ['a product of products', mulDims(mulDims('N', 2), mulDims('H', 4)), 'H*N*8'],
    ['N + 1', addDims('N', 1), 'N+1'],
    ['N - 2', subDims('N', 2), 'N-2'],
    ['N - N = 0', subDims('N', 'N'), 0],
    ['(N+1) - 1 = N', subDims(addDims('N', 1), 1), 'N'],
    ['N*256 / (N*64) = 4', divDimsExact(mulDims('N', 256), mulDims('N', 64)), 4],
    ['N*6 / 2 = N*3', divDimsExact(mulDims('N', 6), 2), 'N*3'],
    ['N / 2 is not exact', divDimsExact('N', 2), null],
    ['N*H*W / W = H*N', divDimsExact(productOfDims(['N', 'H', 'W']), 'W'), 'H*N'],
    ['(2N+2) / (N+1) = 2', divDimsExact(addDims(mulDims('N', 2), 2), addDims('N', 1)), 2],
    ['unknown times anything', mulDims(null, 'N'), null],
    ['0 times unknown is 0', mulDims(0, null), 0],
    ['product with a 0 is 0', productOfDims([null, 0, 'N']), 0],
    ['numbers stay numbers', productOfDims([2, 3, 4]), 24],
    ['floor of numbers', floorDivDims(7, 2), 3],
    ['ceil of numbers', ceilDivDims(7, 2), 4],
    ['floor of a symbol that divides', floorDivDims(mulDims('N', 4), 2), 'N*2'],
    ['floor of a symbol that does not', floorDivDims('N', 3), null],
    ['an opaque name is not parsed', mulDims('2*N', 3), null],
    ['a name with odd characters is opaque', addDims('dim-0', 1), null],
  ];
  for (const [what, got, want] of cases) it(what, () => assert.equal(got, want));

  it('re-reads its own spellings', () => {
    assert.equal(mulDims('batch*3', 2), 'batch*6');
    assert.equal(addDims('H-1', 1), 'H');
    assert.equal(divDimsExact('H*W*4', 'H*W'), 4);
  });

  it('decides equality only where it is certain', () => {
    assert.equal(dimsEqual('N', 'N'), true);
    assert.equal(dimsEqual('N', 'M'), undefined);
    assert.equal(dimsEqual('N+1', 'N'), false);
    assert.equal(dimsEqual('N', -1), false, 'a size is never negative');
    assert.equal(dimsEqual('N+1', 0), false);
    assert.equal(dimsEqual('N', 0), undefined);
    assert.equal(dimsEqual(null, 3), undefined);
    assert.equal(dimsEqual(3, 4), false);
    assert.equal(isNonNegativeDim('N*2+1'), true);
    assert.equal(isNonNegativeDim('N-1'), false);
  });

  it('evaluates expressions with a dims map', () => {
    assert.equal(evaluateDim('N*3', { N: 4 }), 12);
    assert.equal(evaluateDim('H*W*2+1', { H: 3, W: 5 }), 31);
    assert.equal(evaluateDim('N-2', { N: 5 }), 3);
    assert.equal(evaluateDim('N', {}), undefined);
    assert.equal(evaluateDim('dim-0', { 'dim-0': 7 }), 7);
    assert.equal(evaluateDim(null, { N: 1 }), undefined);
    assert.deepEqual(dimSymbols('H*N*8').sort(), ['H', 'N']);
  });
});
