import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { TandemError, isTandemError } from '../../util/errors.js';
import { readTextFile } from '../../util/fs.js';
import { quote } from '../../util/text.js';
import { stageFileError, type StageFileProblem } from './problems.js';
import { HEADER, PLAN_V2, SPLIT_V1, SPLIT_V2 } from './schema.js';
import type { Plan, PlanDocument, SplitDocument, StageDocument, StageEntry, StageKind } from './types.js';
import { checkRawStageFiles, checkStageDocument, checkStageFiles, deriveTensors, type FileCheckOptions } from './validate.js';

/** A split.json read from disk: the document plus the absolute folder its files are relative to. */
export interface LoadedSplit extends SplitDocument {
  readonly dir: string;
}

/** Either kind of stage file, read from disk. */
export type StageFile = LoadedSplit | Plan;

/** Options of `readStageFile`, `readSplit` and `readPlan`. */
export type ReadStageFileOptions = FileCheckOptions;

/** Stage files are small JSON; anything larger is not one (and is not read into memory). */
const MAX_BYTES = 16 << 20;

/**
 * Reads split.json (versions 1 and 2) or plan.json and validates all of it: the shape of every field,
 * how stages and tensors connect, the files (inside the folder, symlinks resolved) and, by default, the
 * stage models' inputs and outputs. Every problem is reported at once in one `STAGE_FILE` error.
 */
export function readStageFile(path: string, options: ReadStageFileOptions = {}): StageFile {
  const raw = readJson(path);
  const parsed = parseStageDocument(raw);
  const dir = resolve(dirname(path));
  if (!parsed.ok) throw stageFileError(path, sortProblems([...parsed.problems, ...checkRawStageFiles(raw, dir)]), 'stage file (split.json or plan.json)');
  const doc = parsed.doc;
  const what = doc.kind === 'plan' ? 'plan.json' : 'split.json';
  const problems = checkStageDocument(doc);
  problems.push(...checkStageFiles(doc, dir, options));
  if (problems.length > 0) throw stageFileError(path, problems, what);
  return { ...doc, dir } as StageFile;
}

/** Reads and validates a split.json (see readStageFile); a plan.json is refused. */
export function readSplit(path: string, options: ReadStageFileOptions = {}): LoadedSplit {
  const f = readStageFile(path, options);
  if (f.kind !== 'split') throw new TandemError('STAGE_FILE', `${quote(path)} is a plan.json; give the split.json that tandem split wrote`);
  return f;
}

/** Reads and validates a plan.json (see readStageFile); a split.json is refused with what to run instead. */
export function readPlan(path: string, options: ReadStageFileOptions = {}): Plan {
  const f = readStageFile(path, options);
  if (f.kind !== 'plan') throw new TandemError('STAGE_FILE', `${quote(path)} is a split.json, not a plan; make a plan from it with tandem plan ${path} --target host -o <dir>`);
  return f;
}

export type ParsedStageDocument = { readonly ok: true; readonly doc: StageDocument } | { readonly ok: false; readonly problems: StageFileProblem[] };

/**
 * Checks the shape of a parsed JSON value against the stage-file schema and brings a version-1 split
 * into the current layout (stage kinds and tensors derived where missing). Connections are not checked here.
 */
export function parseStageDocument(raw: unknown): ParsedStageDocument {
  const header = HEADER.safeParse(raw);
  if (!header.success) return { ok: false, problems: issues(header.error) };
  const { version, kind } = header.data;
  if (version === 1) {
    if (kind === 'plan') return { ok: false, problems: [{ path: 'version', message: 'is 1, but plan.json starts at version 2' }] };
    const r = SPLIT_V1.safeParse(raw);
    if (!r.success) return { ok: false, problems: issues(r.error) };
    const stages: StageEntry[] = r.data.stages.map((s) => ({ name: s.name, file: s.file, kind: s.kind ?? guessKind(s, r.data.stages), inputs: s.inputs, outputs: s.outputs }));
    const doc: SplitDocument = {
      version: 1,
      kind: 'split',
      ...(r.data.source !== undefined ? { source: r.data.source } : {}),
      cut: r.data.cut,
      stages,
      tensors: r.data.tensors.length > 0 ? r.data.tensors : deriveTensors(stages),
    };
    return { ok: true, doc };
  }
  if (kind === undefined) return { ok: false, problems: [{ path: 'kind', message: `is missing; a version ${version} stage file says "kind": "split" or "plan"` }] };
  const r = kind === 'plan' ? PLAN_V2.safeParse(raw) : SPLIT_V2.safeParse(raw);
  if (!r.success) return { ok: false, problems: issues(r.error) };
  return { ok: true, doc: stripUndefined(r.data) as SplitDocument | PlanDocument };
}

/** A stage whose outputs other stages read is the backbone; `post-*` is post-processing; the rest are heads. */
function guessKind(s: { name: string; outputs: readonly string[] }, all: readonly { inputs: readonly string[] }[]): StageKind {
  if (s.name.startsWith('post')) return 'postprocess';
  return s.outputs.some((o) => all.some((x) => x.inputs.includes(o))) ? 'backbone' : 'head';
}

/** Problems in document order (by path, array indices numerically), the order a reader scans the file. */
function sortProblems(problems: StageFileProblem[]): StageFileProblem[] {
  const key = (p: string): (string | number)[] => p.split(/[.[\]]+/).filter((x) => x !== '').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  return problems
    .map((p, i) => ({ p, i, k: key(p.path) }))
    .sort((a, b) => {
      for (let j = 0; j < Math.min(a.k.length, b.k.length); j++) {
        const [x, y] = [a.k[j]!, b.k[j]!];
        if (x === y) continue;
        if (typeof x === 'number' && typeof y === 'number') return x - y;
        return a.i - b.i;
      }
      return a.k.length - b.k.length || a.i - b.i;
    })
    .map((x) => x.p);
}

function issues(error: z.ZodError): StageFileProblem[] {
  return error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message }));
}

function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/** exactOptionalPropertyTypes: zod writes absent optionals as missing keys already; this drops any `undefined` left. */
function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readTextFile(path, { maxBytes: MAX_BYTES, what: 'split.json or plan.json' });
  } catch (e) {
    const size = isTandemError(e) ? e.details.size : undefined;
    if (typeof size === 'number') throw new TandemError('STAGE_FILE', `${quote(path)} is ${size} bytes; a split.json or plan.json is at most ${MAX_BYTES} bytes — is this the right file?`, { cause: e });
    if (isTandemError(e, 'FILE_NOT_FOUND')) throw new TandemError('FILE_NOT_FOUND', `${quote(path)} does not exist`, { cause: e });
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new TandemError('STAGE_FILE', `${quote(path)} is not JSON: ${(e as Error).message}; expected a split.json or plan.json written by tandem`, { cause: e });
  }
}

/** Whether a path names a plan (a .json file, or a folder holding plan.json) rather than a model. */
export function isPlanPath(path: string): boolean {
  if (path.toLowerCase().endsWith('.json')) return true;
  try {
    return statSync(path).isDirectory() && existsSync(join(path, 'plan.json'));
  } catch {
    return false;
  }
}
