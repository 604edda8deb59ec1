import { TandemError, assert } from '../../util/errors.js';
import { createRegistry, unknownNameError } from '../../util/registry.js';
import { rangeAbsMax, type HistogramData, type RangeStatistics } from '../histogram.js';
import { ENTROPY_VARIANTS, entropyAmaxOrt, entropyAmaxPytorch, entropyAmaxTrtGtc, type EntropyVariant } from './entropy.js';
import { mseAmax, percentileAmax } from './histogram-methods.js';

/** The calibration methods: entropy (TensorRT's), max, percentile, mse. */
export const CALIBRATION_METHODS = ['entropy', 'max', 'percentile', 'mse'] as const;
/** A calibration method: `'entropy'`, `'max'`, `'percentile'`, `'mse'`. */
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export type HistogramKind = 'abs' | 'signed';

/** What the observers collected for one activation tensor. */
export interface TensorStatistics {
  readonly name: string;
  readonly range: RangeStatistics;
  readonly abs?: HistogramData;
  readonly signed?: HistogramData;
}

/** Settings of the histogram calibrators (`QuantizeOptions.calibrator`). */
export interface CalibratorOptions {
  /** Histogram bins (abs and signed). @default 2048 (GTC17, pytorch-quantization) */
  bins?: number;
  /** Percentile of abs(x) for `percentile`. @default 99.99 (pytorch-quantization / ModelOpt; ORT uses 99.999) */
  percentile?: number;
  /** Which entropy search: TensorRT's GTC 2017 one, pytorch-quantization's or onnxruntime's. @default 'trt-gtc' */
  entropyVariant?: EntropyVariant;
  /** First candidate bin of the entropy (trt-gtc, pytorch-quantization) and mse searches. @default 128 */
  startBin?: number;
  /** INT8 levels the entropy search merges into (128: 7 magnitude bits). @default 128 */
  levels?: number;
}

export type ResolvedCalibratorOptions = Readonly<Required<CalibratorOptions>>;

export function resolveCalibratorOptions(o: CalibratorOptions = {}): ResolvedCalibratorOptions {
  const r = { bins: o.bins ?? 2048, percentile: o.percentile ?? 99.99, entropyVariant: o.entropyVariant ?? 'trt-gtc', startBin: o.startBin ?? 128, levels: o.levels ?? 128 } as const;
  if (!Number.isSafeInteger(r.bins) || r.bins < 2 || r.bins > 1 << 20) throw new TandemError('USAGE', `histogram bins must be an integer in 2..1048576, got ${r.bins}`);
  if (!(r.percentile > 0 && r.percentile <= 100)) throw new TandemError('USAGE', `percentile must be in (0, 100], got ${r.percentile}`);
  if (!ENTROPY_VARIANTS.includes(r.entropyVariant)) throw unknownNameError('entropy variant', r.entropyVariant, ENTROPY_VARIANTS);
  if (!Number.isSafeInteger(r.levels) || r.levels < 2 || r.levels > r.bins) throw new TandemError('USAGE', `levels must be an integer in 2..bins (${r.bins}), got ${r.levels}`);
  // A startBin past the histogram is clamped by the searches (it then tries only the last candidates).
  if (!Number.isSafeInteger(r.startBin) || r.startBin < 1) throw new TandemError('USAGE', `startBin must be a positive integer, got ${r.startBin}`);
  if (r.entropyVariant === 'ort' && r.bins % 2 !== 0) throw new TandemError('USAGE', `the ort entropy variant needs an even number of bins, got ${r.bins}`);
  return Object.freeze(r);
}

/** One calibration method: which histograms it reads and how it turns them into an amax. */
export interface Calibrator {
  readonly method: CalibrationMethod;
  histograms(o: ResolvedCalibratorOptions): readonly HistogramKind[];
  /** The raw search result; `calibrateTensor` applies the guards shared by all methods. */
  search(s: TensorStatistics, o: ResolvedCalibratorOptions): number;
  /** One line naming the algorithm and its parameters, for scales.json and reports. */
  describe(o: ResolvedCalibratorOptions): string;
}

function need(h: HistogramData | undefined, kind: HistogramKind, method: string): HistogramData {
  assert(h !== undefined, () => `${method} needs the ${kind} histogram, which was not collected`);
  return h;
}

/** The calibration methods, filled here and only here. */
export const CALIBRATORS: Readonly<Record<CalibrationMethod, Calibrator>> = {
  max: {
    method: 'max',
    histograms: () => [],
    search: (s) => rangeAbsMax(s.range),
    describe: () => 'max: amax = max |x| over all calibration data (TensorRT MinMaxCalibration, pytorch-quantization max)',
  },
  entropy: {
    method: 'entropy',
    histograms: (o) => (o.entropyVariant === 'ort' ? ['signed'] : ['abs']),
    search: (s, o) => {
      if (o.entropyVariant === 'ort') {
        const h = need(s.signed, 'signed', 'entropy (ort)');
        return entropyAmaxOrt(h.counts, h.absMax, s.range.min, s.range.max, o.levels);
      }
      const h = need(s.abs, 'abs', 'entropy');
      return o.entropyVariant === 'trt-gtc' ? entropyAmaxTrtGtc(h.counts, h.absMax, o.startBin, o.levels) : entropyAmaxPytorch(h.counts, h.absMax, o.startBin, o.levels);
    },
    describe: (o) => {
      switch (o.entropyVariant) {
        case 'trt-gtc':
          return `entropy (trt-gtc, GTC17 EntropyCalibration2 as MXNet implements it): ${o.bins}-bin abs(x) histogram on [0, max], candidates i=${o.startBin}..${o.bins - 1}, ${o.levels} levels (floor merge, remainder to last), eps 1e-4 smoothing, first minimum, T=(i+0.5)·w`;
        case 'pytorch-quantization':
          return `entropy (pytorch-quantization _compute_amax_entropy): ${o.bins}-bin abs(x) histogram, bins[0]:=bins[1], candidates i=${o.startBin}..${o.bins}, ${o.levels} levels (fractional boundaries), no smoothing, last minimum, amax=edge[i]`;
        case 'ort':
          return `entropy (onnxruntime 1.30 get_entropy_threshold): ${o.bins}-bin signed histogram on [-max, max], ${o.levels} quantized bins, eps 1e-4 smoothing, first minimum, clipped to the observed range`;
      }
    },
  },
  percentile: {
    method: 'percentile',
    histograms: () => ['abs'],
    search: (s, o) => {
      const h = need(s.abs, 'abs', 'percentile');
      return percentileAmax(h.counts, h.absMax, o.percentile);
    },
    describe: (o) => `percentile ${o.percentile}: left edge of the first bin where the CDF of abs(x) reaches ${o.percentile}% (${o.bins}-bin histogram, pytorch-quantization)`,
  },
  mse: {
    method: 'mse',
    histograms: () => ['abs'],
    search: (s, o) => {
      const h = need(s.abs, 'abs', 'mse');
      return mseAmax(h.counts, h.absMax, o.startBin);
    },
    describe: (o) => `mse: bin centre (from bin ${o.startBin}) minimising the histogram-weighted squared fake-quantization error (${o.bins}-bin abs(x) histogram, pytorch-quantization)`,
  },
};

/** The calibrators as a registry (names in CALIBRATION_METHODS order): one miss message for every registry. */
export const CALIBRATOR_REGISTRY = createRegistry(
  'calibration method',
  Object.fromEntries(CALIBRATION_METHODS.map((m) => [m, CALIBRATORS[m]])) as Readonly<Record<CalibrationMethod, Calibrator>>,
);

export function isCalibrationMethod(name: string): name is CalibrationMethod {
  return CALIBRATOR_REGISTRY.has(name);
}

/** The calibrator of that name; `UNKNOWN_NAME` lists the methods that exist. */
export function getCalibrator(name: string): Calibrator {
  return CALIBRATOR_REGISTRY.get(name);
}

/**
 * The amax of one tensor by one method, with the guards every method shares: never above the observed
 * max; a search that lands on 0 for a tensor that is not all zeros gets one bin width instead
 * (a zero scale is invalid in TensorRT).
 */
export function calibrateTensor(s: TensorStatistics, method: CalibrationMethod, o: ResolvedCalibratorOptions): number {
  const absMax = rangeAbsMax(s.range);
  if (absMax === 0) return 0;
  const amax = CALIBRATORS[method].search(s, o);
  if (!(amax > 0)) return absMax / o.bins;
  return Math.min(amax, absMax);
}

/** The histogram kinds a set of methods needs. */
export function histogramsNeeded(methods: readonly CalibrationMethod[], o: ResolvedCalibratorOptions): Set<HistogramKind> {
  const kinds = new Set<HistogramKind>();
  for (const m of methods) for (const k of CALIBRATORS[m].histograms(o)) kinds.add(k);
  return kinds;
}
