import type { Graph } from '../ir/graph.js';
import { INT8_MAX } from './arithmetic.js';

/**
 * QDQ translator step 4 (reference §4.2, `infer_unchanged_scales`): copy scales across ops that do not
 * change the range, forward in topological order then backward in reverse, using input 0 and output 0.
 * With PR35's guard: a graph output never receives a propagated scale (quantized logits collapse
 * accuracy; reference §4.2, pitfall 8).
 */

/** Ops scales pass through by default (QDQT v0.2.0). */
export const DEFAULT_PROPAGATION_OPS = ['MaxPool', 'Flatten', 'Relu', 'Pad', 'Transpose', 'Reshape', 'Squeeze', 'Sigmoid'] as const;

export interface PropagationOptions {
  /** Adds AveragePool, GlobalAveragePool and ReduceMean. @default false */
  inferAveragePoolScales?: boolean;
  /** Adds Concat (out := max of known inputs; unknown inputs := out). @default false */
  inferConcatScales?: boolean;
  /** Adds Mul (backward: s_missing = s_out / (s_known · 127)) and the Sigmoid→Mul forward rule. @default false */
  inferMulScales?: boolean;
  /** More op types treated like Relu (out := in, in := out). @default [] */
  extraOps?: readonly string[];
}

/** One propagated scale, for the translation report. */
export interface PropagatedScale {
  readonly tensor: string;
  readonly scale: number;
  readonly node: string;
  readonly direction: 'forward' | 'backward';
  readonly rule: string;
}

/** Propagates `scales` (tensor → Q/DQ scale) in place over `graph`; returns what it added. */
export function propagateScales(graph: Graph, scales: Map<string, number>, constants: ReadonlySet<string>, o: PropagationOptions = {}): PropagatedScale[] {
  const ops = new Set<string>([...DEFAULT_PROPAGATION_OPS, ...(o.extraOps ?? [])]);
  if (o.inferAveragePoolScales) for (const op of ['AveragePool', 'GlobalAveragePool', 'ReduceMean']) ops.add(op);
  if (o.inferConcatScales) ops.add('Concat');
  if (o.inferMulScales) ops.add('Mul');
  const outputs = new Set(graph.outputs);
  const added: PropagatedScale[] = [];
  const skipSigmoid = new Set<string>();
  const set = (tensor: string | undefined, scale: number, node: string, direction: PropagatedScale['direction'], rule: string): void => {
    if (tensor === undefined || scales.has(tensor) || constants.has(tensor) || outputs.has(tensor)) return;
    if (!(scale > 0) || !Number.isFinite(scale)) return;
    scales.set(tensor, scale);
    added.push({ tensor, scale, node, direction, rule });
  };
  const nodes = graph.nodes.filter((n) => n.domain === '' && ops.has(n.op));
  for (const n of nodes) {
    const x = n.input(0);
    const y = n.outputs[0];
    if (y === undefined || y === '' || scales.has(y)) continue;
    if (n.op === 'Concat') {
      const known = n.inputs.filter((i) => i !== '' && scales.has(i)).map((i) => scales.get(i)!);
      if (known.length > 0) set(y, Math.max(...known), n.name, 'forward', 'Concat: max of the known input scales');
    } else if (n.op === 'Sigmoid') {
      // Sigmoid → Mul (SiLU-like): the sigmoid output is in (0, 1), amax 1.
      const first = graph.consumers(y)[0];
      if (ops.has('Mul') && first?.op === 'Mul') {
        set(y, 1 / INT8_MAX, n.name, 'forward', 'Sigmoid feeding Mul: amax 1');
        skipSigmoid.add(n.name);
      }
    } else if (n.op !== 'Mul' && x !== undefined && scales.has(x)) {
      set(y, scales.get(x)!, n.name, 'forward', `${n.op}: range unchanged`);
    }
  }
  for (const n of [...nodes].reverse()) {
    const x = n.input(0);
    const y = n.outputs[0];
    if (y === undefined || !scales.has(y)) continue;
    const sy = scales.get(y)!;
    if (n.op === 'Concat') {
      for (const i of n.inputs) if (i !== '') set(i, sy, n.name, 'backward', 'Concat: unknown inputs take the output scale');
    } else if (n.op === 'Sigmoid') {
      if (skipSigmoid.has(n.name) || x === undefined) continue;
      // amax_in = logit(amax_out); undefined for amax_out ≥ 1 and meaningless at ≤ 0.5 (reference pitfall 14).
      const yv = sy * INT8_MAX;
      if (yv > 0.5 && yv < 1) set(x, Math.log(yv / (1 - yv)) / INT8_MAX, n.name, 'backward', 'Sigmoid: amax_in = ln(y / (1 − y))');
    } else if (n.op === 'Mul') {
      const [a, b] = [n.input(0), n.input(1)];
      if (a === undefined || b === undefined) continue;
      const ka = scales.has(a);
      const kb = scales.has(b);
      if (ka !== kb) {
        const known = scales.get(ka ? a : b)!;
        set(ka ? b : a, sy / (known * INT8_MAX), n.name, 'backward', 'Mul: amax_out = amax_a · amax_b');
      }
    } else {
      set(x, sy, n.name, 'backward', `${n.op}: range unchanged`);
    }
  }
  return added;
}
