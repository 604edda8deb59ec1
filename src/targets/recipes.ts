import type { Node } from '../ir/node.js';
import { ORIN_DLA_LIMITS } from './limits.js';
import { fmt, normAxis, quote, staticShape } from './rule-kit.js';
import type { RecipeId, RuleContext } from './types.js';

/**
 * The reconstruction recipes of the DLA support reference (section 3), with the conditions under which
 * each applies to a node. A fallback verdict carries the recipe as its fix when it applies, and says why
 * not when it does not. The rewrites themselves belong to passes/; this is what they may rely on.
 */

export type RecipeCheck = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly why: string };

export interface Recipe {
  readonly id: RecipeId;
  /** What the rewrite produces. */
  readonly summary: string;
  /** Where it comes from: R-REC scripts, R-OPS text, R-PREP, R-QDQ. */
  readonly source: string;
  /** Whether it applies to this node; undefined where the recipe is not a per-node fix. */
  readonly applies?: (node: Node, ctx: RuleContext) => RecipeCheck;
}

const yes = (text: string): RecipeCheck => ({ ok: true, text });
const no = (why: string): RecipeCheck => ({ ok: false, why });

/** Largest window a DLA pooling takes (P3); recipes on any profile use the Orin value, equal on both generations. */
const POOL_MAX = ORIN_DLA_LIMITS.pool.window[1];

/** Factors ≤ max whose product is n (a chain of poolings), or undefined when n has a larger prime factor. */
export function poolChain(n: number, max = POOL_MAX): number[] | undefined {
  if (n <= max) return [n];
  const out: number[] = [];
  let rest = n;
  for (let f = max; f >= 2 && rest > 1; ) {
    if (rest % f === 0) {
      out.push(f);
      rest /= f;
    } else f--;
  }
  return rest === 1 ? out : undefined;
}

function rank4(ctx: RuleContext, name: string | undefined): readonly number[] | undefined {
  const s = staticShape(ctx, name);
  return s !== undefined && s.length === 4 ? s : undefined;
}

function boolPair(node: Node, ctx: RuleContext, result: string): RecipeCheck {
  const inputs = node.inputs.filter((i) => i !== '');
  if (inputs.some((i) => ctx.isConstant(i))) return no('an input is constant (the recipe takes two variable tensors)');
  const shapes = inputs.map((i) => rank4(ctx, i));
  if (shapes.some((s) => s === undefined)) return no('inputs are not static 4-D tensors');
  if (shapes.length === 2 && fmt(shapes[0]) !== fmt(shapes[1])) return no(`input shapes differ (${fmt(shapes[0])} vs ${fmt(shapes[1])})`);
  return yes(`treat booleans as 0/1 floats: ${result}`);
}

function spatialReduce(extentH: number, extentW: number, what: string): RecipeCheck {
  const h = poolChain(extentH);
  const w = poolChain(extentW);
  if (h === undefined || w === undefined) return no(`extent ${extentH}x${extentW} does not factor into pooling windows ≤ ${POOL_MAX}`);
  if (h.length === 1 && w.length === 1) return yes(`${what} ${extentH}x${extentW} (window ≤ ${POOL_MAX})`);
  return yes(`a chain of ${what}s with windows ${h.map((x, i) => `${x}x${w[i] ?? 1}`).join(', ')}${w.length > h.length ? `, ${w.slice(h.length).map((x) => `1x${x}`).join(', ')}` : ''}`);
}

function reduceAxesOf(node: Node, ctx: RuleContext, rank: number): number[] | undefined {
  const attr = node.attrs.ints('axes');
  const input = node.input(1);
  const raw = attr ?? (input === undefined ? undefined : ctx.values(input));
  if (raw === undefined) return undefined;
  return raw.map((a) => normAxis(a, rank) ?? a);
}

function reduceRecipe(node: Node, ctx: RuleContext, mean: boolean): RecipeCheck {
  const s = rank4(ctx, node.input(0));
  if (s === undefined) return no('the input is not a static 4-D tensor');
  const axes = reduceAxesOf(node, ctx, 4);
  if (axes === undefined || axes.length === 0) return no('axes are not known at build time (or reduce everything, batch included)');
  if (axes.includes(0)) return no('it reduces the batch dim');
  const fcHead = node.attrs.int('keepdims', 1) !== 1;
  if (fcHead) {
    const users = ctx.consumers(node.outputs[0] ?? '');
    const fc = users.length > 0 && users.every((u) => (u.op === 'Gemm' || u.op === 'MatMul') && ctx.isConstant(u.input(1) ?? ''));
    if (!fc || axes.includes(1)) return no('keepdims = 0 changes the rank (a Shuffle that leaves 4-D)');
  }
  const parts: string[] = [];
  if (axes.includes(1)) parts.push(`a 1×1 Conv with ${mean ? `weights 1/${s[1]}` : 'all-ones weights'} (channel axis)`);
  const spatial = axes.filter((a) => a >= 2);
  if (spatial.length > 0) {
    const r = spatialReduce(spatial.includes(2) ? s[2]! : 1, spatial.includes(3) ? s[3]! : 1, 'AveragePool');
    if (!r.ok) return r;
    parts.push(mean ? r.text : `${r.text}, then a Scale by ${spatial.map((a) => s[a]!).reduce((a, b) => a * b, 1)}`);
  }
  return yes(`${parts.join(' and ')}${fcHead ? ', keeping 4-D; the following Gemm/MatMul becomes a 1×1 Conv (R-FC)' : ''}`);
}

const gatherLike = (node: Node, ctx: RuleContext): RecipeCheck => {
  const data = rank4(ctx, node.input(0));
  const indices = node.input(1);
  if (node.inputs.filter((i) => i !== '').length !== 2) return no('it has more than 2 inputs');
  if (data === undefined) return no('data is not a static 4-D tensor');
  if (indices === undefined || !ctx.isConstant(indices)) return no('indices are computed at run time');
  const ishape = ctx.shape(indices);
  if (node.op === 'Gather' && ishape?.length !== 1) return no(`indices are ${ishape?.length ?? '?'}-D (the recipe needs 1-D indices)`);
  const axis = normAxis(node.attrs.int('axis', 0), 4);
  if (axis === undefined || axis === 0) return no('it gathers along axis 0 (the recipe needs axis 1, 2 or 3)');
  const transpose = axis === 1 ? '' : ` after a Transpose bringing axis ${axis} to channels`;
  return yes(`a 1×1 Conv selecting channels${transpose}${node.op === 'Gather' ? '' : ' (GatherElements/GatherND "similarly": UNCONF)'}`);
};

/** Every recipe, by id: filled here and nowhere else. */
export const RECIPES: ReadonlyMap<RecipeId, Recipe> = new Map<RecipeId, Recipe>(
  (
    [
      { id: 'R-AND', summary: 'And → Mul of 0/1 floats', source: 'R-REC And.py', applies: (n, c) => boolPair(n, c, 'a · b (one Mul)') },
      { id: 'R-OR', summary: 'Or → Add then Clip(0, 1)', source: 'R-REC Or.py', applies: (n, c) => boolPair(n, c, 'clip(a + b, 0, 1)') },
      { id: 'R-XOR', summary: 'Xor → Sub then Abs', source: 'R-REC Xor.py', applies: (n, c) => boolPair(n, c, '|a − b|') },
      {
        id: 'R-NOT',
        summary: 'Not → 1 − a',
        source: 'R-REC Not.py',
        applies: (n, c) => (rank4(c, n.input(0)) && !c.isConstant(n.input(0) ?? '') ? yes('treat booleans as 0/1 floats: 1 − a (Sub from a ones constant)') : no('the input is not a variable static 4-D tensor')),
      },
      {
        id: 'R-NEG',
        summary: 'Neg → Mul by −1',
        source: 'R-REC Neg.py',
        applies: (n, c) => (rank4(c, n.input(0)) ? yes('Mul by a 1-element constant −1 (a uniform Scale)') : no('the input is not a static 4-D tensor (the Mul would not run on the DLA)')),
      },
      {
        id: 'R-D2S',
        summary: 'DepthToSpace → ConvTranspose kernel = stride = blocksize with 0/1 weights',
        source: 'R-REC DepthToSpace.py',
        applies: (n, c) => {
          const s = rank4(c, n.input(0));
          const b = n.attrs.int('blocksize', 0);
          if (s === undefined) return no('the input is not a static 4-D tensor');
          if (s[1]! % (b * b) !== 0) return no(`channels ${s[1]} are not a multiple of blocksize² = ${b * b}`);
          if (b > 22) return no(`blocksize ${b} > 22 (square deconvolution kernels 23..32 are disabled, D4)`);
          return yes(`ConvTranspose ${b}x${b}, stride ${b}, ${s[1]} → ${s[1]! / (b * b)} channels, one 1 per input channel (${n.attrs.string('mode', 'DCR')} mode)`);
        },
      },
      {
        id: 'R-S2D',
        summary: 'SpaceToDepth → Conv kernel = stride = blocksize with 0/1 weights',
        source: 'R-REC SpaceToDepth.py',
        applies: (n, c) => {
          const s = rank4(c, n.input(0));
          const b = n.attrs.int('blocksize', 0);
          if (s === undefined) return no('the input is not a static 4-D tensor');
          if (s[2]! % b !== 0 || s[3]! % b !== 0) return no(`H, W ${s[2]}x${s[3]} are not multiples of blocksize ${b}`);
          if (b > 8) return no(`blocksize ${b} > 8 (DLA conv stride ≤ 8, C3)`);
          return yes(`Conv ${b}x${b}, stride ${b}, ${s[1]} → ${s[1]! * b * b} channels, one 1 per output filter`);
        },
      },
      { id: 'R-GATHER', summary: 'Gather of constant 1-D indices on axis 1..3 → 1×1 Conv (with Transposes)', source: 'R-REC Gather.py', applies: gatherLike },
      {
        id: 'R-SCATTER',
        summary: 'ScatterElements of constant channel indices → data ⊙ mask + 1×1 Conv(updates)',
        source: 'R-REC ScatterElements.py',
        applies: (n, c) => {
          if (n.attrs.string('reduction', 'none') !== 'none') return no(`reduction ${n.attrs.string('reduction', '')}`);
          if (rank4(c, n.input(0)) === undefined) return no('data is not a static 4-D tensor');
          if (!c.isConstant(n.input(1) ?? '')) return no('indices are computed at run time');
          if (c.isConstant(n.input(0) ?? '') || c.isConstant(n.input(2) ?? '')) return no('data or updates is constant (the recipe takes two variable tensors)');
          const axis = normAxis(n.attrs.int('axis', 0), 4);
          if (axis === undefined || axis === 0) return no('it scatters along axis 0');
          return yes('Mul by a per-channel 0/1 mask plus a 1×1 Conv placing the updates, combined with Add (indices must broadcast a 1-D channel list)');
        },
      },
      {
        id: 'R-WHERE',
        summary: 'Where with a constant per-axis condition → Concat + 1×1 Conv',
        source: 'R-REC Where.py',
        applies: (n, c) => {
          const [cond, x, y] = [n.input(0), n.input(1), n.input(2)];
          const xs = rank4(c, x);
          if (cond === undefined || !c.isConstant(cond)) return no('the condition is computed at run time');
          if (xs === undefined || fmt(xs) !== fmt(rank4(c, y))) return no('X and Y are not static 4-D tensors of one shape');
          if (c.isConstant(x ?? '') || c.isConstant(y ?? '')) return no('X or Y is constant');
          const cs = c.shape(cond);
          const p = cs === undefined ? undefined : [...new Array<number>(Math.max(0, 4 - cs.length)).fill(1), ...cs];
          const axisOk = p !== undefined && [1, 2, 3].some((a) => p.every((d, i) => (i === a ? d === xs[a] : d === 1)));
          return axisOk ? yes('Concat([X, Y], channels) then a 1×1 Conv picking channel c or C + c by the condition') : no(`condition ${fmt(cs)} does not vary along one axis only`);
        },
      },
      {
        id: 'R-GRU',
        summary: 'GRU (LSTM, RNN similarly) → unrolled 1×1 Convs, Slices and elementwise ops',
        source: 'R-REC GRU.py',
        applies: (n, c) => {
          const why: string[] = [];
          if (n.attrs.int('layout', 0) !== 1) why.push('layout ≠ 1 (batch-first)');
          if (n.op === 'GRU' && n.attrs.int('linear_before_reset', 0) !== 0) why.push('linear_before_reset ≠ 0');
          if (n.attrs.string('direction', 'forward') !== 'forward') why.push('direction is not forward');
          if (n.attrs.has('activation_alpha') || n.attrs.has('activation_beta') || n.attrs.has('clip')) why.push('activation_alpha/beta or clip set');
          const acts = n.attrs.strings('activations') ?? [];
          if (acts.some((a) => !['Sigmoid', 'Tanh', 'Relu'].includes(a))) why.push(`activations ${acts.join(',')}`);
          for (const i of [1, 2, 3]) if (n.input(i) !== undefined && !c.isConstant(n.input(i)!)) why.push(`input ${quote(n.input(i)!)} is not constant`);
          if (why.length > 0) return no(why.join('; '));
          return yes(`unroll into per-step 1×1 Convs and elementwise gates${n.op === 'GRU' ? '' : ` (${n.op} "unrolled similarly": UNCONF)`}`);
        },
      },
      {
        id: 'R-CUMSUM',
        summary: 'CumSum along channels → 1×1 Conv with a triangular 0/1 weight',
        source: 'R-OPS table text (weights derived: UNCONF)',
        applies: (n, c) => {
          const axis = c.values(n.input(1) ?? '')?.[0];
          if (rank4(c, n.input(0)) === undefined) return no('the input is not a static 4-D tensor');
          const a = axis === undefined ? undefined : normAxis(axis, 4);
          if (a === undefined) return no('axis is not a build-time constant');
          if (a === 0) return no('it sums along the batch dim');
          return yes(`a 1×1 Conv with a triangular 0/1 weight${a === 1 ? '' : ' between Transposes bringing the axis to channels'} (weights derived: UNCONF)`);
        },
      },
      {
        id: 'R-ID',
        summary: 'Identity → identity BatchNormalization (a Scale) or full Slice',
        source: 'R-OPS table text',
        applies: (n, c) => (rank4(c, n.input(0)) ? yes('remove it, or replace by an identity BatchNormalization (scale 1, shift 0)') : no('the input is not a static 4-D tensor')),
      },
      { id: 'R-RSUM', summary: 'ReduceSum → 1×1 Conv (channels) or AveragePool chain + Scale (spatial)', source: 'R-OPS table text', applies: (n, c) => reduceRecipe(n, c, false) },
      { id: 'R-RMEAN', summary: 'ReduceMean → AveragePool (chain) or 1×1 Conv with weights 1/C', source: 'R-OPS table text, R-PREP resnet50.py', applies: (n, c) => reduceRecipe(n, c, true) },
      {
        id: 'R-GAP',
        summary: 'GlobalAveragePool → AveragePool with window H×W',
        source: 'R-OPS table text',
        applies: (n, c) => {
          const s = rank4(c, n.input(0));
          return s === undefined ? no('the input is not a static 4-D tensor') : spatialReduce(s[2]!, s[3]!, 'AveragePool');
        },
      },
      {
        id: 'R-GMP',
        summary: 'GlobalMaxPool (TensorRT < 8.6.12) → a chain of MaxPools',
        source: 'R-OPS table text',
        applies: (n, c) => {
          const s = rank4(c, n.input(0));
          return s === undefined ? no('the input is not a static 4-D tensor') : spatialReduce(s[2]!, s[3]!, 'MaxPool');
        },
      },
      {
        id: 'R-FC',
        summary: 'ReduceMean/GAP → Squeeze/Flatten → MatMul/Gemm(W) → Add(b) becomes AveragePool + 1×1 Conv',
        source: 'R-PREP common.simplify_classification_head',
        applies: (n, c) => {
          const s = staticShape(c, n.input(0));
          if (s === undefined || s.length !== 4 || s[2] !== 1 || s[3] !== 1) return no(`the input ${fmt(s)} is not a [N,C,1,1] pooled feature`);
          const users = c.consumers(n.outputs[0] ?? '');
          const fc = users.length > 0 && users.every((u) => (u.op === 'Gemm' || u.op === 'MatMul') && c.isConstant(u.input(1) ?? ''));
          return fc ? yes('drop it and turn the following Gemm/MatMul into a 1×1 Conv on the 4-D tensor (weights Wᵀ as (out, in, 1, 1))') : no('its consumer is not a Gemm/MatMul with constant weights');
        },
      },
      { id: 'R-QDQ', summary: 'strip Q/DQ pairs; scales go to a TensorRT calibration cache (implicit INT8)', source: 'R-QDQ qdq_translator', applies: () => yes('remove the Q/DQ pair and carry its scale in a calibration cache (implicit INT8; per-tensor activation, per-channel weight scales)') },
      { id: 'R-RESIZE-SCALES', summary: 'Resize by sizes → Resize by constant scales = sizes / input shape', source: 'R-PREP common.to_resize_with_scales' },
      { id: 'R-FUSE-CONV-AFFINE', summary: 'per-channel constant Mul/Add after a bias-free Conv folded into its weights/bias', source: 'R-PREP common.fuse_into_conv' },
      { id: 'R-HFUSE', summary: 'convs reading one tensor with equal attributes merged along output channels (K ≤ 8192)', source: 'R-PREP common.fuse_convs_horizontally' },
      {
        id: 'R-PAD',
        summary: 'zero Pad before a Conv folded into the Conv pads (result must satisfy C4)',
        source: 'R-PREP resnet50_noqdq.py',
        applies: (n, c) => {
          if (n.attrs.string('mode', 'constant') !== 'constant') return no(`mode ${n.attrs.string('mode', '')} (only a zero constant pad folds)`);
          const value = n.input(2) === undefined ? [0] : c.values(n.input(2)!);
          if (value === undefined || value[0] !== 0) return no('the pad value is not 0');
          const pads = n.input(1) === undefined ? n.attrs.ints('pads') : c.values(n.input(1)!);
          if (pads === undefined || pads.length !== 8) return no('pads are not a build-time constant for a 4-D tensor');
          if (pads[0] !== 0 || pads[1] !== 0 || pads[4] !== 0 || pads[5] !== 0) return no('it pads N or C');
          if (pads.some((p) => p < 0)) return no('negative pads (a crop)');
          const users = c.consumers(n.outputs[0] ?? '');
          if (users.length === 0 || !users.every((u) => u.op === 'Conv')) return no('its consumers are not all Conv');
          const limit = ORIN_DLA_LIMITS.conv.pad[1];
          for (const u of users) {
            const k = u.attrs.ints('kernel_shape') ?? staticShape(c, u.input(1))?.slice(2);
            const cur = u.attrs.ints('pads') ?? [0, 0, 0, 0];
            const sum = [pads[2]! + cur[0]!, pads[3]! + cur[1]!, pads[6]! + cur[2]!, pads[7]! + cur[3]!];
            if (k !== undefined && sum.some((p, i) => p > limit || p >= k[i % 2]!)) return no(`the merged Conv pads [${sum.join(',')}] would break C4 (≤ ${limit}, < kernel)`);
          }
          return yes(`remove it and add [${pads[2]},${pads[3]},${pads[6]},${pads[7]}] to the Conv pads`);
        },
      },
      { id: 'R-NORM', summary: 'normalizations decompose into ReduceMean/Pow/Sqrt/Div…: GPU through TensorRT 8.6 (no DLA-only result)', source: 'R-OPS table text' },
    ] as const satisfies readonly Recipe[]
  ).map((r): [RecipeId, Recipe] => [r.id, r]),
);
