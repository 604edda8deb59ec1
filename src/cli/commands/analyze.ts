import { Option } from 'commander';
import { formatShape } from '../../ir/types.js';
import { loadModel } from '../../onnx/load-save.js';
import { TARGETS, analyze, convSparsity, getTarget, type Analysis, type ConvSparsity, type NodeVerdict } from '../../targets/index.js';
import { dimSizes, finiteNumber } from '../parse.js';
import { unusedDimsNotes } from '../dims.js';
import { flops, mib, percent, plural, table } from '../format.js';
import type { CliCommand } from './types.js';

interface AnalyzeFlags {
  target: string;
  precision?: 'int8' | 'fp16';
  dims?: Record<string, number>;
  minRegionShare?: number;
  nodes?: boolean;
  verbose?: boolean;
  json?: boolean;
  sparsity?: boolean;
}

export const analyzeCommand: CliCommand = {
  name: 'analyze',
  examples: [
    'tandem analyze model.onnx --target orin-dla --precision int8',
    'tandem analyze model.onnx --target xavier-dla --dims batch=1 --nodes',
    'tandem analyze model.onnx --json > analysis.json',
  ],
  writes: false,
  readsModel: true,
  register(program, ctx) {
    program
      .command('analyze')
      .description('which node runs on a target (e.g. the Orin DLA) and why not: rules, DLA regions, tensors crossing between engines (modelled from rules, not measured)')
      .argument('<model>', 'ONNX model file')
      .option('--target <name>', `target profile: ${[...TARGETS.keys()].join(', ')}`, 'orin-dla')
      .addOption(new Option('--precision <precision>', 'build precision (default: int8 for DLA targets, fp16 otherwise)').choices(['int8', 'fp16']))
      .option('--dims <name=size,...>', 'sizes for symbolic input dims (as an optimization profile with min = opt = max)', dimSizes)
      .option('--min-region-share <fraction>', 'flag DLA regions doing less than this share of the FLOPs (default: 0.01)', finiteNumber)
      .option('--nodes', 'also list every node with its verdict')
      .option('--verbose', 'list every region, crossing and fallback node (default: the largest few)')
      .option('--sparsity', 'also say per Conv whether its weights follow 2:4 structured sparsity and whether it qualifies (Orin DLA INT8, C > 64)')
      .option('--json', 'print the full analysis as JSON (type Analysis)')
      .action((modelPath: string, flags: AnalyzeFlags) => {
        getTarget(flags.target);
        const model = loadModel(modelPath, { weights: 'lazy' });
        if (flags.dims) for (const line of unusedDimsNotes(model, flags.dims)) ctx.note(line);
        const analysis = analyze(model, {
          target: flags.target,
          ...(flags.precision ? { precision: flags.precision } : {}),
          ...(flags.dims ? { dims: flags.dims } : {}),
          ...(flags.minRegionShare !== undefined ? { minRegionFlopShare: flags.minRegionShare } : {}),
        });
        const sparsity = flags.sparsity ? convSparsity(model) : undefined;
        if (flags.json) {
          ctx.printJson(sparsity ? { ...analysis, sparsity } : analysis);
          return;
        }
        for (const line of formatAnalysis(analysis, modelPath, { nodes: flags.nodes ?? false, verbose: flags.verbose ?? false })) ctx.print(line);
        if (sparsity) for (const line of formatSparsity(sparsity)) ctx.print(line);
      });
  },
};

export interface FormatAnalysisOptions {
  /** Append the per-node verdicts. @default false */
  nodes?: boolean;
  /** Every region, crossing and fallback node name instead of the largest few. @default false */
  verbose?: boolean;
  /** Rows of the region and crossing tables (the largest by FLOPs / bytes) without `verbose`. @default 8 */
  top?: number;
  /** Node names listed per fallback rule before "and N more" (without `verbose`). @default 3 */
  namesPerRule?: number;
  /** The region and crossing tables (false: their counts only). @default true */
  details?: boolean;
}

/** 12.3 → "12.3%" of a whole; "–" when the whole is 0. */
function pct(part: number, whole: number): string {
  return percent(part, whole).replace('-', '–');
}

/** FLOPs for people ("929 MFLOPs"); other commands and the demo print FLOPs the same way. */
export function formatFlops(n: number): string {
  return flops(n);
}

/** Bytes in binary units ("8.26 MiB"), as TensorRT and the DLA documents count them. */
export function formatBytes(n: number | null): string {
  return mib(n);
}

function side(placement: NodeVerdict['placement'], fallback: string): string {
  return placement === 'target' ? 'target' : placement === 'build' ? 'build' : fallback;
}

/** Where the rules an analysis cites (G6, L-CONV C9, P86, ...) are explained. */
export function rulesPointer(target: string): string {
  return `rules and the reference rows they cite (G6, L-CONV C9, P86, …): docs/targets/${target}.md, or tandem targets ${target}`;
}

/**
 * The text report of an analysis: summary, the largest regions and crossings as tables, fallbacks grouped
 * by rule, warnings. Short by default; `verbose` lists everything, `nodes` every node.
 */
export function formatAnalysis(a: Analysis, label: string, options: FormatAnalysisOptions = {}): string[] {
  const profile = getTarget(a.target);
  const engine = profile.kind === 'dla' ? 'DLA' : profile.kind.toUpperCase();
  const fallback = profile.fallback === 'none' ? 'nowhere' : profile.fallback.toUpperCase();
  const s = a.summary;
  const verbose = options.verbose ?? false;
  const top = verbose ? Infinity : (options.top ?? 8);
  const out: string[] = [];
  const counted = s.nodes.total - s.nodes.build;
  out.push(`${label} on ${a.target} (${profile.title}), ${a.precision.toUpperCase()}`);
  out.push(`  ${s.basis}`);
  out.push('');
  out.push(
    `coverage   nodes: ${s.nodes.onTarget} of ${counted} on the ${engine} (${pct(s.nodes.onTarget, counted)}), ${s.nodes.fallback} ${profile.fallback === 'none' ? 'unsupported' : `fall back to the ${fallback}`}, ${s.nodes.build} folded/removed at build time`,
  );
  out.push(`           FLOPs: ${formatFlops(s.flops.onTarget)} of ${formatFlops(s.flops.total)} on the ${engine} (${pct(s.flops.onTarget, s.flops.total)})${s.flops.unknownNodes > 0 ? `; ${plural(s.flops.unknownNodes, 'node')} of unknown cost` : ''}`);
  if (profile.kind === 'dla') {
    const regions = [...a.regions].sort((x, y) => y.flops - x.flops);
    const shownRegions = options.details === false ? 0 : Math.min(top, regions.length);
    out.push(`regions    ${plural(s.regions, 'DLA region')} (one loadable each; a DLA core holds ${profile.limits?.maxLoadablesPerCore ?? '?'})${shownRegions > 0 && shownRegions < regions.length ? `; the ${shownRegions} largest by FLOPs:` : ''}`);
    if (shownRegions > 0) {
      const rows = regions.slice(0, shownRegions).map((r) => {
        const first = r.nodes[0] ?? '?';
        const last = r.nodes[r.nodes.length - 1] ?? '?';
        return [r.id, String(r.nodes.length), formatFlops(r.flops), first === last ? first : `${first} … ${last}`];
      });
      for (const line of table(['region', 'nodes', 'FLOPs', 'first … last node'], rows, [1, 2])) out.push(`  ${line}`);
      if (regions.length > shownRegions) out.push(`  … and ${regions.length - shownRegions} more (--verbose)`);
    }
    const crossings = [...a.crossings].sort((x, y) => (y.bytes.int8 ?? 0) - (x.bytes.int8 ?? 0));
    const shownCrossings = options.details === false ? 0 : Math.min(top, crossings.length);
    out.push(
      `crossings  ${plural(s.crossings, 'tensor')}, ${formatBytes(s.crossingBytes.int8)} per inference at INT8 (${formatBytes(s.crossingBytes.fp16)} at FP16): each is a reformat/copy on the target${shownCrossings > 0 && shownCrossings < crossings.length ? `; the ${shownCrossings} largest:` : ''}`,
    );
    if (shownCrossings > 0) {
      const rows = crossings.slice(0, shownCrossings).map((x) => [x.from, x.to, x.tensor, formatShape(x.shape), formatBytes(x.bytes.int8), formatBytes(x.bytes.fp16), x.format ?? '— (not 4-D: reformatted)']);
      for (const line of table(['from', 'to', 'tensor', 'shape', 'INT8', 'FP16', 'I/O format (trtexec)'], rows, [4, 5])) out.push(`  ${line}`);
      if (crossings.length > shownCrossings) out.push(`  … and ${crossings.length - shownCrossings} more (--verbose)`);
    }
  }
  const groups = new Map<string, NodeVerdict[]>();
  for (const n of a.nodes) {
    if (n.ok || n.rule === undefined) continue;
    const list = groups.get(n.rule);
    if (list === undefined) groups.set(n.rule, [n]);
    else list.push(n);
  }
  if (groups.size > 0) {
    out.push('');
    out.push(`fallbacks by rule (${plural(s.nodes.fallback, 'node')})`);
    const limit = verbose ? Infinity : (options.namesPerRule ?? 3);
    for (const [rule, list] of [...groups].sort((x, y) => y[1].length - x[1].length)) {
      const names = list.slice(0, limit).map((n) => n.name);
      const more = list.length > limit ? `, and ${list.length - limit} more` : '';
      out.push(`  ${rule} ×${list.length}: ${names.join(', ')}${more}`);
      out.push(`      e.g. ${list[0]!.name}: ${list[0]!.reason ?? ''}`);
      const fixes = [...new Set(list.map((n) => n.fix?.text).filter((t): t is string => t !== undefined))];
      const fixLimit = verbose ? Infinity : 1;
      for (const f of fixes.slice(0, fixLimit)) out.push(`      fix: ${f}`);
      if (fixes.length > fixLimit) out.push(`      (${plural(fixes.length - fixLimit, 'more fix', 'more fixes')}, one per node: --nodes)`);
    }
  }
  if (s.warnings.length > 0) {
    out.push('');
    out.push('warnings');
    for (const w of s.warnings) out.push(`  ${w}`);
  }
  if (groups.size > 0 || s.warnings.length > 0) out.push('', rulesPointer(a.target));
  if (!verbose && options.details !== false && (a.regions.length > top || a.crossings.length > top)) {
    out.push('');
    out.push('every region and crossing: --verbose; every node with its verdict: --nodes; all of it as data: --json');
  }
  if (options.nodes) {
    out.push('');
    out.push('nodes');
    for (const n of a.nodes) {
      const where = n.region ?? side(n.placement, fallback);
      out.push(`  ${where.padEnd(7)} ${n.op.padEnd(18)} ${n.name}${n.flops !== undefined ? `  ${formatFlops(n.flops)}` : ''}`);
      for (const p of n.problems ?? []) out.push(`          ✗ ${p.rule}: ${p.reason}`);
      if (n.fix) out.push(`          fix (${n.fix.kind}): ${n.fix.text}`);
      for (const note of n.notes ?? []) if (n.placement !== 'build') out.push(`          note ${note}`);
    }
  }
  return out;
}

/** analyze --sparsity: per Conv, 2:4 pattern and eligibility (reference G18). */
export function formatSparsity(rows: readonly ConvSparsity[]): string[] {
  const qualify = rows.filter((r) => r.qualifies);
  const follow = qualify.filter((r) => r.follows === true);
  const lines = [
    '',
    `2:4 structured sparsity (G18: along C of KCRS weights, C > 64; Orin DLA INT8 runs such convolutions faster, 1.24x–1.35x end to end in the DLA-SW README): ${qualify.length} of ${rows.length} Convs qualify, ${follow.length} already follow the pattern${qualify.length > follow.length ? '; tandem prepare --prune-2:4 writes a pruned copy (accuracy needs retraining)' : ''}`,
  ];
  const w = Math.max(4, ...rows.map((r) => r.node.length));
  for (const r of rows) lines.push(`  ${r.node.padEnd(w)}  C=${String(r.channels).padEnd(5)} ${r.qualifies ? 'qualifies' : `no: ${r.reason}`}${r.follows === undefined ? '' : r.follows ? ', 2:4 already' : ', dense'}${r.zeroShare === undefined ? '' : ` (${(r.zeroShare * 100).toFixed(0)}% zeros)`}`);
  return lines;
}
