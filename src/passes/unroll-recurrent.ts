import { isFloatType, type DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Emitter } from './graph-edit.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, replaceEachNode, findEachNode, type Rewrite } from './pass.js';

export type RecurrentCell = 'GRU' | 'LSTM' | 'RNN';

export interface UnrollRewrite extends Rewrite {
  readonly cell: RecurrentCell;
  /** ONNX `layout`: 0 = [seq, batch, ...], 1 = [batch, seq, ...]. */
  readonly layout: 0 | 1;
  readonly seq: number;
  readonly batch: number;
  readonly hidden: number;
  readonly inputSize: number;
  /** f, g (and h for LSTM), each Sigmoid, Tanh or Relu. */
  readonly activations: readonly string[];
  readonly linearBeforeReset: boolean;
  readonly dtype: DataType;
}

/** The graph grows by about ten nodes a step; longer sequences stay as they are. */
const MAX_STEPS = 128;
const GATES: Readonly<Record<RecurrentCell, number>> = { GRU: 3, LSTM: 4, RNN: 1 };
const DEFAULT_ACTIVATIONS: Readonly<Record<RecurrentCell, readonly string[]>> = { GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'], RNN: ['Tanh'] };
const DLA_ACTIVATIONS: ReadonlySet<string> = new Set(['Sigmoid', 'Tanh', 'Relu']);

/**
 * R-GRU (and LSTM, RNN "unrolled similarly"): a forward GRU/LSTM/RNN with constant weights and a static
 * sequence length becomes per-step 1×1 Convs on [batch, features, 1, 1] maps. The input projections of
 * all steps are one Conv over the sequence laid out along H, sliced per step; biases of gates that add
 * up are merged; 1 − z is (z + (−1))·(−1); the first step without initial state drops its recurrent
 * Convs. Conditions: direction forward, no clip, no activation_alpha/beta, activations in {Sigmoid,
 * Tanh, Relu}, no sequence_lens, no LSTM peepholes or input_forget, at most 128 steps.
 */
export const UNROLL_RECURRENT = definePass<UnrollRewrite>({
  name: 'unroll-recurrent',
  kind: 'reconstruction',
  summary: 'unrolls forward GRU/LSTM/RNN with constant weights into per-step 1×1 Convs and elementwise ops',
  recipes: ['R-GRU'],
  find: findEachNode(plan),
  rewrite: replaceEachNode((e, node, r, edit) => {
    new Unroller(e, r, node, {
      w: edit.values(node.inputs[1]!),
      r: edit.values(node.inputs[2]!),
      b: node.input(3) === undefined ? new Array<number>(2 * GATES[r.cell] * r.hidden).fill(0) : edit.values(node.inputs[3]!),
    }).emit();
  }),
});

function plan(f: GraphFacts, node: Node): UnrollRewrite | undefined {
  if (!(node.op === 'GRU' || node.op === 'LSTM' || node.op === 'RNN') || node.domain !== '') return undefined;
  const cell: RecurrentCell = node.op;
  const a = node.attrs;
  if (a.string('direction', 'forward') !== 'forward' || a.has('clip') || a.has('activation_alpha') || a.has('activation_beta')) return undefined;
  if (cell === 'LSTM' && (a.int('input_forget', 0) !== 0 || node.input(7) !== undefined)) return undefined;
  const lbr = cell === 'GRU' && a.int('linear_before_reset', 0) !== 0;
  const activations = a.strings('activations') ?? DEFAULT_ACTIVATIONS[cell];
  if (activations.length !== DEFAULT_ACTIVATIONS[cell].length || activations.some((x) => !DLA_ACTIVATIONS.has(x))) return undefined;
  const layout = a.int('layout', 0) === 1 ? 1 : 0;
  const x = node.input(0);
  const shape = x === undefined ? undefined : f.staticShape(x);
  const dtype = x === undefined ? undefined : f.dtype(x);
  const w = f.constant(node.input(1));
  const rw = f.constant(node.input(2));
  if (shape?.length !== 3 || dtype === undefined || !isFloatType(dtype) || w === undefined || rw === undefined) return undefined;
  if (node.input(3) !== undefined && !f.isConstant(node.input(3))) return undefined;
  const [seq, batch, inputSize] = layout === 0 ? (shape as [number, number, number]) : ([shape[1], shape[0], shape[2]] as [number, number, number]);
  const lens = node.input(4);
  if (lens !== undefined && !(f.values(lens)?.every((v) => v === seq) ?? false)) return undefined;
  const hidden = rw.dims[2];
  const g = GATES[cell];
  if (hidden === undefined || w.dims[0] !== 1 || w.dims[1] !== g * hidden || w.dims[2] !== inputSize || seq < 1 || seq > MAX_STEPS) return undefined;
  return {
    nodes: [nodeKey(node)],
    summary: `${nodeLabel(node)} (${seq} steps, hidden ${hidden}) → ${seq} unrolled steps of 1×1 Convs`,
    cell,
    layout,
    seq,
    batch,
    hidden,
    inputSize,
    activations,
    linearBeforeReset: lbr,
    dtype,
  };
}

interface Weights {
  w: number[];
  r: number[];
  b: number[];
}

/** Emits one unrolled recurrence; state tensors are [batch, hidden, 1, 1]. */
class Unroller {
  readonly #h: number;
  readonly #g: number;

  constructor(
    readonly e: Emitter,
    readonly p: UnrollRewrite,
    readonly node: Node,
    readonly weights: Weights,
  ) {
    this.#h = p.hidden;
    this.#g = GATES[p.cell];
  }

  emit(): void {
    const { e, p, node } = this;
    const H = this.#h;
    const G = this.#g;
    const { w, b } = this.weights;
    // biases that only add up go into the input projection; GRU's Rb_h under linear_before_reset stays with R
    const xBias = Array.from({ length: G * H }, (_, i) => b[i]! + (p.linearBeforeReset && i >= 2 * H ? 0 : b[G * H + i]!));
    const x4 = p.layout === 0 ? e.transpose(e.reshape(node.inputs[0]!, [p.seq, p.batch, p.inputSize, 1]), [1, 2, 0, 3]) : e.transpose(e.reshape(node.inputs[0]!, [p.batch, p.seq, p.inputSize, 1]), [0, 2, 1, 3]);
    const xp = e.conv(x4, e.floats('W', [G * H, p.inputSize, 1, 1], w, p.dtype), e.floats('WB', [G * H], xBias, p.dtype), { kernel: [1, 1] });
    const stateShape = [p.batch, H, 1, 1];
    let h = node.input(5) === undefined ? undefined : e.reshape(node.inputs[5]!, stateShape);
    let c = p.cell === 'LSTM' && node.input(6) !== undefined ? e.reshape(node.inputs[6]!, stateShape) : undefined;
    const hs: string[] = [];
    for (let t = 0; t < p.seq; t++) {
      const xt = p.seq === 1 ? xp : e.slice(xp, [t], [t + 1], [2]);
      const parts = G === 1 ? [xt] : e.split(xt, new Array<number>(G).fill(H), 1);
      if (p.cell === 'RNN') h = this.act(0, h === undefined ? parts[0]! : e.binary('Add', parts[0]!, this.rConv(h, 0, 1)));
      else if (p.cell === 'GRU') h = this.gru(parts, h);
      else [h, c] = this.lstm(parts, h, c);
      hs.push(h);
    }
    const [y, yh, yc] = [0, 1, 2].map((i) => node.outputs[i]);
    const used = (name: string | undefined): name is string => name !== undefined && name !== '';
    if (used(y)) {
      const cat = p.seq === 1 ? hs[0]! : e.concat(hs, 2);
      if (p.layout === 0) e.reshape(e.transpose(cat, [2, 0, 1, 3]), [p.seq, 1, p.batch, H], y);
      else e.reshape(e.transpose(cat, [0, 2, 1, 3]), [p.batch, p.seq, 1, H], y);
    }
    const last = p.layout === 0 ? [1, p.batch, H] : [p.batch, 1, H];
    if (used(yh)) e.reshape(h!, last, yh);
    if (used(yc) && c !== undefined) e.reshape(c, last, yc);
  }

  /** Activation number i of the cell. */
  act(i: number, x: string): string {
    return this.e.unary(this.p.activations[i]!, x);
  }

  /** A 1×1 Conv of the state with R's gate rows [from, to) (× hidden), with an optional bias. */
  rConv(h: string, from: number, to: number, bias?: number[]): string {
    const H = this.#h;
    const rows = this.weights.r.slice(from * H * H, to * H * H);
    const e = this.e;
    const b = bias === undefined ? undefined : e.floats('RB', [(to - from) * H], bias, this.p.dtype);
    return e.conv(h, e.floats('R', [(to - from) * H, H, 1, 1], rows, this.p.dtype), b, { kernel: [1, 1] });
  }

  /** z, r, h gates (ONNX order); H' = (1 − z) ⊙ h̃ + z ⊙ H. */
  gru(parts: string[], h: string | undefined): string {
    const { e, p } = this;
    const H = this.#h;
    const [xz, xr, xh] = parts as [string, string, string];
    const rbh = this.weights.b.slice(5 * H, 6 * H);
    let z: string;
    let hh: string;
    if (h === undefined) {
      z = this.act(0, xz);
      hh = p.linearBeforeReset ? this.act(1, e.binary('Add', xh, e.binary('Mul', this.act(0, xr), e.floats('RBh', [1, H, 1, 1], rbh, p.dtype)))) : this.act(1, xh);
    } else if (p.linearBeforeReset) {
      const [rz, rr, rh] = e.split(this.rConv(h, 0, 3, [...new Array<number>(2 * H).fill(0), ...rbh]), [H, H, H], 1) as [string, string, string];
      z = this.act(0, e.binary('Add', xz, rz));
      const r = this.act(0, e.binary('Add', xr, rr));
      hh = this.act(1, e.binary('Add', xh, e.binary('Mul', r, rh)));
    } else {
      const [rz, rr] = e.split(this.rConv(h, 0, 2), [H, H], 1) as [string, string];
      z = this.act(0, e.binary('Add', xz, rz));
      const r = this.act(0, e.binary('Add', xr, rr));
      hh = this.act(1, e.binary('Add', xh, this.rConv(e.binary('Mul', r, h), 2, 3)));
    }
    const oneMinusZ = e.binary('Mul', e.binary('Add', z, e.scalar('minus_one', -1, p.dtype)), e.scalar('minus_one', -1, p.dtype));
    const fresh = e.binary('Mul', oneMinusZ, hh);
    return h === undefined ? fresh : e.binary('Add', fresh, e.binary('Mul', z, h));
  }

  /** i, o, f, c gates (ONNX order); C' = f ⊙ C + i ⊙ c̃; H' = o ⊙ h(C'). */
  lstm(parts: string[], h: string | undefined, c: string | undefined): [string, string] {
    const e = this.e;
    const H = this.#h;
    const rp = h === undefined ? undefined : e.split(this.rConv(h, 0, 4), [H, H, H, H], 1);
    const pre = parts.map((x, i) => (rp === undefined ? x : e.binary('Add', x, rp[i]!)));
    const [i, o, f, cc] = [this.act(0, pre[0]!), this.act(0, pre[1]!), this.act(0, pre[2]!), this.act(1, pre[3]!)];
    const ic = e.binary('Mul', i, cc);
    const c2 = c === undefined ? ic : e.binary('Add', e.binary('Mul', f, c), ic);
    return [e.binary('Mul', o, this.act(2, c2)), c2];
  }
}

/** Forward GRU/LSTM/RNN with constant weights → unrolled 1×1 Convs. */
export function unrollRecurrent(model: Model): Model {
  return UNROLL_RECURRENT.run(model).model;
}

