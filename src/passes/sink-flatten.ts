import { attr } from '../ir/attribute.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import { tensorValues } from '../ir/tensor-values.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { opHasTrait } from '../ops/registry.js';
import { definePass, type Rewrite } from './pass.js';
import { isUnaryElementwise } from './op-traits.js';

export interface SinkFlattenRewrite extends Rewrite {
  /** The [N, C, 1, 1] tensor the flatten read. */
  readonly source: string;
  /** The Reshape target back to [N, C] (0 keeps a symbolic batch). */
  readonly flat: readonly number[];
  readonly rank: number;
  /** Per-channel constant operand of a binary op, reshaped to [1, C, 1, 1]; empty otherwise. */
  readonly operand: readonly number[];
  readonly operandInput: number;
}

/**
 * Moves a flatten of an [N, C, 1, 1] tensor to [N, C] below the op that reads it (an elementwise op,
 * Softmax over C, or an elementwise op with a per-channel constant), so that chains of fully-connected
 * layers stay 4-D until `convert-matmul-to-conv` turns them into 1×1 Convs (R-FC: drop the Squeeze,
 * Softmax on axis 1).
 */
export const SINK_FLATTEN = definePass<SinkFlattenRewrite>({
  name: 'sink-flatten',
  kind: 'fusion',
  summary: 'moves a flatten of an [N,C,1,1] tensor below elementwise ops and Softmax, keeping classifier heads 4-D',
  recipes: ['R-FC'],
  find(facts) {
    const out: SinkFlattenRewrite[] = [];
    for (const flat of facts.nodes) {
      const r = plan(facts, flat);
      if (r !== undefined) out.push(r);
    }
    return out;
  },
  rewrite(edit, r) {
    const flat = edit.node(r.nodes[0]!);
    const op = edit.node(r.nodes[1]!);
    const y = op.outputs[0]!;
    const e = edit.emitter(op.name || op.op);
    const inputs = [...op.inputs];
    inputs[op.inputs.indexOf(flat.outputs[0]!)] = r.source;
    if (r.operand.length > 0) {
      const c = edit.constant(op.inputs[r.operandInput]!);
      const dims = [1, r.operand.length, ...new Array<number>(r.rank - 2).fill(1)];
      inputs[r.operandInput] = e.floats('channel_const', dims, r.operand, c.dtype);
    }
    const attrs = Object.fromEntries(op.attrs);
    if (op.op === 'Softmax' || op.op === 'LogSoftmax') attrs['axis'] = attr.int(1);
    const moved = e.op1(op.op, inputs, attrs);
    e.reshape(moved, r.flat, y);
    edit.replace([flat, op], e.nodes);
  },
});

function plan(f: GraphFacts, flat: Node): SinkFlattenRewrite | undefined {
  if (!opHasTrait(flat.op, 'reshape') || flat.op === 'Unsqueeze' || flat.domain !== '') return undefined;
  const x = flat.input(0);
  const mid = flat.outputs[0]!;
  const src = x === undefined ? undefined : f.batchShape(x);
  const flatShape = f.shape(mid);
  if (x === undefined || src === undefined || flatShape?.length !== 2 || src.rest.length < 2 || src.rest.slice(1).some((d) => d !== 1)) return undefined;
  if (flatShape[0] !== src.batch || flatShape[1] !== src.rest[0]) return undefined;
  const target = f.reshapeTarget(x, mid);
  if (target === undefined) return undefined;
  const op = f.soleConsumer(mid);
  if (op === undefined || op.domain !== '' || op.outputs.length !== 1) return undefined;
  const c = src.rest[0]!;
  let operand: number[] = [];
  let operandInput = -1;
  if (op.op === 'Softmax' || op.op === 'LogSoftmax') {
    const axis = op.attrs.int('axis', f.opset >= 13 ? -1 : 1);
    if (axis !== 1 && axis !== -1) return undefined;
  } else if (op.op === 'Add' || op.op === 'Sub' || op.op === 'Mul' || op.op === 'Div') {
    operandInput = op.input(0) === mid ? 1 : 0;
    if (op.input(1 - operandInput) !== mid) return undefined;
    const t = f.constant(op.input(operandInput));
    if (t === undefined || t.dims.length > 2 || t.dims.some((d, i) => d !== 1 && !(d === c && i === t.dims.length - 1))) return undefined;
    const v = tensorValues(t);
    operand = v.length === c ? v : new Array<number>(c).fill(v[0]!);
  } else if (op.op === 'Clip') {
    if (op.input(0) !== mid || op.inputs.slice(1).some((i) => i !== '' && (!f.isConstant(i) || f.constant(i)!.size !== 1))) return undefined;
  } else if (!isUnaryElementwise(op, f.opset) || op.input(0) !== mid) {
    return undefined;
  }
  if (!f.claim([flat, op])) return undefined;
  return {
    nodes: [nodeKey(flat), nodeKey(op)],
    summary: `${nodeLabel(flat)} moved below ${nodeLabel(op)}`,
    source: x,
    flat: target,
    rank: src.rest.length + 1,
    operand,
    operandInput,
  };
}

/** Moves flattens of [N,C,1,1] tensors below elementwise ops and Softmax. */
export function sinkFlatten(model: Model): Model {
  return SINK_FLATTEN.run(model).model;
}
