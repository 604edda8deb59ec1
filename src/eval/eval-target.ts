import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TandemError } from '../util/errors.js';
import type { Tensor } from '../ir/tensor.js';
import type { Model } from '../ir/model.js';
import { loadModel } from '../onnx/load-save.js';
import { isPlanPath, readPlan, type Plan } from '../io/stage-file/index.js';
import { getEngine } from '../runtime/engines/registry.js';
import type { EngineName, Session } from '../runtime/engines/types.js';
import { openPipeline, type Pipeline } from '../runtime/pipeline/pipeline.js';
import { readModelTasks, type ModelTasks } from './model-tasks.js';
import type { ImagePreprocessOptions } from '../quant/image-preprocess.js';
import type { PixelInput } from '../quant/image-pixels.js';

/** What eval runs: a model file on one engine, or a plan (a path to plan.json or its folder, or a Plan in memory) as a pipeline. */
export type EvalTargetSpec = string | Plan;

/** Options of `openEvalTarget`. */
export interface OpenTargetOptions {
  /** Engine for a model file. @default 'cpu' */
  engine?: EngineName;
  /** Intra-op threads per session. @default onnxruntime's choice */
  threads?: number;
  /** How frames become input tensors. @default from the model's metadata, else ImageNet mean and std */
  preprocess?: ImagePreprocessOptions;
}

/** An opened eval target: its tasks (from the model's metadata) and one call per frame. */
export interface EvalTarget extends AsyncDisposable {
  /** For messages and results: the file, or "plan <dir>". */
  readonly label: string;
  readonly tasks: ModelTasks;
  /** A plan that takes pixels and normalises them itself (`plan.io.input`): feed it frameToPixels. @default none (float input) */
  readonly pixels?: PixelInput;
  run(input: Tensor): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
}

/** The model whose metadata describes a plan's input and outputs: its source model, else its first stage's model. */
export function planTaskModel(plan: Plan): Model {
  const candidates: string[] = [];
  if (plan.source !== undefined) candidates.push(isAbsolute(plan.source) ? plan.source : resolve(plan.dir, plan.source), resolve(plan.source));
  const found = candidates.find((c) => existsSync(c));
  const source = found !== undefined ? loadModel(found, { weights: 'lazy' }) : undefined;
  if (source !== undefined && source.metadata.length > 0) return source;
  const first = plan.stages[0];
  if (first === undefined) throw new TandemError('STAGE_FILE', `plan ${plan.dir} has no stages`);
  const stage = loadModel(join(plan.dir, first.file), { weights: 'lazy' });
  if (stage.metadata.length > 0) return stage;
  if (source !== undefined) return source;
  throw new TandemError('MODEL_METADATA', `plan ${plan.dir}: its source model ${plan.source ?? '(none recorded)'} is not there and its stages carry no metadata, so eval cannot tell the preprocessing and output meaning; keep the source model where plan.json says`);
}

/** Opens a model or plan for evaluation. Close it (or `await using`). */
export async function openEvalTarget(spec: EvalTargetSpec, options: OpenTargetOptions = {}): Promise<EvalTarget> {
  const overrides = options.preprocess !== undefined ? { preprocess: options.preprocess } : {};
  if (typeof spec !== 'string' || isPlanPath(spec)) {
    const plan = typeof spec === 'string' ? readPlan(spec.toLowerCase().endsWith('.json') ? spec : join(spec, 'plan.json')) : spec;
    const model = planTaskModel(plan);
    const pixels = plan.io?.input;
    const tasks = readModelTasks(model, pixels === undefined ? overrides : { ...overrides, pixels: { input: pixels, shape: plan.tensors.find((t) => t.name === pixels.name)?.shape ?? undefined } });
    const pipeline: Pipeline = await openPipeline(plan, options.threads !== undefined ? { engineOptions: { threads: options.threads } } : {});
    const close = (): Promise<void> => pipeline.close();
    return {
      label: `plan ${plan.dir}`,
      tasks,
      ...(pixels !== undefined ? { pixels } : {}),
      run: async (input) => {
        for await (const r of pipeline.run([{ [tasks.input]: input }], { mode: 'sequential' })) return r.outputs;
        throw new TandemError('ENGINE_RUN', `plan ${plan.dir} returned no frame`);
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  }
  if (!existsSync(spec)) throw new TandemError('FILE_NOT_FOUND', `model ${spec} does not exist`);
  const model = loadModel(spec, { weights: 'lazy' });
  const tasks = readModelTasks(model, overrides);
  const session: Session = await getEngine(options.engine ?? 'cpu').open(spec, options.threads !== undefined ? { threads: options.threads } : {});
  const close = (): Promise<void> => session.close();
  return { label: spec, tasks, run: (input) => session.run({ [tasks.input]: input }), close, [Symbol.asyncDispose]: close };
}
