import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { tensorValues } from '../../src/ir/tensor-values.js';
import { normalizePixels } from '../../src/plan/frame-io.js';
import { imageToPixels, packPixels, pixelFloatShape, resolvePixelPreprocess } from '../../src/quant/image-pixels.js';
import { imageToTensor, resolveImagePreprocess } from '../../src/quant/image-preprocess.js';
import { isTandemError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/fixtures.js';

const tmp = tempDir('tandem-image-pixels-');
after(tmp.cleanup);
const file = join(tmp.dir, 'frame.png');

before(async () => {
  const rgb = Uint8Array.from({ length: 9 * 13 * 3 }, (_, i) => (i * 97 + (i % 3) * 41) % 256);
  await sharp(rgb, { raw: { width: 13, height: 9, channels: 3 } }).png().toFile(file);
});

describe('images as pixels in a plan\'s encoding', () => {
  for (const channelOrder of ['rgb', 'bgr'] as const) {
    for (const encoding of ['rgba-uint32', 'uint8-hwc', 'uint8-chw'] as const) {
      it(`${encoding}, ${channelOrder}: the graph's normalisation of the pixels is the float path's tensor`, async () => {
        const norm = { mean: [0.5, 0.25, 0.125], std: [0.25, 0.5, 0.75], scale: 1 / 255 };
        const p = resolveImagePreprocess({ ...norm, channelOrder }, [1, 3, 6, 10], 'image');
        const float = tensorValues(await imageToTensor(file, p));
        const pixels = await imageToPixels(file, p, encoding);
        assert.deepEqual(pixels.dims, encoding === 'rgba-uint32' ? [1, 6, 10] : encoding === 'uint8-hwc' ? [1, 6, 10, 3] : [1, 3, 6, 10]);
        // normalizePixels computes what encodeInput's graph computes from these pixels (its byte order)
        const got = tensorValues(normalizePixels(pixels, encoding, [1, 3, 6, 10], { ...norm, source: 'metadata' }));
        assert.equal(got.length, float.length);
        for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - float[i]!) < 1e-5, `value ${i}: ${got[i]} vs ${float[i]}`);
      });
    }
  }

  it('packs RGBA little-endian, model channel k in byte k, alpha 255', () => {
    const t = packPixels(Uint8Array.of(1, 2, 3, 250, 251, 252), { width: 2, height: 1, channels: 3, channelOrder: 'rgb' }, 'rgba-uint32');
    assert.deepEqual([...tensorValues(t)], [1 + 2 * 256 + 3 * 65536 + 255 * 2 ** 24, 250 + 251 * 256 + 252 * 65536 + 255 * 2 ** 24]);
    const bgr = packPixels(Uint8Array.of(1, 2, 3), { width: 1, height: 1, channels: 3, channelOrder: 'bgr' }, 'uint8-chw');
    assert.deepEqual([...tensorValues(bgr)], [3, 2, 1]);
  });

  it('takes the pixel shape back to the float input it stands for', () => {
    assert.deepEqual(pixelFloatShape('rgba-uint32', [1, 6, 10]), [1, 3, 6, 10]);
    assert.deepEqual(pixelFloatShape('uint8-hwc', [1, 6, 10, 3]), [1, 3, 6, 10]);
    assert.deepEqual(pixelFloatShape('uint8-chw', [1, 3, 6, 10]), [1, 3, 6, 10]);
    const p = resolvePixelPreprocess({ channelOrder: 'bgr' }, { name: 'image', encoding: 'uint8-hwc', mean: [0, 0, 0], std: [1, 1, 1], scale: 1 }, [1, 6, 10, 3]);
    assert.deepEqual([p.height, p.width, p.channels, p.channelOrder, p.scale], [6, 10, 3, 'bgr', 1]);
  });

  it('refuses RGBA for a grey input and a pixel count that does not fit', () => {
    assert.throws(() => packPixels(new Uint8Array(4), { width: 2, height: 2, channels: 1, channelOrder: 'rgb' }, 'rgba-uint32'), (e) => isTandemError(e, 'MODEL_UNSUITABLE') && /rgba-uint32 carries 3 colour channels; the input takes 1/.test(e.message));
    assert.throws(() => packPixels(new Uint8Array(5), { width: 2, height: 2, channels: 1, channelOrder: 'rgb' }, 'uint8-chw'), (e) => isTandemError(e, 'INPUT_MISMATCH') && /pixels hold 5 bytes; 2x2 with 1 channels needs 4/.test(e.message));
  });
});
