import type { DataType } from './dtype.js';
import type { Preserved } from './preserved.js';

/**
 * One dimension of a shape: a size, a symbol (a `dim_param` such as "batch", or an expression that
 * shape inference derived such as "batch*3"), or null for a dimension nothing is known about.
 */
export type Dim = number | string | null;

/** A tensor shape: one `Dim` per axis. */
export type Shape = readonly Dim[];

interface TypeCommon {
  /** TypeProto.denotation. */
  denotation?: string;
  extra?: Preserved;
}

/** The type of a tensor value: element type and shape, either of which may be unknown. */
export interface TensorType extends TypeCommon {
  readonly kind: 'tensor';
  /** Undefined where the file leaves the element type open (elem_type 0 or absent). */
  dtype: DataType | undefined;
  /** Undefined where even the rank is unknown. */
  shape: Shape | undefined;
  /** Per-dimension denotations, where the file had any. */
  dimDenotations?: readonly (string | undefined)[];
}

/** The type of a sparse tensor value. */
export interface SparseTensorType extends TypeCommon {
  readonly kind: 'sparseTensor';
  dtype: DataType | undefined;
  shape: Shape | undefined;
  dimDenotations?: readonly (string | undefined)[];
}

/** The type of a sequence value (ONNX sequences). */
export interface SequenceType extends TypeCommon {
  readonly kind: 'sequence';
  elem: ValueType | undefined;
}

/** The type of a map value (ONNX-ML maps). */
export interface MapType extends TypeCommon {
  readonly kind: 'map';
  keyType: DataType | undefined;
  valueType: ValueType | undefined;
}

/** The type of an optional value. */
export interface OptionalType extends TypeCommon {
  readonly kind: 'optional';
  elem: ValueType | undefined;
}

/** An opaque type (a domain-specific value ONNX does not describe). */
export interface OpaqueType extends TypeCommon {
  readonly kind: 'opaque';
  domain: string | undefined;
  name: string | undefined;
}

/** A TypeProto with none of its alternatives set. */
export interface UnsetType extends TypeCommon {
  readonly kind: 'unset';
}

/** The type of a graph value (TypeProto), discriminated by `kind`. */
export type ValueType = TensorType | SparseTensorType | SequenceType | MapType | OptionalType | OpaqueType | UnsetType;

/** A named value of a graph (ValueInfoProto): its declared type, and what shape inference found. */
export interface Value {
  readonly name: string;
  /** The type the file declares (graph input/output or value_info), if any. */
  type?: ValueType;
  /** The tensor type shape inference derived; never written unless asked for. */
  inferred?: TensorType;
  doc?: string;
  metadata?: (readonly [string, string])[];
  extra?: Preserved;
}

export function tensorType(dtype: DataType | undefined, shape: Shape | undefined): TensorType {
  return { kind: 'tensor', dtype, shape };
}

/** Renders a shape for people: [1,3,"batch"] → "1x3xbatch", unknown rank → "?". */
export function formatShape(shape: Shape | undefined): string {
  if (shape === undefined) return '?';
  if (shape.length === 0) return 'scalar';
  return shape.map((d) => (d === null ? '?' : String(d))).join('x');
}

/** True when every dim is a known number. */
export function isStaticShape(shape: Shape | undefined): shape is readonly number[] {
  return shape !== undefined && shape.every((d) => typeof d === 'number');
}
