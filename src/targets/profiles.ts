import { createRegistry } from '../util/registry.js';
import { ORIN_DLA_LIMITS, XAVIER_DLA_LIMITS, type DlaLimits } from './limits.js';
import { OP_TABLE } from './op-table.js';
import { DLA_GENERAL_RULES, DLA_LIMIT_RULES, DLA_RULES, tensorVolumeRule } from './rules/index.js';
import { ruleMap } from './rule-kit.js';
import type { OpRow, OpSupport, Precision, RuleDef, TargetKind, TargetProfile } from './types.js';
import { assert } from '../util/errors.js';

/**
 * The capability profiles: each resolves the one op table and the one rule registry for its TensorRT
 * version and DLA generation. TARGETS is the registry, filled here and nowhere else.
 */

type Version = readonly [number, number, number];

function atLeast(v: Version, min: Version): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
}

function versionText(v: Version): string {
  return v.join('.');
}

const TRT_8_6_12: Version = [8, 6, 12];

function rulesOf(row: OpRow): RuleDef[] {
  return row.rules.map((id) => {
    const r = DLA_RULES.get(id);
    assert(r !== undefined, `op ${row.op} names unknown rule ${id}`);
    return r;
  });
}

function fallback(row: OpRow, rule: string, reason: string): OpSupport {
  return row.recipe === undefined ? { placement: 'fallback', row, rule, reason } : { placement: 'fallback', row, rule, reason, recipe: row.recipe };
}

/** How a DLA profile treats one row (reference 2c status, its version notes and the Xavier column). */
function resolveDlaRow(row: OpRow, trt: Version, generation: 1 | 2): OpSupport {
  const layer = `TensorRT layer: ${row.layer}`;
  const why = row.why === undefined ? '' : `: ${row.why}`;
  let note: string | undefined = row.note;
  if (generation === 1) {
    switch (row.xavier) {
      case 'gpu':
        return fallback(row, 'op.no-dla', `${row.op} does not run on the 1st-gen (Xavier) DLA${row.status === 'gpu' || row.status === 'recon' ? why : ''} (${layer})`);
      case 'assume-gpu':
        return fallback(row, 'op.no-dla', `${row.op} is not documented for the 1st-gen (Xavier) DLA: treated as GPU (UNCONF; ${layer})`);
      case 'recipe':
        return fallback(row, 'op.needs-rewrite', `${row.op} does not reach the Xavier DLA as exported${why} (${layer})`);
      case 'likely':
        note = [note, `${row.op} on the Xavier DLA is assumed, not documented (UNCONF)`].filter((n) => n !== undefined).join('; ');
        break;
      default:
        break;
    }
  }
  const target = (): OpSupport => {
    const rules = rulesOf(row);
    return note === undefined ? { placement: 'target', row, rules } : { placement: 'target', row, rules, note };
  };
  switch (row.status) {
    case 'native':
    case 'conflict':
    case 'cast':
      return target();
    case 'native-8.6.12':
      return atLeast(trt, TRT_8_6_12)
        ? target()
        : fallback(row, 'op.trt-version', `${row.op} reaches the DLA from TensorRT 8.6.12 (DRIVE OS 6.0.9); this profile is TensorRT ${versionText(trt)} (${layer})`);
    case 'native-10':
      return trt[0] >= 10 ? target() : fallback(row, 'op.trt-version', `${row.op} is DLA-capable in the TensorRT 10.x documentation only; this profile is TensorRT ${versionText(trt)}${why}`);
    case 'recon':
      return fallback(row, 'op.needs-rewrite', `${row.op} does not reach the DLA as exported${why} (${layer})`);
    case 'gpu':
      return fallback(row, 'op.no-dla', `${row.op} has no DLA path through TensorRT${why} (${layer})`);
    case 'build':
      return { placement: 'build', row };
    case 'removed':
      return { placement: 'removed', row };
  }
}

interface ProfileSpec {
  name: string;
  title: string;
  trt: Version;
  limits: DlaLimits;
  notes: string[];
  /** @default 'implicit' */
  quantization?: 'implicit' | 'explicit';
}

/**
 * Explicit quantization (TensorRT ≥ 11.4, strongly typed): a Quantize/Dequantize pair is how a tensor
 * gets INT8, fused into the neighbouring DLA layers' scales; a DequantizeLinear of constant weights folds
 * into the weights at build (findBuildFacts). Symmetric INT8 only on the DLA path (G3: zero point 0).
 */
function explicitQdqRow(row: OpRow): OpSupport {
  return { placement: 'target', row, rules: [], note: `${row.op} is fused into the INT8 scales of the DLA layers next to it (explicit quantization, TensorRT ≥ 11.4; G3, placement rules UNCONF)` };
}

function dlaProfile(spec: ProfileSpec): TargetProfile {
  const generation = spec.limits.generation;
  const explicit = spec.quantization === 'explicit';
  const ops = new Map(
    OP_TABLE.map((row): [string, OpSupport] => [row.op, explicit && row.recipe === 'R-QDQ' ? explicitQdqRow(row) : resolveDlaRow(row, spec.trt, generation)]),
  );
  return {
    name: spec.name,
    title: spec.title,
    kind: 'dla',
    fallback: 'gpu',
    trt: spec.trt,
    dlaGeneration: generation,
    defaultPrecision: 'int8',
    limits: spec.limits,
    generalRules: DLA_GENERAL_RULES,
    limitRules: DLA_LIMIT_RULES,
    rules: ruleMap(DLA_GENERAL_RULES, DLA_LIMIT_RULES, ...[...ops.values()].map((s) => (s.placement === 'target' ? s.rules : []))),
    ops,
    unknownOp: {
      placement: 'fallback',
      row: undefined,
      rule: 'op.unknown',
      reason: 'not in the DLA operator table (reference 2c): GPU unless a DLA rule covers the layer TensorRT emits (UNCONF)',
    },
    notes: spec.notes,
    quantization: spec.quantization ?? 'implicit',
  };
}

/** The TensorRT GPU: every op the TensorRT 8.6 ONNX parser imports runs; Mish and unlisted ops need a plugin. */
function gpuProfile(): TargetProfile {
  const ops = new Map<string, OpSupport>();
  for (const row of OP_TABLE) {
    if (row.status === 'build') ops.set(row.op, { placement: 'build', row });
    else if (row.status === 'removed') ops.set(row.op, { placement: 'removed', row });
    else if (row.imported === false) ops.set(row.op, { placement: 'fallback', row, rule: 'op.not-imported', reason: `the TensorRT 8.6 ONNX parser does not import ${row.op} (needs a plugin or a decomposition)` });
    else ops.set(row.op, { placement: 'target', row, rules: [] });
  }
  return hostProfile('gpu', 'NVIDIA GPU through TensorRT 8.6 (ops the TensorRT ONNX parser imports)', 'gpu', [8, 6, 2], 'cpu', ops, {
    placement: 'fallback',
    row: undefined,
    rule: 'op.not-imported',
    reason: 'not in the TensorRT 8.6 ONNX parser operator list (reference P86): needs a plugin',
  });
}

/** onnxruntime's CPU execution provider: every ai.onnx op runs. */
function cpuProfile(): TargetProfile {
  const ops = new Map<string, OpSupport>();
  for (const row of OP_TABLE) ops.set(row.op, row.status === 'removed' ? { placement: 'removed', row } : { placement: 'target', row, rules: [] });
  return hostProfile('cpu', 'CPU through onnxruntime (every ai.onnx op)', 'cpu', undefined, 'none', ops, {
    placement: 'target',
    row: undefined,
    rules: [],
    note: 'not in the DLA operator table: assumed to run in onnxruntime',
  });
}

function hostProfile(
  name: string,
  title: string,
  kind: TargetKind,
  trt: Version | undefined,
  fallbackTo: 'cpu' | 'none',
  ops: ReadonlyMap<string, OpSupport>,
  unknownOp: OpSupport,
): TargetProfile {
  const limitRules = kind === 'gpu' ? [tensorVolumeRule] : [];
  const precision: Precision = 'fp16';
  return {
    name,
    title,
    kind,
    fallback: fallbackTo,
    trt,
    dlaGeneration: undefined,
    defaultPrecision: precision,
    limits: undefined,
    generalRules: [],
    limitRules,
    rules: ruleMap(limitRules),
    ops,
    unknownOp,
    notes: [],
  };
}

/** Every target, by name. */
export const TARGETS: ReadonlyMap<string, TargetProfile> = new Map(
  [
    dlaProfile({
      name: 'orin-dla',
      title: 'NVIDIA Orin DLA (2nd gen): TensorRT 8.6.2 / DLA 3.14.1 (JetPack 6)',
      trt: [8, 6, 2],
      limits: ORIN_DLA_LIMITS,
      notes: [
        'DRIVE OS 6.0.9 (TensorRT 8.6.12, DLA 3.14.2) also runs Div, Greater, Less, Sin, Cos, Atanh and GlobalMaxPool on the DLA; JetPack 6 (8.6.2) does not.',
        'TensorRT 8.6 lists no Resize coordinate-mode restriction for the DLA (UNCONF); the TensorRT 10 combinations are reported as notes.',
      ],
    }),
    dlaProfile({
      name: 'orin-dla-trt10',
      title: 'NVIDIA Orin DLA (2nd gen): TensorRT 10.x (rules of the 10.7 headers and docs)',
      trt: [10, 7, 0],
      limits: ORIN_DLA_LIMITS,
      notes: [
        'Adds the 8.6.12 ops (Div, Greater, Less, Sin, Cos, Atanh, GlobalMaxPool), Pow and ReduceMax (10.x documentation, UNCONF operand rules) and enforces the Resize parameter combinations (Z4).',
        'Explicit Q/DQ on the DLA needs TensorRT ≥ 10.11 with kENABLE_UINT8_AND_ASYMMETRIC_QUANTIZATION_DLA (G3); this profile keeps the R-QDQ translation.',
        'Pad (Slice FILL) and Tile (Slice WRAP) may land on the DLA in 10.x (UNCONF): treated as GPU.',
      ],
    }),
    dlaProfile({
      name: 'orin-dla-trt11',
      title: 'NVIDIA Orin DLA (2nd gen): TensorRT 11.4.1+ (JetPack 7.2.2+), strongly typed, explicit Q/DQ',
      trt: [11, 4, 1],
      limits: ORIN_DLA_LIMITS,
      quantization: 'explicit',
      notes: [
        'Strongly typed networks: INT8 reaches the DLA through explicit QuantizeLinear/DequantizeLinear pairs (the typed .qdq.onnx of tandem quantize); there is no calibration cache and no --int8/--fp16 builder flag.',
        'DequantizeLinear of constant weights folds into the weights at build: such a Conv has build-time weights.',
        'Op rules as orin-dla-trt10 (TensorRT 10.x documentation); Q/DQ placement rules on the DLA are UNCONF (G3): symmetric INT8 (zero point 0) assumed.',
      ],
    }),
    dlaProfile({
      name: 'xavier-dla',
      title: 'NVIDIA Xavier DLA (1st gen): TensorRT 8.5.2 (JetPack 5.1)',
      trt: [8, 5, 2],
      limits: XAVIER_DLA_LIMITS,
      notes: [
        'Per-op Xavier status is inferred from the TRT 8.2-era guide (the reference Xavier column); ops marked "likely" are assumed to run (UNCONF), Shuffle (Reshape, Transpose) and Equal are assumed GPU.',
        'Softmax is Orin-only (X1); average pooling must count padding (P7); Sub is built from Scale + SUM (E4).',
      ],
    }),
    gpuProfile(),
    cpuProfile(),
  ].map((p): [string, TargetProfile] => [p.name, p]),
);

/** The targets as a registry: lookups by name, one miss message for every registry. */
export const TARGET_REGISTRY = createRegistry('target', Object.fromEntries(TARGETS) as Readonly<Record<string, TargetProfile>>, {
  hint: '`tandem targets` describes each',
});

/** A target by name; throws TandemError UNKNOWN_NAME listing the targets that exist. */
export function getTarget(name: string): TargetProfile {
  return TARGET_REGISTRY.get(name);
}
