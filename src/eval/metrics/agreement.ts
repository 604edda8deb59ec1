import { TandemError } from '../../util/errors.js';
import { fromFixed, parseCount, parseFixed, parseObject, toFixed } from './exact-sum.js';

/** How close a model's predictions are to a reference model's (null where the task is absent). */
export interface AgreementResult {
  /** Percent of pixels whose argmax class equals the reference's. */
  readonly argmaxAgreement: number | null;
  /** Mean |d − d_ref| / d_ref over pixels where the reference depth is positive. */
  readonly depthRelativeError: number | null;
  /** Largest per-frame mean relative depth error (where the blocky artifacts show). */
  readonly depthWorstFrame: number | null;
}

/** How far a model's predictions are from a reference model's (INT8 vs FP32), streaming and exactly mergeable. */
export class AgreementAccumulator {
  private segPixels = 0;
  private segAgree = 0;
  private depthPixels = 0;
  private depthRel = 0n;
  private depthWorst = 0;

  addSegmentation(prediction: ArrayLike<number>, reference: ArrayLike<number>): void {
    if (prediction.length !== reference.length) throw new TandemError('INPUT_MISMATCH', `prediction has ${prediction.length} pixels, the reference ${reference.length}`);
    let same = 0;
    for (let i = 0; i < prediction.length; i++) if (prediction[i] === reference[i]) same++;
    this.segPixels += prediction.length;
    this.segAgree += same;
  }

  addDepth(prediction: ArrayLike<number>, reference: ArrayLike<number>): void {
    if (prediction.length !== reference.length) throw new TandemError('INPUT_MISMATCH', `depth has ${prediction.length} pixels, the reference ${reference.length}`);
    let n = 0;
    let sum = 0;
    for (let i = 0; i < prediction.length; i++) {
      const r = reference[i]!;
      if (!(r > 0) || !Number.isFinite(r)) continue;
      n++;
      sum += Math.abs(prediction[i]! - r) / r;
    }
    this.depthPixels += n;
    this.depthRel += toFixed(sum);
    if (n > 0) this.depthWorst = Math.max(this.depthWorst, sum / n);
  }

  merge(other: AgreementAccumulator): this {
    this.segPixels += other.segPixels;
    this.segAgree += other.segAgree;
    this.depthPixels += other.depthPixels;
    this.depthRel += other.depthRel;
    this.depthWorst = Math.max(this.depthWorst, other.depthWorst);
    return this;
  }

  result(): AgreementResult {
    return {
      argmaxAgreement: this.segPixels > 0 ? (100 * this.segAgree) / this.segPixels : null,
      depthRelativeError: this.depthPixels > 0 ? fromFixed(this.depthRel) / this.depthPixels : null,
      depthWorstFrame: this.depthPixels > 0 ? this.depthWorst : null,
    };
  }

  toJSON(): { kind: 'agreement'; segPixels: number; segAgree: number; depthPixels: number; depthRel: string; depthWorst: number } {
    return { kind: 'agreement', segPixels: this.segPixels, segAgree: this.segAgree, depthPixels: this.depthPixels, depthRel: this.depthRel.toString(), depthWorst: this.depthWorst };
  }

  static fromJSON(value: unknown, where = 'agreement'): AgreementAccumulator {
    const o = parseObject(value, where);
    if (o['kind'] !== 'agreement') throw new TandemError('EVAL_RESULT', `${where}: kind is ${JSON.stringify(o['kind'])}, expected "agreement"`);
    const acc = new AgreementAccumulator();
    acc.segPixels = parseCount(o['segPixels'], `${where}.segPixels`);
    acc.segAgree = parseCount(o['segAgree'], `${where}.segAgree`);
    acc.depthPixels = parseCount(o['depthPixels'], `${where}.depthPixels`);
    acc.depthRel = parseFixed(o['depthRel'], `${where}.depthRel`);
    const worst = o['depthWorst'];
    if (typeof worst !== 'number' || !(worst >= 0)) throw new TandemError('EVAL_RESULT', `${where}.depthWorst: expected a non-negative number`);
    acc.depthWorst = worst;
    return acc;
  }
}
