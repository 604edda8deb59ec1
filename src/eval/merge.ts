import { readFileSync } from 'node:fs';
import { TandemError } from '../util/errors.js';
import type { EvalPart } from './evaluate.js';
import { AgreementAccumulator, type AgreementResult } from './metrics/agreement.js';
import { DepthAccumulator, type DepthResult } from './metrics/depth.js';
import { parseObject } from './metrics/exact-sum.js';
import { SegmentationAccumulator, type SegmentationResult } from './metrics/segmentation.js';

/** Metric results per task (present for the tasks the model has). */
export interface TaskResults {
  readonly segmentation?: SegmentationResult;
  readonly depth?: DepthResult;
}

/** The numbers of an evaluation. */
export interface EvalSummary {
  readonly target: string;
  readonly reference: string | null;
  readonly dataset: EvalPart['dataset'];
  readonly frames: number;
  /** Whether every shard of the run is in (a merge of some shards only is a partial result). */
  readonly complete: boolean;
  readonly shards: EvalPart['shards'];
  readonly classNames: readonly string[] | null;
  readonly metrics: TaskResults;
  readonly referenceMetrics: TaskResults | null;
  /** target − reference: mIoU points, AbsRel, AbsRel relative to the reference's, δ1 points. */
  readonly deltas: { mIoU?: number; absRel?: number; absRelRelative?: number; delta1?: number } | null;
  readonly agreement: AgreementResult | null;
  /** The evaluation's notes (EvalPart.notes), where it has any. */
  readonly notes?: readonly string[];
}

interface Accs {
  segmentation?: SegmentationAccumulator;
  depth?: DepthAccumulator;
}

function parseAccs(v: unknown, where: string): Accs {
  const o = parseObject(v, where);
  return {
    ...(o['segmentation'] !== undefined ? { segmentation: SegmentationAccumulator.fromJSON(o['segmentation'], `${where}.segmentation`) } : {}),
    ...(o['depth'] !== undefined ? { depth: DepthAccumulator.fromJSON(o['depth'], `${where}.depth`) } : {}),
  };
}

function mergeAccs(a: Accs, b: Accs, where: string): Accs {
  if ((a.segmentation === undefined) !== (b.segmentation === undefined) || (a.depth === undefined) !== (b.depth === undefined)) throw new TandemError('EVAL_RESULT', `${where}: the parts evaluate different tasks`);
  if (a.segmentation && b.segmentation) a.segmentation.merge(b.segmentation);
  if (a.depth && b.depth) a.depth.merge(b.depth);
  return a;
}

function accsJson(a: Accs): Record<string, unknown> {
  return { ...(a.segmentation ? { segmentation: a.segmentation.toJSON() } : {}), ...(a.depth ? { depth: a.depth.toJSON() } : {}) };
}

function results(a: Accs): TaskResults {
  return { ...(a.segmentation ? { segmentation: a.segmentation.result() } : {}), ...(a.depth ? { depth: a.depth.result() } : {}) };
}

/** Checks that a value is an EvalPart (as written by `tandem eval --json` or `--shard`). */
export function parseEvalPart(value: unknown, where: string): EvalPart {
  const o = parseObject(value, where);
  if (o['kind'] !== 'tandem-eval' || o['version'] !== 1) throw new TandemError('EVAL_RESULT', `${where} is not a tandem eval result (kind ${JSON.stringify(o['kind'])}, version ${JSON.stringify(o['version'])}); give files written by tandem eval --json or --shard`);
  const shards = parseObject(o['shards'], `${where}.shards`);
  const dataset = parseObject(o['dataset'], `${where}.dataset`);
  if (!Array.isArray(shards['indices']) || typeof shards['count'] !== 'number' || typeof dataset['size'] !== 'number' || typeof dataset['name'] !== 'string') throw new TandemError('EVAL_RESULT', `${where}: shards or dataset are malformed`);
  parseAccs(o['metrics'], `${where}.metrics`);
  return value as EvalPart;
}

/** Reads an EvalPart file. */
export function readEvalPart(path: string): EvalPart {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TandemError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO', `cannot read eval result ${path}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TandemError('EVAL_RESULT', `${path} is not JSON (${(e as Error).message}); give files written by tandem eval --json or --shard`, { cause: e });
  }
  return parseEvalPart(json, path);
}

/**
 * Merges parts of one evaluation (the shards of a Kubernetes Indexed Job or Slurm array): same target,
 * reference, dataset and shard count; each shard at most once. Exact: the merged state equals one pass.
 */
export function mergeEvalParts(parts: readonly EvalPart[]): EvalPart {
  const first = parts[0];
  if (first === undefined) throw new TandemError('USAGE', 'nothing to merge: give one or more eval result files');
  const seen = new Set<number>();
  let metrics = parseAccs(first.metrics, 'part 1 metrics');
  let refMetrics = first.referenceMetrics ? parseAccs(first.referenceMetrics, 'part 1 reference metrics') : undefined;
  const agreement = first.agreement ? AgreementAccumulator.fromJSON(first.agreement) : undefined;
  let frames = 0;
  parts.forEach((p, k) => {
    const where = `part ${k + 1} (${p.target}, shard ${p.shards.indices.join('+')}/${p.shards.count})`;
    if (p.dataset.name !== first.dataset.name || p.dataset.size !== first.dataset.size) throw new TandemError('EVAL_RESULT', `${where} evaluated ${p.dataset.name} (${p.dataset.size} frames), part 1 ${first.dataset.name} (${first.dataset.size} frames); merge parts of one run only`);
    if (p.target !== first.target || p.reference !== first.reference) throw new TandemError('EVAL_RESULT', `${where} evaluated ${p.target} against ${p.reference ?? 'no reference'}, part 1 ${first.target} against ${first.reference ?? 'no reference'}`);
    if (p.shards.count !== first.shards.count) throw new TandemError('EVAL_RESULT', `${where} is one of ${p.shards.count} shards, part 1 of ${first.shards.count}`);
    for (const i of p.shards.indices) {
      if (seen.has(i)) throw new TandemError('EVAL_RESULT', `${where}: shard ${i} is in more than one part; each shard once`);
      seen.add(i);
    }
    frames += p.frames;
    if (k === 0) return;
    metrics = mergeAccs(metrics, parseAccs(p.metrics, `${where} metrics`), where);
    if (refMetrics && p.referenceMetrics) refMetrics = mergeAccs(refMetrics, parseAccs(p.referenceMetrics, `${where} reference metrics`), where);
    if (agreement && p.agreement) agreement.merge(AgreementAccumulator.fromJSON(p.agreement));
  });
  return {
    ...first,
    shards: { count: first.shards.count, indices: [...seen].sort((a, b) => a - b) },
    frames,
    metrics: accsJson(metrics),
    referenceMetrics: refMetrics ? accsJson(refMetrics) : null,
    agreement: agreement ? agreement.toJSON() : null,
    savedFiles: parts.flatMap((p) => p.savedFiles),
    ...(parts.some((p) => p.notes !== undefined) ? { notes: [...new Set(parts.flatMap((p) => p.notes ?? []))] } : {}),
  };
}

/** The numbers of an evaluation (whole, or merged from parts). */
export function summarizeEval(part: EvalPart): EvalSummary {
  const m = results(parseAccs(part.metrics, 'metrics'));
  const r = part.referenceMetrics ? results(parseAccs(part.referenceMetrics, 'referenceMetrics')) : null;
  let deltas: EvalSummary['deltas'] = null;
  if (r) {
    deltas = {};
    if (m.segmentation && r.segmentation) deltas.mIoU = m.segmentation.mIoU - r.segmentation.mIoU;
    if (m.depth && r.depth) {
      deltas.absRel = m.depth.absRel - r.depth.absRel;
      deltas.absRelRelative = r.depth.absRel > 0 ? m.depth.absRel / r.depth.absRel - 1 : 0;
      deltas.delta1 = m.depth.delta1 - r.depth.delta1;
    }
  }
  return {
    target: part.target,
    reference: part.reference,
    dataset: part.dataset,
    frames: part.frames,
    complete: part.shards.indices.length === part.shards.count,
    shards: part.shards,
    classNames: part.classNames,
    metrics: m,
    referenceMetrics: r,
    deltas,
    agreement: part.agreement ? AgreementAccumulator.fromJSON(part.agreement).result() : null,
    ...(part.notes !== undefined ? { notes: part.notes } : {}),
  };
}
