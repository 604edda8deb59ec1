import { Option } from 'commander';
import { readStageFile } from '../../io/stage-file/index.js';
import { REFERENCE_MODEL_NAMES } from '../../models/index.js';
import { costModel, costStageFile, loadCostSubject, readLatencyParams, searchPlacement, type CostSubject, type OrinCostOptions, type CostReport, type PowerMode, type SearchResult } from '../../plan/index.js';
import { TandemError } from '../../util/errors.js';
import { withDims } from '../dims.js';
import { dimSizes, finiteNumber, positiveInt } from '../parse.js';
import type { CliContext } from '../context.js';
import type { CliCommand } from './types.js';

interface CostFlags {
  target: string;
  engine?: 'gpu' | 'dla';
  precision?: 'int8' | 'fp16';
  batch?: number;
  power?: PowerMode;
  platform?: string;
  params?: string;
  dims?: Record<string, number>;
  json?: boolean;
  search?: boolean;
  objective?: 'throughput' | 'latency';
  maxLatency?: number;
}

export function checkOrinTarget(target: string): void {
  if (target !== 'orin') throw new TandemError('USAGE', `--target ${target}: the latency model exists for "orin" only (Jetson AGX Orin 64GB; DRIVE Orin-X via --platform)`);
}

export const costCommand: CliCommand = {
  name: 'cost',
  examples: [
    'tandem cost model.onnx --target orin --engine dla --precision int8',
    'tandem cost out/plan.json --target orin --power 30w --json',
    'tandem cost multitask --batch 4',
  ],
  writes: false,
  readsModel: true,
  register(program, ctx) {
    program
      .command('cost')
      .description('predicted latency and throughput per stage and engine on a target (modelled by the fitted latency model, never measured)')
      .argument('<model|plan>', `ONNX model, split.json / plan.json, or a reference model (${REFERENCE_MODEL_NAMES.join(', ')})`)
      .option('--target <name>', 'target SoC (orin)', 'orin')
      .addOption(new Option('--engine <kind>', 'engine for a model or a split\'s stages (a plan keeps its own)').choices(['gpu', 'dla']))
      .addOption(new Option('--precision <p>', 'precision (default: fp16 on the GPU, int8 on a DLA)').choices(['int8', 'fp16']))
      .option('--batch <n>', 'batch size', positiveInt)
      .addOption(new Option('--power <mode>', 'nvpmodel power mode (Jetson AGX Orin 64GB)').choices(['maxn', '50w', '30w', '15w']).default('maxn'))
      .option('--platform <name>', 'platform of the parameter file: agx-orin-64gb, drive-orin-x', 'agx-orin-64gb')
      .option('--params <file>', 'latency parameters written by tandem import --refit (default: the shipped ones)')
      .option('--search', 'search cut points, engines and precisions for the model (placement search; prints the Pareto set)')
      .addOption(new Option('--objective <o>', 'what --search maximises').choices(['throughput', 'latency']).default('throughput'))
      .option('--max-latency <ms>', 'with --search: only choose plans at or under this modelled latency', finiteNumber)
      .option('--dims <name=size,...>', 'sizes for symbolic input dims of a model (a plan or split states its own shapes)', dimSizes)
      .option('--json', 'print { stages: [{ name, engine, precision, latencyMs, fps }], pipeline: { fps, latencyMs } } and the breakdown')
      .action((subject: string, flags: CostFlags) => {
        checkOrinTarget(flags.target);
        const options: OrinCostOptions = {
          ...(flags.engine ? { engine: flags.engine } : {}),
          ...(flags.precision ? { precision: flags.precision } : {}),
          ...(flags.batch !== undefined ? { batch: flags.batch } : {}),
          ...(flags.power ? { power: flags.power } : {}),
          ...(flags.platform ? { platform: flags.platform } : {}),
          ...(flags.params ? { params: readLatencyParams(flags.params) } : {}),
        };
        const loaded = loadCostSubject(subject);
        if (flags.dims && loaded.kind !== 'model') throw new TandemError('USAGE', `--dims sizes a model's symbolic input dims; ${subject} is a stage file, whose shapes are its own (tandem split --dims fixes them when splitting)`);
        const s: CostSubject = loaded.kind === 'model' ? { ...loaded, model: withDims(loaded.model, flags.dims, ctx.note) } : loaded;
        if (flags.search) {
          if (s.kind !== 'model') throw new TandemError('USAGE', '--search takes a model (an .onnx file or a reference model), not a stage file');
          const result = searchPlacement(s.model, {
            ...options,
            objective: flags.objective ?? 'throughput',
            ...(flags.maxLatency !== undefined ? { maxLatencyMs: flags.maxLatency } : {}),
            ...(s.features ? { features: s.features } : {}),
          });
          if (flags.json) ctx.printJson(searchJson(result));
          else for (const line of formatSearch(result, subject, s.note)) ctx.print(line);
          return;
        }
        if (s.kind === 'model' && s.note && !flags.json) ctx.note(`note: ${s.note}`);
        const r = s.kind === 'model' ? costModel(s.model, options) : costStageFile(readStageFile(s.path), options);
        if (flags.json) {
          ctx.printJson(costJson(r));
          return;
        }
        printCost(ctx, r, subject);
      });
  },
};

/** The --json document: the issue's fields first, then the breakdown. */
export function costJson(r: CostReport): unknown {
  return {
    basis: r.basis,
    batch: r.batch,
    power: r.power,
    platform: r.platform,
    stages: r.stages.map((s) => ({ name: s.name, engine: s.engine, precision: s.precision, latencyMs: s.latencyMs, fps: s.fps, modelled: true, aloneMs: s.cost.latencyMs, breakdown: s.cost.breakdown, counts: s.cost.counts, alternatives: s.alternatives, notes: s.notes })),
    pipeline: { fps: r.pipeline.fps, latencyMs: r.pipeline.latencyMs, modelled: true, periodMs: r.pipeline.periodMs, bottleneck: r.pipeline.bottleneck, contentionMs: r.pipeline.contentionMs, engines: r.pipeline.engines },
  };
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;

export function formatCost(r: CostReport, subject: string): string[] {
  const lines = [`${subject} on Orin (${r.platform}, ${r.power}, batch ${r.batch}): every figure below is modelled, not measured`];
  lines.push(`  ${'stage'.padEnd(14)} ${'engine'.padEnd(6)} ${'prec'.padEnd(5)} ${'latency'.padStart(10)} ${'fps'.padStart(8)}  breakdown alone (compute / memory / overhead / DLA submit / GPU fallback / crossings)`);
  for (const s of r.stages) {
    const b = s.cost.breakdown;
    lines.push(
      `  ${s.name.padEnd(14)} ${s.engine.padEnd(6)} ${s.precision.padEnd(5)} ${ms(s.latencyMs).padStart(10)} ${s.fps.toFixed(1).padStart(8)}  ${[b.computeMs, b.memoryMs, b.overheadMs, b.submissionMs, b.fallbackMs, b.crossingMs].map((x) => x.toFixed(2)).join(' / ')} ms modelled`,
    );
    const c = s.cost.counts;
    lines.push(`  ${''.padEnd(14)} ${c.kernels} kernels, ${c.fallbackLayers} GPU fallback layers, ${c.loadables} DLA loadables, ${c.crossings} crossings; alone on: ${s.alternatives.map((a) => `${a.engine} ${a.precision} ${ms(a.latencyMs)}`).join(', ')} (modelled)`);
    for (const n of s.notes) lines.push(`  ${''.padEnd(14)} note: ${n}`);
  }
  const p = r.pipeline;
  lines.push(`pipeline: ${p.fps.toFixed(1)} fps modelled, latency ${ms(p.latencyMs)} modelled; bottleneck ${p.bottleneck} (${ms(p.periodMs)} per frame, of which DRAM contention ${ms(p.contentionMs)}, modelled)`);
  lines.push(`basis: ${r.basis}`);
  return lines;
}

function printCost(ctx: CliContext, r: CostReport, subject: string): void {
  for (const line of formatCost(r, subject)) ctx.print(line);
}

/** --search --json: the Pareto set and the choice, without node lists. */
export function searchJson(r: SearchResult): unknown {
  const slim = (p: SearchResult['chosen']): unknown => ({ ...p, modelled: true, segments: p.segments.map(({ nodes, ...rest }) => ({ ...rest, nodes: nodes.length })) });
  return { basis: r.basis, scored: r.scored, infeasible: r.infeasible, elapsedMs: r.elapsedMs, chosen: slim(r.chosen), why: r.why, gpuOnly: slim(r.gpuOnly), handPlacement: r.handPlacement ? slim(r.handPlacement) : null, pareto: r.pareto.map(slim) };
}

export function formatSearch(r: SearchResult, subject: string, note?: string, show = 12): string[] {
  const lines = [`placement search for ${subject} on Orin: ${r.scored} placements scored (${r.infeasible} over the 16-loadable limit) in ${(r.elapsedMs / 1000).toFixed(1)} s; all figures modelled`];
  if (note) lines.push(`  ${note}`);
  const row = (tag: string, p: SearchResult['chosen']): string => `  ${tag.padEnd(8)} ${p.fps.toFixed(1).padStart(7)} fps ${p.latencyMs.toFixed(1).padStart(7)} ms  int8 ${(p.int8Share * 100).toFixed(0).padStart(3)}%  ${p.label}`;
  lines.push(`Pareto set (throughput ↑, latency ↓, INT8 share ↓): ${r.pareto.length} placements${r.pareto.length > show ? `, best ${show} shown` : ''} (modelled)`);
  for (const p of r.pareto.slice(0, show)) lines.push(row(p === r.chosen ? 'chosen' : '', p));
  lines.push('compared (modelled):');
  lines.push(row('gpu-only', r.gpuOnly));
  if (r.handPlacement) lines.push(row('webinar', r.handPlacement));
  lines.push(row('chosen', r.chosen));
  lines.push('why:');
  for (const w of r.why) lines.push(`  ${w}`);
  return lines;
}
