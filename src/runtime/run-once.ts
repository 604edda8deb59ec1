import { quote } from '../util/text.js';
import { performance } from 'node:perf_hooks';
import { TandemError } from '../util/errors.js';
import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { join } from 'node:path';
import { assertOutputsFree, checkOutputDir, writeFileAtomic, writeFolder } from '../util/fs.js';
import { encodeNpy, readNpy } from '../io/npy.js';
import { distinctFileNames, safeFileName } from '../io/frame-outputs.js';
import { loadModel, modelFiles } from '../onnx/load-save.js';
import { getEngine } from './engines/registry.js';
import type { EngineName, EngineOptions } from './engines/types.js';
import { randomInputs } from './verify.js';

/** Options of `runOnce`. */
export interface RunOnceOptions {
  /** @default 'cpu' */
  engine?: EngineName;
  /** Options of the session. @default none */
  engineOptions?: EngineOptions;
  /** Feeds by input name, as tensors or .npy files; inputs not given get seeded random data. @default {} (all random) */
  inputs?: Readonly<Record<string, Tensor | string>>;
  /** Write each output as `<out>/<output>.npy` (names made file-safe and distinct), as one set; never over a file read. @default none: outputs are only returned */
  out?: string;
  /** Sizes of symbolic input dims for random data. @default {} (unlisted symbolic dims are 1) */
  dims?: Readonly<Record<string, number>>;
  /** @default 1 */
  seed?: number;
}

/** The outputs of one run, which inputs were random, and the measured open and run times. */
export interface RunOnceResult {
  engine: EngineName;
  outputs: Record<string, Tensor>;
  /** Inputs that were filled with random data. */
  randomInputs: string[];
  /** Measured wall time to create the session, ms. */
  openMs: number;
  /** Measured wall time of the one run, ms. */
  runMs: number;
  /** With `out`: the file of each output. */
  files?: Record<string, string>;
}

/**
 * Opens a model on an engine and runs it once. A path is what the engine loads (its external data stays
 * next to it; only the graph's structure is read here, for the input names); a Model is encoded.
 */
export async function runOnce(source: Model | string, options: RunOnceOptions = {}): Promise<RunOnceResult> {
  const model = typeof source === 'string' ? loadModel(source, { weights: 'lazy' }) : source;
  const engineName = options.engine ?? 'cpu';
  const given = options.inputs ?? {};
  const unknown = Object.keys(given).filter((n) => !model.graph.runtimeInputs.includes(n));
  if (unknown.length > 0) {
    throw new TandemError('INPUT_MISMATCH', `the model has no input ${unknown.map((n) => `${quote(n)}`).join(', ')}; its inputs are ${model.graph.runtimeInputs.map((n) => `${quote(n)}`).join(', ')}`);
  }
  // Output file names are known from the graph: checked against every file read before the run.
  const names = outputFileNames(model.graph.outputs);
  if (options.out !== undefined) {
    checkOutputDir(options.out);
    const read = [...(typeof source === 'string' ? modelFiles(model, source) : []), ...Object.values(given).filter((v): v is string => typeof v === 'string')];
    assertOutputsFree([...names.values()].map((f) => join(options.out!, f)), read);
  }
  const missing = model.graph.runtimeInputs.filter((n) => !(n in given));
  const random = missing.length > 0 ? randomInputs(model, { seed: options.seed ?? 1, ...(options.dims ? { dims: options.dims } : {}) }) : {};
  const feeds: Record<string, Tensor> = {};
  for (const name of model.graph.runtimeInputs) {
    const g = given[name];
    feeds[name] = g === undefined ? random[name]! : typeof g === 'string' ? readNpy(g) : g;
  }
  const t0 = performance.now();
  await using session = await getEngine(engineName).open(source, options.engineOptions);
  const t1 = performance.now();
  const outputs = await session.run(feeds);
  const t2 = performance.now();
  const result: RunOnceResult = { engine: engineName, outputs, randomInputs: missing, openMs: t1 - t0, runMs: t2 - t1 };
  if (options.out === undefined) return result;
  const files: Record<string, string> = {};
  writeFolder(options.out, (dir) => {
    for (const [name, t] of Object.entries(outputs)) {
      const file = names.get(name) ?? `${safeFileName(name)}.npy`;
      writeFileAtomic(dir.at(file), encodeNpy(t));
      files[name] = dir.final(file);
    }
  });
  return { ...result, files };
}

/** A distinct .npy file name per output (two names that sanitise alike get a numeric suffix). */
function outputFileNames(outputs: readonly string[]): Map<string, string> {
  const files = distinctFileNames(outputs);
  return new Map(outputs.map((name, i) => [name, `${files[i]}.npy`]));
}
