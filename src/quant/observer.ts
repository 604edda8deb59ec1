import { quote } from '../util/text.js';
import { TandemError, assert } from '../util/errors.js';
import { float16Value } from '../util/float16.js';
import type { Model } from '../ir/model.js';
import { attr } from '../ir/attribute.js';
import { Node } from '../ir/node.js';
import { Tensor, type TensorData } from '../ir/tensor.js';
import { inferShapes } from '../ops/infer.js';
import { opHasTrait } from '../ops/registry.js';
import type { CalibrationSource } from './calibration-source.js';
import { calibrationTargets } from './calibration-targets.js';
import type { HistogramKind, TensorStatistics } from './calibrators/registry.js';
import { FixedHistogram, accumulateRange, emptyRange, rangeAbsMax, type RangeStatistics } from './histogram.js';
import type { QuantSession, SessionOpener } from './session.js';
import type { ProgressCallback } from '../util/progress.js';

/** One model to observe. Stages run in the given order; a stage reads the source's feeds and earlier stages' outputs. */
export interface StageToObserve {
  readonly name: string;
  readonly model: Model;
  /** Activation tensors to observe. @default every tensor that needs a scale (`calibrationTargets`) */
  readonly activations?: readonly string[];
}

export interface ObserverOptions {
  /** Samples per session run, concatenated along the leading dimension where every stage input has a dynamic one. @default 1 */
  batchSize?: number;
  /** Histograms to fill in the second pass; none means one pass (ranges only). @default none */
  histograms?: ReadonlySet<HistogramKind>;
  /** @default 2048 */
  bins?: number;
  onProgress?: ProgressCallback;
}

/** What calibration observed in one stage: each float tensor's statistics. */
export interface StageStatistics {
  readonly name: string;
  /** Per observed float tensor, in the stage's topological order. */
  readonly tensors: Map<string, TensorStatistics>;
  /** Observed tensors that turned out not to be float (shape arithmetic, indices): they need no scale. */
  readonly nonFloat: readonly string[];
}

/** What one calibration run observed, per stage. */
export interface ObservationResult {
  readonly stages: StageStatistics[];
  readonly samples: number;
  /** Samples per run actually used (1 where a stage has a static batch dimension). */
  readonly batchSize: number;
  /** Session runs per stage: passes × batches. */
  readonly runs: number;
  /** Bytes of statistics held at the end: grows with tensors and bins, never with samples. */
  readonly statisticsBytes: number;
}

/** What one stage's session returns in a pass: reduced ranges (pass 1) or whole tensors. */
interface StagePass {
  readonly session: QuantSession;
  readonly fetch: readonly string[];
  /** Pass 1: tensor → its index in the three range outputs. */
  readonly reduced: ReadonlyMap<string, number>;
  /** Pass 1: the outputs holding every reduced tensor's min, max (float32) and element count (int64). */
  readonly rangeOutputs?: readonly [string, string, string];
  /** Tensors fetched whole (graph inputs come from the feeds). */
  readonly whole: ReadonlySet<string>;
}

interface StageState {
  readonly stage: StageToObserve;
  readonly inputs: readonly string[];
  readonly observed: readonly string[];
  readonly ranges: Map<string, RangeStatistics>;
  readonly histograms: Map<string, { abs?: FixedHistogram; signed?: FixedHistogram }>;
  readonly nonFloat: Set<string>;
  /** Element types known before running (shape inference); unknown ones are found out from the data. */
  readonly dtypes: ReadonlyMap<string, string | undefined>;
  /** Tensors whose range follows exactly from other observed tensors' ranges: no reduction for them in pass 1. */
  readonly derived: ReadonlyMap<string, Derivation>;
  pass?: StagePass;
}

/** How a tensor's range follows from its input's: a layout op copies values, Relu clamps at 0, Concat joins. */
interface Derivation {
  readonly rule: 'copy' | 'relu' | 'concat';
  readonly from: readonly string[];
}

/** Observed tensors whose range can be derived from earlier observed ones, in topological order. */
function derivations(model: Model, observed: readonly string[]): Map<string, Derivation> {
  const g = model.graph;
  const seen = new Set<string>();
  const out = new Map<string, Derivation>();
  for (const name of observed) {
    const p = g.producer(name);
    const x = p?.input(0);
    if (p !== undefined && p.domain === '' && p.outputs[0] === name) {
      if (opHasTrait(p.op, 'valuePreserving') && x !== undefined && seen.has(x)) out.set(name, { rule: 'copy', from: [x] });
      else if (p.op === 'Relu' && x !== undefined && seen.has(x)) out.set(name, { rule: 'relu', from: [x] });
      else if (p.op === 'Concat' && p.inputs.length > 0 && p.inputs.every((i) => seen.has(i))) out.set(name, { rule: 'concat', from: [...p.inputs] });
    }
    seen.add(name);
  }
  return out;
}

/** Fills the derived ranges from their sources' (after pass 1). */
function deriveRanges(s: StageState): void {
  for (const [name, d] of s.derived) {
    if (s.ranges.has(name)) continue;
    const src = d.from.map((f) => s.ranges.get(f));
    if (d.from.some((f) => s.nonFloat.has(f)) || src.some((r) => r === undefined)) {
      if (d.from.some((f) => s.nonFloat.has(f))) s.nonFloat.add(name);
      continue;
    }
    const r = emptyRange();
    for (const x of src as RangeStatistics[]) {
      r.min = Math.min(r.min, d.rule === 'relu' ? Math.max(0, x.min) : x.min);
      r.max = Math.max(r.max, d.rule === 'relu' ? Math.max(0, x.max) : x.max);
      r.count += x.count;
      r.nonFinite += x.nonFinite;
    }
    s.ranges.set(name, r);
  }
}

/**
 * Runs the stages over every calibration sample and folds the observed tensors into statistics. Pass 1
 * (ranges) adds ReduceMin/ReduceMax/Size nodes to the graph, so a run returns three scalars per tensor
 * instead of the tensor (as ORT's MinMax calibrator does); pass 2 (when histograms are asked for)
 * exposes the tensors as outputs and fills fixed-range histograms. Outputs of layout ops (Reshape,
 * Transpose, ...), Relu and Concat take their range from their inputs' without a reduction, and layout
 * ops share their input's histogram: exact, and a third less work on transformer graphs. Memory is
 * bounded by two batches of activations plus O(bins) per tensor.
 */
export async function observe(stages: readonly StageToObserve[], source: CalibrationSource, opener: SessionOpener, options: ObserverOptions = {}): Promise<ObservationResult> {
  const samples = source.ids.length;
  if (samples === 0) throw new TandemError('CALIB_DATA', `no calibration samples in ${source.description}`);
  const kinds = [...(options.histograms ?? [])];
  const bins = options.bins ?? 2048;
  checkStageInputs(stages, await source.read(0));
  const batchSize = canBatch(stages) ? Math.max(1, Math.min(options.batchSize ?? 1, samples)) : 1;
  const batches = Math.ceil(samples / batchSize);
  let runs = 0;
  const states: StageState[] = stages.map((stage) => {
    const observed = stage.activations ?? calibrationTargets(stage.model).activations;
    return { stage, inputs: stage.model.graph.runtimeInputs, observed, ranges: new Map(), histograms: new Map(), nonFloat: new Set(), dtypes: knownDtypes(stage.model, observed), derived: derivations(stage.model, observed) };
  });
  const closeAll = async (): Promise<void> => {
    for (const s of states) {
      await s.pass?.session.close();
      delete s.pass;
    }
  };
  /** Runs every stage on batch `b`; resolves with each stage's feeds and outputs. */
  const runBatch = async (b: number): Promise<{ feeds: Record<string, Tensor>; outputs: Record<string, Tensor> }[]> => {
    const feeds = await readBatch(source, b * batchSize, Math.min(samples, (b + 1) * batchSize));
    const env = new Map<string, Tensor>(Object.entries(feeds));
    const out: { feeds: Record<string, Tensor>; outputs: Record<string, Tensor> }[] = [];
    for (const s of states) {
      const stageFeeds: Record<string, Tensor> = {};
      for (const name of s.inputs) stageFeeds[name] = env.get(name)!;
      const outputs = await s.pass!.session.run(stageFeeds, { outputs: s.pass!.fetch });
      for (const name of s.stage.model.graph.outputs) {
        const t = outputs[name];
        if (t !== undefined) env.set(name, t);
      }
      out.push({ feeds: stageFeeds, outputs });
    }
    return out;
  };
  const run = async (phase: 'range' | 'histogram', visit: (s: StageState, name: string, t: Tensor | ReducedRange) => void): Promise<void> => {
    // One batch ahead: onnxruntime computes batch b+1 on its own threads while this thread folds batch b
    // into the statistics (two batches of activations in memory at most).
    let next: ReturnType<typeof runBatch> | undefined = runBatch(0);
    try {
      for (let b = 0; b < batches; b++) {
        const done = await next!;
        next = b + 1 < batches ? runBatch(b + 1) : undefined;
        states.forEach((s, k) => {
          const { feeds, outputs } = done[k]!;
          const pass = s.pass!;
          const [mins, maxs, sizes] = (pass.rangeOutputs ?? []).map((o) => outputs[o]?.data as ArrayLike<number | bigint> | undefined);
          for (const name of s.observed) {
            if (s.nonFloat.has(name)) continue;
            const r = pass.reduced.get(name);
            if (r !== undefined) {
              visit(s, name, { min: Number(mins![r]), max: Number(maxs![r]), size: Number(sizes![r]) });
              continue;
            }
            // Only what this pass provides: the stage's inputs and the tensors it fetches whole.
            if (!pass.whole.has(name) && !s.inputs.includes(name)) continue;
            const t = outputs[name] ?? feeds[name];
            assert(t !== undefined, () => `stage ${s.stage.name} did not return observed tensor ${quote(name)}`);
            visit(s, name, t);
          }
          for (const h of s.histograms.values()) {
            h.abs?.flush();
            h.signed?.flush();
          }
        });
        runs++;
        options.onProgress?.({ kind: 'calibration', phase, done: b + 1, total: batches });
      }
    } finally {
      // A run still in flight when a visit failed must settle before its session is closed.
      if (next !== undefined) await next.catch(() => undefined);
    }
  };
  const visitWhole = (fold: (s: StageState, name: string, data: Float32Array) => void) => (s: StageState, name: string, t: Tensor | ReducedRange): void => {
    if (!(t instanceof Tensor)) return;
    const data = floatData(t);
    if (data === undefined) s.nonFloat.add(name);
    else fold(s, name, data);
  };
  const range = (s: StageState, name: string): RangeStatistics => {
    let r = s.ranges.get(name);
    if (r === undefined) s.ranges.set(name, (r = emptyRange()));
    return r;
  };
  try {
    for (const s of states) s.pass = await openPass(s, opener, 'range');
    await run('range', (s, name, t) => {
      if (t instanceof Tensor) visitWhole((x, n, data) => accumulateRange(range(x, n), data))(s, name, t);
      else foldReduced(range(s, name), t);
    });
    for (const s of states) deriveRanges(s);
    // In-graph reductions cannot count NaN or ±Inf: a tensor whose min or max came back non-finite gets
    // its range again from the whole data (rare; a model producing non-finite values).
    const redo = states.map((s) => [...s.ranges].filter(([, r]) => !Number.isFinite(r.min) || !Number.isFinite(r.max)).map(([n]) => n));
    if (redo.some((names) => names.length > 0)) {
      await closeAll();
      for (const [i, s] of states.entries()) {
        for (const n of redo[i]!) s.ranges.delete(n);
        s.pass = await openPass(s, opener, 'whole', new Set(redo[i]));
      }
      await run('range', visitWhole((x, n, data) => (redo[states.indexOf(x)]!.includes(n) ? accumulateRange(range(x, n), data) : undefined)));
    }
    if (kinds.length > 0) {
      await closeAll();
      for (const s of states) {
        // A layout op's output holds its input's values: same range, same histogram; it is not fetched.
        const copies = new Map<string, string>();
        for (const [name, d] of s.derived) if (d.rule === 'copy' && s.ranges.has(d.from[0]!)) copies.set(name, copies.get(d.from[0]!) ?? d.from[0]!);
        for (const [name, r] of s.ranges) {
          if (copies.has(name)) continue;
          const absMax = rangeAbsMax(r);
          s.histograms.set(name, {
            ...(kinds.includes('abs') ? { abs: new FixedHistogram('abs', bins, absMax) } : {}),
            ...(kinds.includes('signed') ? { signed: new FixedHistogram('signed', bins, absMax) } : {}),
          });
        }
        for (const [name, source] of copies) s.histograms.set(name, s.histograms.get(source)!);
        s.pass = await openPass(s, opener, 'whole', new Set([...s.ranges.keys()].filter((n) => !copies.has(n))));
      }
      await run(
        'histogram',
        visitWhole((s, name, data) => {
          const h = s.histograms.get(name);
          h?.abs?.add(data);
          h?.signed?.add(data);
        }),
      );
    }
    let bytes = 0;
    const counted = new Set<FixedHistogram>(); // copies share their source's histograms
    const result: StageStatistics[] = states.map((s) => {
      const tensors = new Map<string, TensorStatistics>();
      for (const name of s.observed) {
        const range = s.ranges.get(name);
        if (range === undefined || s.nonFloat.has(name)) continue;
        const h = s.histograms.get(name);
        bytes += 32;
        for (const x of [h?.abs, h?.signed]) {
          if (x === undefined || counted.has(x)) continue;
          counted.add(x);
          bytes += x.byteLength;
        }
        tensors.set(name, { name, range, ...(h?.abs ? { abs: h.abs } : {}), ...(h?.signed ? { signed: h.signed } : {}) });
      }
      return { name: s.stage.name, tensors, nonFloat: [...s.nonFloat] };
    });
    return { stages: result, samples, batchSize, runs, statisticsBytes: bytes };
  } finally {
    await closeAll();
  }
}

interface ReducedRange {
  readonly min: number;
  readonly max: number;
  readonly size: number;
}

function foldReduced(r: RangeStatistics, x: ReducedRange): void {
  if (x.size === 0) return;
  if (x.min < r.min) r.min = x.min;
  if (x.max > r.max) r.max = x.max;
  r.count += x.size;
}

/** Element types of the observed tensors, where shape inference knows them. */
function knownDtypes(model: Model, observed: readonly string[]): Map<string, string | undefined> {
  const m = model.clone();
  try {
    inferShapes(m, { strict: false });
  } catch {
    // Inference is an optimisation here: without it every tensor is fetched whole in pass 1.
  }
  return new Map(observed.map((n) => [n, m.graph.tensorType(n)?.dtype]));
}

/**
 * Opens one stage for a pass. 'range': float32 node outputs get ReduceMin/ReduceMax/Size nodes (three
 * scalars per tensor come back); tensors of unknown type are fetched whole; known non-float ones are
 * skipped. 'whole': the tensors in `only` are exposed as outputs.
 */
async function openPass(s: StageState, opener: SessionOpener, mode: 'range' | 'whole', only?: ReadonlySet<string>): Promise<StagePass> {
  const graph = s.stage.model.graph;
  const augmented = s.stage.model.clone();
  const g = augmented.graph;
  const fetch = [...graph.outputs];
  const reduced = new Map<string, number>();
  const whole = new Set<string>();
  const parts: [string[], string[], string[]] = [[], [], []];
  const one = mode === 'range' ? g.freshName('tandem_range_shape') : '';
  for (const name of s.observed) {
    if (only !== undefined && !only.has(name)) continue;
    if (!s.inputs.includes(name) && !graph.producer(name)) throw new TandemError('UNKNOWN_NAME', `stage ${s.stage.name}: tensor ${quote(name)} to observe is neither an input nor a node output`);
    const dtype = s.dtypes.get(name);
    if (dtype !== undefined && dtype !== 'float32' && dtype !== 'float16') {
      s.nonFloat.add(name);
      continue;
    }
    if (s.inputs.includes(name)) continue; // read from the feeds
    if (mode === 'range' && s.derived.has(name)) continue;
    if (mode === 'range' && dtype === 'float32') {
      // min, max and size of the tensor, each reshaped to [1] and later concatenated: three outputs per run in all.
      (['ReduceMin', 'ReduceMax', 'Size'] as const).forEach((op, k) => {
        const v = g.freshName(`${name}__tandem_${op}`);
        const flat = g.freshName(`${v}_1d`);
        g.addNode(new Node({ op, name: v, inputs: [name], outputs: [v], attrs: op === 'Size' ? {} : { keepdims: attr.int(0) } }));
        g.addNode(new Node({ op: 'Reshape', name: flat, inputs: [v, one], outputs: [flat] }));
        parts[k]!.push(flat);
      });
      reduced.set(name, reduced.size);
      continue;
    }
    if (!fetch.includes(name)) {
      g.addOutput(name);
      fetch.push(name);
    }
    whole.add(name);
  }
  let rangeOutputs: [string, string, string] | undefined;
  if (reduced.size > 0) {
    g.setInitializer(one, new Tensor('int64', [1], BigInt64Array.of(1n)));
    rangeOutputs = parts.map((list, k) => {
      const out = g.freshName(`tandem_range_${['min', 'max', 'size'][k]}`);
      g.addNode(new Node({ op: 'Concat', name: out, inputs: list, outputs: [out], attrs: { axis: attr.int(0) } }));
      g.addOutput(out);
      fetch.push(out);
      return out;
    }) as [string, string, string];
  }
  return { session: await opener.open(augmented), fetch, reduced, whole, ...(rangeOutputs ? { rangeOutputs } : {}) };
}

/** Every stage input must come from the source or from an earlier stage's outputs. */
function checkStageInputs(stages: readonly StageToObserve[], sample: Record<string, Tensor>): void {
  const available = new Set(Object.keys(sample));
  for (const s of stages) {
    const missing = s.model.graph.runtimeInputs.filter((n) => !available.has(n));
    if (missing.length > 0) {
      throw new TandemError(
        'CALIB_DATA',
        `stage ${s.name} needs ${missing.map((n) => `${quote(n)}`).join(', ')}, which neither the calibration data (${[...Object.keys(sample)].map((n) => `${quote(n)}`).join(', ')}) nor an earlier stage provides`,
      );
    }
    for (const o of s.model.graph.outputs) available.add(o);
  }
}

/** Batching concatenates along axis 0, which needs a dynamic leading dimension on every stage input. */
function canBatch(stages: readonly StageToObserve[]): boolean {
  return stages.every((s) =>
    s.model.graph.runtimeInputs.every((n) => {
      const t = s.model.graph.value(n)?.type;
      return t?.kind === 'tensor' && t.shape !== undefined && t.shape.length > 0 && typeof t.shape[0] !== 'number';
    }),
  );
}

async function readBatch(source: CalibrationSource, start: number, end: number): Promise<Record<string, Tensor>> {
  if (end - start === 1) return source.read(start);
  const parts: Record<string, Tensor>[] = [];
  for (let i = start; i < end; i++) parts.push(await source.read(i));
  const out: Record<string, Tensor> = {};
  for (const name of Object.keys(parts[0]!)) out[name] = concatLeading(parts.map((p) => p[name]!), name);
  return out;
}

/** Concatenates tensors along axis 0. */
export function concatLeading(parts: readonly Tensor[], name: string): Tensor {
  const first = parts[0]!;
  const rest = first.dims.slice(1);
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.dims.length !== first.dims.length || p.dims.slice(1).some((d, i) => d !== rest[i])) {
      throw new TandemError('CALIB_DATA', `cannot batch ${quote(name)}: samples have shapes [${first.dims.join(', ')}] and [${p.dims.join(', ')}]; give samples of one shape or --batch 1`);
    }
  }
  const data = first.data as Exclude<TensorData, Uint8Array[]>;
  const Ctor = data.constructor as new (n: number) => Exclude<TensorData, Uint8Array[]>;
  const total = parts.reduce((n, p) => n + (p.data as ArrayLike<unknown>).length, 0);
  const out = new Ctor(total);
  let at = 0;
  for (const p of parts) {
    const d = p.data as Exclude<TensorData, Uint8Array[]>;
    (out as Float32Array).set(d as Float32Array, at);
    at += d.length;
  }
  const lead = parts.reduce((n, p) => n + p.dims[0]!, 0);
  return new Tensor(first.dtype, [lead, ...rest], out as TensorData);
}

const F16 = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = float16Value(i);
  return t;
})();

/** The values of a float32 or float16 tensor as float32; undefined for other types. */
function floatData(t: Tensor): Float32Array | undefined {
  if (t.dtype === 'float32') return t.data as Float32Array;
  if (t.dtype !== 'float16') return undefined;
  const bits = t.data as Uint16Array;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = F16[bits[i]!]!;
  return out;
}
