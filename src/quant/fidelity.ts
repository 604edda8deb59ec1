import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import { float16Value } from '../util/float16.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import type { CalibrationSource } from './calibration-source.js';
import type { QuantSession, SessionOpener } from './session.js';
import type { ProgressCallback } from '../util/progress.js';

/** How close a quantized (or FP16) model's output is to the FP32 model's, over all compared samples. */
export interface OutputFidelity {
  readonly output: string;
  /** ‖ref − got‖ / ‖ref‖ over every element of every sample. */
  readonly relL2: number;
  /** ⟨ref, got⟩ / (‖ref‖ ‖got‖) over every element of every sample. */
  readonly cosine: number;
  /** Fraction of positions whose argmax over axis 1 agrees: for class maps ([N, C, H, W] or [N, C] with C > 1). */
  readonly argmaxAgreement?: number;
  readonly maxAbs: number;
  readonly elements: number;
}

/** Streams pairs of output tensors into the fidelity metrics; O(1) memory. */
export class FidelityAccumulator {
  readonly output: string;
  #diff2 = 0;
  #ref2 = 0;
  #got2 = 0;
  #dot = 0;
  #maxAbs = 0;
  #elements = 0;
  #agree = 0;
  #positions = 0;

  constructor(output: string) {
    this.output = output;
  }

  add(ref: Tensor, got: Tensor): void {
    if (ref.dims.length !== got.dims.length || ref.dims.some((d, i) => d !== got.dims[i])) {
      throw new TandemError('ENGINE_RUN', `output ${quote(this.output)} has shape [${got.dims.join(', ')}] in the compared model, [${ref.dims.join(', ')}] in the reference`);
    }
    const a = asFloat(ref);
    const b = asFloat(got);
    let d2 = 0;
    let r2 = 0;
    let g2 = 0;
    let dot = 0;
    let mx = this.#maxAbs;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      const d = x - y;
      d2 += d * d;
      r2 += x * x;
      g2 += y * y;
      dot += x * y;
      const ad = d < 0 ? -d : d;
      if (ad > mx) mx = ad;
    }
    this.#diff2 += d2;
    this.#ref2 += r2;
    this.#got2 += g2;
    this.#dot += dot;
    this.#maxAbs = mx;
    this.#elements += a.length;
    const dims = ref.dims;
    if ((dims.length === 4 || dims.length === 2) && dims[1]! > 1) {
      const c = dims[1]!;
      const inner = dims.length === 4 ? dims[2]! * dims[3]! : 1;
      const outer = dims[0]!;
      for (let n = 0; n < outer; n++) {
        for (let p = 0; p < inner; p++) {
          const base = n * c * inner + p;
          let ia = 0;
          let ib = 0;
          for (let k = 1; k < c; k++) {
            if (a[base + k * inner]! > a[base + ia * inner]!) ia = k;
            if (b[base + k * inner]! > b[base + ib * inner]!) ib = k;
          }
          if (ia === ib) this.#agree++;
          this.#positions++;
        }
      }
    }
  }

  result(): OutputFidelity {
    const relL2 = this.#diff2 === 0 ? 0 : Math.sqrt(this.#diff2) / Math.max(Math.sqrt(this.#ref2), 1e-30);
    const denom = Math.sqrt(this.#ref2) * Math.sqrt(this.#got2);
    const cosine = denom === 0 ? (this.#ref2 === this.#got2 ? 1 : 0) : this.#dot / denom;
    return {
      output: this.output,
      relL2,
      cosine,
      ...(this.#positions > 0 ? { argmaxAgreement: this.#agree / this.#positions } : {}),
      maxAbs: this.#maxAbs,
      elements: this.#elements,
    };
  }
}

function asFloat(t: Tensor): ArrayLike<number> {
  if (t.dtype === 'float32' || t.dtype === 'float64') return t.data as Float32Array;
  if (t.dtype === 'float16') return Array.from(t.data as Uint16Array, float16Value);
  throw new TandemError('ENGINE_RUN', `output ${quote(t.name)} is ${t.dtype}; fidelity compares float outputs only`);
}

/** An FP32 stage of `compareFidelity`. */
export interface FidelityStage {
  readonly name: string;
  /** The FP32 model: it also produces the inputs of later stages. */
  readonly model: Model;
}

/** A replacement of one stage (its Q/DQ or FP16 model) that `compareFidelity` measures. */
export interface FidelityCandidate {
  /** Which stage it replaces. */
  readonly stage: string;
  /** e.g. the calibration method: "entropy", "fp16". */
  readonly label: string;
  readonly model: Model;
}

/** One candidate's output fidelity against the FP32 stage. */
export interface FidelityRow extends OutputFidelity {
  readonly stage: string;
  readonly label: string;
  readonly samples: number;
}

/** Options of `compareFidelity`. */
export interface CompareFidelityOptions {
  /** Told after each sample (`kind: 'compare'`). */
  onProgress?: ProgressCallback;
}

/**
 * Runs the FP32 stages and each candidate on the same samples (a candidate sees the FP32 inputs of its
 * stage, so each stage is measured on its own) and compares every float output.
 */
export async function compareFidelity(stages: readonly FidelityStage[], candidates: readonly FidelityCandidate[], source: CalibrationSource, opener: SessionOpener, options: CompareFidelityOptions = {}): Promise<FidelityRow[]> {
  const sessions: QuantSession[] = [];
  try {
    const refs: QuantSession[] = [];
    for (const s of stages) {
      const session = await opener.open(s.model);
      sessions.push(session);
      refs.push(session);
    }
    const cands: { c: FidelityCandidate; session: QuantSession; acc: Map<string, FidelityAccumulator> }[] = [];
    for (const c of candidates) {
      if (!stages.some((s) => s.name === c.stage)) throw new TandemError('UNKNOWN_NAME', `candidate ${quote(c.label)} replaces stage ${quote(c.stage)}, which is not among ${stages.map((s) => s.name).join(', ')}`);
      const session = await opener.open(c.model);
      sessions.push(session);
      cands.push({ c, session, acc: new Map() });
    }
    const total = source.ids.length;
    for (let i = 0; i < total; i++) {
      const env = new Map<string, Tensor>(Object.entries(await source.read(i)));
      for (let k = 0; k < stages.length; k++) {
        const stage = stages[k]!;
        const feeds: Record<string, Tensor> = {};
        for (const n of stage.model.graph.runtimeInputs) {
          const t = env.get(n);
          if (t === undefined) throw new TandemError('CALIB_DATA', `stage ${stage.name} needs ${quote(n)}, which neither the data nor an earlier stage provides`);
          feeds[n] = t;
        }
        const outputs = stage.model.graph.outputs;
        const ref = await refs[k]!.run(feeds, { outputs });
        for (const x of cands) {
          if (x.c.stage !== stage.name) continue;
          const got = await x.session.run(feeds, { outputs });
          for (const o of outputs) {
            const r = ref[o];
            const g = got[o];
            if (r === undefined || g === undefined || (r.dtype !== 'float32' && r.dtype !== 'float16')) continue;
            let acc = x.acc.get(o);
            if (acc === undefined) x.acc.set(o, (acc = new FidelityAccumulator(o)));
            acc.add(r, g);
          }
        }
        for (const o of outputs) if (ref[o] !== undefined) env.set(o, ref[o]);
      }
      options.onProgress?.({ kind: 'compare', done: i + 1, total });
    }
    return cands.flatMap((x) => [...x.acc.values()].map((a) => ({ stage: x.c.stage, label: x.c.label, samples: total, ...a.result() })));
  } finally {
    for (const s of sessions) await s.close();
  }
}
