import type { Model } from '../ir/model.js';
import { OPS } from './registry.js';
import type { ValueRange } from './types.js';

/**
 * For each runtime input of the main graph whose values reach an op defined only on part of the reals
 * (the op table's `inputDomains`: Log, Sqrt, Pow's base ...), directly or through ops that only move
 * values (Reshape, Transpose, Concat ...), the range random test values should come from. Where
 * several such ops read it, their ranges are intersected (the first one wins if they do not meet).
 */
export function inputValueRanges(model: Model): Map<string, ValueRange> {
  const g = model.graph;
  const out = new Map<string, ValueRange>();
  for (const input of g.runtimeInputs) {
    let range: ValueRange | undefined;
    const seen = new Set<string>([input]);
    const stack = [input];
    while (stack.length > 0) {
      const name = stack.pop()!;
      for (const node of g.consumers(name)) {
        const row = OPS.get(node.op, node.domain, model.opset(node.domain));
        if (row === undefined) continue;
        node.inputs.forEach((n, i) => {
          const r = n === name ? row.inputDomains[i] : undefined;
          if (r === undefined) return;
          const lo = Math.max(r[0], range?.[0] ?? -Infinity);
          const hi = Math.min(r[1], range?.[1] ?? Infinity);
          if (range === undefined || lo <= hi) range = range === undefined ? r : [lo, hi];
        });
        if (!row.traits.movement) continue;
        for (const o of node.outputs) {
          if (o === '' || seen.has(o)) continue;
          seen.add(o);
          stack.push(o);
        }
      }
    }
    if (range !== undefined) out.set(input, range);
  }
  return out;
}
