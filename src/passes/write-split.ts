import { join } from 'node:path';
import type { DataType } from '../ir/dtype.js';
import type { Dim } from '../ir/types.js';
import { saveModel, savedModelFiles } from '../onnx/index.js';
import { assertOutputsFree, writeFileAtomic, writeFolder } from '../util/fs.js';
import type { SplitPlan, StageKind } from './split-model.js';

/** Version of split.json's layout; readers check it. */
export const SPLIT_FILE_VERSION = 1;

/** split.json: the stages (files relative to its folder) in an order that runs, and the tensors between them. */
export interface SplitManifest {
  readonly version: number;
  /** The model that was split, as given. */
  readonly source?: string;
  readonly cut: readonly string[];
  readonly stages: readonly { name: string; file: string; kind: StageKind; inputs: readonly string[]; outputs: readonly string[] }[];
  readonly tensors: readonly { name: string; dtype: DataType | null; shape: readonly Dim[] | null; from: string | null; to: readonly string[]; modelOutput: boolean }[];
}

export interface WriteSplitOptions {
  /** Recorded as `source` in split.json. */
  source?: string;
  /** Paths that must not be overwritten (the model being split): refused with `FILE_EXISTS`. */
  protect?: readonly string[];
}

export interface WrittenSplit {
  readonly dir: string;
  /** Every file written: one .onnx per stage, then split.json. */
  readonly files: readonly string[];
  readonly manifest: SplitManifest;
}

/** The manifest of a plan (what writeSplit puts in split.json). */
export function splitManifest(plan: SplitPlan, source?: string): SplitManifest {
  return {
    version: SPLIT_FILE_VERSION,
    ...(source !== undefined ? { source } : {}),
    cut: plan.cut,
    stages: plan.stages.map((s) => ({ name: s.name, file: `${s.name}.onnx`, kind: s.kind, inputs: s.inputs, outputs: s.outputs })),
    tensors: plan.tensors.map((t) => ({ name: t.name, dtype: t.dtype ?? null, shape: t.shape ?? null, from: t.from ?? null, to: t.to, modelOutput: t.modelOutput })),
  };
}

/**
 * Writes one ONNX file per stage and split.json into `dir` (created if missing) as one set: all files
 * appear together or none does; nothing is written when a target's real path is a protected path.
 */
export function writeSplit(plan: SplitPlan, dir: string, options: WriteSplitOptions = {}): WrittenSplit {
  const manifest = splitManifest(plan, options.source);
  const names = [...manifest.stages.map((s) => s.file), 'split.json'];
  const targets = names.map((n) => join(dir, n));
  assertOutputsFree([...manifest.stages.flatMap((s) => savedModelFiles(join(dir, s.file))), targets.at(-1)!], options.protect ?? []);
  // The set is written into a staging folder and renamed at the end: a failure leaves no final-named file.
  writeFolder(dir, (out) => {
    plan.stages.forEach((s, i) => saveModel(s.model, out.at(names[i]!)));
    writeFileAtomic(out.at('split.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return { dir, files: targets, manifest };
}
