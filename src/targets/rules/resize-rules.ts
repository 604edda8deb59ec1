import type { Node } from '../../ir/node.js';
import { formatRange, inRange } from '../limits.js';
import { PASS, dlaRule, fail, note, quote, staticShape } from '../rule-kit.js';
import type { Problem, RuleContext, RuleDef, Verdict } from '../types.js';

/** L-RESIZE rules (Resize, Upsample). */

interface ResizeInputs {
  /** Name of the scales input, when it is one. */
  readonly scalesInput: string | undefined;
  /** Scales per axis (full rank), when statically known. */
  readonly scales: readonly number[] | undefined;
  /** Name of a non-empty `sizes` input. */
  readonly sizesInput: string | undefined;
}

function nonEmpty(ctx: RuleContext, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const s = ctx.shape(name);
  return s !== undefined && s.length === 1 && s[0] === 0 ? undefined : name;
}

/** Reads scales/sizes the way each op version declares them (Upsample-7 attribute, Resize-10 input 1, Resize-11+ inputs 2 and 3). */
export function resizeInputs(node: Node, ctx: RuleContext): ResizeInputs {
  const rank = ctx.shape(node.input(0) ?? '')?.length;
  if (node.op === 'Upsample' && ctx.opset < 9) {
    return { scalesInput: undefined, scales: node.attrs.floats('scales'), sizesInput: undefined };
  }
  const legacy = node.op === 'Upsample' || ctx.opset < 11;
  const scalesInput = nonEmpty(ctx, node.input(legacy ? 1 : 2));
  const sizesInput = legacy ? undefined : nonEmpty(ctx, node.input(3));
  let scales = scalesInput === undefined ? undefined : ctx.values(scalesInput);
  const axes = node.attrs.ints('axes');
  if (scales !== undefined && axes !== undefined && rank !== undefined) {
    const full = new Array<number>(rank).fill(1);
    axes.forEach((a, i) => (full[a < 0 ? a + rank : a] = scales![i] ?? 1));
    scales = full;
  }
  return { scalesInput, scales, sizesInput };
}

export const resizeStaticRule: RuleDef = {
  id: 'resize.scales-static',
  ref: 'L-RESIZE Z1',
  conf: 'CONF',
  describe: () => 'static scales: an initializer or Constant, never `sizes` (output-dimension mode is not on the DLA)',
  check(node, ctx) {
    const r = resizeInputs(node, ctx);
    if (r.sizesInput !== undefined) {
      const input = staticShape(ctx, node.input(0));
      const sizes = ctx.values(r.sizesInput);
      const derived = input !== undefined && sizes !== undefined && sizes.length === input.length ? sizes.map((s, i) => (i < 2 ? 1 : s / input[i]!)) : undefined;
      const after = derived === undefined ? undefined : scaleProblem(derived, resizeMode(node), ctx);
      return fail('resize.scales-static', `Resize by \`sizes\` ${quote(r.sizesInput)}${sizes ? ` [${sizes.join(',')}]` : ''}; the DLA does not support output-dimension resizing`, {
        kind: 'recipe',
        recipe: 'R-RESIZE-SCALES',
        text: derived
          ? `R-RESIZE-SCALES: replace sizes by constant scales [${derived.map(round).join(',')}]${after === undefined ? '' : ` (then ${after.reason}: resize.scale)`}`
          : 'R-RESIZE-SCALES: replace sizes by constant scales = sizes / input shape (needs static shapes)',
      });
    }
    if (r.scalesInput !== undefined && !ctx.isConstant(r.scalesInput)) {
      return fail('resize.scales-static', `scales ${quote(r.scalesInput)} are computed at run time; the DLA needs static scales`, {
        kind: 'rewrite',
        text: 'fold the scales into an initializer (constant folding) before building',
      });
    }
    return PASS;
  },
};

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function resizeMode(node: Node): string {
  const m = node.attrs.string('mode', 'nearest');
  return m === 'bilinear' ? 'linear' : m;
}

/** Z2/Z3 on a list of scales: the failing verdict, or undefined when they pass. */
function scaleProblem(scales: readonly number[], mode: string, ctx: RuleContext): Problem | undefined {
  const L = ctx.limits;
  if (L === undefined) return undefined;
  const range = mode === 'linear' ? L.resize.linearScale : L.resize.nearestScale;
  const text = `[${scales.map(round).join(',')}]`;
  if (scales.length !== 4) return fail('resize.scale', `${scales.length} scales ${text}; the DLA resizes 4-D tensors (4 scales)`);
  if (scales[0] !== 1 || scales[1] !== 1) return fail('resize.scale', `scales ${text} resize N or C; the DLA needs scales[0] = scales[1] = 1`);
  for (const s of [scales[2]!, scales[3]!]) {
    if (s < 1) return fail('resize.scale', `scales ${text} down-sample; the DLA only up-samples`, { kind: 'restructure', text: 'down-sample with a pooling or a strided conv instead' });
    if (!Number.isInteger(s)) return fail('resize.scale', `scales ${text} are not integers; the DLA needs integer scales`);
    if (!inRange(s, range)) {
      return fail('resize.scale', `scale ${s} (${mode}); DLA allows ${formatRange(range)} for ${mode}`, {
        kind: 'restructure',
        text: `chain resizes whose scales multiply to ${s}, each within ${formatRange(range)}`,
      });
    }
  }
  return undefined;
}

export const resizeScaleRule = dlaRule({
  id: 'resize.scale',
  ref: 'L-RESIZE Z2, Z3',
  conf: 'CONF',
  describe: (L) => `4 scales [1,1,s_h,s_w], s integer, up-sampling only: nearest ${formatRange(L.resize.nearestScale)}, linear ${formatRange(L.resize.linearScale)}`,
  check(node, ctx) {
    const { scales } = resizeInputs(node, ctx);
    if (scales === undefined) return PASS;
    return scaleProblem(scales, resizeMode(node), ctx) ?? PASS;
  },
});

/** TensorRT 10 (Z4) parameter combinations, after the parser's ONNX → TensorRT mapping (Z5). */
function trt10Eligible(node: Node, ctx: RuleContext): { ok: boolean; combo: string } {
  const mode = resizeMode(node);
  const legacy = node.op === 'Upsample' || ctx.opset < 11;
  const ctm = legacy ? 'asymmetric' : node.attrs.string('coordinate_transformation_mode', 'half_pixel');
  const nearest = legacy ? 'floor' : node.attrs.string('nearest_mode', 'round_prefer_floor');
  if (mode === 'nearest') {
    const ok = (ctm === 'asymmetric' && nearest === 'floor') || (ctm === 'half_pixel' && (nearest === 'round_prefer_floor' || nearest === 'round_prefer_ceil'));
    return { ok, combo: `nearest, ${ctm}, ${nearest}` };
  }
  return { ok: mode === 'linear' && (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel'), combo: `${mode}, ${ctm}` };
}

export const resizeModeRule: RuleDef = {
  id: 'resize.mode',
  ref: 'L-RESIZE Z3, Z4, Z5',
  conf: 'CONF',
  describe: (profile) =>
    (profile.trt?.[0] ?? 0) >= 10
      ? 'nearest (asymmetric+floor, half_pixel+round_prefer_floor/ceil) or linear (half_pixel, pytorch_half_pixel); no cubic'
      : 'nearest or linear, no cubic (TensorRT 8.6 lists no coordinate-mode restriction: UNCONF)',
  check(node, ctx): Verdict {
    const mode = resizeMode(node);
    if (mode !== 'nearest' && mode !== 'linear') {
      return fail('resize.mode', `mode ${mode}; the DLA resizes nearest or linear only`, { kind: 'rewrite', text: 'use nearest or bilinear up-sampling' });
    }
    const { ok, combo } = trt10Eligible(node, ctx);
    if (ok) return PASS;
    if ((ctx.profile.trt?.[0] ?? 0) >= 10) {
      return fail('resize.mode', `${combo} is not a DLA parameter combination in TensorRT 10`, {
        kind: 'attribute',
        text: mode === 'nearest' ? 'use coordinate_transformation_mode asymmetric with nearest_mode floor (PyTorch nn.Upsample nearest)' : 'use coordinate_transformation_mode half_pixel or pytorch_half_pixel (align_corners=False)',
      });
    }
    return note(`${combo}: TensorRT 10 rejects this combination on the DLA (Z4); TensorRT 8.6 lists no restriction (UNCONF)`);
  },
};

export const RESIZE_RULES: readonly RuleDef[] = [resizeStaticRule, resizeScaleRule, resizeModeRule];
