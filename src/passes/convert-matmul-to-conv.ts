import { isFloatType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Dim } from '../ir/types.js';
import { tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { opHasTrait } from '../ops/registry.js';
import { definePass, type Rewrite } from './pass.js';
import { shapesEqual } from './remove-no-ops.js';

export interface MatMulToConvRewrite extends Rewrite {
  /** `fc`: [N,K] rows of an [N,K,1,1] map; `tokens`: [N,H·W,K] tokens of an [N,K,H,W] map. */
  readonly form: 'fc' | 'tokens';
  /** The 4-D tensor the 1×1 Conv reads. */
  readonly source: string;
  /** Its batch (0 where symbolic: the Reshape back copies it), and H, W. */
  readonly batch: number;
  readonly spatial: readonly [number, number];
  /** Output features. */
  readonly m: number;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  /** Whether nodes[1] is an Add whose constant (input `addInput`) becomes the bias. */
  readonly add: boolean;
  readonly addInput: number;
  /** View nodes (reshape/transpose) that only fed the MatMul and go with it. */
  readonly views: readonly string[];
}

/**
 * R-FC: MatMul/Gemm with constant B becomes a 1×1 Conv with weights Bᵀ reshaped to (M, K, 1, 1) and the
 * bias from Gemm's C or a following Add. Two layouts of the activations qualify: rows of an [N,K,1,1]
 * map seen through Squeeze/Flatten/Reshape (classifier heads), and tokens of an [N,K,H,W] map seen
 * through flatten(2)+transpose(1,2) (SegFormer-style MLP heads). The result is reshaped back to the
 * MatMul's layout; `merge-shape-ops` cancels that against the next layer's view.
 */
export const CONVERT_MATMUL_TO_CONV = definePass<MatMulToConvRewrite>({
  name: 'convert-matmul-to-conv',
  kind: 'conversion',
  summary: 'turns MatMul/Gemm with constant weights on flattened 4-D maps into 1×1 Convs',
  recipes: ['R-FC'],
  find(facts) {
    const out: MatMulToConvRewrite[] = [];
    for (const node of facts.nodes) {
      const r = plan(facts, node);
      if (r !== undefined) out.push(r);
    }
    return out;
  },
  rewrite(edit, r) {
    const mm = edit.node(r.nodes[0]!);
    const add = r.add ? edit.node(r.nodes[1]!) : undefined;
    const b = edit.constant(mm.inputs[1]!);
    const bv = tensorValues(b);
    const [rows, cols] = b.dims as [number, number];
    const k = r.transB ? cols : rows;
    const m = r.m;
    const w = new Array<number>(m * k);
    for (let o = 0; o < m; o++) for (let i = 0; i < k; i++) w[o * k + i] = r.alpha * (r.transB ? bv[o * cols + i]! : bv[i * cols + o]!);
    const bias = new Array<number>(m).fill(0);
    let hasBias = false;
    const addVector = (name: string | undefined, scale: number): void => {
      if (name === undefined) return;
      const v = edit.values(name);
      for (let o = 0; o < m; o++) bias[o]! += scale * (v.length === 1 ? v[0]! : v[o]!);
      hasBias = true;
    };
    if (mm.op === 'Gemm') addVector(mm.input(2), r.beta);
    if (add !== undefined) addVector(add.inputs[r.addInput], 1);
    const y = (add ?? mm).outputs[0]!;
    const e = edit.emitter(mm.name || mm.op);
    const wName = e.initializer('W', tensorFromValues(b.dtype, [m, k, 1, 1], w));
    const bName = hasBias ? e.floats('B', [m], bias, b.dtype) : undefined;
    const conv = e.conv(r.source, wName, bName, { kernel: [1, 1] });
    const [h, wd] = r.spatial;
    if (r.form === 'fc') e.reshape(conv, [r.batch, m], y);
    else e.transpose(e.reshape(conv, [r.batch, m, h * wd]), [0, 2, 1], y);
    edit.replace([mm, ...(add ? [add] : []), ...r.views.map((v) => edit.node(v))], e.nodes);
  },
});

function plan(f: GraphFacts, mm: Node): MatMulToConvRewrite | undefined {
  if ((mm.op !== 'MatMul' && mm.op !== 'Gemm') || mm.domain !== '') return undefined;
  const a = mm.input(0);
  const b = f.constant(mm.input(1));
  if (a === undefined || b === undefined || b.dims.length !== 2 || !isFloatType(b.dtype) || f.isConstant(a)) return undefined;
  const gemm = mm.op === 'Gemm';
  if (gemm && mm.attrs.int('transA', 0) !== 0) return undefined;
  const transB = gemm && mm.attrs.int('transB', 0) === 1;
  const m = transB ? b.dims[0]! : b.dims[1]!;
  const k = transB ? b.dims[1]! : b.dims[0]!;
  if (gemm && mm.input(2) !== undefined && !perOutput(f, mm.input(2)!, m)) return undefined;
  const aShape = f.shape(a);
  if (aShape === undefined || aShape.at(-1) !== k) return undefined;
  const view = aShape.length === 2 ? fcSource(f, a) : aShape.length === 3 ? tokenSource(f, a) : undefined;
  const src = view === undefined ? undefined : f.batchShape(view.source);
  if (view === undefined || src === undefined || f.dtype(view.source) !== b.dtype) return undefined;
  const y = mm.outputs[0]!;
  let add: Node | undefined;
  let addInput = -1;
  const next = f.soleConsumer(y);
  if (next?.op === 'Add' && next.domain === '' && next.inputs.length === 2) {
    addInput = next.input(0) === y ? 1 : 0;
    const c = next.input(addInput);
    if (next.input(1 - addInput) === y && c !== undefined && perOutput(f, c, m, aShape.length)) add = next;
  }
  const nodes = [mm, ...(add ? [add] : [])];
  if (!f.claim([...nodes, ...view.views])) return undefined;
  return {
    nodes: nodes.map(nodeKey),
    summary: `${nodeLabel(mm)}${add ? ` + ${nodeLabel(add)}` : ''} on ${view.form === 'fc' ? 'a flattened' : 'the tokens of a'} [${[src.batch, ...src.rest].join(',')}] map → 1×1 Conv (${k}→${m})`,
    form: view.form,
    source: view.source,
    batch: typeof src.batch === 'number' ? src.batch : 0,
    spatial: [src.rest[1]!, src.rest[2]!],
    m,
    transB,
    alpha: gemm ? mm.attrs.float('alpha', 1) : 1,
    beta: gemm ? mm.attrs.float('beta', 1) : 1,
    add: add !== undefined,
    addInput,
    views: view.views.map(nodeKey),
  };
}

interface View {
  form: 'fc' | 'tokens';
  source: string;
  views: Node[];
}

/** A [N,K] tensor that is a reshape of an [N,K,1,1] map. */
function fcSource(f: GraphFacts, a: string): View | undefined {
  const p = f.producer(a);
  const x = p?.input(0);
  if (p === undefined || x === undefined || !opHasTrait(p.op, 'reshape') || p.domain !== '') return undefined;
  const s = f.batchShape(x);
  const as = f.shape(a)!;
  if (s === undefined || s.rest.length !== 3 || s.batch !== as[0] || s.rest[0] !== as[1] || s.rest[1] !== 1 || s.rest[2] !== 1) return undefined;
  return { form: 'fc', source: x, views: f.soleConsumer(a) ? [p] : [] };
}

/** A [N,H·W,K] tensor holding the pixels of an [N,K,H,W] map as tokens (flatten(2).transpose(1,2), or NHWC + reshape). */
function tokenSource(f: GraphFacts, a: string): View | undefined {
  const [n, l, k] = f.shape(a)! as [Dim, Dim, Dim];
  const p = f.producer(a);
  const mid = p?.input(0);
  if (p === undefined || mid === undefined || p.domain !== '' || n === null) return undefined;
  const q = f.producer(mid);
  const x = q?.input(0);
  if (q === undefined || x === undefined || q.domain !== '') return undefined;
  const s = f.batchShape(x);
  if (s === undefined || s.rest.length !== 3 || s.batch !== n || s.rest[1]! * s.rest[2]! !== l || s.rest[0] !== k) return undefined;
  const views = (f.soleConsumer(a) ? [p] : []).concat(f.soleConsumer(a) && f.soleConsumer(mid) === p ? [q] : []);
  // x [N,K,H,W] → reshape [N,K,L] → transpose [0,2,1]
  if (p.op === 'Transpose' && same(p.attrs.ints('perm'), [0, 2, 1]) && opHasTrait(q.op, 'reshape') && shapesEqual(f.shape(mid), [n, k, l])) return { form: 'tokens', source: x, views };
  // x [N,K,H,W] → transpose [0,2,3,1] → reshape [N,L,K]
  if (opHasTrait(p.op, 'reshape') && q.op === 'Transpose' && same(q.attrs.ints('perm'), [0, 2, 3, 1])) return { form: 'tokens', source: x, views };
  return undefined;
}

/** A constant that adds one value per output feature without growing the result: shape [], [1], [M], [1,M], [1,1,M]. */
function perOutput(f: GraphFacts, name: string, m: number, rank = 2): boolean {
  const t = f.constant(name);
  if (t === undefined || t.dims.length > rank) return false;
  return t.dims.every((d, i) => d === 1 || (d === m && i === t.dims.length - 1));
}

function same(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** MatMul/Gemm with constant weights on flattened maps → 1×1 Convs. */
export function convertMatMulToConv(model: Model): Model {
  return CONVERT_MATMUL_TO_CONV.run(model).model;
}
