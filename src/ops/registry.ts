import { TandemError, assert } from '../util/errors.js';
import { unknownNameError } from '../util/registry.js';
import { CONTROL_OPS } from './control-ops.js';
import { ELEMENTWISE_OPS } from './elementwise-ops.js';
import { INDEX_OPS } from './index-ops.js';
import { LINALG_OPS } from './linalg-ops.js';
import { NN_OPS } from './nn-ops.js';
import { RECURRENT_OPS } from './recurrent-ops.js';
import { REDUCE_OPS } from './reduce-ops.js';
import { SHAPE_OPS } from './shape-ops.js';
import { TENSOR_OPS } from './tensor-ops.js';
import type { OpFlag, OpInfo, OpTraits } from './types.js';
import { VISION_OPS } from './vision-ops.js';

function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}


/** Op table rows by (domain, op), each op's rows ordered by the opset version they start at. */
export class OpRegistry {
  /** domain → op → rows, oldest first (two levels: lookups run once per node and build no keys). */
  readonly #domains = new Map<string, Map<string, OpInfo[]>>();

  constructor(rows: Iterable<OpInfo>) {
    for (const row of rows) {
      const d = normalizeDomain(row.domain);
      let ops = this.#domains.get(d);
      if (ops === undefined) this.#domains.set(d, (ops = new Map()));
      const list = ops.get(row.op) ?? [];
      assert(!list.some((r) => r.since === row.since), `op table has two rows for ${row.op} since opset ${row.since}`);
      list.push(row);
      list.sort((a, b) => a.since - b.since);
      ops.set(row.op, list);
    }
  }

  #list(op: string, domain: string): OpInfo[] | undefined {
    return this.#domains.get(normalizeDomain(domain))?.get(op);
  }

  /**
   * The row for `op` at an opset version: the newest row that starts at or before it (the newest row
   * of all when `opset` is undefined). Undefined when the op is unknown or newer than the opset.
   */
  get(op: string, domain = '', opset?: number): OpInfo | undefined {
    const list = this.#list(op, domain);
    if (list === undefined) return undefined;
    if (opset === undefined) return list[list.length - 1];
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.since <= opset) return list[i];
    return undefined;
  }

  /** Like `get`, but throws TandemError 'UNKNOWN_NAME' saying what exists. */
  require(op: string, domain = '', opset?: number): OpInfo {
    const row = this.get(op, domain, opset);
    if (row) return row;
    const list = this.#list(op, domain);
    const where = normalizeDomain(domain) === '' ? 'ai.onnx' : domain;
    if (list !== undefined) {
      throw new TandemError(
        'UNKNOWN_NAME',
        `op ${op} (${where}) starts at opset ${list[0]!.since}, but the model imports opset ${opset}; raise the model's opset or replace the op`,
      );
    }
    throw unknownNameError(`${where} op`, op, this.names(domain), "those are the ops in tandem's op table");
  }

  has(op: string, domain = ''): boolean {
    return this.#list(op, domain) !== undefined;
  }

  /** Every row of one op, oldest first. */
  versions(op: string, domain = ''): readonly OpInfo[] {
    return this.#list(op, domain) ?? [];
  }

  /** Op names of a domain ('' = ai.onnx), sorted. */
  names(domain = ''): string[] {
    return [...(this.#domains.get(normalizeDomain(domain))?.keys() ?? [])].sort();
  }

  domains(): string[] {
    return [...this.#domains.keys()].sort();
  }

  /** Every row, grouped by op. */
  *[Symbol.iterator](): IterableIterator<OpInfo> {
    for (const ops of this.#domains.values()) for (const rows of ops.values()) yield* rows;
  }
}

/** The op table: every row tandem knows, filled here and nowhere else. */
export const OPS = new OpRegistry([
  ...ELEMENTWISE_OPS,
  ...NN_OPS,
  ...LINALG_OPS,
  ...RECURRENT_OPS,
  ...REDUCE_OPS,
  ...SHAPE_OPS,
  ...TENSOR_OPS,
  ...INDEX_OPS,
  ...VISION_OPS,
  ...CONTROL_OPS,
]);

/** The table row for an op at an opset version (see OpRegistry.get). */
export function opInfo(op: string, domain = '', opset?: number): OpInfo | undefined {
  return OPS.get(op, domain, opset);
}

/**
 * The traits of an op by name (its newest row; every row of an op that carries one of the traits below
 * carries it at every version). Undefined for an op not in the table.
 */
export function opTraits(op: string, domain = ''): OpTraits | undefined {
  return OPS.get(op, domain)?.traits;
}

/** Whether the op has a yes/no trait (`opHasTrait('Reshape', 'valuePreserving')`); false for an op not in the table. */
export function opHasTrait(op: string, flag: OpFlag, domain = ''): boolean {
  return OPS.get(op, domain)?.traits[flag] ?? false;
}
