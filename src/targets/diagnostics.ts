import type { NodeCheck } from './check.js';
import { opSupportOf } from './context.js';
import type { Confidence, Diagnostic, Precision, Region, TargetProfile } from './types.js';

/**
 * Checks of the graph as a whole (regions, precision) and the ids of op-level verdicts, as typed data
 * for `tandem targets` and the docs, plus the functions `analyze` runs to find the graph-level ones.
 */

export interface CheckInfo {
  readonly id: string;
  readonly ref: string;
  readonly conf: Confidence;
  describe(profile: TargetProfile): string;
}

/** Findings about the whole graph (`Analysis.diagnostics`). */
export const GRAPH_CHECKS: readonly CheckInfo[] = [
  { id: 'region.count', ref: 'G9', conf: 'CONF', describe: (p) => `more DLA regions (loadables) than one core holds at once (${p.limits?.maxLoadablesPerCore ?? '–'}); behaviour above the limit UNCONF` },
  { id: 'region.memory', ref: 'G10', conf: 'CONF', describe: (p) => `intermediate tensors of one region must stay below ${mib(p.limits?.maxIntermediateBytes ?? 0)}` },
  { id: 'region.small', ref: 'G14, 4c (heuristic)', conf: 'UNCONF', describe: () => 'a region doing under minRegionFlopShare (default 1%) of the FLOPs costs a DLA submission and reformats for little work' },
  { id: 'precision.fp16-orin', ref: 'G17', conf: 'CONF', describe: () => 'FP16 on the Orin DLA: convolutions up to ~2× slower than INT8-optimised paths; prefer INT8' },
  { id: 'precision.int8-scales', ref: 'G2, G3', conf: 'CONF', describe: () => 'INT8 needs a dynamic range per tensor (calibration cache); Q/DQ models need R-QDQ' },
  { id: 'shape.inference', ref: '—', conf: 'CONF', describe: () => 'a shape contradiction found by shape inference (those nodes get shape.unknown)' },
  { id: 'cost.unknown', ref: '—', conf: 'CONF', describe: () => 'nodes whose FLOPs the op cost table cannot give (counted as 0)' },
];

/** Ids of op-level fallbacks (a node's `rule` when its op itself is the reason). */
export const OP_CHECKS: readonly CheckInfo[] = [
  { id: 'op.no-dla', ref: '2c GPU rows', conf: 'CONF', describe: () => 'no DLA path through TensorRT (the fix names a recipe or a rewrite where one exists)' },
  { id: 'op.needs-rewrite', ref: '2c RECON rows, 3', conf: 'CONF', describe: () => 'reaches the DLA only after a reconstruction recipe (the fix says whether it applies)' },
  { id: 'op.trt-version', ref: '2c NATIVE≥x rows', conf: 'CONF', describe: (p) => `DLA-capable only in a later TensorRT than this profile's ${p.trt?.join('.') ?? '–'}` },
  { id: 'op.build-time', ref: '2c BUILD rows', conf: 'CONF', describe: () => 'must fold at build time but an input is computed at run time' },
  { id: 'op.unknown', ref: '2c (other ops)', conf: 'UNCONF', describe: () => 'not in the operator table: GPU unless a DLA rule covers the layer TensorRT emits' },
  { id: 'op.not-imported', ref: 'P86', conf: 'CONF', describe: () => 'the TensorRT 8.6 ONNX parser does not import it (plugin needed)' },
];

function mib(bytes: number): string {
  return bytes % 2 ** 30 === 0 && bytes > 0 ? `${bytes / 2 ** 30} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The first few items, then how many more (the full list stays in `Diagnostic.regions`). */
function listed(items: readonly string[], max = 6): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export interface DiagnosticOptions {
  readonly profile: TargetProfile;
  readonly precision: Precision;
  readonly minRegionFlopShare: number;
}

export function regionDiagnostics(o: DiagnosticOptions, regions: readonly Region[], totalFlops: number): Diagnostic[] {
  const L = o.profile.limits;
  if (L === undefined) return [];
  const out: Diagnostic[] = [];
  if (regions.length > L.maxLoadablesPerCore) {
    out.push({
      rule: 'region.count',
      message: `${regions.length} DLA regions: more than the ${L.maxLoadablesPerCore} loadables one DLA core holds at once (G9); each region is one loadable (what happens above the limit is unconfirmed)`,
      regions: regions.map((r) => r.id),
    });
  }
  const b = o.precision === 'int8' ? 'int8' : 'fp16';
  for (const r of regions) {
    const bytes = r.intermediateBytes[b];
    if (bytes !== null && bytes >= L.maxIntermediateBytes) {
      out.push({ rule: 'region.memory', message: `${r.id} keeps ${mib(bytes)} of intermediate tensors at ${b.toUpperCase()}; a DLA subgraph must stay below ${mib(L.maxIntermediateBytes)} (G10)`, regions: [r.id] });
    }
  }
  if (regions.length > 1 && totalFlops > 0) {
    const small = regions.filter((r) => r.flops < o.minRegionFlopShare * totalFlops);
    if (small.length > 0) {
      const one = small.length === 1;
      out.push({
        rule: 'region.small',
        message: `${listed(small.map((r) => `${r.id} (${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}, ${((100 * r.flops) / totalFlops).toFixed(2)}% of FLOPs)`))} do${one ? 'es' : ''} under ${(100 * o.minRegionFlopShare).toFixed(0)}% of the work but each costs a DLA submission and reformats at its crossings: consider keeping ${one ? 'it' : 'them'} on the GPU (heuristic)`,
        regions: small.map((r) => r.id),
      });
    }
  }
  return out;
}

export function precisionDiagnostics(o: DiagnosticOptions, checks: readonly NodeCheck[]): Diagnostic[] {
  if (o.profile.kind !== 'dla') return [];
  const out: Diagnostic[] = [];
  if (o.precision === 'fp16' && o.profile.dlaGeneration === 2) {
    out.push({ rule: 'precision.fp16-orin', message: 'the Orin DLA is built for INT8: FP16 convolutions can take up to ~2× the time of the Xavier DLA (G17); prefer --precision int8' });
  }
  if (o.precision === 'int8' && o.profile.quantization === 'explicit' && checks.some((c) => c.placement === 'target')) {
    out.push({
      rule: 'precision.int8-explicit',
      message: 'explicit quantization (strongly typed, TensorRT ≥ 11.4): a tensor runs in INT8 on the DLA only between a QuantizeLinear/DequantizeLinear pair; tensors without one run in FP16 (G3); no calibration cache is read',
    });
  } else if (o.precision === 'int8' && checks.some((c) => c.placement === 'target')) {
    const qdq = checks.some((c) => opSupportOf(o.profile, c.node).row?.recipe === 'R-QDQ');
    out.push({
      rule: 'precision.int8-scales',
      message: `INT8 on the DLA needs a dynamic range for every tensor (implicit quantization; entropy calibrator 2); tensors without one run in FP16 (G2)${qdq ? '; the model has Q/DQ nodes: translate them to a calibration cache (R-QDQ)' : ''}`,
    });
  }
  return out;
}
