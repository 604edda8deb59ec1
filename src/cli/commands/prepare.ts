import { Option } from 'commander';
import type { Model } from '../../ir/model.js';
import { loadModel, modelFiles, saveModel, savedModelFiles } from '../../onnx/index.js';
import { PASS_NAMES, type PrepareReport } from '../../passes/index.js';
import { prepareAndVerify, pruneTwoFourChecked, type PruneCheckResult } from '../../runtime/checked-rewrites.js';
import type { EquivalenceReport } from '../../runtime/verify.js';
import { TARGETS, getTarget, type AnalysisSummary } from '../../targets/index.js';
import { assertOutputsFree, checkOutputFile } from '../../util/fs.js';
import { unusedDimsNotes } from '../dims.js';
import { dimSizes, list } from '../parse.js';
import { formatFlops } from './analyze.js';
import { progressBars } from '../progress-events.js';
import { bytes } from '../format.js';
import type { CliCommand } from './types.js';

interface PrepareFlags {
  out: string;
  target: string;
  precision?: 'int8' | 'fp16';
  passes?: string[];
  applyAll?: boolean;
  dims?: Record<string, number>;
  verify: boolean;
  rewrites?: boolean;
  json?: boolean;
}

export const prepareCommand: CliCommand = {
  name: 'prepare',
  examples: [
    'tandem prepare model.onnx --target orin-dla -o model.dla.onnx',
    'tandem prepare model.onnx -o out.onnx --passes fuse-conv-batchnorm,convert-matmul-to-conv --rewrites',
    'tandem prepare model.onnx -o out.onnx --dims batch=1 --json',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('prepare')
      .description('rewrite a model to put more of it on a target (fusions, DLA op reconstructions); verified on onnxruntime cpu; prints coverage before → after (modelled, not measured)')
      .argument('<model>', 'ONNX model file')
      .requiredOption('-o, --out <file>', 'where to write the prepared model (never the input)')
      .option('--target <name>', `target profile: ${[...TARGETS.keys()].join(', ')}`, 'orin-dla')
      .addOption(new Option('--precision <precision>', 'build precision for the analysis (default: int8 for DLA targets)').choices(['int8', 'fp16']))
      .option('--passes <a,b,c>', `passes to run, in this order (default: all): ${PASS_NAMES.join(', ')}`, list)
      .option('--apply-all', 'keep every reconstruction whose conditions hold, not only those that raise coverage')
      .option('--dims <name=size,...>', 'sizes for symbolic input dims (analysis and verification)', dimSizes)
      .option('--no-verify', 'skip the onnxruntime check that outputs are unchanged')
      .option('--rewrites', 'list every rewrite, not just counts')
      .option('--prune-2:4', '2:4-prune the Convs that qualify (Orin DLA sparse INT8, C > 64) in the written copy, for functional and speed tests: outputs change, accuracy needs retraining')
      .option('--json', 'print the report as JSON')
      .action(async (modelPath: string, flags: PrepareFlags) => {
        checkOutputFile(flags.out);
        getTarget(flags.target);
        const model = loadModel(modelPath, { weights: 'lazy' });
        assertOutputsFree(savedModelFiles(flags.out), modelFiles(model, modelPath));
        if (flags.dims) for (const line of unusedDimsNotes(model, flags.dims)) ctx.note(line);
        const progress = progressBars(ctx);
        const result = await prepareAndVerify(model, {
          onProgress: progress.onProgress,
          target: flags.target,
          keep: flags.applyAll ? 'all' : 'coverage',
          ...(flags.precision ? { precision: flags.precision } : {}),
          ...(flags.passes ? { passes: flags.passes } : {}),
          ...(flags.dims ? { dims: flags.dims } : {}),
          verify: flags.verify,
        });
        progress.stop();
        const verification = result.verification;
        const prune = (flags as unknown as Record<string, unknown>)['prune2:4'] === true ? pruneLines(await pruneTwoFourChecked(result.model)) : undefined;
        const saved = saveModel(prune?.model ?? result.model, flags.out);
        if (flags.json) {
          ctx.printJson({ ...(prepareJson(modelPath, saved.path, saved.bytes, result.report, verification) as object), ...(prune ? { prune: prune.report } : {}) });
          return;
        }
        for (const line of formatPrepare(modelPath, result.report, { rewrites: flags.rewrites ?? false })) ctx.print(line);
        ctx.print(verification === undefined ? 'verified   skipped (--no-verify)' : `verified   ${formatVerification(verification)}`);
        if (prune) for (const line of prune.lines) ctx.print(line);
        ctx.print(`wrote      ${saved.path} (${bytes(saved.bytes)})`);
      });
  },
};

/** What `prepare --json` prints (and the demo writes as prepare.json for the report). */
export function prepareJson(input: string, output: string, bytes: number, report: PrepareReport, v: EquivalenceReport | undefined): unknown {
  const r = { report };
  return {
    input,
    output,
    bytes,
    target: r.report.target,
    precision: r.report.precision,
    basis: r.report.after.basis,
    before: r.report.before,
    after: r.report.after,
    rounds: r.report.rounds,
    passes: r.report.passes,
    verification:
      v === undefined
        ? null
        : { engine: 'cpu', what: 'onnxruntime cpu on fresh random inputs, model before vs after', tolerance: v.tolerance, trials: v.trials, outputs: v.outputs },
  };
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '–';
}

function coverage(s: AnalysisSummary): { nodes: string; flops: string } {
  const counted = s.nodes.total - s.nodes.build;
  return {
    nodes: `${s.nodes.onTarget}/${counted} (${pct(s.nodes.onTarget, counted)})`,
    flops: `${formatFlops(s.flops.onTarget)} of ${formatFlops(s.flops.total)} (${pct(s.flops.onTarget, s.flops.total)})`,
  };
}

/** Lines of the text report: coverage before → after, then what each pass did. */
export function formatPrepare(label: string, r: PrepareReport, options: { rewrites: boolean }): string[] {
  const b = coverage(r.before);
  const a = coverage(r.after);
  const out = [
    `prepare ${label} for ${r.target} (${r.precision.toUpperCase()})`,
    `  coverage is ${r.after.basis}`,
    `coverage   nodes on target: ${b.nodes} → ${a.nodes}; fallback ${r.before.nodes.fallback} → ${r.after.nodes.fallback}`,
    `           FLOPs on target: ${b.flops} → ${a.flops}`,
    `           regions ${r.before.regions} → ${r.after.regions}, crossings ${r.before.crossings} → ${r.after.crossings}`,
    'passes',
  ];
  const width = Math.max(...r.passes.map((p) => p.pass.length));
  for (const p of r.passes) {
    if (p.applied.length === 0 && p.rejected.length === 0) continue;
    const kept = p.kind === 'reconstruction' || p.rejected.length > 0 ? `${p.applied.length} kept, ${p.rejected.length} not kept` : `${p.applied.length} rewrite${p.applied.length === 1 ? '' : 's'}`;
    out.push(`  ${p.pass.padEnd(width)}  ${kept}`);
    const shown = options.rewrites ? p.applied : p.applied.slice(0, 2);
    for (const rw of shown) out.push(`      ${rw.summary}`);
    if (shown.length < p.applied.length) out.push(`      … and ${p.applied.length - shown.length} more (--rewrites)`);
    const reasons = options.rewrites ? p.rejected : p.rejected.slice(0, 1);
    for (const x of reasons) out.push(`      not kept: ${x.rewrite.summary} (${x.reason})`);
    if (reasons.length < p.rejected.length) out.push(`      … and ${p.rejected.length - reasons.length} more not kept (--rewrites)`);
  }
  if (r.passes.every((p) => p.applied.length === 0 && p.rejected.length === 0)) out.push(`  nothing to rewrite (${r.passes.length} passes ran: ${r.passes.map((p) => p.pass).join(', ')})`);
  return out;
}

export function formatVerification(v: EquivalenceReport): string {
  const parts = v.outputs.map((c) => (c.exact ? `${c.name} exact` : `${c.name} rel L2 ${c.relL2.toExponential(1)}`));
  return `onnxruntime cpu, ${v.trials} fresh random input sets: ${parts.join(', ')} (tolerance ${v.tolerance.toExponential(0)}, measured)`;
}


/** What --prune-2:4 prints and adds to the JSON. */
function pruneLines(p: PruneCheckResult): { model: Model; lines: string[]; report: unknown } {
  const { convs } = p;
  const n = convs.filter((c) => c.pruned).length;
  const change = p.outputChange.map((o) => `${o.name} rel L2 ${o.relL2.toExponential(2)}`).join(', ');
  return {
    model: p.model,
    lines: [`pruned     2:4 along C in ${n} of ${convs.length} Convs (${convs.reduce((a, c) => a + c.zeroed, 0)} weights zeroed); all now follow the pattern; outputs moved by ${change} on onnxruntime cpu (random inputs) — a copy for functional and speed tests: accuracy needs retraining with the 2:4 mask`],
    report: { convs, outputChange: p.outputChange, note: 'functional and speed tests only: accuracy needs retraining (fine-tune with the 2:4 mask)' },
  };
}
