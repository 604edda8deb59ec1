import { quote } from '../util/text.js';
import type { AttributeType } from '../ir/attribute.js';
import type { AttrDefault, AttrSpec, CostFn, InferFn, InputRole, InputSpec, OpInfo, OpTraits, OutputSpec, ValueRange } from './types.js';
import { assert } from '../util/errors.js';

/**
 * How the op tables are written. Inputs and outputs are short strings: `'X'`, `'B?'` (optional),
 * `'inputs...'` (variadic), with a role after a colon: `'W:weight'`, `'axes?:config'`.
 */
export interface OpDef {
  op: string;
  since: number;
  domain?: string;
  inputs?: readonly string[];
  outputs?: readonly string[];
  attrs?: Readonly<Record<string, AttrSpec>>;
  traits?: Partial<Omit<OpTraits, 'hasWeights' | 'weightInputs'>>;
  infer: InferFn;
  cost?: CostFn;
  /** Where each input is defined, as a range to draw test values from (Log: positive). @default none */
  inputDomains?: readonly (ValueRange | undefined)[];
}

function make(type: AttributeType, value: AttrDefault | undefined, required = false): AttrSpec {
  return { type, default: value, required };
}

/** Attribute specs with their defaults. */
export const spec = {
  int: (d?: number): AttrSpec => make('int', d),
  float: (d?: number): AttrSpec => make('float', d),
  string: (d?: string): AttrSpec => make('string', d),
  ints: (d?: readonly number[]): AttrSpec => make('ints', d),
  floats: (d?: readonly number[]): AttrSpec => make('floats', d),
  strings: (d?: readonly string[]): AttrSpec => make('strings', d),
  tensor: (): AttrSpec => make('tensor', undefined),
  graph: (): AttrSpec => make('graph', undefined, true),
  sparseTensor: (): AttrSpec => make('sparseTensor', undefined),
  required: (type: AttributeType): AttrSpec => make(type, undefined, true),
};

const ROLES: readonly InputRole[] = ['data', 'weight', 'config'];

function parseInput(s: string): InputSpec {
  const [rawName = '', rawRole = 'data'] = s.split(':');
  const role = ROLES.find((r) => r === rawRole);
  assert(role !== undefined, `op table input ${quote(s)} has an unknown role`);
  return { ...parsePort(rawName), role };
}

function parsePort(s: string): OutputSpec {
  const variadic = s.endsWith('...');
  const base = variadic ? s.slice(0, -3) : s;
  const optional = base.endsWith('?');
  return { name: optional ? base.slice(0, -1) : base, optional, variadic };
}

/** One row of the op table. */
export function defineOp(def: OpDef): OpInfo {
  const inputs = (def.inputs ?? ['X']).map(parseInput);
  const weightInputs = inputs.flatMap((s, i) => (s.role === 'weight' ? [i] : []));
  const t = def.traits ?? {};
  return {
    op: def.op,
    domain: def.domain ?? '',
    since: def.since,
    inputs,
    outputs: (def.outputs ?? ['Y']).map(parsePort),
    attrs: def.attrs ?? {},
    traits: {
      elementwise: t.elementwise ?? false,
      hasWeights: weightInputs.length > 0,
      weightInputs,
      quantizable: t.quantizable ?? false,
      shapeOp: t.shapeOp ?? false,
      movement: t.movement ?? false,
      category: t.category ?? 'other',
      nondeterministic: t.nondeterministic ?? false,
      valuePreserving: t.valuePreserving ?? false,
      reshape: t.reshape ?? false,
      view: t.view ?? false,
      fusibleFollower: t.fusibleFollower ?? false,
      fixedFloatInputs: t.fixedFloatInputs ?? [],
      channelWeight: t.channelWeight,
      dtypeAttr: t.dtypeAttr,
    },
    infer: def.infer,
    cost: def.cost,
    inputDomains: def.inputDomains ?? [],
  };
}

/** The same definition at several opset versions, each version adjusting it. */
export function defineVersions(base: OpDef, versions: readonly (Partial<OpDef> & { since: number })[]): OpInfo[] {
  return versions.map((v) => defineOp({ ...base, ...v }));
}
