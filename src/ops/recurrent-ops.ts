import { quote } from '../util/text.js';
import type { Dim } from '../ir/types.js';
import { defineOp, spec } from './define.js';
import type { CostContext, InferContext, InferredOutput, OpInfo } from './types.js';

/**
 * RNN, GRU and LSTM. X is [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1, opset 14);
 * W is [dirs, gates·hidden, input], R is [dirs, gates·hidden, hidden]. Outputs: Y [seq, dirs, batch,
 * hidden] (layout 1: [batch, seq, dirs, hidden]) and the last states Y_h (and LSTM's Y_c) [dirs, batch,
 * hidden] (layout 1: [batch, dirs, hidden]).
 */

/** Gate matrices stacked in W and R. */
const GATES = { RNN: 1, GRU: 3, LSTM: 4 } as const;

/** Elementwise steps per gate element and time step besides the matrix products (bias adds, activations, gate arithmetic). */
const STEP_FLOPS = { RNN: 3, GRU: 6, LSTM: 6 } as const;

type Cell = keyof typeof GATES;

function inferRecurrent(cell: Cell) {
  return (ctx: InferContext): (InferredOutput | undefined)[] => {
    const x = ctx.shape(0);
    const w = ctx.shape(1);
    const layout = ctx.int('layout') ?? 0;
    const dirs = ctx.string('direction') === 'bidirectional' ? 2 : 1;
    if (x !== undefined && x.length !== 3) ctx.fail(`X must be 3-D [seq, batch, input], got rank ${x.length}`);
    if (w !== undefined && w.length === 3 && typeof w[0] === 'number' && w[0] !== dirs) {
      ctx.fail(`W has ${w[0]} directions, but direction ${quote(ctx.string('direction') ?? 'forward')} needs ${dirs}`);
    }
    let hidden: Dim = ctx.int('hidden_size') ?? null;
    if (hidden === null && w !== undefined && typeof w[1] === 'number') hidden = w[1] / GATES[cell];
    const seq: Dim = x === undefined ? null : (layout === 0 ? x[0] : x[1]) ?? null;
    const batch: Dim = x === undefined ? null : (layout === 0 ? x[1] : x[0]) ?? null;
    const dtype = ctx.dtype(0);
    const y: InferredOutput = { dtype, shape: layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden] };
    const state: InferredOutput = { dtype, shape: layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden] };
    return cell === 'LSTM' ? [y, state, state] : [y, state];
  };
}

function recurrentCost(cell: Cell) {
  return (c: CostContext): { macs: number; flops: number } | undefined => {
    const x = c.inputs[0];
    const w = c.inputs[1];
    if (x === undefined || w === undefined || x.length !== 3 || w.length !== 3) return undefined;
    const layout = c.int('layout') ?? 0;
    const [seq, batch] = layout === 0 ? [x[0]!, x[1]!] : [x[1]!, x[0]!];
    const input = x[2]!;
    const dirs = w[0]!;
    const gateRows = w[1]!; // gates · hidden
    const hidden = gateRows / GATES[cell];
    // per step and direction: W·x (gateRows × input) and R·h (gateRows × hidden) for every batch row
    const macs = seq * dirs * batch * gateRows * (input + hidden);
    return { macs, flops: 2 * macs + seq * dirs * batch * gateRows * STEP_FLOPS[cell] };
  };
}

function recurrentRow(cell: Cell, since: number): OpInfo {
  return defineOp({
    op: cell,
    since,
    inputs: ['X', 'W:weight', 'R:weight', 'B?:weight', 'sequence_lens?:config', 'initial_h?', ...(cell === 'LSTM' ? ['initial_c?', 'P?:weight'] : [])],
    outputs: cell === 'LSTM' ? ['Y?', 'Y_h?', 'Y_c?'] : ['Y?', 'Y_h?'],
    attrs: {
      activation_alpha: spec.floats(),
      activation_beta: spec.floats(),
      activations: spec.strings(),
      clip: spec.float(),
      direction: spec.string('forward'),
      hidden_size: spec.int(),
      layout: spec.int(0),
      ...(cell === 'GRU' ? { linear_before_reset: spec.int(0) } : {}),
      ...(cell === 'LSTM' ? { input_forget: spec.int(0) } : {}),
    },
    traits: { category: 'recurrent' },
    infer: inferRecurrent(cell),
    cost: recurrentCost(cell),
  });
}

export const RECURRENT_OPS: readonly OpInfo[] = (['RNN', 'GRU', 'LSTM'] as const).flatMap((cell) => [recurrentRow(cell, 7), recurrentRow(cell, 14)]);
