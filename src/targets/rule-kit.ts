import { quote } from '../util/text.js';
import type { Node } from '../ir/node.js';
import { formatShape, type Shape } from '../ir/types.js';
import type { DlaLimits } from './limits.js';
import type { Confidence, Fix, Problem, RuleContext, RuleDef, TargetProfile, Verdict } from './types.js';
import { assert } from '../util/errors.js';

/** Small helpers the rule files share: verdict constructors, rule factories, attribute geometry. */

export const PASS: Verdict = { ok: true };

export function note(text: string): Verdict {
  return { ok: true, note: text };
}

export function fail(rule: string, reason: string, fix?: Fix): Problem {
  return fix === undefined ? { ok: false, rule, reason } : { ok: false, rule, reason, fix };
}

export interface DlaRuleSpec {
  readonly id: string;
  readonly ref: string;
  readonly conf: Confidence;
  describe(limits: DlaLimits, profile: TargetProfile): string;
  /** Runs only on profiles with DLA limits. */
  check(node: Node, ctx: RuleContext, limits: DlaLimits): Verdict;
}

/** A rule that reads DLA limits; on a profile without them it passes (and describes itself as n/a). */
export function dlaRule(spec: DlaRuleSpec): RuleDef {
  return {
    id: spec.id,
    ref: spec.ref,
    conf: spec.conf,
    describe: (profile) => (profile.limits ? spec.describe(profile.limits, profile) : 'not applicable (no DLA limits)'),
    check: (node, ctx) => (ctx.limits ? spec.check(node, ctx, ctx.limits) : PASS),
  };
}

/** Builds a registry from rule lists, refusing duplicate ids. */
export function ruleMap(...lists: readonly (readonly RuleDef[])[]): ReadonlyMap<string, RuleDef> {
  const map = new Map<string, RuleDef>();
  for (const list of lists) {
    for (const r of list) {
      if (map.get(r.id) === r) continue;
      assert(!map.has(r.id), `rule id ${r.id} defined twice`);
      map.set(r.id, r);
    }
  }
  return map;
}

// ---- tensors and shapes ----

/** Inputs a node reads at run time (not omitted, not build-time constants). */
export function dataInputs(node: Node, ctx: RuleContext): string[] {
  return node.inputs.filter((i) => i !== '' && !ctx.isConstant(i));
}

export function dataOutputs(node: Node): string[] {
  return node.outputs.filter((o) => o !== '');
}

/** A shape whose every dim is a number, or undefined. */
export function staticShape(ctx: RuleContext, name: string | undefined): readonly number[] | undefined {
  if (name === undefined) return undefined;
  const s = ctx.shape(name);
  if (s === undefined) return undefined;
  for (const d of s) if (typeof d !== 'number') return undefined;
  return s as readonly number[];
}

export function rankOf(ctx: RuleContext, name: string | undefined): number | undefined {
  return name === undefined ? undefined : ctx.shape(name)?.length;
}

export function fmt(shape: Shape | undefined): string {
  return formatShape(shape);
}

/** Normalises a possibly negative axis; undefined when out of range. */
export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

/** DLA batch of a shape: the product of all dims except the last three (reference G4). */
export function dlaBatch(shape: readonly number[]): number {
  let b = 1;
  for (let i = 0; i < shape.length - 3; i++) b *= shape[i]!;
  return b;
}

/** Names in verdicts come from the model file: quoted by the one helper every message uses. */
export { quote };

export function sameValues(values: readonly number[]): boolean {
  for (const v of values) if (v !== values[0]) return false;
  return true;
}

// ---- convolution and pooling geometry ----

export interface WindowGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Undefined when auto_pad needs an input size that is not static. */
  readonly padsBegin: readonly number[] | undefined;
  readonly padsEnd: readonly number[] | undefined;
  readonly autoPad: string;
}

/**
 * Kernel, strides, dilations and the effective pads of a Conv/Pool node (auto_pad resolved against the
 * input size). `kernel` comes from kernel_shape, else from the weight's trailing dims.
 */
export function windowGeometry(node: Node, ctx: RuleContext, weightDims?: readonly number[]): WindowGeometry | undefined {
  const kernel = node.attrs.ints('kernel_shape') ?? weightDims?.slice(2);
  if (kernel === undefined || kernel.length === 0) return undefined;
  const n = kernel.length;
  const strides = node.attrs.ints('strides') ?? new Array<number>(n).fill(1);
  const dilations = node.attrs.ints('dilations') ?? new Array<number>(n).fill(1);
  const autoPad = node.attrs.string('auto_pad', 'NOTSET');
  let padsBegin: number[] | undefined;
  let padsEnd: number[] | undefined;
  if (autoPad === 'NOTSET') {
    const pads = node.attrs.ints('pads') ?? new Array<number>(2 * n).fill(0);
    padsBegin = pads.slice(0, n);
    padsEnd = pads.slice(n, 2 * n);
  } else if (autoPad === 'VALID') {
    padsBegin = new Array<number>(n).fill(0);
    padsEnd = new Array<number>(n).fill(0);
  } else {
    const input = staticShape(ctx, node.input(0));
    if (input !== undefined && input.length === n + 2) {
      padsBegin = [];
      padsEnd = [];
      for (let i = 0; i < n; i++) {
        const size = input[i + 2]!;
        const s = strides[i] ?? 1;
        const eff = ((kernel[i] ?? 1) - 1) * (dilations[i] ?? 1) + 1;
        const total = Math.max(0, (Math.ceil(size / s) - 1) * s + eff - size);
        const small = Math.floor(total / 2);
        padsBegin.push(autoPad === 'SAME_LOWER' ? total - small : small);
        padsEnd.push(autoPad === 'SAME_LOWER' ? small : total - small);
      }
    }
  }
  return { kernel, strides, dilations, padsBegin, padsEnd, autoPad };
}

export function dimsText(values: readonly number[]): string {
  return values.join('x');
}

/** "Every run-time input and output is 4-D": the two-spatial-dims requirement of most DLA layers (G7). */
export function rank4Rule(id: string, ref: string, what: string, conf: Confidence = 'CONF'): RuleDef {
  return {
    id,
    ref,
    conf,
    describe: () => `${what} on 4-D NCHW tensors (two spatial dims)${conf === 'UNCONF' ? ' (UNCONF)' : ''}`,
    check(node, ctx) {
      for (const t of [...dataInputs(node, ctx), ...dataOutputs(node)]) {
        const s = ctx.shape(t);
        if (s !== undefined && s.length !== 4) {
          return fail(id, `${node.outputs.includes(t) ? 'output' : 'input'} ${quote(t)} is ${s.length}-D (${fmt(s)}); the DLA runs ${what} on 4-D NCHW tensors only`, {
            kind: 'restructure',
            text: 'keep the tensor in 4-D NCHW layout (e.g. [N,C,H,W] instead of tokens [N,H·W,C])',
          });
        }
      }
      return PASS;
    },
  };
}

/** A hint that never fails: `when` says whether the note applies. */
export function noteRule(id: string, ref: string, conf: Confidence, text: string, when: (node: Node, ctx: RuleContext) => boolean): RuleDef {
  return {
    id,
    ref,
    conf,
    describe: () => `hint only: ${text}`,
    check: (node, ctx) => (when(node, ctx) ? note(text) : PASS),
  };
}
