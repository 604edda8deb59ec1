import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import { attr, type AttributeInput } from './attribute.js';
import type { DataType } from './dtype.js';
import { Graph } from './graph.js';
import { Model, type OpsetImport } from './model.js';
import { Node } from './node.js';
import { Tensor } from './tensor.js';
import { tensorFromValues } from './tensor-values.js';
import type { Shape } from './types.js';

/** Options of `new GraphBuilder(name, options)`. */
export interface GraphBuilderOptions {
  /** ai.onnx opset the helpers write for (Squeeze/Unsqueeze/ReduceMean axes as inputs from 13/18). @default 17 */
  opset?: number;
  /** For a subgraph (If/Loop/Scan body): the enclosing graph, whose names the body may read. @default none (a main graph) */
  parent?: Graph;
}

/** Options every `GraphBuilder` op helper takes. */
export interface OpOptions {
  /** Node name; a fresh `<op>_<n>` when omitted. @default `<op>_<n>` */
  name?: string;
  /** Output names, or how many outputs to create. @default 1 */
  outputs?: readonly string[] | number;
  /** Operator domain. @default '' (ai.onnx) */
  domain?: string;
}

/** Attributes of `GraphBuilder.conv` (ONNX Conv). */
export interface ConvOptions {
  /** Stride per spatial axis. @default 1 on every axis */
  strides?: readonly number[];
  /** ONNX pads: [h_begin, w_begin, h_end, w_end]. @default 0 on every side */
  pads?: readonly number[];
  /** Dilation per spatial axis. @default 1 on every axis */
  dilations?: readonly number[];
  /** Groups (the input channels for a depthwise conv). @default 1 */
  group?: number;
  /** Node name. @default `Conv_<n>` */
  name?: string;
}

/** Attributes of the `GraphBuilder` pooling helpers (MaxPool, AveragePool). */
export interface PoolOptions {
  /** Window size per spatial axis. */
  kernel: readonly number[];
  /** Stride per spatial axis. @default 1 on every axis */
  strides?: readonly number[];
  /** ONNX pads: [h_begin, w_begin, h_end, w_end]. @default 0 on every side */
  pads?: readonly number[];
  /** Round output sizes up instead of down. @default false */
  ceilMode?: boolean;
  /** Node name. @default `<op>_<n>` */
  name?: string;
}

/** Attributes of `GraphBuilder.resize` (ONNX Resize); give `scales` or `sizes`. */
export interface ResizeOptions {
  /** Per-axis scale factors (NCHW: [1, 1, sh, sw]). @default none (then `sizes` is required) */
  scales?: readonly number[];
  /** Output sizes; used instead of scales when given. @default none (scales are used) */
  sizes?: readonly number[];
  /** Interpolation. @default 'nearest' */
  mode?: 'nearest' | 'linear' | 'cubic';
  /** ONNX `coordinate_transformation_mode`. @default 'half_pixel' */
  coordinateTransformationMode?: string;
  /** ONNX `nearest_mode`. @default 'round_prefer_floor' */
  nearestMode?: string;
  /** Node name. @default `Resize_<n>` */
  name?: string;
}

/** An op input: a tensor name, or a number the builder writes as a float32 scalar constant. */
export type Operand = string | number;

/**
 * Writes graphs in code. Every method returns the name of the tensor it produced, so models read like
 * the network they build: `const y = b.relu(b.conv(x, w, bias, { pads: [1, 1, 1, 1] }))`.
 */
export class GraphBuilder {
  readonly graph: Graph;
  readonly opset: number;
  #counter = new Map<string, number>();

  constructor(name = 'main', options: GraphBuilderOptions = {}) {
    this.graph = new Graph(name);
    this.graph.parent = options.parent;
    this.opset = options.opset ?? 17;
  }

  /** Declares a graph input. */
  input(name: string, dtype: DataType, shape: Shape): string {
    this.graph.addInput(name, { kind: 'tensor', dtype, shape });
    return name;
  }

  /** Marks a tensor as graph output, optionally with its declared type. */
  output(name: string, dtype?: DataType, shape?: Shape): string {
    this.graph.addOutput(name, dtype === undefined ? undefined : { kind: 'tensor', dtype, shape });
    return name;
  }

  /** Adds an initializer under a fresh name derived from `base`. */
  initializer(base: string, tensor: Tensor): string {
    const name = this.graph.freshName(base);
    this.graph.setInitializer(name, tensor);
    return name;
  }

  /** A constant initializer from plain numbers. */
  constant(base: string, dtype: DataType, dims: readonly number[], values: ArrayLike<number>): string {
    return this.initializer(base, tensorFromValues(dtype, dims, values));
  }

  /** An int64 1-D constant (shapes, axes, pads). */
  ints(base: string, values: readonly number[]): string {
    return this.constant(base, 'int64', [values.length], values);
  }

  /** A float32 scalar constant. */
  scalar(value: number, dtype: DataType = 'float32', base = 'const'): string {
    return this.constant(base, dtype, [], [value]);
  }

  /** Adds one node and returns its first output. */
  op(op: string, inputs: readonly (string | undefined)[], attrs: Record<string, AttributeInput | undefined> = {}, options: OpOptions = {}): string {
    return this.node(op, inputs, attrs, options).outputs[0]!;
  }

  /** Adds one node and returns all its outputs. */
  opMulti(op: string, inputs: readonly (string | undefined)[], attrs: Record<string, AttributeInput | undefined>, options: OpOptions & { outputs: readonly string[] | number }): string[] {
    return [...this.node(op, inputs, attrs, options).outputs];
  }

  /** Adds one node and returns it. */
  node(op: string, inputs: readonly (string | undefined)[], attrs: Record<string, AttributeInput | undefined> = {}, options: OpOptions = {}): Node {
    const name = options.name ?? this.#freshNodeName(op);
    const spec = options.outputs ?? 1;
    const outputs = typeof spec === 'number' ? Array.from({ length: spec }, (_, i) => this.graph.freshName(spec === 1 ? `${name}_out` : `${name}_out${i}`)) : [...spec];
    // Omitted optional inputs are '' in ONNX, but trailing ones are dropped: onnxruntime counts them.
    const names = inputs.map((i) => i ?? '');
    while (names.length > 0 && names[names.length - 1] === '') names.pop();
    const node = new Node({ op, name, inputs: names, outputs, attrs, ...(options.domain !== undefined ? { domain: options.domain } : {}) });
    for (const input of node.inputs) {
      if (input !== '' && !this.graph.isDefined(input)) {
        throw new TandemError('GRAPH_INVALID', `builder: ${node.label} reads ${quote(input)}, which is not defined yet`);
      }
    }
    return this.graph.addNode(node);
  }

  // ---- convolution, normalization, pooling ----

  conv(x: string, weight: Tensor | string, bias?: Tensor | string, o: ConvOptions = {}): string {
    const w = this.#weight(weight, 'conv_w');
    const wt = this.graph.initializer(w);
    const kernel = wt ? wt.dims.slice(2) : undefined;
    const b = bias === undefined ? undefined : this.#weight(bias, 'conv_b');
    return this.op(
      'Conv',
      [x, w, b],
      {
        kernel_shape: kernel ? attr.ints(kernel) : undefined,
        strides: o.strides ? attr.ints(o.strides) : undefined,
        pads: o.pads ? attr.ints(o.pads) : undefined,
        dilations: o.dilations ? attr.ints(o.dilations) : undefined,
        group: o.group !== undefined ? attr.int(o.group) : undefined,
      },
      o.name !== undefined ? { name: o.name } : {},
    );
  }

  convTranspose(x: string, weight: Tensor | string, bias?: Tensor | string, o: ConvOptions & { outputPadding?: readonly number[] } = {}): string {
    const w = this.#weight(weight, 'deconv_w');
    const wt = this.graph.initializer(w);
    const b = bias === undefined ? undefined : this.#weight(bias, 'deconv_b');
    return this.op(
      'ConvTranspose',
      [x, w, b],
      {
        kernel_shape: wt ? attr.ints(wt.dims.slice(2)) : undefined,
        strides: o.strides ? attr.ints(o.strides) : undefined,
        pads: o.pads ? attr.ints(o.pads) : undefined,
        dilations: o.dilations ? attr.ints(o.dilations) : undefined,
        group: o.group !== undefined ? attr.int(o.group) : undefined,
        output_padding: o.outputPadding ? attr.ints(o.outputPadding) : undefined,
      },
      o.name !== undefined ? { name: o.name } : {},
    );
  }

  batchNorm(x: string, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon = 1e-5, name?: string): string {
    const inputs = [this.initializer('bn_scale', scale), this.initializer('bn_bias', bias), this.initializer('bn_mean', mean), this.initializer('bn_var', variance)];
    return this.op('BatchNormalization', [x, ...inputs], { epsilon: attr.float(epsilon) }, name !== undefined ? { name } : {});
  }

  layerNorm(x: string, scale: Tensor, bias: Tensor, axis = -1, epsilon = 1e-5, name?: string): string {
    const s = this.initializer('ln_scale', scale);
    const b = this.initializer('ln_bias', bias);
    return this.op('LayerNormalization', [x, s, b], { axis: attr.int(axis), epsilon: attr.float(epsilon) }, name !== undefined ? { name } : {});
  }

  maxPool(x: string, o: PoolOptions): string {
    return this.#pool('MaxPool', x, o);
  }

  averagePool(x: string, o: PoolOptions): string {
    return this.#pool('AveragePool', x, o);
  }

  globalAveragePool(x: string): string {
    return this.op('GlobalAveragePool', [x]);
  }

  // ---- elementwise ----

  add(a: Operand, b: Operand): string {
    return this.#binary('Add', a, b);
  }

  sub(a: Operand, b: Operand): string {
    return this.#binary('Sub', a, b);
  }

  mul(a: Operand, b: Operand): string {
    return this.#binary('Mul', a, b);
  }

  div(a: Operand, b: Operand): string {
    return this.#binary('Div', a, b);
  }

  pow(a: Operand, b: Operand): string {
    return this.#binary('Pow', a, b);
  }

  relu(x: string): string {
    return this.op('Relu', [x]);
  }

  sigmoid(x: string): string {
    return this.op('Sigmoid', [x]);
  }

  tanh(x: string): string {
    return this.op('Tanh', [x]);
  }

  erf(x: string): string {
    return this.op('Erf', [x]);
  }

  sqrt(x: string): string {
    return this.op('Sqrt', [x]);
  }

  /** GELU as PyTorch exports it below opset 20: x * 0.5 * (1 + erf(x / sqrt(2))). */
  gelu(x: string): string {
    if (this.opset >= 20) return this.op('Gelu', [x]);
    const inner = this.erf(this.div(x, Math.SQRT2));
    return this.mul(this.mul(x, this.add(inner, 1)), 0.5);
  }

  // ---- linear algebra ----

  matmul(a: string, b: Tensor | string): string {
    return this.op('MatMul', [a, this.#weight(b, 'matmul_w')]);
  }

  gemm(a: string, b: Tensor | string, c?: Tensor | string, o: { transB?: boolean; alpha?: number; beta?: number } = {}): string {
    return this.op('Gemm', [a, this.#weight(b, 'gemm_w'), c === undefined ? undefined : this.#weight(c, 'gemm_b')], {
      transB: o.transB ? attr.int(1) : undefined,
      alpha: o.alpha !== undefined ? attr.float(o.alpha) : undefined,
      beta: o.beta !== undefined ? attr.float(o.beta) : undefined,
    });
  }

  softmax(x: string, axis = -1): string {
    return this.op('Softmax', [x], { axis: attr.int(axis) });
  }

  // ---- shape manipulation ----

  reshape(x: string, shape: readonly number[]): string {
    return this.op('Reshape', [x, this.ints('shape', shape)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm: attr.ints(perm) });
  }

  flatten(x: string, axis = 1): string {
    return this.op('Flatten', [x], { axis: attr.int(axis) });
  }

  concat(inputs: readonly string[], axis: number): string {
    return this.op('Concat', inputs, { axis: attr.int(axis) });
  }

  /** Split into pieces of the given sizes along `axis`. */
  split(x: string, sizes: readonly number[], axis: number): string[] {
    const splitInput = this.opset >= 13 ? this.ints('split', sizes) : undefined;
    return this.opMulti('Split', [x, splitInput], { axis: attr.int(axis), split: this.opset < 13 ? attr.ints(sizes) : undefined }, { outputs: sizes.length });
  }

  squeeze(x: string, axes: readonly number[]): string {
    return this.opset >= 13 ? this.op('Squeeze', [x, this.ints('axes', axes)]) : this.op('Squeeze', [x], { axes: attr.ints(axes) });
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.opset >= 13 ? this.op('Unsqueeze', [x, this.ints('axes', axes)]) : this.op('Unsqueeze', [x], { axes: attr.ints(axes) });
  }

  slice(x: string, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): string {
    return this.op('Slice', [x, this.ints('starts', starts), this.ints('ends', ends), axes ? this.ints('axes', axes) : undefined, steps ? this.ints('steps', steps) : undefined]);
  }

  reduceMean(x: string, axes: readonly number[], keepdims = true): string {
    const keep = attr.int(keepdims ? 1 : 0);
    return this.opset >= 18 ? this.op('ReduceMean', [x, this.ints('axes', axes)], { keepdims: keep }) : this.op('ReduceMean', [x], { axes: attr.ints(axes), keepdims: keep });
  }

  resize(x: string, o: ResizeOptions): string {
    const scales = o.sizes === undefined && o.scales ? this.constant('scales', 'float32', [o.scales.length], o.scales) : undefined;
    const sizes = o.sizes ? this.ints('sizes', o.sizes) : undefined;
    return this.op(
      'Resize',
      [x, undefined, scales, sizes],
      {
        mode: attr.string(o.mode ?? 'nearest'),
        coordinate_transformation_mode: o.coordinateTransformationMode !== undefined ? attr.string(o.coordinateTransformationMode) : undefined,
        nearest_mode: o.nearestMode !== undefined ? attr.string(o.nearestMode) : undefined,
      },
      o.name !== undefined ? { name: o.name } : {},
    );
  }

  // ---- internals ----

  #binary(op: string, a: Operand, b: Operand): string {
    return this.op(op, [this.#operand(a), this.#operand(b)]);
  }

  #operand(x: Operand): string {
    return typeof x === 'number' ? this.scalar(x) : x;
  }

  #weight(w: Tensor | string, base: string): string {
    return typeof w === 'string' ? w : this.initializer(w.name || base, w);
  }

  #pool(op: string, x: string, o: PoolOptions): string {
    return this.op(
      op,
      [x],
      {
        kernel_shape: attr.ints(o.kernel),
        strides: o.strides ? attr.ints(o.strides) : undefined,
        pads: o.pads ? attr.ints(o.pads) : undefined,
        ceil_mode: o.ceilMode ? attr.int(1) : undefined,
      },
      o.name !== undefined ? { name: o.name } : {},
    );
  }

  #freshNodeName(op: string): string {
    let n = this.#counter.get(op) ?? 0;
    let name: string;
    do {
      name = `${op}_${n++}`;
    } while (this.graph.node(name) !== undefined);
    this.#counter.set(op, n);
    return name;
  }
}

/** Options of `buildModel(builder, options)`. */
export interface BuildModelOptions {
  /** Opset imports of the model. @default [{ domain: '', version: builder.opset }] */
  opsetImports?: OpsetImport[];
  /** ModelProto.producer_name. @default 'tandem' */
  producerName?: string;
  /** ModelProto.ir_version. @default DEFAULT_IR_VERSION (10) */
  irVersion?: number;
}

/** Wraps a builder's graph in a model that imports the builder's opset. */
export function buildModel(builder: GraphBuilder, options: BuildModelOptions = {}): Model {
  return new Model({
    graph: builder.graph,
    opsetImports: options.opsetImports ?? [{ domain: '', version: builder.opset }],
    producerName: options.producerName ?? 'tandem',
    ...(options.irVersion !== undefined ? { irVersion: options.irVersion } : {}),
  });
}
