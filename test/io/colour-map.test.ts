import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { colourMap, colourMapKind } from '../../src/io/colour-map.js';
import { resizeBilinear } from '../../src/io/resample.js';
import { segmentationArgmax } from '../../src/eval/predictions.js';

/** The class index each pixel of a class-map picture shows (colours are distinct per class). */
function classesOf(rgb: Uint8Array, palette: Map<string, number>): number[] {
  const out: number[] = [];
  for (let p = 0; p < rgb.length / 3; p++) out.push(palette.get(`${rgb[p * 3]},${rgb[p * 3 + 1]},${rgb[p * 3 + 2]}`)!);
  return out;
}

describe('colour maps of outputs made at a stride', () => {
  // 3 classes on a 2x3 grid; class 2 is a thin band that an argmax before upsampling would widen
  const logits = new Float32Array([
    1, 0, 0, 1, 0, 0, // class 0
    0, 1, 0, 0, 1, 0, // class 1
    0, 0.9, 1, 0, 0.9, 1, // class 2
  ]);
  const t = new Tensor('float32', [1, 3, 2, 3], logits);
  const palette = new Map<string, number>();
  for (let c = 0; c < 3; c++) {
    const one = new Float32Array(3);
    one[c] = 1;
    const { rgb } = colourMap(new Tensor('float32', [1, 3, 1, 1], one), 'classes');
    palette.set(`${rgb[0]},${rgb[1]},${rgb[2]}`, c);
  }

  it('draws class logits at the image size from their bilinear upsampling, as eval scores them', () => {
    assert.equal(colourMapKind(t), 'classes');
    const { width, height, rgb } = colourMap(t, 'classes', { height: 8, width: 12 });
    assert.deepEqual([width, height], [12, 8]);
    assert.deepEqual(classesOf(rgb, palette), [...segmentationArgmax(logits, 3, 2, 3, 8, 12)]);
    // at its own size, the plain argmax
    assert.deepEqual(classesOf(colourMap(t, 'classes').rgb, palette), [0, 1, 2, 0, 1, 2]);
  });

  it('draws class ids nearest and scalar maps bilinearly', () => {
    const ids = new Tensor('int32', [1, 2, 2], new Int32Array([0, 1, 2, 0]));
    const big = colourMap(ids, 'ids', { height: 4, width: 4 });
    const own = colourMap(ids, 'ids');
    // each id becomes a 2x2 block
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) {
      const src = (Math.floor(y / 2) * 2 + Math.floor(x / 2)) * 3;
      assert.deepEqual([...big.rgb.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)], [...own.rgb.subarray(src, src + 3)]);
    }
    const depth = new Float32Array([0, 1, 2, 3]);
    const up = resizeBilinear(depth, 2, 2, 4, 4);
    const drawn = colourMap(new Tensor('float32', [1, 1, 2, 2], depth), 'scalar', { height: 4, width: 4 });
    const again = colourMap(new Tensor('float32', [1, 1, 4, 4], up), 'scalar');
    assert.deepEqual([...drawn.rgb], [...again.rgb]);
  });
});
