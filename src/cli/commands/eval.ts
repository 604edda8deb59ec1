import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { TandemError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { ENGINE_NAMES, type EngineName } from '../../runtime/engines/types.js';
import { isPlanPath } from '../../io/stage-file/index.js';
import { checkSensitivityTarget, evaluate, evaluateSensitivity, mergeEvalParts, readEvalPart, resolveShard, summarizeEval, type EvalSummary, type SensitivityReport } from '../../eval/index.js';
import { table } from '../format.js';
import type { CliContext } from '../context.js';
import { progressBars } from '../progress-events.js';
import { nonNegativeInt, parseSize, positiveInt } from '../parse.js';
import type { CliCommand } from './types.js';

interface EvalFlags {
  dataset: string;
  reference?: string;
  engine: EngineName;
  referenceEngine: EngineName;
  size?: { height: number; width: number };
  save: number;
  saveDir: string;
  shard?: string;
  out?: string;
  merge?: boolean;
  threads?: number;
  json?: boolean;
  sensitivity?: number | true;
  sensitivityFrames: number;
}

export const evalCommand: CliCommand = {
  name: 'eval',
  examples: [
    'tandem eval assets/models/tandem-street.onnx --dataset synthetic:1000,256',
    'tandem eval int8/plan.json --reference assets/models/tandem-street.onnx --save 4',
    'tandem eval model.onnx --dataset cityscapes:/data/cityscapes --shard 3/8 -o parts/3.json',
    'tandem eval --merge parts/*.json',
    'tandem eval int8/plan.json --sensitivity 5',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('eval')
      .description('task metrics of a model or plan on a dataset (mIoU, pixel accuracy; depth AbsRel, SqRel, RMSE, RMSE-log, δ1-3), and with --reference the deltas and agreement (e.g. INT8 vs FP32); shardable, parts merge exactly')
      .argument('[target...]', 'ONNX model or plan (plan.json or its folder); with --merge: eval result files')
      .option('--dataset <spec>', 'synthetic[:seed,count] (generated street scenes; default seed 1000, 64 frames), cityscapes:<dir> (leftImg8bit + gtFine), folder:<dir> (images/ + labels/ and/or depth/)', 'synthetic')
      .option('--reference <model|plan>', 'also evaluate this (e.g. the FP32 model) and report deltas, argmax agreement and depth relative error')
      .addOption(new Option('--engine <engine>', 'engine for a model target (dla-emulated for an INT8 Q/DQ model)').choices(ENGINE_NAMES).default('cpu'))
      .addOption(new Option('--reference-engine <engine>', 'engine for a model reference').choices(ENGINE_NAMES).default('cpu'))
      .option('--size <HxW>', 'synthetic frames: generate at this size (default: the model input size)', parseSize)
      .option('--save <n>', 'write colour-mapped PNGs (input, segmentation, depth, truth, INT8-vs-reference error maps) for the first n frames', nonNegativeInt, 0)
      .option('--save-dir <dir>', 'folder for --save', 'eval-frames')
      .option('--shard <i/n|n>', 'evaluate frames i, i+n, i+2n, ... and write a partial result (index defaults from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)')
      .option('-o, --out <file>', 'write the result state as JSON (with --shard default: eval-shard-<i>-of-<n>.json); tandem eval --merge reads these')
      .option('--merge', 'merge the eval result files given as targets (the shards of one run) and print the metrics')
      .option('--threads <n>', 'intra-op threads per session (cpu)', positiveInt)
      .option('--json', 'print the summary as JSON')
      .option('--sensitivity [n]', 'INT8 plan or Q/DQ model: rank every quantized tensor by the task metric it costs (all quantized but that one, in turn: mIoU points, relative AbsRel recovered); print the top n per head (default: 10; --json has all)', positiveInt)
      .option('--sensitivity-frames <n>', 'with --sensitivity: score each run on the first n frames of the dataset', positiveInt, 16)
      .action(async (targets: string[], flags: EvalFlags) => {
        if (flags.sensitivity !== undefined && (flags.merge || flags.shard !== undefined)) throw new TandemError('USAGE', '--sensitivity ranks tensors over one process\'s frames; leave out --shard and --merge');
        if (flags.merge) {
          if (targets.length === 0) throw new TandemError('USAGE', 'give the eval result files to merge: tandem eval --merge parts/*.json');
          const merged = mergeEvalParts(targets.map(readEvalPart));
          if (flags.out !== undefined) writeFileAtomic(flags.out, `${JSON.stringify(merged, null, 2)}\n`);
          printSummary(summarizeEval(merged), flags, ctx, `merged ${targets.length} parts`);
          return;
        }
        if (targets.length !== 1) throw new TandemError('USAGE', `give one model or plan to evaluate (got ${targets.length})`);
        const target = targets[0]!;
        const shard = resolveShard(flags.shard, process.env);
        const sharded = shard.count > 1;
        if (flags.sensitivity !== undefined) checkSensitivityTarget(target);
        const bars = progressBars(ctx, { label: `eval${sharded ? ` shard ${shard.index}/${shard.count}` : ''}` });
        const part = await evaluate(target, {
          dataset: flags.dataset,
          ...(flags.size !== undefined ? { size: flags.size } : {}),
          ...(flags.reference !== undefined ? { reference: flags.reference } : {}),
          shard,
          save: flags.save,
          saveDir: resolve(flags.saveDir),
          targetOptions: { engine: flags.engine, ...(flags.threads !== undefined ? { threads: flags.threads } : {}) },
          referenceOptions: { engine: flags.referenceEngine, ...(flags.threads !== undefined ? { threads: flags.threads } : {}) },
          onProgress: bars.onProgress,
        }).finally(() => bars.stop());
        const out = flags.out ?? (sharded ? join('.', `eval-shard-${shard.index}-of-${shard.count}.json`) : undefined);
        if (out !== undefined) {
          writeFileAtomic(out, `${JSON.stringify(part, null, 2)}\n`);
          ctx.note(`wrote the result state to ${out}${sharded ? ' (merge the shards with tandem eval --merge)' : ''}`);
        }
        const emulated = flags.engine === 'dla-emulated' || isPlanPath(target);
        const what = `${part.dataset.description}; outputs computed on onnxruntime (${emulated ? 'INT8 stages emulated by Q/DQ on the cpu engine, not measured on a DLA' : `${flags.engine} engine`}), this machine`;
        let sensitivity: SensitivityReport | undefined;
        if (flags.sensitivity !== undefined) {
          const sbars = progressBars(ctx);
          sensitivity = await evaluateSensitivity(target, {
            dataset: flags.dataset,
            ...(flags.size !== undefined ? { size: flags.size } : {}),
            frames: flags.sensitivityFrames,
            ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
            onProgress: sbars.onProgress,
          }).finally(() => sbars.stop());
        }
        if (flags.json) ctx.printJson(sensitivity ? { ...summarizeEval(part), sensitivity } : summarizeEval(part));
        else {
          printSummary(summarizeEval(part), flags, ctx, what);
          if (sensitivity) printSensitivity(sensitivity, flags.sensitivity === true ? 10 : (flags.sensitivity ?? 10), ctx);
        }
        if (part.savedFiles.length > 0) ctx.note(`wrote ${part.savedFiles.length} PNGs to ${resolve(flags.saveDir)}`);
      });
  },
};

/** The ranking per head and metric: what keeping each tensor in float recovers (mIoU points, or relative AbsRel). */
function printSensitivity(r: SensitivityReport, top: number, ctx: CliContext): void {
  ctx.print('');
  ctx.print(`sensitivity: each quantized tensor left in float in turn, all others INT8 (emulated by Q/DQ on onnxruntime cpu); ${r.frames} frames of ${r.dataset}`);
  for (const s of r.stages) {
    const unit = (v: number): string => (s.metric === 'miou' ? `${v >= 0 ? '+' : ''}${v.toFixed(2)} mIoU` : `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}% AbsRel`);
    const name = s.metric === 'miou' ? 'mIoU' : 'AbsRel';
    ctx.print(`  ${s.stage} — ${name}: FP32 ${s.fp32.toFixed(s.metric === 'miou' ? 2 : 4)}, INT8 ${s.int8.toFixed(s.metric === 'miou' ? 2 : 4)} (loss ${unit(s.int8Loss)}); ${s.rows.length} quantized tensors${s.fixed.length > 0 ? `, ${s.fixed.length} Q/DQ left quantized throughout (${[...new Set(s.fixed.map((f) => f.reason))].join('; ')})` : ''}`);
    const rows = s.rows.slice(0, top).map((x, i) => [String(i + 1), x.tensor, x.kind, x.layer === '' ? '(stage input)' : x.layer, unit(x.recovers)]);
    for (const line of table(['#', 'tensor', 'kind', 'layer', 'keeping it in float recovers'], rows, [0, 4])) ctx.print(`    ${line}`);
    if (s.rows.length > top) ctx.print(`    … ${s.rows.length - top} more (--sensitivity ${s.rows.length} or --json)`);
  }
  for (const k of r.skipped) ctx.note(`sensitivity: ${k.stage} not ranked: ${k.reason}`);
}

const f2 = (v: number | undefined | null, digits = 2): string => (v === undefined || v === null ? '—' : v.toFixed(digits));

function printSummary(s: EvalSummary, flags: EvalFlags, ctx: CliContext, what: string): void {
  if (flags.json) {
    ctx.printJson(s);
    return;
  }
  ctx.print(`${s.target}${s.reference ? ` vs reference ${s.reference}` : ''}`);
  ctx.print(`  ${s.frames} frames of ${s.dataset.name} — ${what}${s.complete ? '' : ` — PARTIAL: shards ${s.shards.indices.join(', ')} of ${s.shards.count}`}`);
  const row = (label: string, m: EvalSummary['metrics']): void => {
    const seg = m.segmentation;
    const d = m.depth;
    ctx.print(`  ${label.padEnd(10)} ${seg ? `mIoU ${f2(seg.mIoU)}  pixel acc ${f2(seg.pixelAccuracy)}` : ''}${seg && d ? '  |  ' : ''}${d ? `AbsRel ${f2(d.absRel, 4)}  SqRel ${f2(d.sqRel, 3)}  RMSE ${f2(d.rmse, 3)} m  RMSE-log ${f2(d.rmseLog, 4)}  δ1 ${f2(d.delta1, 4)}  δ2 ${f2(d.delta2, 4)}  δ3 ${f2(d.delta3, 4)}` : ''}`);
  };
  row('target', s.metrics);
  if (s.referenceMetrics) row('reference', s.referenceMetrics);
  if (s.deltas) ctx.print(`  delta      ${s.deltas.mIoU !== undefined ? `mIoU ${s.deltas.mIoU >= 0 ? '+' : ''}${f2(s.deltas.mIoU)} points  ` : ''}${s.deltas.absRel !== undefined ? `AbsRel ${s.deltas.absRel >= 0 ? '+' : ''}${f2(s.deltas.absRel, 4)} (${f2(100 * (s.deltas.absRelRelative ?? 0), 2)}% relative)  δ1 ${f2(s.deltas.delta1, 4)}` : ''}`);
  if (s.agreement) ctx.print(`  agreement  argmax ${f2(s.agreement.argmaxAgreement)}%  depth relative error ${f2(s.agreement.depthRelativeError === null ? null : 100 * s.agreement.depthRelativeError, 3)}% (worst frame ${f2(s.agreement.depthWorstFrame === null ? null : 100 * s.agreement.depthWorstFrame, 3)}%)`);
  const seg = s.metrics.segmentation;
  if (seg && s.classNames) {
    const parts = seg.iou.map((v, i) => (v === null ? undefined : `${s.classNames![i]} ${v.toFixed(1)}`)).filter((x) => x !== undefined);
    ctx.print(`  IoU        ${parts.join(', ')}`);
  }
  for (const note of s.notes ?? []) ctx.note(note);
}
