import { quote } from '../util/text.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import { createRng } from '../util/random.js';
import { preprocessFromMetadata, resolveImagePreprocess, type ResolvedImagePreprocess } from '../quant/image-preprocess.js';
import type { SessionOpener } from '../quant/session.js';
import { TandemError } from '../util/errors.js';
import { randomFeeds } from './random-feeds.js';
import type { InputEncoding, OutputForm } from '../io/stage-file/types.js';

/**
 * What crosses between the host and the engine at the ends of a plan. A float image input costs 4 bytes
 * a value and float logits 4 bytes a class and pixel; on an engine behind a bus (the WebGPU EP: measured
 * on the H200, host copies were half of a 512x1024 frame) the plan can take pixels and normalise them on
 * the device, and give back class ids and FP16 depth instead.
 *
 * - input `uint8-hwc` / `uint8-chw`: uint8 pixels [N,H,W,C] / [N,C,H,W] in the model's channel order;
 *   Cast + Mul + Add (+ Transpose) prepended. onnxruntime's WebGPU EP has no uint8 kernels (its Cast
 *   takes float16, float, int32, uint32, bool), so there the Cast runs on the CPU and the float tensor
 *   still crosses: use `rgba-uint32` for webgpu.
 * - input `rgba-uint32`: one uint32 per pixel [N,H,W], RGBA bytes as they lie in memory (little-endian:
 *   R + G·2^8 + B·2^16 + A·2^24; A ignored), unpacked on the device with uint32 Div/Mul/Sub, then Cast,
 *   Transpose, Mul + Add: 4 bytes a pixel instead of 12.
 * - output `argmax`: class ids int32 [N,h,w] (ArgMax over channels, then Cast), for segmentation logits.
 * - output `fp16`: the output as float16 (a Cast, or the FP16 model's own value where it ends in a Cast
 *   from float16).
 */
export { INPUT_ENCODINGS, OUTPUT_FORMS, type InputEncoding, type OutputForm } from '../io/stage-file/types.js';

/** The normalisation value = pixel · scale / std[c] − mean[c] / std[c], per channel. */
export interface PixelNormalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly scale: number;
  /** Where it came from: the model's `tandem.preprocess` metadata or ImageNet defaults. */
  readonly source: 'metadata' | 'defaults';
}

/**
 * The normalisation a model's input wants: its `tandem.preprocess` metadata (or that of `metadata`, for a
 * stage split from a model that has it: stages do not carry it), else ImageNet's.
 */
export function pixelNormalization(model: Model, input: string, metadata: readonly (readonly [string, string])[] = model.metadata): PixelNormalization {
  const meta = preprocessFromMetadata(metadata);
  const t = model.graph.tensorType(input);
  const p: ResolvedImagePreprocess = resolveImagePreprocess({ ...meta, layout: 'nchw' }, t?.shape, input);
  return { mean: p.mean, std: p.std, scale: p.scale, source: meta === undefined ? 'defaults' : 'metadata' };
}

/**
 * The float32 [N,C,H,W] input a rewritten model computes from `pixels`, in the graph's own float32
 * arithmetic (Mul by the rounded scale, rounded; Add the rounded shift, rounded): an FP16 stage casts
 * its input to float16, where a last-bit difference would move values by a float16 step.
 */
export function normalizePixels(pixels: Tensor, encoding: Exclude<InputEncoding, 'float'>, dims: readonly number[], norm: PixelNormalization): Tensor<'float32'> {
  const [n, c, h, w] = dims as [number, number, number, number];
  const out = new Float32Array(n * c * h * w);
  const src = tensorValues(pixels);
  const mul = Float32Array.from(norm.std, (sd) => norm.scale / sd);
  const add = Float32Array.from(norm.std, (sd, i) => -norm.mean[i]! / sd);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < h * w; i++) {
        let v: number;
        if (encoding === 'uint8-chw') v = Number(src[(b * c + ch) * h * w + i]);
        else if (encoding === 'uint8-hwc') v = Number(src[(b * h * w + i) * c + ch]);
        else v = Math.floor(Number(src[b * h * w + i]) / 256 ** ch) % 256;
        out[(b * c + ch) * h * w + i] = Math.fround(v * mul[ch]!) + add[ch]!;
      }
    }
  }
  return new Tensor('float32', [n, c, h, w], out);
}

/**
 * A copy of `model` whose float input `input` ([N,C,H,W], static) is read as pixels in `encoding` and
 * normalised inside the graph with `norm`.
 */
export function encodeInput(model: Model, input: string, encoding: Exclude<InputEncoding, 'float'>, norm: PixelNormalization): Model {
  const out = model.clone();
  const g = out.graph;
  const type = g.tensorType(input);
  const shape = type?.shape;
  if (!g.isGraphInput(input) || type?.dtype !== 'float32' || shape?.length !== 4 || !shape.every((d) => typeof d === 'number')) {
    throw new TandemError('MODEL_UNSUITABLE', `input ${quote(input)} is ${type?.dtype ?? 'untyped'}[${(shape ?? []).join(',')}]; pixel input needs a float32 graph input [N, C, H, W] with fixed dims (tandem prepare --dims)`);
  }
  const [n, c, h, w] = shape as [number, number, number, number];
  if (encoding === 'rgba-uint32' && c !== 3) throw new TandemError('MODEL_UNSUITABLE', `input ${quote(input)} has ${c} channels; rgba-uint32 carries 3 (RGB, A ignored); use uint8-hwc or uint8-chw`);
  if (norm.mean.length !== c || norm.std.length !== c) throw new TandemError('USAGE', `input ${quote(input)} has ${c} channels and the normalisation ${norm.mean.length} means and ${norm.std.length} stds`);
  const fresh = (s: string): string => g.freshName(`${input}_${s}`);
  const init = (s: string, t: Tensor): string => {
    const name = fresh(s);
    g.setInitializer(name, t);
    return name;
  };
  const node = (op: string, inputs: string[], attrs: Record<string, number | readonly number[]> = {}): string => {
    const y = fresh(op.toLowerCase());
    g.addNode(new Node({ op, name: g.freshName(`${input}_${op}`), inputs, outputs: [y], attrs }));
    return y;
  };
  const normalized = fresh('float');
  g.renameValue(input, normalized);
  g.setInputs(g.inputs.map((x) => (x === normalized ? input : x)));
  let float: string;
  if (encoding === 'rgba-uint32') {
    g.setValueType(input, { kind: 'tensor', dtype: 'uint32', shape: [n, h, w] });
    // [N,H,W] against [3,1,1,1] broadcasts to [3,N,H,W]: channel k = x / 256^k − (x / 256^(k+1))·256
    const lo = init('div_lo', new Tensor('uint32', [3, 1, 1, 1], Uint32Array.of(1, 256, 65536)));
    const hi = init('div_hi', new Tensor('uint32', [3, 1, 1, 1], Uint32Array.of(256, 65536, 16777216)));
    const k256 = init('k256', new Tensor('uint32', [], Uint32Array.of(256)));
    const channels = node('Sub', [node('Div', [input, lo]), node('Mul', [node('Div', [input, hi]), k256])]);
    float = node('Transpose', [node('Cast', [channels], { to: 1 })], { perm: [1, 0, 2, 3] });
  } else if (encoding === 'uint8-hwc') {
    g.setValueType(input, { kind: 'tensor', dtype: 'uint8', shape: [n, h, w, c] });
    float = node('Transpose', [node('Cast', [input], { to: 1 })], { perm: [0, 3, 1, 2] });
  } else {
    g.setValueType(input, { kind: 'tensor', dtype: 'uint8', shape: [n, c, h, w] });
    float = node('Cast', [input], { to: 1 });
  }
  const mul = init('scale', new Tensor('float32', [1, c, 1, 1], Float32Array.from(norm.std, (s) => norm.scale / s)));
  const add = init('shift', new Tensor('float32', [1, c, 1, 1], Float32Array.from(norm.std, (s, i) => -norm.mean[i]! / s)));
  g.addNode(new Node({ op: 'Add', name: g.freshName(`${input}_Add`), inputs: [node('Mul', [float, mul]), add], outputs: [normalized] }));
  g.clearInferred();
  g.topologicalSort();
  return out;
}

/** A copy of `model` whose outputs named in `forms` come back compact: class ids (argmax) or float16. */
export function compactOutputs(model: Model, forms: Readonly<Record<string, OutputForm>>): Model {
  const out = model.clone();
  const g = out.graph;
  for (const [name, form] of Object.entries(forms)) {
    if (form === 'float') continue;
    const type = g.tensorType(name);
    if (!g.isGraphOutput(name) || g.producer(name) === undefined) throw new TandemError('UNKNOWN_NAME', `output ${quote(name)} is not an output this stage computes (outputs: ${g.outputs.join(', ')})`);
    if (type?.dtype !== 'float32') throw new TandemError('MODEL_UNSUITABLE', `output ${quote(name)} is ${type?.dtype ?? 'untyped'}; compact outputs apply to float32 outputs`);
    const producer = g.producer(name)!;
    if (form === 'fp16') {
      const from = producer.op === 'Cast' && producer.domain === '' ? g.tensorType(producer.inputs[0]!) : undefined;
      if (from?.dtype === 'float16' && g.consumers(name).length === 0) {
        // the FP16 model's own value: drop the Cast back to float32
        const half = producer.inputs[0]!;
        g.removeNode(producer);
        g.replaceUses(half, name);
        g.renameValue(half, name);
      } else {
        const float = g.freshName(`${name}_float`);
        g.renameValue(name, float);
        g.addNode(new Node({ op: 'Cast', name: g.freshName(`${name}_Cast`), inputs: [float], outputs: [name], attrs: { to: 10 } }));
        g.setOutputs(g.outputs.map((o) => (o === float ? name : o)));
      }
      g.setValueType(name, { kind: 'tensor', dtype: 'float16', shape: type.shape });
    } else {
      const shape = type.shape;
      if (shape === undefined || shape.length < 2) throw new TandemError('MODEL_UNSUITABLE', `output ${quote(name)} has shape [${(shape ?? []).join(',')}]; argmax takes class scores [N, C, ...]`);
      const float = g.freshName(`${name}_scores`);
      g.renameValue(name, float);
      const ids = g.freshName(`${name}_ids64`);
      g.addNode(new Node({ op: 'ArgMax', name: g.freshName(`${name}_ArgMax`), inputs: [float], outputs: [ids], attrs: { axis: 1, keepdims: 0 } }));
      g.addNode(new Node({ op: 'Cast', name: g.freshName(`${name}_Cast`), inputs: [ids], outputs: [name], attrs: { to: 6 } }));
      g.setOutputs(g.outputs.map((o) => (o === float ? name : o)));
      g.setValueType(name, { kind: 'tensor', dtype: 'int32', shape: [shape[0]!, ...shape.slice(2)] });
    }
  }
  g.clearInferred();
  g.topologicalSort();
  return out;
}

/** How the rewritten ends compare with the float model, per output (onnxruntime, fresh random inputs). */
export interface FrameIoCheck {
  readonly samples: number;
  /** float and fp16 outputs: largest |difference| and the largest |reference| it is judged against. */
  readonly outputs: readonly { readonly name: string; readonly form: OutputForm; readonly maxAbsDiff: number; readonly maxAbsRef: number; readonly mismatches: number; readonly ok: boolean }[];
  readonly ok: boolean;
}

/** Float outputs after pixel input: the normalisation in float32 on the engine vs float64 on the host. */
const FLOAT_TOLERANCE = 1e-4;
/** FP16 outputs: half of float16's relative step (2^-11), plus the float tolerance. */
const FP16_TOLERANCE = 2 ** -11;

/**
 * Checks a stage after encodeInput / compactOutputs against the stage before, on `samples` fresh random
 * inputs (pixels in 0..255 for an encoded input, the same values normalised on the host for the float
 * stage): float outputs within 1e-4 of the largest reference value, fp16 outputs within float16
 * rounding, argmax ids equal to the argmax of the reference scores wherever the top two scores differ by
 * more than the float tolerance.
 */
export interface FrameIoCheckOptions {
  /** The input encodeInput gave its pixel encoding. */
  input?: { name: string; encoding: Exclude<InputEncoding, 'float'>; norm: PixelNormalization };
  /** The outputs compactOutputs changed, with their form. */
  outputs?: Readonly<Record<string, OutputForm>>;
  /** Fresh random inputs. @default 2 */
  samples?: number;
  /** @default 6271 */
  seed?: number;
}

export async function verifyFrameIo(before: Model, after: Model, opener: SessionOpener, options: FrameIoCheckOptions = {}): Promise<FrameIoCheck> {
  const samples = options.samples ?? 2;
  const seed = options.seed ?? 6271;
  const results = new Map<string, { name: string; form: OutputForm; maxAbsDiff: number; maxAbsRef: number; mismatches: number; ok: boolean }>();
  const a = await opener.open(before);
  const b = await opener.open(after);
  try {
    for (let s = 0; s < samples; s++) {
      const feedsBefore = randomFeeds(before, seed + s);
      const feedsAfter: Record<string, Tensor> = { ...feedsBefore };
      if (options.input !== undefined) {
        const t = after.graph.tensorType(options.input.name)!;
        const dims = t.shape as number[];
        const rng = createRng(seed * 31 + s);
        const count = dims.reduce((x, y) => x * y, 1);
        const pixels = options.input.encoding === 'rgba-uint32'
          ? new Tensor('uint32', dims, Uint32Array.from({ length: count }, () => rng.int(0, 2 ** 32)))
          : new Tensor('uint8', dims, Uint8Array.from({ length: count }, () => rng.int(0, 256)));
        feedsAfter[options.input.name] = pixels;
        feedsBefore[options.input.name] = normalizePixels(pixels, options.input.encoding, before.graph.tensorType(options.input.name)!.shape as number[], options.input.norm);
      }
      const ref = await a.run(feedsBefore, { outputs: before.graph.outputs });
      const got = await b.run(feedsAfter, { outputs: after.graph.outputs });
      for (const name of before.graph.outputs) {
        const form = options.outputs?.[name] ?? 'float';
        const r = results.get(name) ?? { name, form, maxAbsDiff: 0, maxAbsRef: 0, mismatches: 0, ok: true };
        results.set(name, r);
        const x = tensorValues(ref[name]!);
        const yt = got[name];
        if (yt === undefined) throw new TandemError('VERIFY_FAILED', `output ${quote(name)} is missing after the rewrite of the plan's ends`);
        for (const v of x) r.maxAbsRef = Math.max(r.maxAbsRef, Math.abs(Number(v)));
        if (form === 'argmax') {
          r.mismatches += argmaxMismatches(ref[name]!, yt);
        } else {
          const y = tensorValues(yt);
          for (let i = 0; i < x.length; i++) {
            const d = Math.abs(Number(x[i]) - Number(y[i]));
            r.maxAbsDiff = Math.max(r.maxAbsDiff, Number.isNaN(d) ? Infinity : d);
          }
        }
      }
    }
  } finally {
    await a.close();
    await b.close();
  }
  const outputs = [...results.values()].map((r) => {
    const tol = FLOAT_TOLERANCE * Math.max(1, r.maxAbsRef) + (r.form === 'fp16' ? FP16_TOLERANCE * r.maxAbsRef : 0);
    return { ...r, ok: r.form === 'argmax' ? r.mismatches === 0 : r.maxAbsDiff <= tol };
  });
  return { samples, outputs, ok: outputs.every((o) => o.ok) };
}

/** Positions where the ids differ from the reference scores' argmax and the top two scores are clearly apart. */
function argmaxMismatches(scores: Tensor, ids: Tensor): number {
  const [n, c] = scores.dims as [number, number];
  const inner = scores.size / (n * c);
  const x = tensorValues(scores);
  const y = tensorValues(ids);
  let bad = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < inner; i++) {
      let best = -Infinity;
      let second = -Infinity;
      let arg = 0;
      for (let k = 0; k < c; k++) {
        const v = Number(x[(b * c + k) * inner + i]);
        if (v > best) [second, best, arg] = [best, v, k];
        else if (v > second) second = v;
      }
      if (Number(y[b * inner + i]) !== arg && best - second > FLOAT_TOLERANCE * Math.max(1, Math.abs(best))) bad++;
    }
  }
  return bad;
}
