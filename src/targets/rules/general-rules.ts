import type { DataType } from '../../ir/dtype.js';
import type { Node } from '../../ir/node.js';
import { PASS, dataInputs, dataOutputs, dlaBatch, dlaRule, fail, fmt, quote } from '../rule-kit.js';
import type { RuleContext, RuleDef, Verdict } from '../types.js';

/** Rules every DLA candidate node is checked against (reference section 1). */

/** Tensors the general rules look at: run-time inputs and outputs, each once. */
function tensorsOf(node: Node, ctx: RuleContext): string[] {
  return [...new Set([...dataInputs(node, ctx), ...dataOutputs(node)])];
}

function role(node: Node, name: string): string {
  return node.outputs.includes(name) ? `output ${quote(name)}` : `input ${quote(name)}`;
}

export const shapeUnknownRule: RuleDef = {
  id: 'shape.unknown',
  ref: 'G6',
  conf: 'CONF',
  describe: () => 'every tensor shape must be known (shape inference resolved it) for the DLA checks to run',
  check(node, ctx) {
    for (const t of tensorsOf(node, ctx)) {
      const s = ctx.shape(t);
      if (s === undefined || s.some((d) => d === null)) {
        return fail('shape.unknown', `${role(node, t)} has ${s === undefined ? 'an unknown rank' : `shape ${fmt(s)} with unknown dims`}; the DLA needs static shapes and tandem cannot check this node`, {
          kind: 'static-shape',
          text: 'declare the graph input shapes (or value_info) so shape inference can resolve every dim',
        });
      }
    }
    return PASS;
  },
};

export const shapeDynamicRule: RuleDef = {
  id: 'shape.dynamic',
  ref: 'G6',
  conf: 'CONF',
  describe: () => 'no symbolic dims: DLA layers need static shapes (optimization profile min = opt = max)',
  check(node, ctx) {
    for (const t of tensorsOf(node, ctx)) {
      const s = ctx.shape(t);
      const sym = s?.find((d): d is string => typeof d === 'string');
      if (sym !== undefined) {
        return fail('shape.dynamic', `${role(node, t)} has symbolic dim ${quote(sym)} (shape ${fmt(s)}); DLA layers do not support dynamic shapes in any dimension`, {
          kind: 'static-shape',
          text: `fix the dim: analyze with --dims ${symbolName(sym)}=<size> and build with an optimization profile where min = opt = max`,
        });
      }
    }
    return PASS;
  },
};

/** "batch*3" → "batch": the first identifier of a derived dim. */
function symbolName(dim: string): string {
  return /[A-Za-z_][A-Za-z0-9_]*/.exec(dim)?.[0] ?? dim;
}

/** float32 runs at the build precision (TensorRT converts it); FP16 and INT8 run as they are. */
const DLA_TYPES: ReadonlySet<DataType> = new Set<DataType>(['float32', 'float16', 'int8']);

export const precisionDtypeRule: RuleDef = {
  id: 'precision.dtype',
  ref: 'G1',
  conf: 'CONF',
  describe: () => 'only FP16/INT8 layers: float tensors run at the build precision; INT32/INT64/BOOL/UINT8/FP64 tensors go to the GPU',
  check(node, ctx) {
    for (const t of tensorsOf(node, ctx)) {
      const dtype = ctx.dtype(t);
      if (dtype !== undefined && !DLA_TYPES.has(dtype)) {
        return fail('precision.dtype', `${role(node, t)} is ${dtype}; the DLA runs only FP16 and INT8 layers (shape math, casts and BOOL logic go to the GPU)`);
      }
    }
    return PASS;
  },
};

export const tensorBatchRule = dlaRule({
  id: 'tensor.batch',
  ref: 'G4',
  conf: 'CONF',
  describe: (L) => `DLA batch (product of all dims but the last three) ≤ ${L.maxBatch}`,
  check(node, ctx, L) {
    for (const t of tensorsOf(node, ctx)) {
      const s = ctx.shape(t);
      if (s === undefined || s.length <= 3 || !s.every((d): d is number => typeof d === 'number')) continue;
      const batch = dlaBatch(s);
      if (batch > L.maxBatch) {
        return fail('tensor.batch', `${role(node, t)} ${fmt(s)} has DLA batch ${batch} (all dims but the last three); DLA allows ≤ ${L.maxBatch}`, {
          kind: 'restructure',
          text: 'split the batch, or keep more of the tensor in the last three (C, H, W) dims',
        });
      }
    }
    return PASS;
  },
});

export const tensorDimsRule = dlaRule({
  id: 'tensor.dims',
  ref: 'G5',
  conf: 'CONF',
  describe: (L) => `every non-batch dim (the last three: C, H, W) in 1..${L.maxNonBatchDim}`,
  check(node, ctx, L) {
    for (const t of tensorsOf(node, ctx)) {
      const s = ctx.shape(t);
      if (s === undefined) continue;
      for (let i = Math.max(0, s.length - 3); i < s.length; i++) {
        const d = s[i];
        if (typeof d === 'number' && d > L.maxNonBatchDim) {
          return fail('tensor.dims', `${role(node, t)} ${fmt(s)} has dim ${d} at axis ${i}; DLA allows each of the last three dims ≤ ${L.maxNonBatchDim}`, {
            kind: 'restructure',
            text: 'keep spatial dims apart (NCHW) instead of flattening H×W into one dim, or tile the input',
          });
        }
      }
    }
    return PASS;
  },
});

const MAX_ELEMENTS = 2 ** 31 - 1;

export const tensorVolumeRule: RuleDef = {
  id: 'tensor.volume',
  ref: 'G15',
  conf: 'CONF',
  describe: () => `every TensorRT tensor < 2^31 elements`,
  check(node, ctx): Verdict {
    for (const t of tensorsOf(node, ctx)) {
      const s = ctx.shape(t);
      if (s === undefined || !s.every((d): d is number => typeof d === 'number')) continue;
      const n = s.reduce((a, b) => a * b, 1);
      if (n > MAX_ELEMENTS) return fail('tensor.volume', `${role(node, t)} ${fmt(s)} has ${n} elements; TensorRT tensors hold < 2^31`);
    }
    return PASS;
  },
};

/**
 * The general rules of a DLA profile, reported before the op's own rules: a node whose shapes or types
 * are wrong is reported for that first.
 */
export const DLA_GENERAL_RULES: readonly RuleDef[] = [shapeUnknownRule, shapeDynamicRule, precisionDtypeRule];

/** The size limits of a DLA profile, reported after the op's own rules (a structural problem matters more). */
export const DLA_LIMIT_RULES: readonly RuleDef[] = [tensorBatchRule, tensorDimsRule, tensorVolumeRule];
