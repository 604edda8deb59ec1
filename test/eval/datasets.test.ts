import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  IGNORE_INDEX,
  SCENE_MAX_DEPTH,
  TRAIN_ID,
  cityscapesDataset,
  imageFolderDataset,
  renderScene,
  syntheticDataset,
  writeGreyPng,
  writeRgbPng,
  writeScenes,
} from '../../src/eval/index.js';
import { readNpy } from '../../src/io/npy.js';
import { isTandemError } from '../../src/util/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'tandem-eval-ds-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('synthetic scenes', () => {
  it('are deterministic per (seed, index) and differ across seeds', () => {
    const a = renderScene(7, 3, 96, 48);
    const b = renderScene(7, 3, 96, 48);
    assert.deepEqual(a.image, b.image);
    assert.deepEqual(a.labels, b.labels);
    assert.deepEqual(a.depth, b.depth);
    assert.notDeepEqual(renderScene(8, 3, 96, 48).image, a.image);
  });

  it('label every pixel with a train id or 255, and give depth exactly where something solid is seen', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const f = renderScene(1, i, 128, 64);
      assert.equal(f.image.length, 128 * 64 * 3);
      for (let p = 0; p < 128 * 64; p++) {
        const l = f.labels![p]!;
        const d = f.depth![p]!;
        seen.add(l);
        assert.ok(l < 19 || l === IGNORE_INDEX, `label ${l}`);
        if (l === TRAIN_ID.sky || l === IGNORE_INDEX) assert.equal(d, 0, `pixel ${p} (label ${l}) has depth ${d}`);
        else assert.ok(d > 0.5 && d <= SCENE_MAX_DEPTH, `pixel ${p} (label ${l}) has depth ${d}`);
      }
    }
    for (const c of [TRAIN_ID.road, TRAIN_ID.sidewalk, TRAIN_ID.building, TRAIN_ID.sky, TRAIN_ID.car, TRAIN_ID.pole]) assert.ok(seen.has(c), `class ${c} never drawn`);
  });

  it('puts the road nearer at the bottom of the image (pinhole ground plane)', () => {
    const w = 200;
    const h = 100;
    for (let i = 0; i < 4; i++) {
      const f = renderScene(3, i, w, h);
      let last = 0;
      for (let y = h - 1; y >= 0; y--) {
        const p = y * w + w / 2;
        if (f.labels![p] !== TRAIN_ID.road) continue;
        assert.ok(f.depth![p]! >= last - 1e-4, `road depth falls going up at row ${y}`);
        last = f.depth![p]!;
      }
    }
  });

  it('render any size and refuse nonsense', () => {
    const f = renderScene(0, 0, 91, 37);
    assert.equal(f.labels!.length, 91 * 37);
    assert.throws(() => syntheticDataset({ width: 0 }), (e) => isTandemError(e, 'USAGE'));
    assert.throws(() => syntheticDataset({ count: -1 }), (e) => isTandemError(e, 'USAGE'));
  });

  it('write as PNG and read back through the folder reader', async () => {
    const dir = join(tmp, 'png');
    const ds = syntheticDataset({ seed: 5, count: 2, height: 32, width: 64 });
    await writeScenes(ds, dir);
    const back = imageFolderDataset(dir);
    assert.equal(back.size, 2);
    for (let i = 0; i < 2; i++) {
      const a = await ds.read(i);
      const b = await back.read(i);
      assert.equal(b.id, a.id);
      assert.deepEqual(b.image, a.image);
      assert.deepEqual(b.labels, a.labels);
      for (let p = 0; p < a.depth!.length; p++) assert.ok(Math.abs(b.depth![p]! - a.depth![p]!) <= 1 / 512 + 1e-6);
    }
  });

  it('write as stacked .npy arrays', async () => {
    const dir = join(tmp, 'npy');
    await writeScenes(syntheticDataset({ seed: 5, count: 3, height: 16, width: 24 }), dir, { format: 'npy' });
    const images = readNpy(join(dir, 'images.npy'));
    const depth = readNpy(join(dir, 'depth.npy'));
    assert.deepEqual(images.dims, [3, 16, 24, 3]);
    assert.equal(images.dtype, 'uint8');
    assert.deepEqual(depth.dims, [3, 16, 24]);
    assert.equal(depth.dtype, 'uint16');
    const first = renderScene(5, 0, 24, 16);
    assert.deepEqual(Array.from((images.data as Uint8Array).subarray(0, 24 * 16 * 3)), Array.from(first.image));
  });
});

describe('dataset folders', () => {
  it('map Cityscapes label ids to train ids', async () => {
    const dir = join(tmp, 'cs');
    mkdirSync(join(dir, 'leftImg8bit', 'val', 'ulm'), { recursive: true });
    mkdirSync(join(dir, 'gtFine', 'val', 'ulm'), { recursive: true });
    await writeRgbPng(join(dir, 'leftImg8bit', 'val', 'ulm', 'ulm_000000_000019_leftImg8bit.png'), 2, 2, new Uint8Array(12).fill(90));
    await writeGreyPng(join(dir, 'gtFine', 'val', 'ulm', 'ulm_000000_000019_gtFine_labelIds.png'), 2, 2, Uint8Array.from([7, 26, 0, 23]));
    const ds = cityscapesDataset(dir);
    const f = await ds.read(0);
    assert.equal(f.id, 'ulm_000000_000019');
    assert.deepEqual(Array.from(f.labels!), [TRAIN_ID.road, TRAIN_ID.car, IGNORE_INDEX, TRAIN_ID.sky]);
  });

  it('name the missing or mismatched file', async () => {
    const dir = join(tmp, 'cs-missing');
    mkdirSync(join(dir, 'leftImg8bit', 'val', 'a'), { recursive: true });
    mkdirSync(join(dir, 'gtFine', 'val', 'a'), { recursive: true });
    await writeRgbPng(join(dir, 'leftImg8bit', 'val', 'a', 'a_1_2_leftImg8bit.png'), 2, 2, new Uint8Array(12));
    assert.throws(() => cityscapesDataset(dir), (e) => isTandemError(e, 'DATASET') && e.message.includes('a_1_2_gtFine_labelIds.png'));

    const gen = join(tmp, 'folder-bad');
    mkdirSync(join(gen, 'images'), { recursive: true });
    mkdirSync(join(gen, 'labels'), { recursive: true });
    await writeRgbPng(join(gen, 'images', 'x.png'), 4, 2, new Uint8Array(24));
    assert.throws(() => imageFolderDataset(gen), (e) => isTandemError(e, 'DATASET') && e.message.includes(join(gen, 'labels', 'x.png')));
    await writeGreyPng(join(gen, 'labels', 'x.png'), 2, 2, new Uint8Array(4));
    await assert.rejects(imageFolderDataset(gen).read(0), (e) => isTandemError(e, 'DATASET') && e.message.includes('is 2x2, its image') && e.message.includes('2x4'));
    assert.throws(() => imageFolderDataset(join(tmp, 'nope')), (e) => isTandemError(e, 'FILE_NOT_FOUND'));
  });
});
