import { join } from 'node:path';
import type { StageFile } from '../io/stage-file/index.js';
import type { Model } from '../ir/model.js';
import { loadModel } from '../onnx/load-save.js';
import { TandemError } from '../util/errors.js';
import { ORIN_PARAMS } from './cost/orin.js';
import { stageLatency, type CostEngineKind, type CostPrecision, type StageLatency } from './cost/latency.js';
import type { LatencyParams, PowerMode } from './cost/params.js';
import { pipelineCost, type PipelineCostResult, type PipelineEngine } from './cost/pipeline.js';
import { modelWorkload, type Workload } from './cost/workload.js';

/** What every figure of a cost report is. */
export const COST_BASIS = 'modelled by tandem\'s Orin latency model (src/plan/cost, fitted on published NVIDIA measurements), not measured';

/** Options of `costModel` and `costStageFile` (the Orin latency model). */
export interface OrinCostOptions {
  /** Engine for a single model, or for every stage of a split (a plan's stages keep theirs). @default 'gpu' */
  engine?: CostEngineKind;
  /** Precision of a single model or of every split stage. @default 'fp16' on the GPU, 'int8' on a DLA */
  precision?: CostPrecision;
  /** Frames per inference. @default 1 */
  batch?: number;
  /** Orin power mode. @default 'maxn' */
  power?: PowerMode;
  /** Platform the parameters are for. @default 'agx-orin-64gb' */
  platform?: string;
  /** Latency parameters. @default ORIN_PARAMS (the shipped file) */
  params?: LatencyParams;
}

export interface ResolvedOrinCostOptions {
  readonly engine: CostEngineKind | undefined;
  readonly precision: CostPrecision | undefined;
  readonly batch: number;
  readonly power: PowerMode;
  readonly platform: string;
  readonly params: LatencyParams;
}

export function resolveOrinCostOptions(o: OrinCostOptions = {}): ResolvedOrinCostOptions {
  const batch = o.batch ?? 1;
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > 4096) throw new TandemError('USAGE', `--batch must be an integer in 1..4096, got ${batch}`);
  return { engine: o.engine, precision: o.precision, batch, power: o.power ?? 'maxn', platform: o.platform ?? 'agx-orin-64gb', params: o.params ?? ORIN_PARAMS };
}

/** One stage's modelled latency and throughput on its engine. */
export interface StageCostRow {
  readonly name: string;
  readonly engine: PipelineEngine;
  readonly precision: CostPrecision;
  /** Latency of the stage with the other engines busy as in the pipeline (ms, modelled). */
  readonly latencyMs: number;
  /** batch × 1000 / latencyMs (modelled). */
  readonly fps: number;
  /** The stage alone on the SoC. */
  readonly cost: StageLatency;
  /** The same stage on each engine kind and precision, alone (ms, modelled). */
  readonly alternatives: readonly { readonly engine: CostEngineKind; readonly precision: CostPrecision; readonly latencyMs: number }[];
  readonly notes: readonly string[];
}

/** What the Orin latency model predicts for a model or stage file (every figure modelled, see `basis`). */
export interface CostReport {
  readonly basis: string;
  readonly batch: number;
  readonly power: PowerMode;
  readonly platform: string;
  readonly stages: readonly StageCostRow[];
  readonly pipeline: PipelineCostResult;
}

interface StageInput {
  name: string;
  workload: Workload;
  engine: PipelineEngine;
  precision: CostPrecision;
  after: string[];
  notes: string[];
}

function kindOf(e: PipelineEngine): CostEngineKind {
  return e === 'gpu' ? 'gpu' : 'dla';
}

function report(inputs: readonly StageInput[], o: ResolvedOrinCostOptions): CostReport {
  const settings = { params: o.params, batch: o.batch, power: o.power, platform: o.platform };
  const costs = inputs.map((s) => stageLatency(s.workload, undefined, kindOf(s.engine), s.precision, settings));
  const dram = (o.params.power[o.power]?.dram ?? 1) * (o.params.platforms[o.platform]?.dram ?? 1);
  const pipeline = pipelineCost(
    inputs.map((s, i) => ({ name: s.name, engine: s.engine, cost: costs[i]!, after: s.after })),
    o.params,
    dram,
  );
  const stages = inputs.map((s, i): StageCostRow => {
    const p = pipeline.stages[i]!;
    const alternatives = (['gpu', 'dla'] as const).flatMap((engine) =>
      (['int8', 'fp16'] as const).map((precision) => ({ engine, precision, latencyMs: stageLatency(s.workload, undefined, engine, precision, settings).latencyMs })),
    );
    return { name: s.name, engine: s.engine, precision: s.precision, latencyMs: p.latencyMs, fps: p.fps, cost: costs[i]!, alternatives, notes: s.notes };
  });
  return { basis: COST_BASIS, batch: o.batch, power: o.power, platform: o.platform, stages, pipeline };
}

/**
 * Modelled cost of a whole model as one stage on one engine (GPU by default).
 *
 * @example
 * ```ts
 * const report = costModel(loadModel('model.onnx'), { engine: 'dla', precision: 'int8', power: '30w' });
 * console.log(report.basis, report.pipeline.fps, report.pipeline.latencyMs);
 * ```
 */
export function costModel(model: Model, options: OrinCostOptions = {}): CostReport {
  const o = resolveOrinCostOptions(options);
  const engine = o.engine ?? 'gpu';
  const precision = o.precision ?? (engine === 'gpu' ? 'fp16' : 'int8');
  const workload = modelWorkload(model, { name: model.graph.name || 'model' });
  return report([{ name: model.graph.name || 'model', workload, engine: engine === 'gpu' ? 'gpu' : 'dla0', precision, after: [], notes: [] }], o);
}

/**
 * Modelled cost of a plan's (or a split's) stages as a pipeline. A plan's stages keep their engine and
 * precision (host engines map to the Orin engine they stand for: dla-emulated → a DLA, the rest → the
 * GPU; fp32 is costed as fp16, which TensorRT would pick on Orin); a split's stages run on `engine`, or
 * by default the backbone on the GPU and the heads on the DLA cores in turn.
 */
export function costStageFile(file: StageFile, options: OrinCostOptions = {}): CostReport {
  const o = resolveOrinCostOptions(options);
  const producer = new Map<string, string>();
  for (const t of file.tensors) if (t.from !== null) producer.set(t.name, t.from);
  let nextDla = 0;
  const inputs = file.stages.map((s): StageInput => {
    const notes: string[] = [];
    let engine: PipelineEngine;
    let precision: CostPrecision;
    if (file.kind === 'plan' && 'engine' in s) {
      const e = s.engine;
      engine = e === 'dla0' || e === 'dla1' ? e : e === 'dla-emulated' ? (nextDla++ % 2 === 0 ? 'dla0' : 'dla1') : 'gpu';
      if (e !== engine) notes.push(`host engine ${e} costed as the Orin ${engine}`);
      precision = s.precision === 'int8' ? 'int8' : 'fp16';
      if (s.precision === 'fp32') notes.push('fp32 costed as fp16 (TensorRT on Orin)');
      if (o.engine !== undefined) notes.push(`--engine ignored: a plan's stages keep their engines`);
    } else {
      const kind = o.engine ?? (s.kind === 'backbone' ? 'gpu' : 'dla');
      engine = kind === 'gpu' ? 'gpu' : nextDla++ % 2 === 0 ? 'dla0' : 'dla1';
      precision = o.precision ?? (kind === 'gpu' ? 'fp16' : 'int8');
    }
    const model = loadModel(join(file.dir, s.file), { weights: 'lazy' });
    const after = [...new Set(s.inputs.map((t) => producer.get(t)).filter((p): p is string => p !== undefined && p !== s.name))];
    return { name: s.name, workload: modelWorkload(model, { name: s.name }), engine, precision, after, notes };
  });
  return report(inputs, o);
}
