import { TandemError } from '../../util/errors.js';
import { parseCount, parseObject } from './exact-sum.js';

/** Top-1 and top-5 accuracy over the samples. */
export interface ClassificationResult {
  /** Percent of samples whose label has the highest score. */
  readonly top1: number;
  /** Percent of samples whose label is among the five highest scores. */
  readonly top5: number;
  readonly samples: number;
}

/**
 * Streaming top-1 / top-5 accuracy (the DLA-SW table's ResNet-50 metric). A label is in the top k when
 * fewer than k classes score strictly higher, so an exact tie counts in the label's favour (a
 * torch.topk-based evaluation breaks such ties by index instead).
 */
export class ClassificationAccumulator {
  private samples = 0;
  private hits1 = 0;
  private hits5 = 0;

  /** Adds a batch: `scores` is [batch, classes] row-major, `labels` one class id per row. */
  add(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): void {
    const batch = labels.length;
    if (scores.length !== batch * classes) throw new TandemError('INPUT_MISMATCH', `scores have ${scores.length} values; expected ${batch} x ${classes}`);
    for (let b = 0; b < batch; b++) {
      const label = labels[b]!;
      if (!Number.isInteger(label) || label < 0 || label >= classes) throw new TandemError('DATASET', `label ${label} of sample ${b} is outside 0..${classes - 1}`);
      const base = b * classes;
      const target = scores[base + label]!;
      let higher = 0;
      for (let c = 0; c < classes; c++) if (scores[base + c]! > target) higher++;
      this.samples++;
      if (higher < 1) this.hits1++;
      if (higher < 5) this.hits5++;
    }
  }

  merge(other: ClassificationAccumulator): this {
    this.samples += other.samples;
    this.hits1 += other.hits1;
    this.hits5 += other.hits5;
    return this;
  }

  result(): ClassificationResult {
    const n = Math.max(1, this.samples);
    return { top1: (100 * this.hits1) / n, top5: (100 * this.hits5) / n, samples: this.samples };
  }

  toJSON(): { kind: 'classification'; samples: number; hits1: number; hits5: number } {
    return { kind: 'classification', samples: this.samples, hits1: this.hits1, hits5: this.hits5 };
  }

  static fromJSON(value: unknown, where = 'classification'): ClassificationAccumulator {
    const o = parseObject(value, where);
    if (o['kind'] !== 'classification') throw new TandemError('EVAL_RESULT', `${where}: kind is ${JSON.stringify(o['kind'])}, expected "classification"`);
    const acc = new ClassificationAccumulator();
    acc.samples = parseCount(o['samples'], `${where}.samples`);
    acc.hits1 = parseCount(o['hits1'], `${where}.hits1`);
    acc.hits5 = parseCount(o['hits5'], `${where}.hits5`);
    if (acc.hits1 > acc.hits5 || acc.hits5 > acc.samples) throw new TandemError('EVAL_RESULT', `${where}: hits1 ≤ hits5 ≤ samples does not hold (${acc.hits1}, ${acc.hits5}, ${acc.samples})`);
    return acc;
  }
}
