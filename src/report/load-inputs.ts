import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { parseStageDocument, type StageDocument } from '../io/stage-file/index.js';
import { TandemError } from '../util/errors.js';
import { readTextFile } from '../util/fs.js';
import {
  AnalysisSchema,
  BenchSchema,
  CostSchema,
  EvalSchema,
  ImportSchema,
  KIND_KEYS,
  ManifestSchema,
  PrepareSchema,
  QuantizeSchema,
  ScalesSchema,
  SearchSchema,
  TraceSchema,
  type AnalysisFile,
  type BenchFile,
  type CostFile,
  type EvalFile,
  type ImportFile,
  type ManifestFile,
  type PrepareFile,
  type QuantizeFile,
  type ScalesFile,
  type SearchFile,
  type TraceFile,
} from './schemas.js';

/** One result file the report read: where it came from and its validated content. */
export interface Loaded<T> {
  /** Absolute path. */
  readonly file: string;
  /** The path as shown in the report (relative to the folder given, or as given). */
  readonly label: string;
  readonly data: T;
}

/** Every result file found, by kind. */
export interface ReportInputs {
  readonly analyses: Loaded<AnalysisFile>[];
  readonly prepares: Loaded<PrepareFile>[];
  readonly stages: Loaded<StageDocument>[];
  readonly scales: Loaded<ScalesFile>[];
  readonly quantizes: Loaded<QuantizeFile>[];
  readonly benches: Loaded<BenchFile>[];
  readonly traces: Loaded<TraceFile>[];
  readonly costs: Loaded<CostFile>[];
  readonly searches: Loaded<SearchFile>[];
  readonly evals: Loaded<EvalFile>[];
  /** Target measurements brought back by tandem import. */
  readonly imports: Loaded<ImportFile>[];
  /** Export bundles' manifest.json. */
  readonly manifests: Loaded<ManifestFile>[];
  /** Shell scripts holding trtexec lines (an export bundle's build.sh, bench.sh). */
  readonly scripts: Loaded<string>[];
  /** PNG pictures found in a given folder (tandem run's colour-mapped outputs): shown with eval's pictures. */
  readonly pictures: Loaded<undefined>[];
  /** Files in a given folder that are not a result the report reads, with why. */
  readonly ignored: { readonly label: string; readonly why: string }[];
}

export type InputKind = keyof typeof KIND_KEYS;

/** Largest result file read (a long trace is the biggest): larger ones are refused, not loaded. */
export const MAX_INPUT_BYTES = 256 * 2 ** 20;
const MAX_SCRIPT_BYTES = 2 * 2 ** 20;
/** Folder walk limits: depth below the given folder, and files looked at. */
const MAX_DEPTH = 4;
const MAX_FILES = 5000;

const COMMANDS: Record<InputKind, string> = {
  analysis: 'tandem analyze model.onnx --json > analysis.json',
  prepare: 'tandem prepare model.onnx -o prepared.onnx --json > prepare.json',
  stages: 'tandem split model.onnx --auto -o stages/ (split.json) or tandem plan (plan.json)',
  scales: 'tandem quantize ... -o int8/ (writes <stage>.scales.json)',
  quantize: 'tandem quantize ... --compare --json > quantize.json',
  bench: 'tandem bench plan.json --mode both --json > bench.json',
  trace: 'tandem bench plan.json --trace trace.json',
  cost: 'tandem cost plan.json --target orin --json > cost.json',
  imported: 'tandem import bundle/results (writes results/tandem-bench.json)',
  manifest: 'tandem export plan.json --trt 8.6 -o bundle/ (manifest.json)',
  search: 'tandem cost model.onnx --target orin --search --json > search.json',
  eval: 'tandem eval plan.json --dataset synthetic --reference model.onnx --save 4 --json > eval.json',
};

/** The command that writes a kind of result file, for "this section needs ..." notes. */
export function commandFor(kind: InputKind): string {
  return COMMANDS[kind];
}

function empty(): ReportInputs {
  return { analyses: [], prepares: [], stages: [], scales: [], quantizes: [], benches: [], traces: [], costs: [], searches: [], evals: [], imports: [], manifests: [], scripts: [], pictures: [], ignored: [] };
}

/**
 * Reads result files and folders of result files (walked a few levels deep), recognises each file by
 * its content and validates it. A file named directly that is unreadable or not a tandem result is an
 * error; in a folder, such files are listed as ignored.
 */
export function loadReportInputs(paths: readonly string[]): ReportInputs {
  if (paths.length === 0) throw new TandemError('USAGE', 'report needs at least one result file or folder (e.g. the folder tandem demo wrote)');
  const out = empty();
  const seen = new Set<string>();
  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new TandemError('FILE_NOT_FOUND', `report input ${p} does not exist; give result files (analysis.json, split.json, bench.json, ...) or a folder of them`);
    }
    if (st.isDirectory()) {
      const files: string[] = [];
      walk(abs, 0, files);
      for (const f of files.sort()) {
        if (seen.has(f)) continue;
        seen.add(f);
        const label = relative(abs, f) || basename(f);
        const why = readOne(f, label, out, false);
        if (why !== undefined) out.ignored.push({ label, why });
      }
    } else {
      if (seen.has(abs)) continue;
      seen.add(abs);
      readOne(abs, p, out, true);
    }
  }
  return out;
}

function walk(dir: string, depth: number, files: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new TandemError('IO', `cannot list the folder ${dir}: ${(e as Error).message}`, { cause: e });
  }
  for (const e of entries) {
    if (files.length >= MAX_FILES) return;
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth < MAX_DEPTH) walk(p, depth + 1, files);
    } else if (e.isFile() && /\.(json|sh|png)$/i.test(e.name)) files.push(p);
  }
}

/** Reads one file into `out`; returns why it was skipped (folder walk) or throws (a file named directly). */
function readOne(file: string, label: string, out: ReportInputs, strict: boolean): string | undefined {
  const size = statSync(file).size;
  if (extname(file).toLowerCase() === '.png') {
    out.pictures.push({ file, label, data: undefined });
    return undefined;
  }
  if (extname(file).toLowerCase() === '.sh') {
    if (size > MAX_SCRIPT_BYTES) return skip(strict, file, `a ${size}-byte script is larger than the ${MAX_SCRIPT_BYTES} bytes read`);
    const text = readTextFile(file, { maxBytes: MAX_SCRIPT_BYTES, what: 'shell script' });
    if (!/\btrtexec\b/.test(text)) return skip(strict, file, 'a shell script without trtexec lines (the report reads an export bundle\'s build.sh and bench.sh)');
    out.scripts.push({ file, label, data: text });
    return undefined;
  }
  if (extname(file).toLowerCase() !== '.json') return skip(strict, file, 'not a .json result file, a .sh script of an export bundle or a .png picture');
  if (size > MAX_INPUT_BYTES) return skip(strict, file, `${size} bytes is larger than the ${MAX_INPUT_BYTES} bytes the report reads`);
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(file, { maxBytes: MAX_INPUT_BYTES, what: 'result file' }));
  } catch (e) {
    if (e instanceof TandemError) throw e;
    return skip(strict, file, `not valid JSON (${(e as Error).message})`);
  }
  const kind = kindOf(raw);
  if (kind === undefined) return skip(strict, file, 'not a result tandem writes (expected the JSON of analyze, prepare, split, plan, quantize, scales.json, bench, a trace, cost, cost --search or eval)');
  const add = <S extends z.ZodType>(schema: S, list: Loaded<z.infer<S>>[]): undefined => {
    list.push({ file, label, data: check(schema, raw, file, kind) });
    return undefined;
  };
  switch (kind) {
    case 'analysis':
      return add(AnalysisSchema, out.analyses);
    case 'prepare':
      return add(PrepareSchema, out.prepares);
    case 'stages': {
      const parsed = parseStageDocument(raw);
      if (!parsed.ok) {
        const problems = parsed.problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`);
        throw new TandemError('REPORT_INPUT', `${file} looks like a split.json or plan.json but does not match the stage-file schema: ${problems.join('; ')}; write it again with \`${COMMANDS.stages}\``);
      }
      out.stages.push({ file, label, data: parsed.doc });
      return undefined;
    }
    case 'scales':
      return add(ScalesSchema, out.scales);
    case 'quantize':
      return add(QuantizeSchema, out.quantizes);
    case 'bench':
      return add(BenchSchema, out.benches);
    case 'trace':
      return add(TraceSchema, out.traces);
    case 'cost':
      return add(CostSchema, out.costs);
    case 'imported':
      return add(ImportSchema, out.imports);
    case 'manifest':
      return add(ManifestSchema, out.manifests);
    case 'search':
      return add(SearchSchema, out.searches);
    case 'eval':
      return add(EvalSchema, out.evals);
  }
}

function skip(strict: boolean, file: string, why: string): string {
  if (strict) throw new TandemError('REPORT_INPUT', `${file}: ${why}; give the files tandem's commands write, or a folder of them`);
  return why;
}

/** Which result a parsed JSON value is, by its keys; undefined when it is none of them. */
export function kindOf(raw: unknown): InputKind | undefined {
  if (Array.isArray(raw)) {
    const first: unknown = raw[0];
    return typeof first === 'object' && first !== null && 'ph' in first ? 'trace' : undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  for (const [kind, test] of Object.entries(KIND_KEYS)) if (test(o)) return kind as InputKind;
  return undefined;
}

function check<S extends z.ZodType>(schema: S, raw: unknown, file: string, kind: InputKind): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 5).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top)'}: ${i.message}`);
  const more = r.error.issues.length > 5 ? ` (and ${r.error.issues.length - 5} more)` : '';
  throw new TandemError(
    'REPORT_INPUT',
    `${file} looks like ${kind} output but does not match its format: ${problems.join('; ')}${more}; write it again with \`${COMMANDS[kind]}\` from this version of tandem`,
  );
}

/** The folder a loaded file sits in (pictures and stage models are relative to it). */
export function folderOf(l: Loaded<unknown>): string {
  return dirname(l.file);
}
