import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import type { Graph } from './graph.js';
import type { Preserved } from './preserved.js';
import type { SparseTensor } from './sparse.js';
import type { Tensor } from './tensor.js';
import type { ValueType } from './types.js';

/** Attribute values by AttributeProto.AttributeType, in camelCase. */
export interface AttributeValueMap {
  float: number;
  int: number;
  string: string;
  tensor: Tensor;
  graph: Graph;
  sparseTensor: SparseTensor;
  typeProto: ValueType;
  floats: number[];
  ints: number[];
  strings: string[];
  tensors: Tensor[];
  graphs: Graph[];
  sparseTensors: SparseTensor[];
  typeProtos: ValueType[];
}

/** The kind of an attribute value: `'int'`, `'floats'`, `'graph'`, ... */
export type AttributeType = keyof AttributeValueMap;

/** A node attribute. `refAttrName` marks a reference to an attribute of the enclosing function. */
export type Attribute = {
  [T in AttributeType]: {
    readonly type: T;
    value: AttributeValueMap[T];
    doc?: string;
    refAttrName?: string;
    /** Set where the file's `s`/`strings` bytes were not valid UTF-8: the exact bytes, kept for writing. */
    rawStrings?: readonly Uint8Array[];
    extra?: Preserved;
  };
}[AttributeType];

export const ATTRIBUTE_TYPE_CODES: Readonly<Record<AttributeType, number>> = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
  tensors: 9,
  graphs: 10,
  sparseTensor: 11,
  sparseTensors: 12,
  typeProto: 13,
  typeProtos: 14,
};

/** A value given to a builder or `Attrs.set`: a typed attribute, or a plain value whose type is evident. */
export type AttributeInput =
  | Attribute
  | number
  | string
  | Tensor
  | Graph
  | readonly number[]
  | readonly string[]
  | readonly Tensor[];

/**
 * A node's attributes in their order, with typed access. Getters throw TandemError `GRAPH_INVALID`
 * naming the node when an attribute has another type than the op requires.
 */
export class Attrs implements Iterable<[string, Attribute]> {
  readonly #map = new Map<string, Attribute>();
  #owner = '';

  constructor(entries?: Iterable<[string, Attribute]>) {
    if (entries) for (const [k, v] of entries) this.#map.set(k, v);
  }

  /** Names the owning node in error messages. */
  setOwner(owner: string): void {
    this.#owner = owner;
  }

  get size(): number {
    return this.#map.size;
  }

  has(name: string): boolean {
    return this.#map.has(name);
  }

  get(name: string): Attribute | undefined {
    return this.#map.get(name);
  }

  set(name: string, value: AttributeInput): this {
    this.#map.set(name, toAttribute(value));
    return this;
  }

  delete(name: string): boolean {
    return this.#map.delete(name);
  }

  [Symbol.iterator](): IterableIterator<[string, Attribute]> {
    return this.#map.entries();
  }

  names(): string[] {
    return [...this.#map.keys()];
  }

  int(name: string): number | undefined;
  int(name: string, fallback: number): number;
  int(name: string, fallback?: number): number | undefined {
    return this.#typed(name, 'int') ?? fallback;
  }

  float(name: string): number | undefined;
  float(name: string, fallback: number): number;
  float(name: string, fallback?: number): number | undefined {
    const a = this.#map.get(name);
    // Some exporters write float attributes as ints (e.g. alpha=1); accept both.
    if (a?.type === 'int') return a.value;
    return this.#typed(name, 'float') ?? fallback;
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    return this.#typed(name, 'string') ?? fallback;
  }

  ints(name: string): number[] | undefined;
  ints(name: string, fallback: number[]): number[];
  ints(name: string, fallback?: number[]): number[] | undefined {
    return this.#typed(name, 'ints') ?? fallback;
  }

  floats(name: string): number[] | undefined;
  floats(name: string, fallback: number[]): number[];
  floats(name: string, fallback?: number[]): number[] | undefined {
    const a = this.#map.get(name);
    if (a?.type === 'ints') return a.value;
    return this.#typed(name, 'floats') ?? fallback;
  }

  strings(name: string): string[] | undefined {
    return this.#typed(name, 'strings');
  }

  tensor(name: string): Tensor | undefined {
    return this.#typed(name, 'tensor');
  }

  graph(name: string): Graph | undefined {
    return this.#typed(name, 'graph');
  }

  /** Every subgraph held by these attributes (graph and graphs). */
  subgraphs(): Graph[] {
    const out: Graph[] = [];
    for (const a of this.#map.values()) {
      if (a.type === 'graph') out.push(a.value);
      else if (a.type === 'graphs') for (const g of a.value) out.push(g);
    }
    return out;
  }

  clone(): Attrs {
    const copy = new Attrs();
    for (const [k, v] of this.#map) {
      const value = Array.isArray(v.value) ? [...v.value] : v.value;
      copy.#map.set(k, { ...v, value } as Attribute);
    }
    return copy;
  }

  #typed<T extends AttributeType>(name: string, type: T): AttributeValueMap[T] | undefined {
    const a = this.#map.get(name);
    if (a === undefined || a.refAttrName !== undefined) return undefined;
    if (a.type !== type) {
      throw new TandemError(
        'GRAPH_INVALID',
        `attribute ${quote(name)} of node ${quote(this.#owner)} is of type ${a.type}, expected ${type}; the model is malformed`,
      );
    }
    return a.value as AttributeValueMap[T];
  }
}

/** Typed constructors for attribute values where a plain JS value would be ambiguous (1 vs 1.0). */
export const attr = {
  float: (value: number): Attribute => ({ type: 'float', value }),
  int: (value: number): Attribute => ({ type: 'int', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value: [...value] }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value: [...value] }),
  string: (value: string): Attribute => ({ type: 'string', value }),
};

function isAttribute(v: unknown): v is Attribute {
  return typeof v === 'object' && v !== null && 'type' in v && 'value' in v && typeof (v as Attribute).type === 'string' && !('nodes' in v);
}

/** Plain values: integers → int, other numbers → float, arrays by their first element (empty → ints). */
export function toAttribute(value: AttributeInput): Attribute {
  if (isAttribute(value)) return value;
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'int', value } : { type: 'float', value };
  if (typeof value === 'string') return { type: 'string', value };
  if (Array.isArray(value)) {
    const first = value[0];
    if (first === undefined) return { type: 'ints', value: [] };
    if (typeof first === 'string') return { type: 'strings', value: [...(value as string[])] };
    if (typeof first === 'number') {
      const nums = value as number[];
      return nums.every(Number.isInteger) ? { type: 'ints', value: [...nums] } : { type: 'floats', value: [...nums] };
    }
    return { type: 'tensors', value: [...(value as Tensor[])] };
  }
  if (typeof value === 'object' && value !== null && 'nodes' in value) return { type: 'graph', value: value as Graph };
  return { type: 'tensor', value: value as Tensor };
}
