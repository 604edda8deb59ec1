import type { CostContext, CostFn } from './types.js';

/**
 * Cost conventions shared by the op tables. MACs count multiply-accumulates of convolutions and
 * matrix products. FLOPs = 2 × MACs, plus, for every other arithmetic step, one FLOP per element it
 * produces: each elementary operation of the op's defining formula (add, multiply, compare, exp,
 * erf, ...) counts as one.
 */

export function elements(dims: readonly number[] | undefined): number | undefined {
  if (dims === undefined) return undefined;
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** `k` FLOPs per element of output 0 (k may depend on the node). */
export function perOutputElement(k: number | ((c: CostContext) => number)): CostFn {
  return (c) => {
    const n = elements(c.outputs[0]);
    if (n === undefined) return undefined;
    return { macs: 0, flops: n * (typeof k === 'number' ? k : k(c)) };
  };
}

/** `k` FLOPs per element of input 0 (reductions, which touch every input element). */
export function perInputElement(k: number): CostFn {
  return (c) => {
    const n = elements(c.inputs[0]);
    return n === undefined ? undefined : { macs: 0, flops: n * k };
  };
}

/** Ops that only move, copy or select data: no arithmetic (their bytes still count). */
export const NO_ARITHMETIC: CostFn = () => ({ macs: 0, flops: 0 });

/** Variadic elementwise ops: (inputs - 1) FLOPs per output element, plus `extra`. */
export function variadicCost(extra: number): CostFn {
  return perOutputElement((c) => Math.max(0, c.inputs.filter((s) => s !== undefined).length - 1) + extra);
}
