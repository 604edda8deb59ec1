import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import { DATA_TYPES, byteSize, type DataType } from './dtype.js';
import type { Preserved } from './preserved.js';

/** The in-memory container per data type (see DATA_TYPES for which hold bits or packed values). */
export interface TensorDataMap {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  string: Uint8Array[];
  bool: Uint8Array;
  float16: Uint16Array;
  float64: Float64Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  complex64: Float32Array;
  complex128: Float64Array;
  bfloat16: Uint16Array;
  float8e4m3fn: Uint8Array;
  float8e4m3fnuz: Uint8Array;
  float8e5m2: Uint8Array;
  float8e5m2fnuz: Uint8Array;
  uint4: Uint8Array;
  int4: Uint8Array;
  float4e2m1: Uint8Array;
  float8e8m0: Uint8Array;
  uint2: Uint8Array;
  int2: Uint8Array;
}

/** The typed array (or string list) that holds the elements of a tensor of some type. */
export type TensorData = TensorDataMap[DataType];

/** A lazily read run of bytes: a region of an external data file, or of the model file itself. */
export interface TensorSource {
  readonly byteLength: number;
  /** Human-readable location for error messages, e.g. "weights.bin at offset 4096". */
  readonly description: string;
  /** Reads the bytes into a fresh buffer; throws TandemError when they cannot be read. */
  read(): Uint8Array;
}

/** Where a tensor's data sat in the file it was read from; the codec writes it back the same way. */
export type TensorStorage = 'raw' | 'typed' | 'external';

/** A tensor's `external_data` entries as read (kept in order, unknown keys included). */
export interface ExternalDataInfo {
  readonly location: string;
  readonly offset: number;
  readonly length: number | undefined;
  readonly entries: readonly (readonly [string, string])[];
}

/** Options of the `Tensor` constructor. */
export interface TensorOptions {
  /** The tensor's name (an initializer's name in a graph). @default '' */
  name?: string;
  /** TensorProto.doc_string. @default none */
  doc?: string;
  /** How the codec writes the data. @default 'raw' */
  storage?: TensorStorage;
}

/**
 * An n-dimensional array. `data` is a typed-array view (zero-copy over the file's bytes where alignment
 * allows); tensors read from external data load on first access of `data`.
 */
export class Tensor<D extends DataType = DataType> {
  readonly dtype: D;
  dims: readonly number[];
  name: string;
  doc?: string;
  metadata?: (readonly [string, string])[];
  segment?: { begin: number; end: number };
  storage: TensorStorage;
  external?: ExternalDataInfo;
  extra?: Preserved;
  #data: TensorDataMap[D] | undefined;
  #source: TensorSource | undefined;

  /**
   * A tensor of `dtype` and `dims` over `data` (not copied): a typed array of the type's container
   * (`Float32Array` for float32, `BigInt64Array` for int64, `Uint16Array` bits for float16; see
   * `DATA_TYPES`) holding exactly the elements of `dims`. Throws TandemError `TENSOR_DATA` when the sizes
   * do not match.
   *
   * @example
   * ```ts
   * const image = new Tensor('float32', [1, 3, 224, 224], new Float32Array(3 * 224 * 224));
   * ```
   */
  constructor(dtype: D, dims: readonly number[], data: TensorDataMap[D] | TensorSource, options: TensorOptions = {}) {
    this.dtype = dtype;
    this.dims = checkDims(dims, options.name);
    this.name = options.name ?? '';
    if (options.doc !== undefined) this.doc = options.doc;
    this.storage = options.storage ?? 'raw';
    if (isSource(data)) {
      this.#source = data;
      const expected = this.byteLength;
      if (data.byteLength !== expected) throw sizeMismatch(this, data.byteLength, expected, data.description);
    } else {
      this.#data = data;
      checkData(this, data);
    }
  }

  /** Number of elements (1 for a scalar). */
  get size(): number {
    return elementCount(this.dims);
  }

  /** Size of the data in raw form (packed little-endian), known without reading it. Strings: their bytes. */
  get byteLength(): number {
    if (this.dtype === 'string') {
      const data = this.#data as Uint8Array[] | undefined;
      return data ? data.reduce((n, s) => n + s.length, 0) : (this.#source?.byteLength ?? 0);
    }
    return byteSize(this.dtype, this.size);
  }

  get isLoaded(): boolean {
    return this.#data !== undefined;
  }

  /** Where unloaded data will come from (undefined once loaded or for in-memory tensors). */
  get source(): TensorSource | undefined {
    return this.#data === undefined ? this.#source : undefined;
  }

  get data(): TensorDataMap[D] {
    if (this.#data === undefined) {
      const source = this.#source!;
      const bytes = source.read();
      if (bytes.length !== this.byteLength) throw sizeMismatch(this, bytes.length, this.byteLength, source.description);
      this.#data = viewRaw(this.dtype, bytes) as TensorDataMap[D];
      this.#source = undefined;
    }
    return this.#data;
  }

  set data(value: TensorDataMap[D]) {
    checkData(this, value);
    this.#data = value;
    this.#source = undefined;
  }

  /** Narrows the data type. */
  is<T extends DataType>(dtype: T): this is Tensor<T> {
    return (this.dtype as DataType) === dtype;
  }

  /** The data as raw little-endian bytes (a view, no copy). Not for strings. */
  rawBytes(): Uint8Array {
    const data = this.data;
    if (Array.isArray(data)) throw new TandemError('TENSOR_DATA', `string tensor ${quote(this.name)} has no raw byte form`);
    const view = data as ArrayBufferView;
    return new Uint8Array(view.buffer, view.byteOffset, this.byteLength);
  }

  /** A copy with new dims (same element count) sharing the data. */
  reshaped(dims: readonly number[]): Tensor<D> {
    if (elementCount(dims) !== this.size) {
      throw new TandemError('TENSOR_DATA', `cannot reshape tensor ${quote(this.name)} of shape [${this.dims}] to [${dims}]`);
    }
    const t = new Tensor(this.dtype, dims, this.data, { name: this.name, storage: this.storage === 'external' ? 'raw' : this.storage });
    return t;
  }

  toString(): string {
    return `Tensor(${this.name || '<unnamed>'}: ${this.dtype}[${this.dims.join(',')}])`;
  }
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Views raw little-endian bytes as the type's container, copying only when the offset is misaligned. */
export function viewRaw(dtype: DataType, bytes: Uint8Array): TensorData {
  const info = DATA_TYPES[dtype];
  const Ctor = info.array;
  if (Ctor === null) throw new TandemError('TENSOR_DATA', 'string tensors have no raw byte form');
  const width = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % width !== 0) {
    throw new TandemError('TENSOR_DATA', `${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  let source = bytes;
  if (bytes.byteOffset % width !== 0) source = new Uint8Array(bytes); // copy to align (Buffer.slice would be a view)
  return new Ctor(source.buffer as ArrayBuffer, source.byteOffset, source.byteLength / width) as TensorData;
}

function isSource(x: unknown): x is TensorSource {
  return typeof x === 'object' && x !== null && typeof (x as TensorSource).read === 'function';
}

function checkDims(dims: readonly number[], name: string | undefined): readonly number[] {
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new TandemError('TENSOR_DATA', `tensor ${quote(name ?? '')} has invalid dims [${dims.join(', ')}]; each dim must be a non-negative integer`);
    }
  }
  return dims;
}

function checkData(t: Tensor, data: TensorData): void {
  const info = DATA_TYPES[t.dtype];
  if (info.array === null) {
    if (!Array.isArray(data) || data.length !== t.size) {
      throw new TandemError('TENSOR_DATA', `string tensor ${quote(t.name)} of shape [${t.dims}] needs ${t.size} byte strings`);
    }
    return;
  }
  if (!(data instanceof info.array)) {
    throw new TandemError('TENSOR_DATA', `tensor ${quote(t.name)} of type ${t.dtype} needs a ${info.array.name}, got ${data?.constructor?.name}`);
  }
  const expected = info.bits >= 8 ? t.size * info.lanes : Math.ceil((t.size * info.bits) / 8);
  if ((data as ArrayLike<unknown>).length !== expected) {
    throw new TandemError(
      'TENSOR_DATA',
      `tensor ${quote(t.name)} of type ${t.dtype} and shape [${t.dims}] needs ${expected} array elements, got ${(data as ArrayLike<unknown>).length}`,
    );
  }
}

function sizeMismatch(t: Tensor, found: number, expected: number, where: string): TandemError {
  return new TandemError(
    'TENSOR_DATA',
    `tensor ${quote(t.name)} (${t.dtype}[${t.dims}]) needs ${expected} bytes but ${where} holds ${found}; the file does not match the model`,
  );
}
