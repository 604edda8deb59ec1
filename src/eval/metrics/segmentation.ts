import { TandemError } from '../../util/errors.js';
import { parseCount, parseObject } from './exact-sum.js';

/** Segmentation quality: mean IoU, pixel accuracy and IoU per class, in percent. */
export interface SegmentationResult {
  /** Mean IoU in percent over the classes that occur in the ground truth or the prediction (union > 0). */
  readonly mIoU: number;
  /** Pixel accuracy in percent over non-ignored pixels. */
  readonly pixelAccuracy: number;
  /** IoU in percent per class id; null where the class occurs in neither. */
  readonly iou: readonly (number | null)[];
  /** Non-ignored pixels counted. */
  readonly pixels: number;
}

export interface SegmentationJson {
  readonly kind: 'segmentation';
  readonly classes: number;
  readonly ignoreIndex: number;
  /** Row = ground truth, column = prediction, row-major. */
  readonly confusion: readonly number[];
}

/**
 * A streaming segmentation metric: a confusion matrix of ground truth × prediction over the pixels
 * whose label is not `ignoreIndex`. IoU_c = TP / (TP + FP + FN); mIoU averages the classes with a
 * non-empty union (mmsegmentation's and cityscapesScripts' nan-mean). Counts are integers, so merging
 * accumulators is exact and order-free.
 */
export class SegmentationAccumulator {
  readonly classes: number;
  readonly ignoreIndex: number;
  readonly confusion: Float64Array;
  /** Ground-truth pixels of each class predicted as an id outside the class range. */
  private readonly missed: Float64Array;

  constructor(classes: number, ignoreIndex = 255) {
    if (!Number.isSafeInteger(classes) || classes < 1 || classes > 1024) throw new TandemError('USAGE', `segmentation classes is ${classes}; expected 1 to 1024`);
    this.classes = classes;
    this.ignoreIndex = ignoreIndex;
    this.confusion = new Float64Array(classes * classes);
    this.missed = new Float64Array(classes);
  }

  /**
   * Adds one label map and its prediction (same length). A ground-truth id outside [0, classes) that is
   * not the ignore index is an error; a predicted id outside the range counts as wrong for its pixel.
   */
  add(prediction: ArrayLike<number>, labels: ArrayLike<number>): void {
    if (prediction.length !== labels.length) throw new TandemError('INPUT_MISMATCH', `prediction has ${prediction.length} pixels, labels ${labels.length}`);
    const k = this.classes;
    const counts = new Float64Array(k * (k + 1));
    for (let i = 0; i < labels.length; i++) {
      const g = labels[i]!;
      if (g === this.ignoreIndex) continue;
      if (g < 0 || g >= k) throw new TandemError('DATASET', `label ${g} at pixel ${i} is outside 0..${k - 1} and is not the ignore index ${this.ignoreIndex}`);
      const p = prediction[i]!;
      counts[g * (k + 1) + (p >= 0 && p < k ? p : k)]!++;
    }
    for (let g = 0; g < k; g++) {
      for (let p = 0; p < k; p++) this.confusion[g * k + p]! += counts[g * (k + 1) + p]!;
      // A prediction outside the class range: a miss for g, a false positive for no class.
      this.missed[g]! += counts[g * (k + 1) + k]!;
    }
  }

  merge(other: SegmentationAccumulator): this {
    if (other.classes !== this.classes || other.ignoreIndex !== this.ignoreIndex) {
      throw new TandemError('EVAL_RESULT', `cannot merge segmentation results of ${other.classes} classes (ignore ${other.ignoreIndex}) into ${this.classes} classes (ignore ${this.ignoreIndex})`);
    }
    for (let i = 0; i < this.confusion.length; i++) this.confusion[i]! += other.confusion[i]!;
    for (let g = 0; g < this.classes; g++) this.missed[g]! += other.missed[g]!;
    return this;
  }

  result(): SegmentationResult {
    const k = this.classes;
    const iou: (number | null)[] = [];
    let tpTotal = 0;
    let total = 0;
    let sum = 0;
    let present = 0;
    for (let c = 0; c < k; c++) {
      const tp = this.confusion[c * k + c]!;
      let row = this.missed[c]!;
      let col = 0;
      for (let j = 0; j < k; j++) {
        row += this.confusion[c * k + j]!;
        col += this.confusion[j * k + c]!;
      }
      const union = row + col - tp;
      tpTotal += tp;
      total += row;
      if (union > 0) {
        const v = (100 * tp) / union;
        iou.push(v);
        sum += v;
        present++;
      } else {
        iou.push(null);
      }
    }
    return { mIoU: present > 0 ? sum / present : 0, pixelAccuracy: total > 0 ? (100 * tpTotal) / total : 0, iou, pixels: total };
  }

  toJSON(): SegmentationJson & { missed: number[] } {
    return { kind: 'segmentation', classes: this.classes, ignoreIndex: this.ignoreIndex, confusion: Array.from(this.confusion), missed: Array.from(this.missed) };
  }

  static fromJSON(value: unknown, where = 'segmentation'): SegmentationAccumulator {
    const o = parseObject(value, where);
    if (o['kind'] !== 'segmentation') throw new TandemError('EVAL_RESULT', `${where}: kind is ${JSON.stringify(o['kind'])}, expected "segmentation"`);
    const classes = parseCount(o['classes'], `${where}.classes`);
    const acc = new SegmentationAccumulator(classes, parseCount(o['ignoreIndex'], `${where}.ignoreIndex`));
    const confusion = o['confusion'];
    if (!Array.isArray(confusion) || confusion.length !== classes * classes) throw new TandemError('EVAL_RESULT', `${where}.confusion: expected ${classes * classes} counts, found ${Array.isArray(confusion) ? confusion.length : typeof confusion}`);
    confusion.forEach((v, i) => {
      acc.confusion[i] = parseCount(v, `${where}.confusion[${i}]`);
    });
    const missed = o['missed'];
    if (missed !== undefined) {
      if (!Array.isArray(missed) || missed.length !== classes) throw new TandemError('EVAL_RESULT', `${where}.missed: expected ${classes} counts`);
      missed.forEach((v, i) => {
        acc.missed[i] = parseCount(v, `${where}.missed[${i}]`);
      });
    }
    return acc;
  }
}
