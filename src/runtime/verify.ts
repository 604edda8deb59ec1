import { TandemError } from '../util/errors.js';
import { checkedElementCount } from '../util/limits.js';
import { createRng } from '../util/random.js';
import { printable, quote } from '../util/text.js';
import { DATA_TYPES, isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import { Tensor } from '../ir/tensor.js';
import { tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import type { Dim } from '../ir/types.js';
import { inputValueRanges } from '../ops/index.js';
import { getEngine } from './engines/registry.js';
import type { EngineName } from './engines/types.js';

/** Options of `randomInputs`. */
export interface RandomInputOptions {
  /** Seed of the generator (same seed, same feeds). @default 1 */
  seed?: number;
  /** Sizes for symbolic dims by name; unnamed or unlisted symbolic dims become 1. @default {} */
  dims?: Readonly<Record<string, number>>;
  /** Range of float values. @default [-1, 1] */
  range?: readonly [number, number];
  /** Range of integer values (exclusive end). @default [0, 4] */
  intRange?: readonly [number, number];
}

/** Random feeds for every runtime input of a model, from its declared input types. */
export function randomInputs(model: Model, options: RandomInputOptions = {}): Record<string, Tensor> {
  const rng = createRng(options.seed ?? 1);
  const [lo, hi] = options.range ?? [-1, 1];
  const [ilo, ihi] = options.intRange ?? [0, 4];
  // inputs that reach Log, Sqrt ... get values where those are defined (the op table says where)
  const domains = inputValueRanges(model);
  const feeds: Record<string, Tensor> = {};
  for (const name of model.graph.runtimeInputs) {
    const type = model.graph.value(name)?.type;
    if (type?.kind !== 'tensor' || type.dtype === undefined || type.shape === undefined) {
      throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} has no declared tensor type and shape; cannot make random data for it`);
    }
    const dims = type.shape.map((d: Dim) => (typeof d === 'number' ? d : (typeof d === 'string' ? options.dims?.[d] : undefined) ?? 1));
    const declared = `[${type.shape.map((d) => (d === null ? '?' : typeof d === 'string' ? printable(d, 40) : d)).join(', ')}]`;
    const count = checkedElementCount(dims, `random data for input ${quote(name)} (declared shape ${declared})`);
    const dtype: DataType = type.dtype;
    const values = new Float64Array(count);
    const [flo, fhi] = domains.get(name) ?? [lo, hi];
    if (isFloatType(dtype)) for (let i = 0; i < count; i++) values[i] = rng.uniform(flo, fhi);
    else if (dtype === 'bool') for (let i = 0; i < count; i++) values[i] = rng.int(0, 2);
    else if (DATA_TYPES[dtype].kind === 'int' || DATA_TYPES[dtype].kind === 'uint') for (let i = 0; i < count; i++) values[i] = rng.int(ilo, ihi);
    else throw new TandemError('INPUT_MISMATCH', `cannot make random data of type ${dtype} for input ${quote(name)}`);
    feeds[name] = tensorFromValues(dtype, dims, values, name);
  }
  return feeds;
}

/** How one output of two runs compares (relative L2, max difference, exact match). */
export interface OutputComparison {
  name: string;
  dtype: DataType | undefined;
  /** ||a - b|| / ||a|| over all elements (0 when both are zero). */
  relL2: number;
  maxAbs: number;
  /** For integer and bool outputs: whether every element matches. */
  exact: boolean;
  shapeMatch: boolean;
}

/** Compares two tensors elementwise. */
export function compareTensors(name: string, a: Tensor, b: Tensor): OutputComparison {
  const shapeMatch = a.dims.length === b.dims.length && a.dims.every((d, i) => d === b.dims[i]);
  if (!shapeMatch || a.dtype !== b.dtype) return { name, dtype: a.dtype, relL2: Infinity, maxAbs: Infinity, exact: false, shapeMatch };
  const x = tensorValues(a);
  const y = tensorValues(b);
  let diff = 0;
  let norm = 0;
  let maxAbs = 0;
  let exact = true;
  // NaN where both have NaN, and the same infinity, agree; either one alone is a mismatch
  let apart = false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (!Number.isFinite(p) || !Number.isFinite(q)) {
      if (!(p === q || (Number.isNaN(p) && Number.isNaN(q)))) apart = true;
      continue;
    }
    const d = p - q;
    if (d !== 0) exact = false;
    diff += d * d;
    norm += p * p;
    maxAbs = Math.max(maxAbs, Math.abs(d));
  }
  if (apart) return { name, dtype: a.dtype, relL2: Infinity, maxAbs: Infinity, exact: false, shapeMatch };
  const relL2 = diff === 0 ? 0 : Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
  return { name, dtype: a.dtype, relL2, maxAbs, exact, shapeMatch };
}

/** Options of `checkEquivalent`. */
export interface EquivalenceOptions extends RandomInputOptions {
  /** Relative L2 error allowed for float outputs. @default 1e-5 */
  tolerance?: number;
  /** Fresh random input sets to try. @default 2 */
  trials?: number;
  /** Engine both models run on. @default 'cpu' */
  engine?: EngineName;
}

/** Whether two models agree on fresh random inputs, with the worst comparison per output. */
export interface EquivalenceReport {
  ok: boolean;
  tolerance: number;
  trials: number;
  /** Worst result per output over all trials. */
  outputs: OutputComparison[];
}

/**
 * Runs two models on the same fresh random inputs and compares every output of `before` with the
 * same-named output of `after`: float outputs within `tolerance` (relative L2), others exactly.
 */
export async function checkEquivalent(before: Model, after: Model, options: EquivalenceOptions = {}): Promise<EquivalenceReport> {
  const tolerance = options.tolerance ?? 1e-5;
  const trials = options.trials ?? 2;
  const engine = getEngine(options.engine ?? 'cpu');
  await using a = await engine.open(before);
  await using b = await engine.open(after);
  const worst = new Map<string, OutputComparison>();
  for (let t = 0; t < trials; t++) {
    const feeds = randomInputs(before, { ...options, seed: (options.seed ?? 1) + 7919 * t });
    const feedsAfter = Object.fromEntries(Object.entries(feeds).filter(([k]) => b.inputNames.includes(k)));
    const [ra, rb] = [await a.run(feeds), await b.run(feedsAfter)];
    for (const name of a.outputNames) {
      const y = rb[name];
      const c: OutputComparison = y ? compareTensors(name, ra[name]!, y) : { name, dtype: ra[name]?.dtype, relL2: Infinity, maxAbs: Infinity, exact: false, shapeMatch: false };
      const prev = worst.get(name);
      if (!prev || c.relL2 > prev.relL2 || (prev.exact && !c.exact)) worst.set(name, c);
    }
  }
  const outputs = [...worst.values()];
  const ok = outputs.every((c) => c.shapeMatch && (c.dtype !== undefined && !isFloatType(c.dtype) ? c.exact : c.relL2 <= tolerance));
  return { ok, tolerance, trials, outputs };
}

