import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_FILE_NAMES, newSplitDocument, writeSplitDocument, type SplitDocument } from '../io/stage-file/index.js';
import { saveModel } from '../onnx/index.js';
import { assertNotInput } from '../util/fs.js';
import type { SplitPlan } from './split-model.js';

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
 * Writes one ONNX file per stage and split.json into `dir` (created if missing). Each file goes
 * through a temporary name and a rename; nothing is written when a target is a protected path.
 */
export function writeSplit(plan: SplitPlan, dir: string, options: WriteSplitOptions = {}): WrittenSplit {
  const manifest = splitDocument(plan, options.source);
  const targets = [...manifest.stages.map((s) => join(dir, s.file)), join(dir, STAGE_FILE_NAMES.split)];
  for (const t of targets) assertNotInput(t, options.protect ?? []);
  mkdirSync(dir, { recursive: true });
  plan.stages.forEach((s, i) => saveModel(s.model, targets[i]!));
  writeSplitDocument(dir, manifest, { protect: options.protect ?? [] });
  return { dir, files: targets, manifest };
}
