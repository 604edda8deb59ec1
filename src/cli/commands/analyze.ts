import { Option } from 'commander';
import { formatShape } from '../../ir/types.js';
import { loadModel } from '../../onnx/load-save.js';
import { TARGETS, analyze, convSparsity, getTarget, type Analysis, type ConvSparsity, type NodeVerdict } from '../../targets/index.js';
import { dimSizes, finiteNumber } from '../parse.js';
import { unusedDimsNotes } from '../dims.js';
import type { CliCommand } from './types.js';

interface AnalyzeFlags {
  target: string;
  precision?: 'int8' | 'fp16';
  dims?: Record<string, number>;
  minRegionShare?: number;
  nodes?: boolean;
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
        for (const line of formatAnalysis(analysis, modelPath, { nodes: flags.nodes ?? false })) ctx.print(line);
        if (sparsity) for (const line of formatSparsity(sparsity)) ctx.print(line);
      });
  },
};

export interface FormatAnalysisOptions {
  /** Append the per-node verdicts. @default false */
  nodes?: boolean;
  /** Node names listed per fallback rule before "and N more". @default 6 */
  namesPerRule?: number;
  /** List each region and each crossing (false: their counts only). @default true */
  details?: boolean;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '–';
}

export function formatFlops(flops: number): string {
  if (flops >= 1e9) return `${(flops / 1e9).toFixed(2)} GFLOP`;
  if (flops >= 1e6) return `${(flops / 1e6).toFixed(2)} MFLOP`;
  if (flops >= 1e3) return `${(flops / 1e3).toFixed(1)} kFLOP`;
  return `${flops} FLOP`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '? B';
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function side(placement: NodeVerdict['placement'], fallback: string): string {
  return placement === 'target' ? 'target' : placement === 'build' ? 'build' : fallback;
}

/** The text report of an analysis: summary, regions, crossings, fallbacks grouped by rule, warnings. */
export function formatAnalysis(a: Analysis, label: string, options: FormatAnalysisOptions = {}): string[] {
  const profile = getTarget(a.target);
  const engine = profile.kind === 'dla' ? 'DLA' : profile.kind.toUpperCase();
  const fallback = profile.fallback === 'none' ? 'nowhere' : profile.fallback.toUpperCase();
  const s = a.summary;
  const out: string[] = [];
  out.push(`${label} on ${a.target} (${profile.title}), ${a.precision.toUpperCase()}`);
  out.push(`  ${s.basis}`);
  out.push('');
  out.push(`coverage   nodes: ${s.nodes.onTarget} of ${s.nodes.total - s.nodes.build} on the ${engine} (${pct(s.nodes.onTarget, s.nodes.total - s.nodes.build)}), ${s.nodes.fallback} ${profile.fallback === 'none' ? 'unsupported' : `fall back to the ${fallback}`}, ${s.nodes.build} folded/removed at build time`);
  out.push(`           FLOPs: ${formatFlops(s.flops.onTarget)} of ${formatFlops(s.flops.total)} on the ${engine} (${pct(s.flops.onTarget, s.flops.total)})${s.flops.unknownNodes > 0 ? `; ${s.flops.unknownNodes} node(s) of unknown cost` : ''}`);
  if (profile.kind === 'dla') {
    out.push(`regions    ${s.regions} DLA region${s.regions === 1 ? '' : 's'} (one loadable each; a DLA core holds ${profile.limits?.maxLoadablesPerCore ?? '?'})`);
    for (const r of options.details === false ? [] : a.regions) {
      out.push(`  ${r.id.padEnd(4)} ${String(r.nodes.length).padStart(5)} nodes  ${formatFlops(r.flops).padStart(12)}  from ${r.nodes[0] ?? '?'} to ${r.nodes[r.nodes.length - 1] ?? '?'}`);
    }
    out.push(`crossings  ${s.crossings} tensor${s.crossings === 1 ? '' : 's'}, ${formatBytes(s.crossingBytes.int8)} per inference at INT8 (${formatBytes(s.crossingBytes.fp16)} at FP16): each is a reformat/copy on the target`);
    for (const x of options.details === false ? [] : a.crossings) {
      const size = `${formatBytes(x.bytes.int8)} / ${formatBytes(x.bytes.fp16)}`;
      out.push(`  ${`${x.from} → ${x.to}`.padEnd(16)} ${x.tensor}  ${formatShape(x.shape)}  ${size}${x.format ? `  ${x.format}` : ''}`);
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
    out.push(`fallbacks by rule (${s.nodes.fallback} node${s.nodes.fallback === 1 ? '' : 's'})`);
    const limit = options.namesPerRule ?? 6;
    for (const [rule, list] of [...groups].sort((x, y) => y[1].length - x[1].length)) {
      const names = list.slice(0, limit).map((n) => n.name);
      const more = list.length > limit ? `, and ${list.length - limit} more` : '';
      out.push(`  ${rule} ×${list.length}: ${names.join(', ')}${more}`);
      out.push(`      e.g. ${list[0]!.name}: ${list[0]!.reason ?? ''}`);
      const fixes = [...new Set(list.map((n) => n.fix?.text).filter((t): t is string => t !== undefined))];
      for (const f of fixes.slice(0, 2)) out.push(`      fix: ${f}`);
      if (fixes.length > 2) out.push(`      (${fixes.length - 2} more fixes, one per node: --nodes)`);
    }
  }
  if (s.warnings.length > 0) {
    out.push('');
    out.push('warnings');
    for (const w of s.warnings) out.push(`  ${w}`);
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
