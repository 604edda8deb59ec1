import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Emitter } from './graph-edit.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, replaceEachNode, type Rewrite } from './pass.js';
import { averageFactors, averageSteps } from './pool-steps.js';

export interface ReduceToPoolRewrite extends Rewrite {
  /** Input channels when the channel axis is reduced (by a 1×1 Conv), else 0. */
  readonly channels: number;
  /** The 1×1 Conv's weight: 1/C for a mean, 1 for a sum. */
  readonly channelWeight: number;
  /** Pooling windows along H and along W. */
  readonly hWindows: readonly number[];
  readonly wWindows: readonly number[];
  /** The Reshape target when the reduction drops axes (0 keeps a symbolic batch), else empty. */
  readonly squeezeTo: readonly number[];
  readonly dtype: DataType;
  /** The pooled mean times this is the spatial sum (ReduceSum), else 1. */
  readonly factor: number;
}

/**
 * Plans a mean (or sum) over some of C, H, W of a 4-D float tensor (static but for the batch) as DLA layers: a 1×1 Conv
 * with weights 1/C (1 for a sum) for the channel axis, non-overlapping AveragePools (windows ≤ 8
 * multiplying to the extent) for H and W, and for a sum a Mul by the pooled count. Undefined when an
 * extent has a prime factor above 7.
 */
export function planMeanAsPool(f: GraphFacts, node: Node, x: string, axes: readonly number[], keepdims: boolean, sum: boolean): ReduceToPoolRewrite | undefined {
  const shape = f.batchShape(x);
  const dtype = f.dtype(x);
  const y = node.outputs[0];
  if (shape === undefined || shape.rest.length !== 3 || dtype === undefined || !isFloatType(dtype) || y === undefined) return undefined;
  const set = new Set(axes);
  if (set.size === 0 || set.has(0) || [...set].some((a) => a < 0 || a > 3)) return undefined;
  const [c, h, w] = shape.rest as [number, number, number];
  const hWindows = set.has(2) ? averageFactors(h) : [];
  const wWindows = set.has(3) ? averageFactors(w) : [];
  if (hWindows === undefined || wWindows === undefined) return undefined;
  const channels = set.has(1) && c > 1 ? c : 0;
  const factor = sum ? (set.has(2) ? h : 1) * (set.has(3) ? w : 1) : 1;
  if (channels === 0 && hWindows.length === 0 && wWindows.length === 0 && factor === 1) return undefined;
  const squeezeTo = keepdims ? [] : f.reshapeTarget(x, y);
  if (squeezeTo === undefined) return undefined;
  const parts = [channels > 0 ? `1×1 Conv over ${c} channels${sum ? '' : ' (weights 1/C)'}` : '', hWindows.length + wWindows.length > 0 ? `AveragePool ${averageSteps(hWindows, wWindows).map((s) => s.kernel.join('x')).join(' → ')}` : '', factor !== 1 ? `× ${factor}` : '']
    .filter((p) => p !== '')
    .join(', ');
  return { nodes: [nodeKey(node)], summary: `${nodeLabel(node)} over axes [${[...set].sort().join(',')}] → ${parts}`, channels, channelWeight: sum ? 1 : 1 / c, hWindows, wWindows, squeezeTo, dtype, factor };
}

/** Emits the planned chain; the last node writes the reduction's output. */
export function emitMeanAsPool(e: Emitter, r: ReduceToPoolRewrite, x: string, y: string): void {
  const dtype = r.dtype;
  const steps: ((input: string, out?: string) => string)[] = [];
  if (r.channels > 0) {
    const w = e.floats('mean_w', [1, r.channels, 1, 1], new Array<number>(r.channels).fill(r.channelWeight), dtype);
    steps.push((input, out) => e.conv(input, w, undefined, { kernel: [1, 1] }, out));
  }
  for (const s of averageSteps(r.hWindows, r.wWindows)) steps.push((input, out) => e.pool('AveragePool', input, s.kernel, s.strides, out));
  if (r.factor !== 1) {
    const k = e.scalar('count', r.factor, dtype);
    steps.push((input, out) => e.binary('Mul', input, k, out));
  }
  if (r.squeezeTo.length > 0) steps.push((input, out) => e.reshape(input, r.squeezeTo, out));
  let cur = x;
  steps.forEach((step, i) => {
    cur = step(cur, i === steps.length - 1 ? y : undefined);
  });
}

/**
 * R-RMEAN / R-GAP: ReduceMean over H and/or W (and/or C) of a static 4-D tensor, and GlobalAveragePool,
 * become AveragePools with windows ≤ 8 (a chain where the extent is larger) and, for C, a 1×1 Conv
 * with weights 1/C. resnet50's 7×7 mean becomes one 7×7 AveragePool.
 */
export const CONVERT_REDUCE_MEAN_TO_POOL = definePass<ReduceToPoolRewrite>({
  name: 'convert-reduce-mean-to-pool',
  kind: 'conversion',
  summary: 'turns ReduceMean over H/W/C and GlobalAveragePool of 4-D tensors into AveragePool chains and 1×1 Convs',
  recipes: ['R-RMEAN', 'R-GAP'],
  find(facts) {
    const out: ReduceToPoolRewrite[] = [];
    for (const node of facts.nodes) {
      const x = node.input(0);
      if (x === undefined || node.domain !== '') continue;
      let r: ReduceToPoolRewrite | undefined;
      if (node.op === 'GlobalAveragePool') r = planMeanAsPool(facts, node, x, [2, 3], true, false);
      else if (node.op === 'ReduceMean') {
        const axes = facts.axes(node, 1, 4);
        if (axes === undefined || axes === 'dynamic') continue;
        r = planMeanAsPool(facts, node, x, axes, node.attrs.int('keepdims', 1) === 1, false);
      }
      if (r !== undefined) out.push(r);
    }
    return out;
  },
  rewrite: replaceEachNode((e, node, r) => {
    emitMeanAsPool(e, r, node.inputs[0]!, node.outputs[0]!);
  }),
});

/** ReduceMean / GlobalAveragePool → AveragePool chains and 1×1 Convs. */
export function convertReduceMeanToPool(model: Model): Model {
  return CONVERT_REDUCE_MEAN_TO_POOL.run(model).model;
}
