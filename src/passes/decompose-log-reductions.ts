import { isFloatType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, replaceEachNode, findEachNode, type Rewrite } from './pass.js';

export interface LogReductionRewrite extends Rewrite {
  readonly op: 'LogSoftmax' | 'ReduceLogSum' | 'ReduceLogSumExp';
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

/**
 * R-NORM's log reductions, written out: LogSoftmax = (x − m) − log Σ exp(x − m), ReduceLogSum =
 * log Σ x, ReduceLogSumExp = log Σ exp(x − m) + m, with m the max over the axes. (R-OPS writes
 * LogSoftmax as Log∘Softmax; subtracting the max instead keeps the result finite where the softmax
 * would underflow, so the function is the same for every input.) Log and Exp are GPU layers through
 * TensorRT 8.6, so `prepare` keeps these only where the target's analysis sees a gain.
 */
export const DECOMPOSE_LOG_REDUCTIONS = definePass<LogReductionRewrite>({
  name: 'decompose-log-reductions',
  kind: 'reconstruction',
  summary: 'writes LogSoftmax, ReduceLogSum and ReduceLogSumExp out as ReduceMax, Sub, Exp, ReduceSum and Log',
  recipes: ['R-NORM'],
  find: findEachNode(plan),
  rewrite: replaceEachNode((e, node, r) => {
    const x = node.inputs[0]!;
    const y = node.outputs[0]!;
    if (r.op === 'ReduceLogSum') {
      e.unary('Log', e.reduce('ReduceSum', x, r.axes, r.keepdims), y);
    } else {
      const shifted = e.binary('Sub', x, e.reduce('ReduceMax', x, r.axes, true));
      const logSum = e.unary('Log', e.reduce('ReduceSum', e.unary('Exp', shifted), r.axes, r.op === 'LogSoftmax' || r.keepdims));
      if (r.op === 'LogSoftmax') e.binary('Sub', shifted, logSum, y);
      else e.binary('Add', logSum, e.reduce('ReduceMax', x, r.axes, r.keepdims), y);
    }
  }),
});

function plan(f: GraphFacts, node: Node): LogReductionRewrite | undefined {
  const op = node.op;
  if (node.domain !== '' || (op !== 'LogSoftmax' && op !== 'ReduceLogSum' && op !== 'ReduceLogSumExp')) return undefined;
  const x = node.input(0);
  const rank = x === undefined ? undefined : f.rank(x);
  const dtype = x === undefined ? undefined : f.dtype(x);
  if (x === undefined || rank === undefined || rank === 0 || dtype === undefined || !isFloatType(dtype)) return undefined;
  let axes: number[];
  let keepdims = true;
  if (op === 'LogSoftmax') {
    const raw = node.attrs.int('axis', f.opset >= 13 ? -1 : 1);
    const axis = raw < 0 ? raw + rank : raw;
    // before opset 13 the axis meant "flatten from here"; the same only for the last axis
    if (f.opset < 13 && axis !== rank - 1) return undefined;
    axes = [axis];
  } else {
    const found = f.axes(node, 1, rank);
    if (found === 'dynamic') return undefined;
    if (found === undefined || found.length === 0) {
      if (node.attrs.int('noop_with_empty_axes', 0) === 1) return undefined;
      axes = Array.from({ length: rank }, (_, i) => i);
    } else axes = found;
    keepdims = node.attrs.int('keepdims', 1) === 1;
  }
  return { nodes: [nodeKey(node)], summary: `${nodeLabel(node)} over axes [${axes.join(',')}] → ${op === 'ReduceLogSum' ? 'ReduceSum + Log' : 'ReduceMax, Sub, Exp, ReduceSum, Log'}`, op, axes, keepdims };
}

/** LogSoftmax / ReduceLogSum / ReduceLogSumExp → elementary ops. */
export function decomposeLogReductions(model: Model): Model {
  return DECOMPOSE_LOG_REDUCTIONS.run(model).model;
}
