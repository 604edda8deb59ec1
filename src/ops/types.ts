import type { AttributeType } from '../ir/attribute.js';
import type { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Shape, TensorType } from '../ir/types.js';
import type { SymTensor } from './sym-tensor.js';

/**
 * What an input is for: `data` flows through the network; `weight` is a learned parameter (the
 * filter of a Conv, the scale of a norm); `config` is a small tensor read for its value (a shape,
 * axes, pads, scales, a quantization scale).
 */
export type InputRole = 'data' | 'weight' | 'config';

export interface InputSpec {
  readonly name: string;
  readonly optional: boolean;
  /** The last input may repeat (Concat, Sum, Max ...). */
  readonly variadic: boolean;
  readonly role: InputRole;
}

export interface OutputSpec {
  readonly name: string;
  readonly optional: boolean;
  readonly variadic: boolean;
}

export type AttrDefault = number | string | readonly number[] | readonly string[];

export interface AttrSpec {
  readonly type: AttributeType;
  /** The value the spec defines when the attribute is absent; undefined where there is none. */
  readonly default: AttrDefault | undefined;
  readonly required: boolean;
}

export type OpCategory =
  | 'conv'
  | 'pool'
  | 'normalization'
  | 'activation'
  | 'elementwise'
  | 'linalg'
  | 'recurrent'
  | 'reduce'
  | 'shape'
  | 'movement'
  | 'quantization'
  | 'control'
  | 'vision'
  | 'generator'
  | 'other';

export interface OpTraits {
  /** Each output element depends only on the input elements at the same (broadcast) position. */
  readonly elementwise: boolean;
  /** Some input holds learned parameters (see `weightInputs`). */
  readonly hasWeights: boolean;
  /** Indices of inputs whose role is `weight`. */
  readonly weightInputs: readonly number[];
  /** Quantization tools put Q/DQ on its inputs (and weights) so it can run in INT8. */
  readonly quantizable: boolean;
  /** Its outputs depend only on the shape of its inputs, not their values (Shape, Size). */
  readonly shapeOp: boolean;
  /** Moves, copies or selects elements without arithmetic (Reshape, Transpose, Concat, Gather ...). */
  readonly movement: boolean;
  readonly category: OpCategory;
  /** Outputs differ run to run (random generators): never folded into a constant nor copied into several stages. */
  readonly nondeterministic: boolean;
  /** Output 0 holds exactly the values of input 0, only moved: same min, max and element count (an INT8 range copies through). */
  readonly valuePreserving: boolean;
  /** Output 0 is input 0's elements in their order under another shape (Reshape, Flatten, Squeeze, Unsqueeze). */
  readonly reshape: boolean;
  /** Runs no kernel at inference: output 0 is input 0, perhaps under another shape (reshapes, Identity, Dropout). */
  readonly view: boolean;
  /** TensorRT fuses it between a weighted op and a following residual Add (BN, activations, copy ops; reference §6.1). */
  readonly fusibleFollower: boolean;
  /** Inputs typed tensor(float) whatever the op's T, which stay float32 in an FP16 model (Resize roi and scales). */
  readonly fixedFloatInputs: readonly number[];
  /** The weight quantized per output channel (its input index and channel axis); undefined where the op has none. */
  readonly channelWeight: ChannelWeightFn | undefined;
  /**
   * The attribute that sets output 0's element type (a TensorProto.DataType code) and the code when it is
   * absent (undefined: the input's type), for ops an FP16 conversion retypes (Cast, random generators, EyeLike).
   */
  readonly dtypeAttr: { readonly key: string; readonly absent: number | undefined } | undefined;
}

/**
 * Where a node's per-channel weight is: the input index and the output-channel axis (reference §1:
 * Conv 0, ConvTranspose 1, [K, N] MatMul/Gemm 1, Gemm with transB 0); `rank` is the weight's rank.
 * Undefined when this node has no such weight (a MatMul with a 1-D B).
 */
export type ChannelWeightFn = (node: Node, rank: number) => { readonly input: number; readonly axis: number } | undefined;

/** The yes/no traits, by name (see OpTraits). */
export type OpFlag = 'elementwise' | 'hasWeights' | 'quantizable' | 'shapeOp' | 'movement' | 'nondeterministic' | 'valuePreserving' | 'reshape' | 'view' | 'fusibleFollower';

/** What inference found for one output: element type, shape, and (for small tensors) the value. */
export interface InferredOutput {
  readonly dtype: DataType | undefined;
  readonly shape: Shape | undefined;
  readonly value?: SymTensor;
}

/** What an op's inference function sees of one node. */
export interface InferContext {
  readonly node: Node;
  readonly graph: Graph;
  readonly info: OpInfo;
  /** The opset the model imports for the node's domain (when it imports none: the `since` of the newest row, which is used). */
  readonly opset: number;
  /** Whether input `i` is given (not absent, not ''). */
  has(i: number): boolean;
  /** Number of input slots the node lists (omitted ones included). */
  readonly inputCount: number;
  readonly outputCount: number;
  /** Whether output `i` is wanted (listed and not ''). */
  wantsOutput(i: number): boolean;
  type(i: number): TensorType | undefined;
  dtype(i: number): DataType | undefined;
  shape(i: number): Shape | undefined;
  /** The value of input `i` when statically known. */
  value(i: number): SymTensor | undefined;
  /** Attribute with the table's default. */
  int(name: string): number | undefined;
  float(name: string): number | undefined;
  string(name: string): string | undefined;
  ints(name: string): readonly number[] | undefined;
  floats(name: string): readonly number[] | undefined;
  /**
   * An integer list given as attribute or as input, whichever this op version's spec declares:
   * the numbers; null when given but not statically known (or not all numbers); undefined when absent.
   */
  intsParam(name: string): readonly number[] | null | undefined;
  /** Like `intsParam`, for float lists (scales). */
  floatsParam(name: string): readonly number[] | null | undefined;
  /** Index of the input the spec names `name`, when this op version has one. */
  inputIndex(name: string): number | undefined;
  /** Throws TandemError 'SHAPE_INFERENCE' naming the node. */
  fail(message: string): never;
  /**
   * Infers a subgraph whose inputs have these types (outer-scope names stay visible); returns its output
   * types. `unreachable`: the subgraph never runs (an If branch whose condition is known to pick the
   * other), so contradictions in it leave its types unknown and are neither thrown nor reported.
   */
  inferSubgraph(graph: Graph, inputs: readonly (TensorType | undefined)[], unreachable?: boolean): (TensorType | undefined)[];
}

export type InferFn = (ctx: InferContext) => readonly (InferredOutput | undefined)[];

/** What a cost function sees: every input and output shape as numbers (symbols already evaluated). */
export interface CostContext {
  readonly node: Node;
  readonly info: OpInfo;
  readonly inputs: readonly (readonly number[] | undefined)[];
  readonly outputs: readonly (readonly number[] | undefined)[];
  /** Attribute with the table's default. */
  int(name: string): number | undefined;
  string(name: string): string | undefined;
  ints(name: string): readonly number[] | undefined;
}

/** MACs and FLOPs of one node; undefined when they cannot be known (a shape it needs is missing). */
export type CostFn = (c: CostContext) => { macs: number; flops: number } | undefined;

/** One row of the op table: one op, from one opset version on. */
export interface OpInfo {
  readonly op: string;
  /** '' for the default ai.onnx domain. */
  readonly domain: string;
  /** The opset version from which this row applies (until the next row of the same op). */
  readonly since: number;
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly OutputSpec[];
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  readonly traits: OpTraits;
  readonly infer: InferFn;
  /** Undefined where tandem has no cost model for the op. */
  readonly cost: CostFn | undefined;
  /**
   * Per input, the range to draw random test values from where the op is not defined everywhere
   * (Log, Sqrt: positive); none where any real value will do.
   */
  readonly inputDomains: readonly (ValueRange | undefined)[];
}

/** A closed range of real values, [low, high]. */
export type ValueRange = readonly [number, number];
