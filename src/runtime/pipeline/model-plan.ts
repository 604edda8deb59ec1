import { basename, dirname, join, resolve } from 'node:path';
import { TandemError } from '../../util/errors.js';
import { readPlan, STAGE_FILE_VERSION, type Plan } from '../../io/stage-file/index.js';
import { fixInputDims } from '../../passes/fix-input-dims.js';
import { loadModel } from '../../onnx/load-save.js';
import type { EngineName } from '../engines/types.js';

/** Reads a plan from plan.json or its folder. */
export function readPlanAt(path: string): Plan {
  const file = path.toLowerCase().endsWith('.json') ? path : join(path, 'plan.json');
  return readPlan(file);
}

/**
 * A one-stage host plan over a whole model file (bench <model>): the model's inputs feed the stage, its
 * outputs are the plan's outputs; `dims` sizes symbolic dims in their shapes (the frames fed have these
 * sizes). Kept in memory, never written.
 */
export function modelPlan(modelPath: string, options: { engine?: EngineName; threads?: number; dims?: Readonly<Record<string, number>> } = {}): Plan {
  const engine = options.engine ?? 'cpu';
  const threads = options.threads;
  const loaded = loadModel(modelPath, { weights: 'lazy' });
  const model = options.dims === undefined ? loaded : fixInputDims(loaded, options.dims);
  const g = model.graph;
  const spec = (name: string) => {
    const t = g.value(name)?.type;
    return t?.kind === 'tensor' ? { dtype: t.dtype ?? null, shape: t.shape ?? null } : { dtype: null, shape: null };
  };
  if (g.outputs.length === 0) throw new TandemError('MODEL_UNSUITABLE', `${modelPath} has no outputs to run`);
  return {
    version: STAGE_FILE_VERSION,
    kind: 'plan',
    target: 'host',
    source: modelPath,
    cut: [],
    dir: resolve(dirname(modelPath)),
    stages: [
      {
        name: 'model',
        file: basename(modelPath),
        kind: 'backbone',
        inputs: [...g.runtimeInputs],
        outputs: [...g.outputs],
        engine,
        precision: 'fp32',
        ...(threads !== undefined ? { engineOptions: { threads } } : {}),
        choice: { how: 'pinned', reason: 'the whole model on the engine given' },
      },
    ],
    tensors: [
      ...g.runtimeInputs.map((name) => ({ name, ...spec(name), from: null, to: ['model'], modelOutput: false })),
      ...g.outputs.map((o) => ({ name: o, ...spec(o), from: 'model', to: [], modelOutput: true })),
    ],
  };
}
