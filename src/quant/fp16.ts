import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import { float16Bits } from '../util/float16.js';
import { attr } from '../ir/attribute.js';
import { dataTypeCode } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import { inferShapes } from '../ops/infer.js';
import { opTraits } from '../ops/registry.js';

/**
 * FP16 conversion for GPU stages: float32 weights, constants and activations become float16; graph
 * inputs and outputs stay float32 behind Cast nodes (by default); ops whose FP16 numerics break stay
 * float32 with Casts around them.
 */

/** Ops kept in float32 by default, and why. */
export const FP16_BLOCK_LIST: Readonly<Record<string, string>> = {
  Pow: 'x^2 of activations overflows FP16 (max 65504) above |x| = 256: the variance of a decomposed LayerNorm',
  ReduceSumSquare: 'sums of squares overflow FP16 (max 65504)',
  ReduceL2: 'sums of squares overflow FP16 (max 65504)',
  ReduceLogSumExp: 'exp overflows FP16 above 11.09',
  Exp: 'overflows FP16 above 11.09 (ln 65504)',
  Range: 'index arithmetic: FP16 represents integers exactly only up to 2048',
  CumSum: 'running sums lose precision and overflow in FP16',
  TopK: 'ties and order change when scores are rounded to FP16',
  NonMaxSuppression: 'box coordinates and IoU need more than FP16 precision',
  RoiAlign: 'box coordinates need more than FP16 precision',
  QuantizeLinear: 'INT8 Q/DQ scales and their inputs stay float32 (explicit quantization)',
  DequantizeLinear: 'INT8 Q/DQ scales and their outputs stay float32 (explicit quantization)',
};

const FLOAT = dataTypeCode('float32');
const FLOAT16 = dataTypeCode('float16');
const FP16_MAX = 65504;

/** Options of `convertToFloat16`. */
export interface Fp16Options {
  /** Keep graph inputs and outputs float32, with Casts at the edges. @default true */
  keepIoTypes?: boolean;
  /** Op types kept in float32. @default the keys of FP16_BLOCK_LIST */
  blockOps?: readonly string[];
  /** Node names kept in float32. @default [] */
  blockNodes?: readonly string[];
}

export type ResolvedFp16Options = Readonly<{ keepIoTypes: boolean; blockOps: ReadonlySet<string>; blockNodes: ReadonlySet<string> }>;

export function resolveFp16Options(o: Fp16Options = {}): ResolvedFp16Options {
  return Object.freeze({ keepIoTypes: o.keepIoTypes ?? true, blockOps: new Set(o.blockOps ?? Object.keys(FP16_BLOCK_LIST)), blockNodes: new Set(o.blockNodes ?? []) });
}

/** The FP16 copy and what was kept in FP32, cast, or saturated. */
export interface Fp16Result {
  readonly model: Model;
  /** Nodes kept in float32, and why. */
  readonly blocked: readonly { readonly node: string; readonly op: string; readonly reason: string }[];
  readonly casts: number;
  /** Constants with values beyond ±65504, saturated to it. */
  readonly saturated: readonly string[];
  /** Tensors whose element type could not be inferred (treated as not float: left as they are). */
  readonly untyped: readonly string[];
}

/**
 * A copy of the model in float16 (for a GPU stage): float initializers and values become float16, ops
 * that lose accuracy in float16 stay float32 behind Casts, and graph inputs and outputs keep their
 * types unless `keepIoTypes` is false. The input is unchanged.
 *
 * @example
 * ```ts
 * const { model: fp16, blocked, casts } = convertToFloat16(loadModel('backbone.onnx'));
 * saveModel(fp16, 'backbone.fp16.onnx');
 * console.log(`${casts} casts; kept in float32:`, blocked.map((b) => b.node));
 * ```
 */
export function convertToFloat16(input: Model, options: Fp16Options = {}): Fp16Result {
  const { keepIoTypes: keepIo, blockOps, blockNodes } = resolveFp16Options(options);
  const model = input.clone();
  const g = model.graph;
  inferShapes(model, { strict: false });
  const untyped: string[] = [];
  const isFloat = new Map<string, boolean>();
  const dtypeOf = (name: string): string | undefined => g.tensorType(name)?.dtype;
  for (const name of [...g.inputs, ...g.initializers.keys(), ...g.nodes.flatMap((n) => n.outputs)]) {
    if (name === '' || isFloat.has(name)) continue;
    const d = dtypeOf(name);
    if (d === undefined) untyped.push(name);
    isFloat.set(name, d === 'float32');
  }
  const float = (name: string | undefined): boolean => name !== undefined && name !== '' && isFloat.get(name) === true;
  const blocked = new Set(g.nodes.filter((n) => blockOps.has(n.op) || blockNodes.has(n.name)));
  const blockedInfo = [...blocked].map((n) => ({ node: n.name, op: n.op, reason: FP16_BLOCK_LIST[n.op] ?? 'named in the block list' }));
  const added = new Set<Node>();
  const saturated: string[] = [];
  const cast = (from: string, to: 'float16' | 'float32', before: Node | undefined, after: Node | undefined): string => {
    const out = g.freshName(`${from}_${to === 'float16' ? 'fp16' : 'fp32'}`);
    const node = new Node({ op: 'Cast', name: g.freshName(`${from}_Cast_${to}`), inputs: [from], outputs: [out], attrs: { to: attr.int(to === 'float16' ? FLOAT16 : FLOAT) } });
    g.addNode(node, after ? { after } : before ? { before } : {});
    added.add(node);
    return out;
  };
  // Where a float32 tensor is read as float32 after conversion: by a blocked node, or at a fixed-float input.
  const readsFp32 = (n: Node, i: number): boolean => blocked.has(n) || (opTraits(n.op)?.fixedFloatInputs.includes(i) ?? false);

  // 1. Initializers: float32 → float16, with a float32 copy for readers that need float32.
  for (const [name, t] of [...g.initializers]) {
    if (t.dtype !== 'float32' || g.isGraphInput(name)) continue;
    const readers = g.consumers(name);
    const fp32Readers = readers.filter((n) => n.inputs.some((x, i) => x === name && readsFp32(n, i)));
    if (fp32Readers.length === readers.length && readers.length > 0) continue;
    const { tensor, clipped } = toFloat16(t);
    if (clipped) saturated.push(name);
    if (fp32Readers.length > 0) {
      const keep = g.freshName(`${name}_fp32`);
      g.setInitializer(keep, t);
      for (const n of fp32Readers) n.setInputs(n.inputs.map((x, i) => (x === name && readsFp32(n, i) ? keep : x)));
    }
    g.setInitializer(name, tensor);
  }
  // 2. Nodes that create float32 values from attributes: Constant, ConstantOfShape, Cast(to=float), random ops.
  for (const n of g.nodes) {
    if (blocked.has(n) || n.domain !== '') continue;
    if (n.op === 'Constant') {
      const v = n.attrs.tensor('value');
      if (v?.dtype === 'float32') {
        const { tensor, clipped } = toFloat16(v);
        if (clipped) saturated.push(n.outputs[0]!);
        n.attrs.set('value', tensor);
      } else if (n.attrs.has('value_float') || n.attrs.has('value_floats')) {
        const scalar = n.attrs.has('value_float');
        const values = scalar ? [n.attrs.float('value_float', 0)] : n.attrs.floats('value_floats', []);
        n.attrs.delete('value_float');
        n.attrs.delete('value_floats');
        n.attrs.set('value', toFloat16(new Tensor('float32', scalar ? [] : [values.length], Float32Array.from(values))).tensor);
      }
    } else if (n.op === 'ConstantOfShape') {
      const v = n.attrs.tensor('value');
      // Without a value attribute ConstantOfShape makes float32 zeros.
      if (v?.dtype === 'float32' || (v === undefined && float(n.outputs[0]))) n.attrs.set('value', toFloat16(v ?? new Tensor('float32', [1], new Float32Array(1))).tensor);
    } else {
      const typed = opTraits(n.op)?.dtypeAttr;
      if (typed !== undefined && (n.attrs.int(typed.key) ?? typed.absent) === FLOAT) n.attrs.set(typed.key, attr.int(FLOAT16));
    }
  }
  // 3. Graph inputs: keep float32 and cast once for the converted readers.
  if (keepIo) {
    for (const name of g.runtimeInputs) {
      if (!float(name)) continue;
      const readers = g.consumers(name).filter((n) => !n.inputs.every((x, i) => x !== name || readsFp32(n, i)));
      if (readers.length === 0) continue;
      const first = readers.sort((a, b) => g.positionOf(a) - g.positionOf(b))[0]!;
      const half = cast(name, 'float16', first, undefined);
      for (const n of readers) n.setInputs(n.inputs.map((x, i) => (x === name && !readsFp32(n, i) ? half : x)));
    }
  } else {
    for (const name of g.inputs) if (float(name)) setDeclared(g, name, 'float16');
  }
  // 4. Blocked nodes and fixed-float inputs: Cast float16 → float32 in, float32 → float16 out.
  for (const n of [...g.nodes]) {
    if (added.has(n)) continue;
    n.inputs.forEach((x, i) => {
      if (!float(x) || !readsFp32(n, i)) return;
      const producer = g.producer(x);
      const fp32Already = (producer !== undefined && blocked.has(producer)) || (keepIo && g.isGraphInput(x)) || g.initializer(x)?.dtype === 'float32';
      if (!fp32Already) n.setInput(i, cast(x, 'float32', n, undefined));
    });
    if (!blocked.has(n)) continue;
    for (const y of n.outputs) {
      if (!float(y)) continue;
      const readers = g.consumers(y).filter((c) => !blocked.has(c) && c.inputs.some((x, i) => x === y && !readsFp32(c, i)));
      const toOutput = !keepIo && g.isGraphOutput(y);
      if (readers.length === 0 && !toOutput) continue;
      const half = cast(y, 'float16', undefined, n);
      for (const c of readers) c.setInputs(c.inputs.map((x, i) => (x === y && !readsFp32(c, i) ? half : x)));
      if (toOutput) g.setOutputs(g.outputs.map((o) => (o === y ? half : o)));
    }
  }
  // 5. Graph outputs: float16 values are cast back to float32 under the output's own name.
  for (const y of [...g.outputs]) {
    if (!float(y)) continue;
    const p = g.producer(y);
    if (!keepIo) {
      setDeclared(g, y, 'float16');
      continue;
    }
    if ((p !== undefined && blocked.has(p)) || g.isGraphInput(y) || g.initializer(y)?.dtype === 'float32') continue;
    if (p === undefined) continue;
    const inner = g.freshName(`${y}_fp16`);
    g.renameValue(y, inner);
    const node = new Node({ op: 'Cast', name: g.freshName(`${y}_Cast_float32`), inputs: [inner], outputs: [y], attrs: { to: attr.int(FLOAT) } });
    g.addNode(node, { after: g.producer(inner)! });
    added.add(node);
    g.setOutputs(g.outputs.map((o) => (o === inner ? y : o)));
    const v = g.values.get(inner);
    if (v?.type !== undefined) g.setValueType(y, v.type);
  }
  // 6. Declared intermediate types (value_info) follow their tensors.
  for (const [name, v] of g.values) {
    if (v.type?.kind !== 'tensor' || v.type.dtype !== 'float32' || g.isGraphInput(name) || g.isGraphOutput(name)) continue;
    const p = g.producer(name);
    if (p !== undefined && !blocked.has(p)) v.type = { ...v.type, dtype: 'float16' };
  }
  g.clearInferred();
  g.topologicalSort();
  return { model, blocked: blockedInfo, casts: added.size, saturated, untyped };
}

function setDeclared(g: Graph, name: string, dtype: 'float16'): void {
  const v = g.values.get(name);
  if (v?.type?.kind === 'tensor') v.type = { ...v.type, dtype };
  else throw new TandemError('GRAPH_INVALID', `graph input/output ${quote(name)} has no declared tensor type to convert`);
}

/** A float32 tensor as float16, saturating at ±65504. */
function toFloat16(t: Tensor): { tensor: Tensor<'float16'>; clipped: boolean } {
  const src = t.dtype === 'float32' ? (t.data as Float32Array) : Float32Array.from(tensorValues(t));
  const out = new Uint16Array(src.length);
  let clipped = false;
  for (let i = 0; i < src.length; i++) {
    let v = src[i]!;
    if (v > FP16_MAX) {
      v = FP16_MAX;
      clipped = true;
    } else if (v < -FP16_MAX) {
      v = -FP16_MAX;
      clipped = true;
    }
    out[i] = float16Bits(v);
  }
  return { tensor: new Tensor('float16', t.dims, out, { name: t.name }), clipped };
}
