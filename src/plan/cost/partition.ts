import { quote } from '../../util/text.js';
import { TandemError } from '../../util/errors.js';
import type { Workload } from './workload.js';

/**
 * Which layers of a workload belong to the trunk (everything the cut tensors depend on) and which to
 * each head (what one model output needs beyond the trunk). Works on the workload's own producer links,
 * so it needs no model: the published workloads are stored as JSON.
 */
export interface Partition {
  readonly trunk: readonly number[];
  /** Per model output index, the layers only it needs beyond the trunk, in order. */
  readonly heads: readonly (readonly number[])[];
  /** Layers more than one head needs beyond the trunk (computed once, with the trunk's engine). */
  readonly shared: readonly number[];
}

/** The layers `roots` depend on, themselves included. */
export function ancestors(w: Workload, roots: Iterable<number>): Set<number> {
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (i < 0 || seen.has(i)) continue;
    seen.add(i);
    for (const [from] of w.layers[i]!.inputs) stack.push(from);
  }
  return seen;
}

/** Layer index by name. */
export function layerIndex(w: Workload, name: string): number {
  const i = w.layers.findIndex((l) => l.name === name);
  if (i < 0) throw new TandemError('UNKNOWN_NAME', `layer ${quote(name)} is not in workload ${quote(w.name)}`);
  return i;
}

/** Layers writing each model output. */
export function outputLayers(w: Workload): number[][] {
  const out: number[][] = w.outputElems.map(() => []);
  w.layers.forEach((l, i) => {
    for (const o of l.modelOutputs ?? []) out[o]?.push(i);
  });
  return out;
}

/** Splits a workload at the layers producing the cut tensors (given as layer indices). */
export function partitionAt(w: Workload, cutLayers: readonly number[]): Partition {
  const trunk = ancestors(w, cutLayers);
  const perHead = outputLayers(w).map((roots) => {
    const a = ancestors(w, roots);
    for (const t of trunk) a.delete(t);
    return a;
  });
  const count = new Map<number, number>();
  for (const h of perHead) for (const i of h) count.set(i, (count.get(i) ?? 0) + 1);
  const shared = [...count].filter(([, n]) => n > 1).map(([i]) => i).sort((a, b) => a - b);
  const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b);
  return {
    trunk: sorted(trunk),
    heads: perHead.map((h) => sorted([...h].filter((i) => count.get(i) === 1))),
    shared,
  };
}
