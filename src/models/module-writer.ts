import { attr, type AttributeInput } from '../ir/attribute.js';
import type { GraphBuilder } from '../ir/builder.js';
import { tensorFromValues } from '../ir/tensor-values.js';
import { assert } from '../util/errors.js';
import { addStats, batchNormStats, convStats, maxPoolStats, reluStats, type ChannelStats } from './activation-stats.js';
import { WeightSource, float32Tensor } from './weights.js';

/** A 2-D convolution as torch.nn.Conv2d declares it (square kernel, symmetric padding). */
export interface Conv2dSpec {
  inChannels: number;
  outChannels: number;
  kernel: number;
  /** @default 1 */
  stride?: number;
  /** Padding on every side. @default 0 */
  padding?: number;
  /** @default 1 */
  groups?: number;
  /** @default true */
  bias?: boolean;
  /** Weight std is gain / sqrt(fan_in): √2 (He) before a ReLU/GELU, 1 (LeCun) before a linear consumer. @default Math.SQRT2 */
  gain?: number;
}

export interface BatchNormSpec {
  /** @default 1e-5 (torch.nn.BatchNorm2d) */
  epsilon?: number;
  /** Mean of the BN scale (gamma): below 1 for the last BN of a residual branch, as in trained networks. @default 1 */
  gammaMean?: number;
}

export interface LinearSpec {
  /** @default true */
  bias?: boolean;
  /** Weight std is gain / sqrt(in_features). @default 1 */
  gain?: number;
}

export interface ModuleWriterOptions {
  seed: number;
  /** Fold each BatchNormalization that follows a Conv into the Conv's weight and bias. */
  foldBatchNorm: boolean;
}

interface Params {
  weight: Float64Array;
  bias: Float64Array | undefined;
}

interface BatchNormParams {
  gamma: Float64Array;
  beta: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  epsilon: number;
}

/**
 * Writes torch.nn-like modules on a GraphBuilder the way `torch.onnx.export` writes them: parameters named
 * by module path (`layer1.0.conv1.weight`), nodes named by scope (`/layer1/layer1.0/conv1/Conv`), node
 * outputs `<node>_output_0`, and folded constants as initializers named like torch's Constant outputs.
 * Weights come from a WeightSource keyed by parameter name, so they are deterministic per (seed, name).
 */
export class ModuleWriter {
  readonly builder: GraphBuilder;
  readonly weights: WeightSource;
  readonly foldBatchNorm: boolean;
  #nodeNames = new Set<string>();
  #stats = new Map<string, ChannelStats>();

  constructor(builder: GraphBuilder, options: ModuleWriterOptions) {
    this.builder = builder;
    this.weights = new WeightSource(options.seed);
    this.foldBatchNorm = options.foldBatchNorm;
  }

  /**
   * Declares the per-channel statistics of a tensor (a graph input, a normalised feature); they propagate
   * through conv, linear, BN, ReLU, add, max-pool and resize so that each BatchNormalization gets the
   * running statistics of its real input (see activation-stats).
   */
  setStatistics(name: string, stats: ChannelStats): void {
    this.#stats.set(name, stats);
  }

  /** The propagated statistics of a tensor, where known. */
  statistics(name: string): ChannelStats | undefined {
    return this.#stats.get(name);
  }

  /** Adds one node named after its module path; `output` overrides the torch-style output name. */
  op(path: string, op: string, inputs: readonly (string | undefined)[], attrs: Record<string, AttributeInput | undefined> = {}, output?: string): string {
    const name = this.#reserve(path, op);
    return this.builder.op(op, inputs, attrs, { name, outputs: [output ?? `${name}_output_0`] });
  }

  /** A constant initializer named as torch names a Constant node's output in that scope. */
  constant(path: string, dtype: 'int64' | 'float32', dims: readonly number[], values: readonly number[]): string {
    const name = `${this.#reserve(path, 'Constant')}_output_0`;
    this.builder.graph.setInitializer(name, tensorFromValues(dtype, dims, values, name));
    return name;
  }

  /** A float32 parameter under its exact name. */
  parameter(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    assert(!this.builder.graph.isDefined(name), `parameter "${name}" written twice`);
    this.builder.graph.setInitializer(name, float32Tensor(name, dims, values));
    return name;
  }

  // ---- layers with parameters ----

  /** torch.nn.Conv2d at `path`. */
  conv2d(path: string, x: string, spec: Conv2dSpec, output?: string): string {
    const p = this.#convParams(path, spec);
    return this.#writeConv(path, x, spec, p.weight, p.bias, output);
  }

  /** torch.nn.BatchNorm2d at `path` (inference form, running statistics). */
  batchNorm2d(path: string, x: string, channels: number, spec: BatchNormSpec = {}): string {
    const bn = this.#batchNormParams(path, channels, spec, this.#stats.get(x));
    const inputs = [
      this.parameter(`${path}.weight`, [channels], bn.gamma),
      this.parameter(`${path}.bias`, [channels], bn.beta),
      this.parameter(`${path}.running_mean`, [channels], bn.mean),
      this.parameter(`${path}.running_var`, [channels], bn.variance),
    ];
    const y = this.op(path, 'BatchNormalization', [x, ...inputs], { epsilon: attr.float(bn.epsilon), momentum: attr.float(0.9) });
    this.#propagate(y, x, (s) => batchNormStats(s, bn.gamma, bn.beta, bn.mean, bn.variance, bn.epsilon));
    return y;
  }

  /**
   * Conv2d followed by BatchNorm2d: two nodes, or with `foldBatchNorm` one Conv whose weight and bias
   * carry the BN (w·γ/√(σ²+ε), (b−μ)·γ/√(σ²+ε)+β), computed in float64 from the same parameters.
   */
  conv2dBatchNorm(convPath: string, bnPath: string, x: string, spec: Conv2dSpec, bnSpec: BatchNormSpec = {}): string {
    if (!this.foldBatchNorm) return this.batchNorm2d(bnPath, this.conv2d(convPath, x, spec), spec.outChannels, bnSpec);
    const p = this.#convParams(convPath, spec);
    const input = this.#stats.get(x);
    const convOut = input === undefined ? undefined : convStats(input, p.weight, p.bias, spec.outChannels, spec.groups ?? 1);
    const bn = this.#batchNormParams(bnPath, spec.outChannels, bnSpec, convOut);
    const perOut = p.weight.length / spec.outChannels;
    const weight = new Float64Array(p.weight.length);
    const bias = new Float64Array(spec.outChannels);
    for (let o = 0; o < spec.outChannels; o++) {
      const k = bn.gamma[o]! / Math.sqrt(bn.variance[o]! + bn.epsilon);
      for (let i = 0; i < perOut; i++) weight[o * perOut + i] = p.weight[o * perOut + i]! * k;
      bias[o] = ((p.bias?.[o] ?? 0) - bn.mean[o]!) * k + bn.beta[o]!;
    }
    const y = this.#writeConv(convPath, x, spec, weight, bias);
    if (convOut !== undefined) this.#stats.set(y, batchNormStats(convOut, bn.gamma, bn.beta, bn.mean, bn.variance, bn.epsilon));
    return y;
  }

  /** torch.nn.Linear on (..., in) tokens as torch exports it: MatMul with the transposed weight [in, out], then Add. */
  linear(path: string, x: string, inFeatures: number, outFeatures: number, spec: LinearSpec = {}): string {
    const p = this.#linearParams(path, inFeatures, outFeatures, spec);
    const transposed = new Float64Array(p.weight.length);
    for (let o = 0; o < outFeatures; o++) for (let i = 0; i < inFeatures; i++) transposed[i * outFeatures + o] = p.weight[o * inFeatures + i]!;
    const w = this.parameter(`${path}.weight`, [inFeatures, outFeatures], transposed);
    const product = this.op(path, 'MatMul', [x, w]);
    const y = p.bias === undefined ? product : this.op(path, 'Add', [this.parameter(`${path}.bias`, [outFeatures], p.bias), product]);
    this.#propagate(y, x, (st) => convStats(st, p.weight, p.bias, outFeatures, 1));
    return y;
  }

  /** The same torch.nn.Linear (same parameters) applied per pixel of an NCHW map, as a 1x1 Conv. */
  linearAsConv(path: string, x: string, inFeatures: number, outFeatures: number, spec: LinearSpec = {}): string {
    const p = this.#linearParams(path, inFeatures, outFeatures, spec);
    return this.#writeConv(path, x, { inChannels: inFeatures, outChannels: outFeatures, kernel: 1 }, p.weight, p.bias);
  }

  /** torch.nn.Linear on (N, in) rows as torch exports it: one Gemm with transB. */
  gemm(path: string, x: string, inFeatures: number, outFeatures: number, spec: LinearSpec = {}, output?: string): string {
    const p = this.#linearParams(path, inFeatures, outFeatures, spec);
    const w = this.parameter(`${path}.weight`, [outFeatures, inFeatures], p.weight);
    const b = p.bias === undefined ? undefined : this.parameter(`${path}.bias`, [outFeatures], p.bias);
    return this.op(path, 'Gemm', b === undefined ? [x, w] : [x, w, b], { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) }, output);
  }

  /** torch.nn.LayerNorm over the last axis: opset-17 LayerNormalization. */
  layerNorm(path: string, x: string, channels: number, epsilon: number): string {
    const gamma = this.weights.normal(`${path}.weight`, channels, 0.1, 1);
    const beta = this.weights.normal(`${path}.bias`, channels, 0.05);
    const s = this.parameter(`${path}.weight`, [channels], gamma);
    const b = this.parameter(`${path}.bias`, [channels], beta);
    return this.op(path, 'LayerNormalization', [x, s, b], { axis: attr.int(-1), epsilon: attr.float(epsilon) });
  }

  // ---- layers without parameters ----

  relu(path: string, x: string): string {
    const y = this.op(path, 'Relu', [x]);
    this.#propagate(y, x, reluStats);
    return y;
  }

  sigmoid(path: string, x: string, output?: string): string {
    return this.op(path, 'Sigmoid', [x], {}, output);
  }

  /** torch.nn.GELU as exported below opset 20: x·0.5·(1 + erf(x/√2)), five nodes. */
  gelu(path: string, x: string): string {
    const inner = this.op(path, 'Erf', [this.op(path, 'Div', [x, this.constant(path, 'float32', [], [Math.SQRT2])])]);
    const plusOne = this.op(path, 'Add', [inner, this.constant(path, 'float32', [], [1])]);
    return this.op(path, 'Mul', [this.op(path, 'Mul', [x, plusOne]), this.constant(path, 'float32', [], [0.5])]);
  }

  add(path: string, a: string, b: string): string {
    const y = this.op(path, 'Add', [a, b]);
    const sb = this.#stats.get(b);
    if (sb !== undefined) this.#propagate(y, a, (sa) => addStats(sa, sb));
    return y;
  }

  /** torch.nn.MaxPool2d(kernel, stride, padding). */
  maxPool2d(path: string, x: string, kernel: number, stride: number, padding: number): string {
    const y = this.op(path, 'MaxPool', [x], {
      ceil_mode: attr.int(0),
      dilations: attr.ints([1, 1]),
      kernel_shape: attr.ints([kernel, kernel]),
      pads: attr.ints([padding, padding, padding, padding]),
      strides: attr.ints([stride, stride]),
    });
    this.#propagate(y, x, maxPoolStats);
    return y;
  }

  /** Multiplies by a float32 scalar constant. */
  scale(path: string, x: string, factor: number): string {
    return this.op(path, 'Mul', [x, this.constant(path, 'float32', [], [factor])]);
  }

  matmul(path: string, a: string, b: string): string {
    return this.op(path, 'MatMul', [a, b]);
  }

  softmax(path: string, x: string, axis: number): string {
    return this.op(path, 'Softmax', [x], { axis: attr.int(axis) });
  }

  reshape(path: string, x: string, shape: readonly number[], output?: string): string {
    return this.op(path, 'Reshape', [x, this.constant(path, 'int64', [shape.length], shape)], {}, output);
  }

  transpose(path: string, x: string, perm: readonly number[], output?: string): string {
    return this.op(path, 'Transpose', [x], { perm: attr.ints(perm) }, output);
  }

  /** `x[index]` along `axis` (a scalar index, which drops the axis). */
  gather(path: string, x: string, index: number, axis: number): string {
    return this.op(path, 'Gather', [x, this.constant(path, 'int64', [], [index])], { axis: attr.int(axis) });
  }

  /** F.interpolate(size=..., mode='bilinear', align_corners=False) as torch exports it at opset 17. */
  resizeBilinear(path: string, x: string, sizes: readonly number[]): string {
    const y = this.op(path, 'Resize', [x, '', '', this.constant(path, 'int64', [sizes.length], sizes)], {
      coordinate_transformation_mode: attr.string('half_pixel'),
      cubic_coeff_a: attr.float(-0.75),
      mode: attr.string('linear'),
      nearest_mode: attr.string('floor'),
    });
    // interpolating between correlated neighbours keeps the mean and, roughly, the variance
    this.#propagate(y, x, (st) => st);
    return y;
  }

  /** F.interpolate(scale_factor=2, mode='nearest') on an NCHW map as torch exports it at opset 17. */
  upsampleNearest2x(path: string, x: string): string {
    return this.op(path, 'Resize', [x, '', this.constant(path, 'float32', [4], [1, 1, 2, 2])], {
      coordinate_transformation_mode: attr.string('asymmetric'),
      cubic_coeff_a: attr.float(-0.75),
      mode: attr.string('nearest'),
      nearest_mode: attr.string('floor'),
    });
  }

  // ---- internals ----

  #writeConv(path: string, x: string, spec: Conv2dSpec, weight: Float64Array, bias: Float64Array | undefined, output?: string): string {
    const groups = spec.groups ?? 1;
    const stride = spec.stride ?? 1;
    const pad = spec.padding ?? 0;
    const w = this.parameter(`${path}.weight`, [spec.outChannels, spec.inChannels / groups, spec.kernel, spec.kernel], weight);
    const b = bias === undefined ? undefined : this.parameter(`${path}.bias`, [spec.outChannels], bias);
    const y = this.op(path, 'Conv', b === undefined ? [x, w] : [x, w, b], {
      dilations: attr.ints([1, 1]),
      group: attr.int(groups),
      kernel_shape: attr.ints([spec.kernel, spec.kernel]),
      pads: attr.ints([pad, pad, pad, pad]),
      strides: attr.ints([stride, stride]),
    }, output);
    this.#propagate(y, x, (st) => convStats(st, weight, bias, spec.outChannels, groups));
    return y;
  }

  #convParams(path: string, spec: Conv2dSpec): Params {
    const groups = spec.groups ?? 1;
    assert(spec.inChannels % groups === 0 && spec.outChannels % groups === 0, `${path}: channels not divisible by groups`);
    const fanIn = (spec.inChannels / groups) * spec.kernel * spec.kernel;
    const count = spec.outChannels * fanIn;
    const weight = this.weights.normal(`${path}.weight`, count, (spec.gain ?? Math.SQRT2) / Math.sqrt(fanIn));
    // torch's default bias init: U(-1/√fan_in, 1/√fan_in)
    const bound = 1 / Math.sqrt(fanIn);
    const bias = (spec.bias ?? true) ? this.weights.uniform(`${path}.bias`, spec.outChannels, -bound, bound) : undefined;
    return { weight, bias };
  }

  #linearParams(path: string, inFeatures: number, outFeatures: number, spec: LinearSpec): Params {
    const weight = this.weights.normal(`${path}.weight`, inFeatures * outFeatures, (spec.gain ?? 1) / Math.sqrt(inFeatures));
    const bound = 1 / Math.sqrt(inFeatures);
    const bias = (spec.bias ?? true) ? this.weights.uniform(`${path}.bias`, outFeatures, -bound, bound) : undefined;
    return { weight, bias };
  }

  /**
   * γ near gammaMean, small β; running statistics are the propagated statistics of the input where they
   * are known (what training would have recorded), else small means and variances in [0.5, 1.5).
   */
  #batchNormParams(path: string, channels: number, spec: BatchNormSpec, input: ChannelStats | undefined): BatchNormParams {
    const gammaMean = spec.gammaMean ?? 1;
    return {
      gamma: this.weights.normal(`${path}.weight`, channels, 0.1 * gammaMean, gammaMean),
      beta: this.weights.normal(`${path}.bias`, channels, 0.1),
      mean: input?.mean ?? this.weights.normal(`${path}.running_mean`, channels, 0.1),
      variance: input?.variance ?? this.weights.uniform(`${path}.running_var`, channels, 0.5, 1.5),
      epsilon: spec.epsilon ?? 1e-5,
    };
  }

  #propagate(output: string, input: string, f: (stats: ChannelStats) => ChannelStats): void {
    const stats = this.#stats.get(input);
    if (stats !== undefined) this.#stats.set(output, f(stats));
  }

  #reserve(path: string, op: string): string {
    const base = `${torchScope(path)}/${op}`;
    let name = base;
    for (let i = 1; this.#nodeNames.has(name); i++) name = `${base}_${i}`;
    this.#nodeNames.add(name);
    return name;
  }
}

/**
 * The scope torch.onnx.export gives a module path: `layer1.0.conv1` → `/layer1/layer1.0/conv1`; an index
 * joins the name before it (`downsample.0` → `/downsample/downsample.0`); '' is the top level ('').
 */
export function torchScope(path: string): string {
  if (path === '') return '';
  const scopes: string[] = [];
  for (const part of path.split('.')) {
    const last = scopes[scopes.length - 1];
    scopes.push(/^\d+$/.test(part) && last !== undefined ? `${last}.${part}` : part);
  }
  return `/${scopes.join('/')}`;
}
