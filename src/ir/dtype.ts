/**
 * Tensor element types: one table, keyed by the names onnxruntime-node uses where it has them, with the
 * ONNX TensorProto.DataType code, the element width, and the typed array that holds the data in memory.
 */

/** The typed-array constructors tensor data is held in. */
export type ArrayCtor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** What tandem knows of one element type (an entry of `DATA_TYPES`). */
export interface DataTypeInfo {
  /** TensorProto.DataType code. */
  readonly code: number;
  /** Bits per element (complex: both parts; string: 0). */
  readonly bits: number;
  /** In-memory container; float16/bfloat16/float8 hold raw bits, 4-bit and 2-bit types stay packed. */
  readonly array: ArrayCtor | null;
  /** Elements per array slot: 2 for complex (re, im), 1 otherwise; packed types use `bits`. */
  readonly lanes: number;
  /** The family of values. */
  readonly kind: 'float' | 'int' | 'uint' | 'bool' | 'string' | 'complex';
}

/** Every ONNX tensor element type by name, with its TensorProto code, width and in-memory container. */
export const DATA_TYPES = {
  float32: { code: 1, bits: 32, array: Float32Array, lanes: 1, kind: 'float' },
  uint8: { code: 2, bits: 8, array: Uint8Array, lanes: 1, kind: 'uint' },
  int8: { code: 3, bits: 8, array: Int8Array, lanes: 1, kind: 'int' },
  uint16: { code: 4, bits: 16, array: Uint16Array, lanes: 1, kind: 'uint' },
  int16: { code: 5, bits: 16, array: Int16Array, lanes: 1, kind: 'int' },
  int32: { code: 6, bits: 32, array: Int32Array, lanes: 1, kind: 'int' },
  int64: { code: 7, bits: 64, array: BigInt64Array, lanes: 1, kind: 'int' },
  string: { code: 8, bits: 0, array: null, lanes: 1, kind: 'string' },
  bool: { code: 9, bits: 8, array: Uint8Array, lanes: 1, kind: 'bool' },
  float16: { code: 10, bits: 16, array: Uint16Array, lanes: 1, kind: 'float' },
  float64: { code: 11, bits: 64, array: Float64Array, lanes: 1, kind: 'float' },
  uint32: { code: 12, bits: 32, array: Uint32Array, lanes: 1, kind: 'uint' },
  uint64: { code: 13, bits: 64, array: BigUint64Array, lanes: 1, kind: 'uint' },
  complex64: { code: 14, bits: 64, array: Float32Array, lanes: 2, kind: 'complex' },
  complex128: { code: 15, bits: 128, array: Float64Array, lanes: 2, kind: 'complex' },
  bfloat16: { code: 16, bits: 16, array: Uint16Array, lanes: 1, kind: 'float' },
  float8e4m3fn: { code: 17, bits: 8, array: Uint8Array, lanes: 1, kind: 'float' },
  float8e4m3fnuz: { code: 18, bits: 8, array: Uint8Array, lanes: 1, kind: 'float' },
  float8e5m2: { code: 19, bits: 8, array: Uint8Array, lanes: 1, kind: 'float' },
  float8e5m2fnuz: { code: 20, bits: 8, array: Uint8Array, lanes: 1, kind: 'float' },
  uint4: { code: 21, bits: 4, array: Uint8Array, lanes: 1, kind: 'uint' },
  int4: { code: 22, bits: 4, array: Uint8Array, lanes: 1, kind: 'int' },
  float4e2m1: { code: 23, bits: 4, array: Uint8Array, lanes: 1, kind: 'float' },
  float8e8m0: { code: 24, bits: 8, array: Uint8Array, lanes: 1, kind: 'float' },
  uint2: { code: 25, bits: 2, array: Uint8Array, lanes: 1, kind: 'uint' },
  int2: { code: 26, bits: 2, array: Uint8Array, lanes: 1, kind: 'int' },
} as const satisfies Record<string, DataTypeInfo>;

/** An element type's name: `'float32'`, `'int64'`, `'float16'`, ... (the keys of `DATA_TYPES`). */
export type DataType = keyof typeof DATA_TYPES;

const BY_CODE = new Map<number, DataType>(
  (Object.keys(DATA_TYPES) as DataType[]).map((name) => [DATA_TYPES[name].code, name]),
);

/** The data type of an ONNX TensorProto.DataType code, or undefined for codes tandem does not know. */
export function dataTypeFromCode(code: number): DataType | undefined {
  return BY_CODE.get(code);
}

/** The ONNX TensorProto.DataType code of a type. */
export function dataTypeCode(dtype: DataType): number {
  return DATA_TYPES[dtype].code;
}

/** Whether a string names a data type (a type guard for user input). */
export function isDataType(name: string): name is DataType {
  return Object.hasOwn(DATA_TYPES, name);
}

/** Bytes that `count` elements take in raw (packed, little-endian) form; strings have no fixed size. */
export function byteSize(dtype: DataType, count: number): number {
  const bits = DATA_TYPES[dtype].bits;
  return bits >= 8 ? count * (bits / 8) : Math.ceil((count * bits) / 8);
}

/** True for types whose values are real floating-point numbers (not complex). */
export function isFloatType(dtype: DataType): boolean {
  return DATA_TYPES[dtype].kind === 'float';
}

/** True for signed and unsigned integers (not bool). */
export function isIntegerType(dtype: DataType): boolean {
  const kind = DATA_TYPES[dtype].kind;
  return kind === 'int' || kind === 'uint';
}
