import { quote } from '../../util/text.js';
import { readTextFile } from '../../util/fs.js';
import { z } from 'zod';
import { TandemError } from '../../util/errors.js';

/**
 * The latency model's parameter file: one per target, every number with its source. Fixed numbers come
 * from datasheets and published tables; numbers with `fit` bounds are fitted (least squares on
 * log-latency) on the published rows named in `fit.rows`. `tandem import --refit` writes a new file of
 * the same schema; the shipped one is never overwritten.
 */

/** Orin power modes the latency model has clock scales for. */
export const POWER_MODES = ['maxn', '50w', '30w', '15w'] as const;
/** An Orin power mode (`'maxn'`, `'50w'`, `'30w'`, `'15w'`). */
export type PowerMode = (typeof POWER_MODES)[number];

/** The fitted and fixed scalars, by name (see orin-params.json for what each one means). */
export const PARAM_NAMES = [
  'gpuInt8DenseTops',
  'gpuFp16DenseTflops',
  'dlaInt8DenseTops',
  'dlaFp16Ratio',
  'sparseGain',
  'dramGBs',
  'gpuConvEff',
  'gpuMatmulEff',
  'gpuBwEff',
  'gpuLayerUs',
  'gpuSatElems',
  'dlaConvEff',
  'dlaBwEff',
  'dlaLayerUs',
  'dlaLoadableUs',
  'dlaResizeGElems',
  'contention',
  'dlaLoadablesPerCore',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

const paramSchema = z.object({
  value: z.number().finite().positive(),
  unit: z.string(),
  what: z.string(),
  source: z.string().min(1),
  fit: z.object({ min: z.number().positive(), max: z.number().positive() }).optional(),
});
export type ParamEntry = z.infer<typeof paramSchema>;

const scaleSchema = z.object({ gpu: z.number().positive(), dla: z.number().positive(), dram: z.number().positive(), source: z.string().min(1) });
export type ClockScale = z.infer<typeof scaleSchema>;

const fitRowSchema = z.object({ id: z.string(), published: z.number(), predicted: z.number(), unit: z.string(), errorPct: z.number() });
export type FitRowResult = z.infer<typeof fitRowSchema>;

export const latencyParamsSchema = z.object({
  target: z.literal('orin'),
  description: z.string(),
  parameters: z.record(z.enum(PARAM_NAMES), paramSchema),
  /** Compute and DRAM clock scale per nvpmodel power mode (Jetson AGX Orin 64GB), MAXN = 1. */
  power: z.record(z.enum(POWER_MODES), scaleSchema),
  /** Platform scale against Jetson AGX Orin 64GB MAXN (the webinar ran on DRIVE Orin-X). */
  platforms: z.record(z.string(), scaleSchema),
  fit: z.object({
    method: z.string(),
    rows: z.array(fitRowSchema),
    rmsLogError: z.number(),
    /** What the parameters were fitted on: 'published' (the shipped file) or the results folder of a refit. */
    on: z.string(),
  }),
});

/** The latency model's parameter file (`ORIN_PARAMS`, or one read by `readLatencyParams`). */
export type LatencyParams = z.infer<typeof latencyParamsSchema>;

/** The value of one parameter. */
export function param(p: LatencyParams, name: ParamName): number {
  const e = p.parameters[name];
  if (e === undefined) throw new TandemError('PLAN_COST', `latency parameters lack ${quote(name)}; the file must list every parameter (${PARAM_NAMES.join(', ')})`);
  return e.value;
}

/** Checks a parameter document; throws TandemError `PLAN_COST` naming the first problems. */
export function parseLatencyParams(data: unknown, where: string): LatencyParams {
  const r = latencyParamsSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new TandemError('PLAN_COST', `${where} is not a latency parameter file: ${issues.join('; ')}; start from the shipped src/plan/cost/orin-params.json or write one with tandem import --refit`);
  }
  for (const name of PARAM_NAMES) if (r.data.parameters[name] === undefined) throw new TandemError('PLAN_COST', `${where}: parameter ${quote(name)} is missing; every parameter of ${PARAM_NAMES.join(', ')} must be present`);
  return r.data;
}

/** Reads a parameter file (as written by tandem import --refit). */
export function readLatencyParams(path: string): LatencyParams {
  let text: string;
  try {
    text = readTextFile(path, { maxBytes: 16 << 20, what: 'latency parameter file' });
  } catch (cause) {
    throw new TandemError('FILE_NOT_FOUND', `cannot read latency parameters ${quote(path)} (${(cause as Error).message}); give a file written by tandem import --refit`, { cause });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new TandemError('PLAN_COST', `latency parameters ${quote(path)} are not JSON: ${(cause as Error).message}`, { cause });
  }
  return parseLatencyParams(data, `${quote(path)}`);
}
