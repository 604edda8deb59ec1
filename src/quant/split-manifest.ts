import { readSplit, runOrder, type ReadStageFileOptions } from '../io/stage-file/index.js';
import type { Model } from '../ir/model.js';
import { loadModel } from '../onnx/load-save.js';
import { join } from 'node:path';

/** A stage model of a split.json, loaded. */
export interface LoadedStage {
  readonly name: string;
  readonly file: string;
  readonly model: Model;
}

/** Loads every stage model of a split.json (validated by io/stage-file's readSplit), in the order they run. */
export function loadSplitStages(path: string, options: ReadStageFileOptions = {}): LoadedStage[] {
  const split = readSplit(path, options);
  return runOrder(split.stages).map((s) => ({ name: s.name, file: join(split.dir, s.file), model: loadModel(join(split.dir, s.file)) }));
}

/** True when the path names a split manifest rather than a model. */
export function isSplitManifestPath(path: string): boolean {
  return path.toLowerCase().endsWith('.json');
}
