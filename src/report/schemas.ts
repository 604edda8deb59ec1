import { z } from 'zod';

/**
 * The result files the report reads, as zod schemas: what `analyze --json`, `prepare --json`,
 * `quantize --json`, scales.json, `bench --json`, the Chrome trace, `cost --json` and `eval --json`
 * write. Each schema holds what the report draws and lets other fields through, so a newer file with
 * more fields still loads; a missing or mistyped field the report needs is a clear error.
 */

const num = z.number();
const str = z.string();
const bytes = z.object({ int8: num.nullable(), fp16: num.nullable() });
const dim = z.union([num, str, z.null()]);

const finding = z.looseObject({ rule: str, reason: str, fix: z.looseObject({ kind: str, text: str }).optional() });

const summary = z.looseObject({
  nodes: z.object({ total: num, onTarget: num, fallback: num, build: num }),
  flops: z.looseObject({ total: num, onTarget: num, fallback: num, unknownNodes: num }),
  regions: num,
  crossings: num,
  crossingBytes: z.object({ int8: num, fp16: num }),
  warnings: z.array(str),
  basis: str,
});

/** `tandem analyze --json` (targets/ `Analysis`). */
export const AnalysisSchema = z.looseObject({
  target: str,
  precision: str,
  nodes: z.array(
    z.looseObject({
      name: str,
      op: str,
      /** Present from the version that writes the graph's edges; without them the graph is drawn without edges. */
      inputs: z.array(str).optional(),
      outputs: z.array(str).optional(),
      ok: z.boolean(),
      placement: z.enum(['target', 'fallback', 'build']),
      rule: str.optional(),
      reason: str.optional(),
      fix: z.looseObject({ kind: str, text: str }).optional(),
      problems: z.array(finding).optional(),
      notes: z.array(str).optional(),
      region: str.optional(),
      flops: num.optional(),
    }),
  ),
  regions: z.array(z.looseObject({ id: str, nodes: z.array(str), flops: num, inputs: z.array(str), outputs: z.array(str) })),
  crossings: z.array(z.looseObject({ tensor: str, from: str, to: str, shape: z.array(dim).optional(), bytes, format: str.optional() })),
  diagnostics: z.array(z.looseObject({ rule: str, message: str })),
  summary,
});
export type AnalysisFile = z.infer<typeof AnalysisSchema>;
export type AnalysisNode = AnalysisFile['nodes'][number];

/** `tandem prepare --json`. */
export const PrepareSchema = z.looseObject({
  input: str.optional(),
  output: str.optional(),
  target: str,
  precision: str,
  basis: str.optional(),
  before: summary,
  after: summary,
  rounds: num,
  passes: z.array(
    z.looseObject({
      pass: str,
      kind: str,
      applied: z.array(z.looseObject({ nodes: z.array(str), summary: str })),
      rejected: z.array(z.looseObject({ rewrite: z.looseObject({ nodes: z.array(str), summary: str }), reason: str })),
    }),
  ),
  verification: z
    .looseObject({ engine: str, what: str, tolerance: num, trials: num, outputs: z.array(z.looseObject({ name: str, relL2: num.optional(), exact: z.boolean().optional() })) })
    .nullable()
    .optional(),
});
export type PrepareFile = z.infer<typeof PrepareSchema>;

/** `<stage>.scales.json` from quantize (quant/ `ScalesDocument`). */
export const ScalesSchema = z.looseObject({
  version: num,
  tool: z.literal('tandem'),
  stage: str,
  method: str,
  algorithm: str,
  samples: num,
  scheme: str,
  activations: z.record(
    str,
    z.looseObject({
      amax: num,
      scale: num,
      graphOutput: z.boolean().optional(),
      histogram: z.looseObject({ min: num, max: num, absMax: num, count: num, clippedFraction: num.optional(), nearZeroFraction: num.optional() }),
    }),
  ),
  weights: z.record(str, z.looseObject({ axis: num, channels: num, amaxMin: num, amaxMax: num })),
});
export type ScalesFile = z.infer<typeof ScalesSchema>;

export const FidelityRowSchema = z.looseObject({
  stage: str,
  label: str,
  output: str,
  relL2: num,
  cosine: num,
  argmaxAgreement: num.optional(),
  maxAbs: num,
  samples: num,
});

/** `tandem quantize --json`. */
export const QuantizeSchema = z.looseObject({
  calibration: z.looseObject({ source: str, samples: num, batchSize: num.optional(), wallMs: num.optional(), measured: str.optional() }),
  artifacts: z.array(z.looseObject({ stage: str, method: str, algorithm: str, tensors: num, weights: num, qdqPairs: num.optional(), files: z.record(str, str).optional() })),
  fidelity: z.looseObject({ samples: num, what: str, rows: z.array(FidelityRowSchema) }).optional(),
  /** quantize --keep-fp16 auto: per head, the sensitivity ranking and the tensors kept in FP16 to stay within the budget. */
  keepFp16: z
    .array(
      z.looseObject({
        stage: str,
        metric: str,
        fp32: num,
        int8: num,
        int8Loss: num,
        mixed: num,
        mixedLoss: num,
        withinBudget: z.boolean(),
        bisectionSteps: num.optional(),
        sensitivity: z.array(z.looseObject({ tensor: str, kind: str.optional(), layer: str.optional(), recovers: num })),
        keep: z.array(z.looseObject({ tensor: str, kind: str.optional(), layer: str.optional() })),
        trtexecArgs: str.optional(),
      }),
    )
    .optional(),
});
export type QuantizeFile = z.infer<typeof QuantizeSchema>;

const latency = z.looseObject({ min: num, mean: num, median: num, p90: num, p95: num, p99: num, max: num });

/** One mode of `tandem bench --json` (issue 9): `{ mode, frames, throughputFps, latencyMs, stages }`. */
export const BenchModeSchema = z.looseObject({
  mode: str,
  frames: num,
  throughputFps: num,
  latencyMs: latency,
  /** Per-frame latencies, where the bench writes them: drawn as a histogram. */
  samplesMs: z.array(num).optional(),
  latencyCv: num.optional(),
  cv: num.optional(),
  hostOverheadMs: num.optional(),
  wallS: num.optional(),
  stages: z
    .array(
      z.looseObject({
        name: str,
        engine: str.optional(),
        stream: str.optional(),
        computeMs: z.union([num, latency]).optional(),
        queueWaitMs: z.union([num, latency]).optional(),
        hostOverheadMs: z.union([num, latency]).optional(),
      }),
    )
    .optional(),
});
export type BenchMode = z.infer<typeof BenchModeSchema>;

/** One stage of `tandem bench --profile` (runtime/pipeline/profile.ts StageProfile): time per op type. */
const StageProfileSchema = z.looseObject({
  stage: str,
  engine: str,
  medianMs: num,
  profile: z.looseObject({
    frames: num,
    kernelCpuMs: num,
    gpu: z.looseObject({ busyMs: num, dispatches: num }).optional(),
    ops: z.array(z.looseObject({ op: str, nodes: num, cpuMs: num, gpuMs: num.optional(), dispatches: num.optional() })),
  }),
});
export type StageProfileFile = z.infer<typeof StageProfileSchema>;

const BenchModesSchema = z.looseObject({
  modes: z.array(BenchModeSchema).min(1),
  speedup: num.optional(),
  efficiency: num.optional(),
  measured: str.optional(),
  /** tandem bench: what was measured where. */
  what: str.optional(),
  source: str.optional(),
  slowestStream: z.looseObject({ name: str, msPerFrame: num, fps: num }).optional(),
  profile: z.array(StageProfileSchema).optional(),
});

/** `tandem bench --json`, either form, as the report uses it: the modes, and speed-up and efficiency when both ran. */
export interface BenchFile {
  readonly modes: readonly BenchMode[];
  readonly speedup?: number;
  readonly efficiency?: number;
  /** What was measured where, in the bench's words. */
  readonly measured?: string;
  /** The plan or model benchmarked. */
  readonly source?: string;
  readonly slowestStream?: { readonly name: string; readonly msPerFrame: number; readonly fps: number };
  /** `bench --profile`: each stage alone under onnxruntime's profiler, time per op type. */
  readonly profile?: readonly StageProfileFile[];
}

/** `tandem bench --json`: one mode, or several under `modes` (with `speedup` and `efficiency` when both ran). */
export const BenchSchema = z.union([BenchModesSchema, BenchModeSchema]).transform((v): BenchFile => {
  if (!('modes' in v) || !Array.isArray(v.modes)) return { modes: [v as BenchMode] };
  const m = v as z.infer<typeof BenchModesSchema>;
  const measured = m.what ?? m.measured;
  return {
    modes: m.modes,
    ...(m.speedup === undefined ? {} : { speedup: m.speedup }),
    ...(m.efficiency === undefined ? {} : { efficiency: m.efficiency }),
    ...(measured === undefined ? {} : { measured }),
    ...(m.source === undefined ? {} : { source: m.source }),
    ...(m.slowestStream === undefined ? {} : { slowestStream: m.slowestStream }),
    ...(m.profile === undefined ? {} : { profile: m.profile }),
  };
});

const traceEvent = z.looseObject({
  name: str.optional(),
  cat: str.optional(),
  ph: str,
  ts: num.optional(),
  dur: num.optional(),
  pid: z.union([num, str]).optional(),
  tid: z.union([num, str]).optional(),
  id: z.union([num, str]).optional(),
  args: z.record(str, z.unknown()).optional(),
});
export type TraceEvent = z.infer<typeof traceEvent>;

/** Chrome trace-event JSON (the object form with `traceEvents`, or the bare array form). */
export const TraceSchema = z.union([z.looseObject({ traceEvents: z.array(traceEvent) }), z.array(traceEvent).min(1)]);
export type TraceFile = z.infer<typeof TraceSchema>;

/** `tandem cost --json` (issue 11): predicted latency per stage and for the pipeline, modelled. */
const breakdown = z.looseObject({ computeMs: num, memoryMs: num, overheadMs: num, submissionMs: num, fallbackMs: num, crossingMs: num });
export const CostSchema = z.looseObject({
  target: str.optional(),
  basis: str.optional(),
  platform: str.optional(),
  power: str.optional(),
  batch: num.optional(),
  stages: z.array(z.looseObject({ name: str, engine: str, precision: str, latencyMs: num, fps: num.optional(), breakdown: breakdown.optional() })).min(1),
  pipeline: z.looseObject({ fps: num, latencyMs: num, bottleneck: str.optional(), contentionMs: num.optional() }),
});
export type CostFile = z.infer<typeof CostSchema>;

const scored = z.looseObject({
  label: str.optional(),
  fps: num,
  latencyMs: num,
  bottleneck: str.optional(),
  int8Share: num.optional(),
  segments: z.array(z.looseObject({ name: str, engine: str, precision: str, aloneMs: num.optional(), nodes: z.union([num, z.array(str)]).optional() })),
});
export type ScoredPlacement = z.infer<typeof scored>;

/** `tandem cost --search --json` (issue 11): the Pareto set of placements, the choice and why, GPU-only and the hand placement. */
export const SearchSchema = z.looseObject({
  basis: str.optional(),
  scored: num.optional(),
  elapsedMs: num.optional(),
  pareto: z.array(scored),
  chosen: scored,
  why: z.array(str).optional(),
  gpuOnly: scored,
  handPlacement: scored.nullable().optional(),
});
export type SearchFile = z.infer<typeof SearchSchema>;

const measuredRun = z.looseObject({ qps: num, compute: z.looseObject({ medianMs: num, meanMs: num.optional(), p99Ms: num.optional() }) });

/** `tandem import <bundle>/results` (results/tandem-bench.json): trtexec's numbers from the target, measured, beside the predicted ones. */
export const ImportSchema = z.looseObject({
  kind: z.literal('tandem-bench'),
  basis: str,
  trt: str,
  environment: str.optional(),
  stages: z.array(
    z.looseObject({
      name: str,
      engine: str,
      precision: str,
      alone: measuredRun,
      concurrent: measuredRun.optional(),
      predicted: z.looseObject({ aloneMs: num, concurrentMs: num }),
      errorPct: z.looseObject({ alone: num, concurrent: num.optional() }),
    }),
  ),
  windowMs: num.optional(),
  pipeline: z.looseObject({ measuredFps: num.optional(), predictedFps: num }),
});
export type ImportFile = z.infer<typeof ImportSchema>;

/** An export bundle's manifest.json (issue 11): stages, engines, formats, predicted numbers. */
export const ManifestSchema = z.looseObject({
  tandem: z.literal('bundle'),
  trt: str,
  target: str.optional(),
  stages: z.array(
    z.looseObject({
      name: str,
      engine: str,
      precision: str,
      inputFormats: z.array(str).optional(),
      outputFormats: z.array(str).optional(),
      fp16Layers: z.array(str).optional(),
      predicted: z.looseObject({ latencyMs: num, fps: num }).optional(),
    }),
  ),
});
export type ManifestFile = z.infer<typeof ManifestSchema>;

/** `tandem eval --json` (issue 10, eval/ EvalSummary): metrics per task, the reference's, deltas and agreement. */
export const EvalSchema = z.looseObject({
  target: str.optional(),
  reference: z.union([str, z.null()]).optional(),
  dataset: z.union([str, z.looseObject({ name: str.optional() })]),
  frames: num.optional(),
  complete: z.boolean().optional(),
  metrics: z.record(str, z.unknown()),
  referenceMetrics: z.record(str, z.unknown()).nullable().optional(),
  deltas: z.record(str, z.unknown()).nullable().optional(),
  agreement: z.record(str, z.unknown()).nullable().optional(),
  sensitivity: z.array(z.looseObject({})).optional(),
  /** Pictures --save wrote, where the file lists them. */
  savedFiles: z.array(str).optional(),
});
export type EvalFile = z.infer<typeof EvalSchema>;

/** A shape key per kind: how the report tells one result file from another by its content. */
export const KIND_KEYS = {
  analysis: (o: Record<string, unknown>) => 'nodes' in o && 'regions' in o && 'crossings' in o && 'summary' in o,
  prepare: (o: Record<string, unknown>) => 'before' in o && 'after' in o && 'passes' in o,
  // version 1 split.json has no `kind`
  stages: (o: Record<string, unknown>) => (o['kind'] === 'split' || o['kind'] === 'plan' || ('cut' in o && o['kind'] === undefined)) && 'stages' in o && 'tensors' in o,
  scales: (o: Record<string, unknown>) => o['tool'] === 'tandem' && 'activations' in o && 'scheme' in o,
  quantize: (o: Record<string, unknown>) => 'calibration' in o && 'artifacts' in o,
  bench: (o: Record<string, unknown>) => 'modes' in o || ('throughputFps' in o && 'latencyMs' in o),
  trace: (o: Record<string, unknown>) => 'traceEvents' in o,
  cost: (o: Record<string, unknown>) => 'pipeline' in o && 'stages' in o && !('kind' in o),
  imported: (o: Record<string, unknown>) => o['kind'] === 'tandem-bench' && 'stages' in o,
  manifest: (o: Record<string, unknown>) => o['tandem'] === 'bundle' && 'stages' in o,
  search: (o: Record<string, unknown>) => 'pareto' in o && 'chosen' in o && 'gpuOnly' in o,
  eval: (o: Record<string, unknown>) => 'metrics' in o && 'dataset' in o,
} as const;
