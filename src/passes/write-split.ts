import { join } from 'node:path';
import { STAGE_FILE_NAMES, newSplitDocument, writeSplitDocument, type SplitDocument } from '../io/stage-file/index.js';
import { saveModel, savedModelFiles } from '../onnx/index.js';
import { assertOutputsFree, writeFolder } from '../util/fs.js';
import type { SplitPlan } from './split-model.js';

/** Options of `writeSplit`. */
export interface WriteSplitOptions {
  /** Recorded as `source` in split.json. @default none */
  source?: string;
  /** Paths that must not be overwritten (the model being split): refused with `FILE_EXISTS`. @default [] */
  protect?: readonly string[];
}

/** What `writeSplit` wrote: the folder, every file, and the split.json document. */
export interface WrittenSplit {
  readonly dir: string;
  /** Every file written: one .onnx per stage, then split.json. */
  readonly files: readonly string[];
  readonly manifest: SplitDocument;
}

/** The split.json document of a split (the stage files are `<stage>.onnx`). */
export function splitDocument(plan: SplitPlan, source?: string): SplitDocument {
  return newSplitDocument({
    ...(source !== undefined ? { source } : {}),
    cut: plan.cut,
    stages: plan.stages.map((s) => ({ name: s.name, file: `${s.name}.onnx`, kind: s.kind, inputs: s.inputs, outputs: s.outputs })),
    tensors: plan.tensors.map((t) => ({ name: t.name, dtype: t.dtype ?? null, shape: t.shape ?? null, from: t.from ?? null, to: t.to, modelOutput: t.modelOutput })),
  });
}

/**
 * Writes one ONNX file per stage and split.json into `dir` (created if missing) as one set: all files
 * appear together or none does; nothing is written when a target's real path is a protected path.
 */
export function writeSplit(plan: SplitPlan, dir: string, options: WriteSplitOptions = {}): WrittenSplit {
  const manifest = splitDocument(plan, options.source);
  const names = [...manifest.stages.map((s) => s.file), STAGE_FILE_NAMES.split];
  const targets = names.map((n) => join(dir, n));
  assertOutputsFree([...manifest.stages.flatMap((s) => savedModelFiles(join(dir, s.file))), targets.at(-1)!], options.protect ?? []);
  // The set is written into a staging folder and renamed at the end: a failure leaves no final-named file.
  writeFolder(dir, (out) => {
    plan.stages.forEach((s, i) => saveModel(s.model, out.at(names[i]!)));
    writeSplitDocument(manifest, out.at(''), { protect: options.protect ?? [] });
  });
  return { dir, files: targets, manifest };
}
