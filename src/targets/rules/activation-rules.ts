import type { Node } from '../../ir/node.js';
import { formatRange, inRange } from '../limits.js';
import { PASS, dlaRule, fail, fmt, noteRule, quote, rank4Rule } from '../rule-kit.js';
import type { RuleContext, RuleDef } from '../types.js';

/** L-ACT, L-PRELU, L-SCALE (BatchNormalization), L-LRN and L-UNARY rules. */

export const activationRankRule = rank4Rule('activation.rank', 'L-ACT A1', 'activations');

/** Clip's bounds: attributes below opset 11, optional inputs from 11; undefined = no bound. */
function clipBounds(node: Node, ctx: RuleContext): { min: number | undefined; max: number | undefined; dynamic: string | undefined } {
  if (ctx.opset < 11) {
    return { min: node.attrs.float('min'), max: node.attrs.float('max'), dynamic: undefined };
  }
  const read = (i: number): { v: number | undefined; dynamic: string | undefined } => {
    const name = node.input(i);
    if (name === undefined) return { v: undefined, dynamic: undefined };
    const values = ctx.isConstant(name) ? ctx.values(name) : undefined;
    return values === undefined || values.length !== 1 ? { v: undefined, dynamic: name } : { v: values[0], dynamic: undefined };
  };
  const min = read(1);
  const max = read(2);
  return { min: min.v, max: max.v, dynamic: min.dynamic ?? max.dynamic };
}

export const clipConstantRule: RuleDef = {
  id: 'clip.constant',
  ref: 'G11, Clip row',
  conf: 'CONF',
  describe: () => 'Clip min and max are build-time constants',
  check(node, ctx) {
    const { dynamic } = clipBounds(node, ctx);
    if (dynamic === undefined) return PASS;
    return fail('clip.constant', `bound ${quote(dynamic)} is not a build-time scalar constant; DLA clipped ReLU needs constant bounds`);
  },
};

export const clipRangeRule = dlaRule({
  id: 'clip.range',
  ref: 'L-ACT A3',
  conf: 'UNCONF',
  describe: (L) => `Clip is a clipped ReLU: min = 0 (UNCONF) and max in ${formatRange(L.activation.clipMax)}`,
  check(node, ctx, L) {
    const { min, max, dynamic } = clipBounds(node, ctx);
    if (dynamic !== undefined) return PASS;
    const problems: string[] = [];
    if (min !== 0) problems.push(`min ${min === undefined ? 'absent (−∞)' : min} ≠ 0`);
    if (max === undefined || !inRange(max, L.activation.clipMax)) problems.push(`max ${max === undefined ? 'absent (+∞)' : max} outside ${formatRange(L.activation.clipMax)}`);
    if (problems.length === 0) return PASS;
    return fail('clip.range', `${problems.join(', ')}; the DLA clipped ReLU needs min 0 (UNCONF) and max in ${formatRange(L.activation.clipMax)}`, {
      kind: 'rewrite',
      text: max === undefined && (min === 0 || min === undefined) ? 'a Clip with only min = 0 is a Relu: write it as one' : 'rescale so the bounds become 0..max, or run this Clip on the GPU',
    });
  },
});

export const activationInt8Note = noteRule(
  'activation.int8-upgrade',
  'L-ACT A4',
  'CONF',
  'Sigmoid and Tanh in INT8 are upgraded to FP16 on the DLA',
  (_n, ctx) => ctx.precision === 'int8',
);

export const leakyReluNote = noteRule('activation.leaky-slope', 'L-ACT A5', 'UNCONF', 'LeakyReLU slope limits are unconfirmed; any alpha is assumed to work', () => true);

export const preluSlopeRule: RuleDef = {
  id: 'prelu.slope',
  ref: 'L-PRELU',
  conf: 'CONF',
  describe: () => 'slope is a build-time constant broadcastable to the input (the parser brings it to the input rank)',
  check(node, ctx) {
    const slope = node.input(1);
    if (slope === undefined) return PASS;
    if (!ctx.isConstant(slope)) {
      return fail('prelu.slope', `slope ${quote(slope)} is computed at run time; DLA PReLU needs a build-time constant slope`);
    }
    const s = ctx.shape(slope);
    const x = ctx.shape(node.input(0) ?? '');
    if (s === undefined || x === undefined) return PASS;
    if (s.length > x.length) return fail('prelu.slope', `slope ${fmt(s)} has a higher rank than the input ${fmt(x)}`);
    const offset = x.length - s.length;
    const bad = s.some((d, i) => d !== 1 && d !== x[i + offset]);
    return bad ? fail('prelu.slope', `slope ${fmt(s)} does not broadcast to the input ${fmt(x)}`) : PASS;
  },
};

export const scaleRankRule = rank4Rule('scale.rank', 'L-SCALE', 'Scale layers (BatchNormalization)');

export const scaleConstantRule: RuleDef = {
  id: 'scale.constant',
  ref: 'L-SCALE, BatchNormalization row',
  conf: 'UNCONF',
  describe: () => 'scale, B, mean and var are build-time constants (else the parser builds an ElementWise graph: treated as GPU)',
  check(node, ctx) {
    for (let i = 1; i <= 4; i++) {
      const name = node.input(i);
      if (name !== undefined && !ctx.isConstant(name)) {
        return fail('scale.constant', `parameter ${quote(name)} is computed at run time; the DLA Scale layer needs constant BatchNormalization parameters`);
      }
    }
    return PASS;
  },
};

export const scaleTrainingRule: RuleDef = {
  id: 'scale.training-mode',
  ref: 'BatchNormalization row',
  conf: 'CONF',
  describe: () => 'training_mode = 0 (inference BatchNormalization)',
  check(node) {
    if (node.attrs.int('training_mode', 0) === 0 && node.outputs.filter((o) => o !== '').length <= 1) return PASS;
    return fail('scale.training-mode', 'BatchNormalization in training mode (running statistics as outputs); only inference BatchNormalization folds into a DLA Scale', {
      kind: 'attribute',
      text: 'export the model in eval mode (training_mode = 0)',
    });
  },
};

export const lrnSizeRule = dlaRule({
  id: 'lrn.size',
  ref: 'L-LRN',
  conf: 'CONF',
  describe: (L) => `window size in {${L.lrn.windows.join(', ')}}, across channels`,
  check(node, _ctx, L) {
    const size = node.attrs.int('size', 0);
    if (L.lrn.windows.includes(size)) return PASS;
    return fail('lrn.size', `size ${size}; DLA LRN allows {${L.lrn.windows.join(', ')}}`);
  },
});

export const lrnInt8Note = noteRule('lrn.int8-upgrade', 'L-LRN', 'CONF', 'LRN in INT8 is upgraded to FP16 on the DLA', (_n, ctx) => ctx.precision === 'int8');

export const unaryRankRule = rank4Rule('unary.rank', 'L-UNARY', 'unary layers');

export const unaryRangeNote = noteRule('unary.range', 'L-UNARY', 'UNCONF', 'precision and range limits of DLA Sin/Cos/Atanh are unconfirmed', () => true);

