import { TandemError } from '../../util/errors.js';
import { fromFixed, parseCount, parseFixed, parseObject, toFixed } from './exact-sum.js';

/** The standard monocular depth errors (Eigen et al.) over pixels with ground truth. */
export interface DepthResult {
  /** mean |p − g| / g */
  readonly absRel: number;
  /** mean (p − g)² / g */
  readonly sqRel: number;
  /** sqrt(mean (p − g)²), metres */
  readonly rmse: number;
  /** sqrt(mean (ln p − ln g)²) */
  readonly rmseLog: number;
  /** fraction of pixels with max(p/g, g/p) < 1.25 (δ1), 1.25² (δ2), 1.25³ (δ3) */
  readonly delta1: number;
  readonly delta2: number;
  readonly delta3: number;
  /** Valid pixels counted. */
  readonly pixels: number;
}

export interface DepthOptions {
  /** Predictions below this are clamped up to it (a depth must be positive for the log and ratios). @default 1e-3 */
  minDepth?: number;
  /** Ground truth beyond this is not counted; predictions are clamped down to it. @default Infinity */
  maxDepth?: number;
}

const SUMS = ['absRel', 'sqRel', 'se', 'seLog'] as const;

/**
 * Streaming depth metrics (Eigen et al.'s set, as KITTI and the monodepth line report them) over the
 * valid pixels: ground truth > 0, finite and ≤ maxDepth. Sums are kept in exact fixed point, so
 * merging shards gives bit-identical results to one pass.
 */
export class DepthAccumulator {
  readonly minDepth: number;
  readonly maxDepth: number;
  private pixels = 0;
  private readonly sums: bigint[] = [0n, 0n, 0n, 0n];
  private readonly deltas = [0, 0, 0];

  constructor(options: DepthOptions = {}) {
    this.minDepth = options.minDepth ?? 1e-3;
    this.maxDepth = options.maxDepth ?? Infinity;
    if (!(this.minDepth > 0) || !(this.maxDepth > this.minDepth)) throw new TandemError('USAGE', `depth range [${this.minDepth}, ${this.maxDepth}] must have 0 < min < max`);
  }

  /** Adds one predicted depth map and its ground truth (metres, same length; ground truth 0 = no depth). */
  add(prediction: ArrayLike<number>, truth: ArrayLike<number>): void {
    if (prediction.length !== truth.length) throw new TandemError('INPUT_MISMATCH', `depth prediction has ${prediction.length} pixels, ground truth ${truth.length}`);
    let n = 0;
    let absRel = 0;
    let sqRel = 0;
    let se = 0;
    let seLog = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    const lo = this.minDepth;
    const hi = this.maxDepth;
    for (let i = 0; i < truth.length; i++) {
      const g = truth[i]!;
      if (!(g > 0) || g > hi || !Number.isFinite(g)) continue;
      let p = prediction[i]!;
      p = p < lo || Number.isNaN(p) ? lo : p > hi ? hi : p;
      const diff = p - g;
      n++;
      absRel += Math.abs(diff) / g;
      sqRel += (diff * diff) / g;
      se += diff * diff;
      const l = Math.log(p) - Math.log(g);
      seLog += l * l;
      const ratio = p > g ? p / g : g / p;
      if (ratio < 1.25) d1++;
      if (ratio < 1.25 ** 2) d2++;
      if (ratio < 1.25 ** 3) d3++;
    }
    this.pixels += n;
    const frame = [absRel, sqRel, se, seLog];
    for (let k = 0; k < 4; k++) this.sums[k]! += toFixed(frame[k]!);
    this.deltas[0]! += d1;
    this.deltas[1]! += d2;
    this.deltas[2]! += d3;
  }

  merge(other: DepthAccumulator): this {
    if (other.minDepth !== this.minDepth || other.maxDepth !== this.maxDepth) throw new TandemError('EVAL_RESULT', `cannot merge depth results over [${other.minDepth}, ${other.maxDepth}] m into [${this.minDepth}, ${this.maxDepth}] m`);
    this.pixels += other.pixels;
    for (let k = 0; k < 4; k++) this.sums[k]! += other.sums[k]!;
    for (let k = 0; k < 3; k++) this.deltas[k]! += other.deltas[k]!;
    return this;
  }

  result(): DepthResult {
    const n = Math.max(1, this.pixels);
    const [absRel, sqRel, se, seLog] = this.sums.map((s) => fromFixed(s) / n) as [number, number, number, number];
    return {
      absRel,
      sqRel,
      rmse: Math.sqrt(se),
      rmseLog: Math.sqrt(seLog),
      delta1: this.deltas[0]! / n,
      delta2: this.deltas[1]! / n,
      delta3: this.deltas[2]! / n,
      pixels: this.pixels,
    };
  }

  toJSON(): { kind: 'depth'; minDepth: number; maxDepth: number | null; pixels: number; sums: Record<string, string>; deltas: number[] } {
    return {
      kind: 'depth',
      minDepth: this.minDepth,
      maxDepth: Number.isFinite(this.maxDepth) ? this.maxDepth : null,
      pixels: this.pixels,
      sums: Object.fromEntries(SUMS.map((k, i) => [k, this.sums[i]!.toString()])),
      deltas: [...this.deltas],
    };
  }

  static fromJSON(value: unknown, where = 'depth'): DepthAccumulator {
    const o = parseObject(value, where);
    if (o['kind'] !== 'depth') throw new TandemError('EVAL_RESULT', `${where}: kind is ${JSON.stringify(o['kind'])}, expected "depth"`);
    const minDepth = o['minDepth'];
    const maxDepth = o['maxDepth'];
    if (typeof minDepth !== 'number' || (maxDepth !== null && typeof maxDepth !== 'number')) throw new TandemError('EVAL_RESULT', `${where}: minDepth / maxDepth must be numbers (maxDepth may be null)`);
    const acc = new DepthAccumulator({ minDepth, maxDepth: maxDepth ?? Infinity });
    acc.pixels = parseCount(o['pixels'], `${where}.pixels`);
    const sums = parseObject(o['sums'], `${where}.sums`);
    SUMS.forEach((k, i) => {
      acc.sums[i] = parseFixed(sums[k], `${where}.sums.${k}`);
    });
    const deltas = o['deltas'];
    if (!Array.isArray(deltas) || deltas.length !== 3) throw new TandemError('EVAL_RESULT', `${where}.deltas: expected 3 counts`);
    deltas.forEach((v, i) => {
      acc.deltas[i] = parseCount(v, `${where}.deltas[${i}]`);
    });
    return acc;
  }
}
