import { TandemError } from '../util/errors.js';
import { quote } from '../util/text.js';
import type { ProgressEvent } from '../util/progress.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import { prepareModel, pruneTwoFour, type PrepareOptions, type PrepareResult, type PruneRecord } from '../passes/index.js';
import { FidelityAccumulator, type OutputFidelity } from '../quant/fidelity.js';
import { convertToFloat16, type Fp16Options, type Fp16Result } from '../quant/fp16.js';
import { convSparsity } from '../targets/sparsity.js';
import { getEngine } from './engines/registry.js';
import { checkEquivalent, randomInputs, type EquivalenceReport, type OutputComparison } from './verify.js';

// Graph rewrites checked numerically on onnxruntime (cpu), as DESIGN's contract asks of every rewrite.

/** How a rewritten model is checked against the input on onnxruntime cpu. */
export interface VerifyOptions {
  /** Relative L2 error allowed for float outputs (others: exact). @default 1e-5 */
  tolerance?: number;
  /** Fresh random input sets. @default 2 */
  trials?: number;
}

/** Options of `prepareAndVerify`: the `prepareModel` options plus the check. */
export interface PrepareAndVerifyOptions extends PrepareOptions {
  /** Check that the outputs are unchanged on onnxruntime cpu; `false` skips the check. @default { tolerance: 1e-5, trials: 2 } */
  verify?: boolean | VerifyOptions;
}

/** The `prepareModel` result with the numerical check of the rewritten model. */
export interface VerifiedPrepareResult extends PrepareResult {
  /** The check of the model before against after; absent when `verify` is false. */
  readonly verification?: EquivalenceReport;
}

/** Outputs that fail an equivalence check: a shape that differs, or an error over the tolerance. */
export function failedOutputs(v: EquivalenceReport): OutputComparison[] {
  return v.outputs.filter((c) => !c.shapeMatch || (c.exact === false && !(c.relL2 <= v.tolerance)));
}

/**
 * prepareModel, then the check that the prepared model computes what the input did (fresh random
 * inputs, onnxruntime cpu). Throws `VERIFY_FAILED` naming each output that moved; the caller writes
 * nothing then.
 */
export async function prepareAndVerify(model: Model, options: PrepareAndVerifyOptions = {}): Promise<VerifiedPrepareResult> {
  const { verify = true, ...prepare } = options;
  const result = prepareModel(model, prepare);
  if (verify === false) return result;
  const v = verify === true ? {} : verify;
  options.onProgress?.({ kind: 'verify' });
  const verification = await checkEquivalent(model, result.model, { tolerance: v.tolerance ?? 1e-5, trials: v.trials ?? 2, ...(prepare.dims ? { dims: prepare.dims } : {}) });
  if (!verification.ok) {
    throw new TandemError(
      'VERIFY_FAILED',
      `the prepared model's outputs differ from the input model's on onnxruntime cpu: ${failedOutputs(verification).map((c) => `${quote(c.name)} ${c.shapeMatch ? `rel L2 ${c.relL2.toExponential(2)}` : 'shape differs'}`).join(', ')} (tolerance ${verification.tolerance}); nothing written — run fewer passes (--passes) to find the one at fault, and report it`,
    );
  }
  return { ...result, verification };
}

/** The 2:4-pruned copy, what happened to each Conv, and how far the outputs moved. */
export interface PruneCheckResult {
  readonly model: Model;
  readonly convs: readonly PruneRecord[];
  /** How far each output moved on random inputs (onnxruntime cpu): pruning changes the function. */
  readonly outputChange: readonly OutputComparison[];
}

/**
 * 2:4-prunes a copy (pruneTwoFour) and checks it: every pruned Conv follows the pattern afterwards
 * (else `VERIFY_FAILED`), the copy runs on onnxruntime cpu, and how far its outputs moved is measured.
 * The copy is for functional and speed tests; its accuracy needs retraining with the 2:4 mask.
 */
export async function pruneTwoFourChecked(model: Model): Promise<PruneCheckResult> {
  const { model: pruned, convs } = pruneTwoFour(model);
  const after = new Map(convSparsity(pruned).map((c) => [c.node, c]));
  const broken = convs.filter((c) => c.pruned && after.get(c.node)?.follows !== true);
  if (broken.length > 0) throw new TandemError('VERIFY_FAILED', `2:4 pruning left ${broken.length} Conv(s) off the pattern (${broken.slice(0, 3).map((c) => c.node).join(', ')}); nothing written — report this`);
  const v = await checkEquivalent(model, pruned, { tolerance: Number.MAX_VALUE, trials: 1 });
  return { model: pruned, convs, outputChange: v.outputs };
}

/** Options of `convertToFloat16Checked`: the `convertToFloat16` options plus the check. */
export interface Float16CheckOptions extends Fp16Options {
  /** Compare the FP16 model with the input on onnxruntime cpu; `false` skips it. @default { tolerance: 1e-2, trials: 2, seed: 1 } */
  check?: boolean | { tolerance?: number; trials?: number; seed?: number };
  /** Sizes of symbolic input dims for the check's random inputs. @default {} */
  dims?: Readonly<Record<string, number>>;
  /** Called with a `verify` event before each random input set of the check. */
  onProgress?: (event: ProgressEvent) => void;
}

/** How close the FP16 model stays to the input on random inputs (measured on onnxruntime cpu). */
export interface Float16Check {
  readonly tolerance: number;
  readonly trials: number;
  /** Fidelity of every float output, FP16 against the input model, over all trials. */
  readonly outputs: readonly OutputFidelity[];
  /** Those over the tolerance. */
  readonly over: readonly OutputFidelity[];
}

/**
 * convertToFloat16, then its fidelity on seeded random inputs (onnxruntime cpu): the result says which
 * outputs are over the tolerance; whether that refuses the model is the caller's choice.
 */
export async function convertToFloat16Checked(model: Model, options: Float16CheckOptions = {}): Promise<Fp16Result & { readonly check?: Float16Check }> {
  const { check = true, dims, ...fp16 } = options;
  const r = convertToFloat16(model, fp16);
  if (check === false) return r;
  const c = check === true ? {} : check;
  const tolerance = c.tolerance ?? 1e-2;
  const trials = c.trials ?? 2;
  const seed = c.seed ?? 1;
  const keepIoTypes = fp16.keepIoTypes ?? true;
  const engine = getEngine('cpu');
  await using a = await engine.open(model);
  await using b = await engine.open(r.model);
  const accs = new Map<string, FidelityAccumulator>();
  for (let t = 0; t < trials; t++) {
    options.onProgress?.({ kind: 'verify' });
    const feeds = randomInputs(model, { seed: seed + 7919 * t, ...(dims ? { dims } : {}) });
    const ref = await a.run(feeds);
    const got = await b.run(keepIoTypes ? feeds : halfFeeds(feeds, r.model.graph.runtimeInputs));
    for (const [name, t32] of Object.entries(ref)) {
      const t16 = got[name];
      if (t16 === undefined || (t32.dtype !== 'float32' && t32.dtype !== 'float16')) continue;
      let acc = accs.get(name);
      if (acc === undefined) accs.set(name, (acc = new FidelityAccumulator(name)));
      acc.add(t32, t16);
    }
  }
  const outputs = [...accs.values()].map((acc) => acc.result());
  if (outputs.length === 0) throw new TandemError('ENGINE_RUN', 'the check produced no float outputs to compare; nothing written — convert without the check (--no-check, check: false)');
  return { ...r, check: { tolerance, trials, outputs, over: outputs.filter((o) => !(o.relL2 <= tolerance)) } };
}

function halfFeeds(feeds: Record<string, Tensor>, names: readonly string[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) out[k] = t.dtype === 'float32' && names.includes(k) ? tensorFromValues('float16', t.dims, tensorValues(t)) : t;
  return out;
}
