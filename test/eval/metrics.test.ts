import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClassificationAccumulator, DepthAccumulator, SegmentationAccumulator } from '../../src/eval/index.js';
import { isTandemError } from '../../src/util/errors.js';

const close = (a: number, b: number, tol = 1e-9): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('segmentation metrics', () => {
  it('matches a hand-computed confusion matrix, skipping the ignore index', () => {
    // gt:   0 0 1 1 2 255
    // pred: 0 1 1 1 0 2
    const acc = new SegmentationAccumulator(3);
    acc.add([0, 1, 1, 1, 0, 2], [0, 0, 1, 1, 2, 255]);
    const r = acc.result();
    // class 0: TP 1, FN 1 (gt 0 → 1), FP 1 (gt 2 → 0): 1/3. class 1: TP 2, FP 1: 2/3. class 2: TP 0, FN 1: 0.
    close(r.iou[0]!, 100 / 3);
    close(r.iou[1]!, 200 / 3);
    close(r.iou[2]!, 0);
    close(r.mIoU, 100 / 3);
    close(r.pixelAccuracy, 60);
    assert.equal(r.pixels, 5);
  });

  it('leaves a class out of the mean when it occurs in neither truth nor prediction', () => {
    const acc = new SegmentationAccumulator(4);
    acc.add([0, 0, 1], [0, 0, 1]);
    const r = acc.result();
    assert.deepEqual(r.iou, [100, 100, null, null]);
    close(r.mIoU, 100);
  });

  it('counts a prediction outside the class range as a miss', () => {
    const acc = new SegmentationAccumulator(2);
    acc.add([0, 7], [0, 1]);
    const r = acc.result();
    close(r.iou[1]!, 0);
    close(r.pixelAccuracy, 50);
  });

  it('merges and round-trips through JSON exactly', () => {
    const a = new SegmentationAccumulator(3);
    const b = new SegmentationAccumulator(3);
    const all = new SegmentationAccumulator(3);
    a.add([0, 1, 2], [0, 1, 1]);
    b.add([2, 2, 0], [2, 255, 0]);
    all.add([0, 1, 2, 2, 2, 0], [0, 1, 1, 2, 255, 0]);
    const merged = SegmentationAccumulator.fromJSON(JSON.parse(JSON.stringify(a))).merge(b);
    assert.deepEqual(merged.result(), all.result());
  });

  it('refuses a label outside the classes and a mismatched merge', () => {
    const acc = new SegmentationAccumulator(3);
    assert.throws(() => acc.add([0], [5]), (e) => isTandemError(e, 'DATASET') && /label 5 at pixel 0/.test(e.message));
    assert.throws(() => acc.merge(new SegmentationAccumulator(4)), (e) => isTandemError(e, 'EVAL_RESULT'));
    assert.throws(() => SegmentationAccumulator.fromJSON({ kind: 'segmentation', classes: 2, ignoreIndex: 255, confusion: [1, 2] }), (e) => isTandemError(e, 'EVAL_RESULT'));
  });
});

describe('depth metrics', () => {
  it('matches hand-computed values on valid pixels only', () => {
    const acc = new DepthAccumulator();
    // valid: (p, g) = (2, 1), (1, 1), (3, 4); the pixel with g = 0 is skipped
    acc.add([2, 1, 3, 5], [1, 1, 4, 0]);
    const r = acc.result();
    assert.equal(r.pixels, 3);
    close(r.absRel, (1 + 0 + 0.25) / 3);
    close(r.sqRel, (1 + 0 + 0.25) / 3);
    close(r.rmse, Math.sqrt((1 + 0 + 1) / 3));
    close(r.rmseLog, Math.sqrt((Math.log(2) ** 2 + 0 + Math.log(3 / 4) ** 2) / 3));
    // ratios 2, 1, 4/3: below 1.25 once, below 1.5625 and 1.953 twice
    close(r.delta1, 1 / 3);
    close(r.delta2, 2 / 3);
    close(r.delta3, 2 / 3);
  });

  it('clamps predictions into [min, max] and skips ground truth beyond max', () => {
    const acc = new DepthAccumulator({ minDepth: 1, maxDepth: 10 });
    acc.add([0, 50, 5], [2, 8, 20]);
    const r = acc.result();
    assert.equal(r.pixels, 2);
    close(r.absRel, (0.5 + 0.25) / 2, 1e-9);
  });

  it('gives bit-identical results however frames are split and merged', () => {
    const frames = Array.from({ length: 9 }, (_, f) => {
      const g = Float32Array.from({ length: 50 }, (_, i) => 1 + ((i * 7 + f * 13) % 40) * 0.37);
      const p = Float32Array.from(g, (v, i) => v * (1 + Math.sin(i + f) * 0.2));
      return { p, g };
    });
    const one = new DepthAccumulator();
    for (const { p, g } of frames) one.add(p, g);
    const parts = [0, 1, 2].map((s) => {
      const acc = new DepthAccumulator();
      for (let i = s; i < frames.length; i += 3) acc.add(frames[i]!.p, frames[i]!.g);
      return DepthAccumulator.fromJSON(JSON.parse(JSON.stringify(acc)));
    });
    const merged = parts[2]!.merge(parts[0]!).merge(parts[1]!);
    assert.deepEqual(merged.result(), one.result());
  });
});

describe('classification metrics', () => {
  it('counts top-1 and top-5 hits', () => {
    const acc = new ClassificationAccumulator();
    const scores = [
      [0.9, 0.1, 0, 0, 0, 0, 0], // label 0: top-1
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], // label 2: 4 higher → top-5, not top-1
      [0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1], // label 6: 6 higher → neither
    ].flat();
    acc.add(scores, [0, 2, 6], 7);
    const r = acc.result();
    close(r.top1, 100 / 3);
    close(r.top5, 200 / 3);
    const back = ClassificationAccumulator.fromJSON(JSON.parse(JSON.stringify(acc)));
    assert.deepEqual(back.merge(new ClassificationAccumulator()).result(), r);
    assert.throws(() => acc.add([1, 2], [3], 2), (e) => isTandemError(e, 'DATASET'));
  });
});
