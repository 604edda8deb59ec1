import type { Model } from '../ir/model.js';
import { scaleFromAmax } from './arithmetic.js';
import { opTraits } from '../ops/registry.js';
import { calibrationTargets, knownConstant, perChannelAbsMax } from './calibration-targets.js';
import { calibrateTensor, CALIBRATORS, type CalibrationMethod, type ResolvedCalibratorOptions, type TensorStatistics } from './calibrators/registry.js';
import { rangeAbsMax } from './histogram.js';
import type { StageStatistics } from './observer.js';
import { searchThresholds, type ThresholdJob } from './calibrators/threshold-pool.js';
import { fusedFp16Activation, type QdqScales } from './qdq-plan.js';

/** Per-channel weight amax (max |w_c|: what TensorRT computes itself for weights, reference §1). */
export interface WeightScales {
  readonly axis: number;
  readonly amax: Float64Array;
}

/** The scales of one stage by one method. */
export interface StageScales {
  readonly stage: string;
  readonly method: CalibrationMethod;
  readonly algorithm: string;
  /** Activation tensor → amax, in topological order. */
  readonly activations: Map<string, number>;
  readonly weights: Map<string, WeightScales>;
}

/** Per-channel amax of every weight of the weighted ops. */
export function weightScales(model: Model): Map<string, WeightScales> {
  const out = new Map<string, WeightScales>();
  for (const w of calibrationTargets(model).weights) {
    if (out.has(w.name)) continue;
    const value = knownConstant(model.graph, w.name);
    if (value !== undefined) out.set(w.name, { axis: w.axis, amax: perChannelAbsMax(value, w.axis) });
  }
  return out;
}

/**
 * TensorRT and the DLA run Conv (or BatchNormalization) + ReLU as one layer whose INT8 output is the
 * ReLU's: a tensor a weighted op or BatchNormalization writes and only a ReLU reads takes the ReLU
 * output's amax. Symmetric INT8 commutes with ReLU, so the pair computes exactly the fused layer; with
 * its own (pre-ReLU, often far larger negative) range it would waste most codes on values the ReLU
 * zeroes (measured on tandem-street's depth decoder: 101.6 vs 14.4 before the last ReLU).
 */
export function fuseReluRanges(model: Model, activations: Map<string, number>): Map<string, number> {
  const g = model.graph;
  for (const relu of g.nodes) {
    if (relu.op !== 'Relu' || relu.domain !== '') continue;
    const t = relu.inputs[0] ?? '';
    const producer = g.producer(t);
    const out = activations.get(relu.outputs[0] ?? '');
    if (producer === undefined || out === undefined || !activations.has(t) || g.isGraphOutput(t)) continue;
    if (!(opTraits(producer.op)?.channelWeight !== undefined || producer.op === 'BatchNormalization') || g.consumers(t).length !== 1) continue;
    activations.set(t, out);
  }
  return activations;
}

/** Turns a stage's statistics into amax values by one method (in this thread; `quantize` uses the threshold pool). */
export function computeStageScales(model: Model, stats: StageStatistics, method: CalibrationMethod, options: ResolvedCalibratorOptions, weights = weightScales(model)): StageScales {
  const activations = new Map<string, number>();
  for (const [name, s] of stats.tensors) activations.set(name, calibrateTensor(s, method, options));
  fuseReluRanges(model, activations);
  return { stage: stats.name, method, algorithm: CALIBRATORS[method].describe(options), activations, weights };
}

/** Like `computeStageScales` for several stages and methods at once, the searches spread over worker threads. */
export async function computeScalesParallel(
  stages: readonly { readonly model: Model; readonly stats: StageStatistics }[],
  methods: readonly CalibrationMethod[],
  options: ResolvedCalibratorOptions,
  threads?: number,
): Promise<StageScales[]> {
  const jobs: ThresholdJob[] = [];
  for (const { stats } of stages) for (const method of methods) for (const s of stats.tensors.values()) jobs.push({ stats: s, method });
  const amax = await searchThresholds(jobs, options, threads);
  let k = 0;
  const out: StageScales[] = [];
  for (const { model, stats } of stages) {
    const weights = weightScales(model);
    for (const method of methods) {
      const activations = new Map<string, number>();
      for (const name of stats.tensors.keys()) activations.set(name, amax[k++]!);
      fuseReluRanges(model, activations);
      out.push({ stage: stats.name, method, algorithm: CALIBRATORS[method].describe(options), activations, weights });
    }
  }
  return out;
}

/** The scales a Q/DQ plan needs. */
export function qdqScales(scales: StageScales): QdqScales {
  return { activations: scales.activations, weights: new Map([...scales.weights].map(([k, v]) => [k, v.amax])) };
}

/**
 * Cache entries (tensor → float32 scale): every activation, graph outputs only when asked (reference §4.2
 * step 4, PR35), and not the input of a Sigmoid/TanH fused into the weighted op before it
 * (`fusedFp16Activation`): without a scale TensorRT cannot round that tensor to INT8 even where it does
 * not fuse the pair, which keeps the engine what the Q/DQ model emulates.
 */
export function cacheEntries(model: Model, scales: StageScales, options: { outputScales?: boolean } = {}): [string, number][] {
  const outputs = new Set(model.graph.outputs);
  return [...scales.activations]
    .filter(([name]) => (options.outputScales === true || !outputs.has(name)) && fusedFp16Activation(model, name) === undefined)
    .map(([name, amax]) => [name, scaleFromAmax(amax)]);
}

/** A calibrated tensor's statistics in scales.json: range, clipping, share of zeros. */
export interface HistogramSummary {
  readonly min: number;
  readonly max: number;
  readonly absMax: number;
  /** Finite values seen over all calibration samples. */
  readonly count: number;
  readonly nonFinite: number;
  /** Fraction of |x| above the chosen amax (clipped by quantization), from the abs histogram. */
  readonly clippedFraction?: number;
  /** Fraction of values in the first abs bin (≈ zeros; ReLU outputs). */
  readonly nearZeroFraction?: number;
  readonly bins?: number;
  readonly binWidth?: number;
}

/** scales.json: a stage's activation and weight scales with how they were found. */
export interface ScalesDocument {
  readonly version: 1;
  readonly tool: 'tandem';
  readonly stage: string;
  readonly method: CalibrationMethod;
  readonly algorithm: string;
  readonly samples: number;
  readonly scheme: string;
  readonly activations: Record<string, { amax: number; scale: number; method: CalibrationMethod; graphOutput?: true; histogram: HistogramSummary }>;
  readonly weights: Record<string, { axis: number; channels: number; method: 'max (per channel)'; amaxMin: number; amaxMax: number; amax: number[] }>;
  readonly nonFloat: readonly string[];
}

/** scales.json: per tensor amax, scale, method and a histogram summary, for people and the report. */
export function scalesDocument(model: Model, stats: StageStatistics, scales: StageScales, samples: number): ScalesDocument {
  const outputs = new Set(model.graph.outputs);
  const activations: ScalesDocument['activations'] = {};
  for (const [name, amax] of scales.activations) {
    const s = stats.tensors.get(name);
    if (s === undefined) continue;
    activations[name] = { amax, scale: scaleFromAmax(amax), method: scales.method, ...(outputs.has(name) ? { graphOutput: true as const } : {}), histogram: summarize(s, amax) };
  }
  const weights: ScalesDocument['weights'] = {};
  for (const [name, w] of scales.weights) {
    let lo = Infinity;
    let hi = 0;
    for (const a of w.amax) {
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
    weights[name] = { axis: w.axis, channels: w.amax.length, method: 'max (per channel)', amaxMin: lo, amaxMax: hi, amax: Array.from(w.amax) };
  }
  return {
    version: 1,
    tool: 'tandem',
    stage: scales.stage,
    method: scales.method,
    algorithm: scales.algorithm,
    samples,
    scheme: 'symmetric INT8, zero point 0, scale = amax / 127 (float32); activations per tensor, weights per output channel',
    activations,
    weights,
    nonFloat: stats.nonFloat,
  };
}

function summarize(s: TensorStatistics, amax: number): HistogramSummary {
  const base = { min: s.range.min, max: s.range.max, absMax: rangeAbsMax(s.range), count: s.range.count, nonFinite: s.range.nonFinite };
  const h = s.abs;
  if (h === undefined) return base;
  const total = h.counts.reduce((a, b) => a + b, 0);
  let clipped = 0;
  const width = h.absMax / h.bins;
  for (let k = 0; k < h.bins; k++) if (k * width >= amax) clipped += h.counts[k]!;
  return { ...base, clippedFraction: total > 0 ? clipped / total : 0, nearZeroFraction: total > 0 ? h.counts[0]! / total : 0, bins: h.bins, binWidth: width };
}
