import { join } from 'node:path';
import { assertNotInput, writeFileAtomic } from '../../util/fs.js';
import { stageFileError } from './problems.js';
import { parseStageDocument } from './read.js';
import { STAGE_FILE_VERSION, type PlanDocument, type SplitDocument, type StageDocument } from './types.js';
import { checkStageDocument, checkStageFiles } from './validate.js';

/** Options of `writePlan` (and the other stage-file writers). */
export interface WriteStageFileOptions {
  /** Paths that must not be overwritten (the inputs of the command): refused with `FILE_EXISTS`. @default [] */
  protect?: readonly string[];
  /** Check the stage models named in the document against it before writing. @default true */
  models?: boolean;
}

/** The file name of each kind of stage document in its folder. */
export const STAGE_FILE_NAMES = { split: 'split.json', plan: 'plan.json' } as const;

/**
 * Writes a stage document (at the current version) into `dir` as split.json or plan.json, through a
 * temporary name and a rename, after validating it as a reader would: tandem never writes a stage file
 * it would refuse to read. Returns the path written.
 */
export function writeStageFile(doc: StageDocument, dir: string, options: WriteStageFileOptions = {}): string {
  const path = join(dir, STAGE_FILE_NAMES[doc.kind]);
  assertNotInput(path, options.protect ?? []);
  const current = { ...doc, version: STAGE_FILE_VERSION };
  const parsed = parseStageDocument(JSON.parse(JSON.stringify(current)));
  const problems = parsed.ok ? [...checkStageDocument(parsed.doc), ...checkStageFiles(parsed.doc, dir, { models: options.models ?? true })] : parsed.problems;
  if (!parsed.ok || problems.length > 0) throw stageFileError(path, problems, `${doc.kind}.json (not written)`);
  writeFileAtomic(path, `${JSON.stringify(parsed.doc, null, 2)}\n`);
  return path;
}

/** Writes split.json into `dir` (see writeStageFile). */
export function writeSplitDocument(doc: SplitDocument, dir: string, options: WriteStageFileOptions = {}): string {
  return writeStageFile(doc, dir, options);
}

/** Writes plan.json into `dir` (see writeStageFile). */
export function writePlan(doc: PlanDocument, dir: string, options: WriteStageFileOptions = {}): string {
  return writeStageFile(doc, dir, options);
}

/** A split document at the current version (callers never name the version). */
export function newSplitDocument(fields: Omit<SplitDocument, 'version' | 'kind'>): SplitDocument {
  return { version: STAGE_FILE_VERSION, kind: 'split', ...fields };
}

/** A plan document at the current version (callers never name the version). */
export function newPlanDocument(fields: Omit<PlanDocument, 'version' | 'kind'>): PlanDocument {
  return { version: STAGE_FILE_VERSION, kind: 'plan', ...fields };
}
