import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { TandemError } from '../util/errors.js';
import { readTextFile } from '../util/fs.js';
import { printable, quote } from '../util/text.js';
import type { Model } from '../ir/model.js';
import { loadModel } from '../onnx/load-save.js';
import { SPLIT_FILE_VERSION } from '../passes/write-split.js';

/** One stage of `tandem split`'s split.json (what quantize reads of it; passes/ writes the whole manifest). */
export interface SplitStageEntry {
  readonly name: string;
  /** Model file, relative to the manifest's folder. */
  readonly file: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface SplitStagesManifest {
  readonly version: number;
  readonly stages: readonly SplitStageEntry[];
}

export interface LoadedStage {
  readonly name: string;
  readonly file: string;
  readonly model: Model;
}

/** Reads split.json (written by `tandem split`); throws `USAGE` naming the field that is wrong. */
export function readSplitManifest(path: string): SplitStagesManifest {
  const text = readTextFile(path, { maxBytes: 64 << 20, what: 'split.json' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TandemError('USAGE', `${printable(path)} is not a readable JSON file: ${printable((e as Error).message)}`, { cause: e });
  }
  const bad = (what: string): never => {
    throw new TandemError('USAGE', `${printable(path)}: ${what}; expected split.json as written by tandem split: { version, stages: [{ name, file, inputs, outputs }] }`);
  };
  if (typeof doc !== 'object' || doc === null) return bad('not a JSON object');
  const d = doc as Record<string, unknown>;
  if (typeof d.version !== 'number') bad('"version" is missing');
  if ((d.version as number) > SPLIT_FILE_VERSION) bad(`"version" is ${d.version as number}; this tandem reads split.json up to version ${SPLIT_FILE_VERSION}`);
  if (!Array.isArray(d.stages) || d.stages.length === 0) bad('"stages" is missing or empty');
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const stages = (d.stages as unknown[]).map((s, i): SplitStageEntry => {
    const e = s as Record<string, unknown>;
    if (typeof e.name !== 'string' || e.name === '') return bad(`stages[${i}].name is missing`);
    if (typeof e.file !== 'string' || e.file === '') return bad(`stages[${i}].file is missing`);
    if (isAbsolute(e.file) || normalize(e.file).split(sep).includes('..')) return bad(`stages[${i}].file ${quote(e.file)} leaves the manifest's folder`);
    if (!strings(e.inputs) || !strings(e.outputs)) return bad(`stages[${i}].inputs / outputs must be arrays of tensor names`);
    return { name: e.name, file: e.file, inputs: e.inputs, outputs: e.outputs };
  });
  const names = new Set<string>();
  for (const s of stages) {
    if (names.has(s.name)) bad(`stage name ${quote(s.name)} appears twice`);
    names.add(s.name);
  }
  return { version: d.version as number, stages };
}

/** Loads every stage model of a manifest, in manifest order. */
export function loadSplitStages(path: string): LoadedStage[] {
  const manifest = readSplitManifest(path);
  const dir = dirname(path);
  return manifest.stages.map((s) => ({ name: s.name, file: join(dir, s.file), model: loadModel(join(dir, s.file)) }));
}

/** True when the path names a split manifest rather than a model. */
export function isSplitManifestPath(path: string): boolean {
  return path.toLowerCase().endsWith('.json');
}
