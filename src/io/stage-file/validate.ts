import { openRegularFile } from '../../util/fs.js';
import { closeSync, realpathSync, statSync } from 'node:fs';
import { relative, resolve, isAbsolute } from 'node:path';
import type { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';
import { loadModel } from '../../onnx/load-save.js';
import { isTandemError } from '../../util/errors.js';
import { stageOrder } from './order.js';
import { quote } from '../../util/text.js';
import type { StageFileProblem } from './problems.js';
import { HOST_ENGINES, TARGET_ENGINES, type PlanDocument, type PlanStage, type StageDocument, type TensorEntry } from './types.js';

/** The files a plan stage may name besides its model (INT8 stages: the calibration cache and scales.json). */
const PLAN_STAGE_FILES = ['calibrationCache', 'scales'] as const;

/**
 * How the fields of a stage file fit together: unique names, tensors that connect (every stage input is
 * a model input or some stage's output; `from` and `to` agree with the stages), no cycles, engines that
 * exist on the plan's target, INT8 hand-offs read by INT8 stages only. Returns every problem found.
 */
export function checkStageDocument(doc: StageDocument): StageFileProblem[] {
  const problems: StageFileProblem[] = [];
  const add = (path: string, message: string): void => void problems.push({ path, message });

  const stageAt = new Map<string, number>();
  doc.stages.forEach((s, i) => {
    if (stageAt.has(s.name)) add(`stages[${i}].name`, `${quote(s.name)} is also the name of stages[${stageAt.get(s.name)!}]; stage names must be unique`);
    else stageAt.set(s.name, i);
  });
  const fileAt = new Map<string, number>();
  doc.stages.forEach((s, i) => {
    const key = resolve('/', s.file);
    if (fileAt.has(key)) add(`stages[${i}].file`, `${quote(s.file)} is also the file of stages[${fileAt.get(key)!}]; each stage has its own model file`);
    else fileAt.set(key, i);
  });

  const producers = new Map<string, string[]>();
  doc.stages.forEach((s, i) => {
    const seen = new Set<string>();
    for (const t of s.outputs) {
      if (seen.has(t)) add(`stages[${i}].outputs`, `${quote(t)} is listed twice`);
      seen.add(t);
      producers.set(t, [...(producers.get(t) ?? []), s.name]);
    }
    if (new Set(s.inputs).size !== s.inputs.length) add(`stages[${i}].inputs`, 'lists a tensor twice');
  });
  for (const [t, by] of producers) if (by.length > 1) add('stages', `tensor ${quote(t)} is computed by ${by.map(quote).join(' and ')}; each tensor has one producer`);

  const tensorAt = new Map<string, number>();
  doc.tensors.forEach((t, i) => {
    if (tensorAt.has(t.name)) add(`tensors[${i}].name`, `${quote(t.name)} is also tensors[${tensorAt.get(t.name)!}]; each tensor is listed once`);
    else tensorAt.set(t.name, i);
  });

  doc.stages.forEach((s, i) => {
    s.inputs.forEach((t, j) => {
      const entry = tensorAt.get(t);
      if (entry === undefined) add(`stages[${i}].inputs[${j}]`, `${quote(t)} is not in "tensors"; ${producers.has(t) ? 'list it there' : 'no stage computes it and it is not an input of the model'}`);
    });
    s.outputs.forEach((t, j) => {
      if (!tensorAt.has(t)) add(`stages[${i}].outputs[${j}]`, `${quote(t)} is not in "tensors"; list it there with from ${quote(s.name)}`);
    });
  });

  doc.tensors.forEach((t, i) => {
    const by = producers.get(t.name) ?? [];
    if (t.from === null) {
      if (by.length > 0) add(`tensors[${i}].from`, `is null (an input of the model), but stage ${quote(by[0]!)} computes ${quote(t.name)}`);
    } else if (!stageAt.has(t.from)) {
      add(`tensors[${i}].from`, `names no stage: ${quote(t.from)}; stages: ${[...stageAt.keys()].map(quote).join(', ')}`);
    } else if (!by.includes(t.from)) {
      add(`tensors[${i}].from`, `is ${quote(t.from)}, but that stage's outputs do not include ${quote(t.name)}${by.length > 0 ? ` (it is computed by ${quote(by[0]!)})` : ''}`);
    }
    for (const c of t.to) {
      const at = stageAt.get(c);
      if (at === undefined) add(`tensors[${i}].to`, `names no stage: ${quote(c)}`);
      else if (!doc.stages[at]!.inputs.includes(t.name)) add(`tensors[${i}].to`, `lists ${quote(c)}, but that stage's inputs do not include ${quote(t.name)}`);
    }
    for (const s of doc.stages) if (s.inputs.includes(t.name) && !t.to.includes(s.name)) add(`tensors[${i}].to`, `misses ${quote(s.name)}, which reads ${quote(t.name)}`);
  });

  doc.cut.forEach((t, i) => {
    if (!tensorAt.has(t)) add(`cut[${i}]`, `${quote(t)} is not in "tensors"`);
  });

  const { blocked } = stageOrder(doc.stages);
  if (blocked.length > 0) add('stages', `${blocked.map((s) => quote(s.name)).join(', ')} read each other's outputs in a cycle; no order runs them`);

  if (doc.kind === 'plan') problems.push(...checkPlan(doc));
  return problems;
}

function checkPlan(doc: PlanDocument): StageFileProblem[] {
  const problems: StageFileProblem[] = [];
  const allowed: readonly string[] = doc.target === 'orin' ? TARGET_ENGINES : HOST_ENGINES;
  doc.stages.forEach((s, i) => {
    if (!allowed.includes(s.engine)) problems.push({ path: `stages[${i}].engine`, message: `${quote(s.engine)} is not an engine of target ${quote(doc.target)}; engines there: ${allowed.join(', ')}` });
    for (const key of ['calibrationCache', 'scales'] as const) {
      if (s[key] !== undefined && s.precision !== 'int8') problems.push({ path: `stages[${i}].${key}`, message: `is given, but the stage runs ${s.precision}; INT8 scales belong to INT8 stages only` });
      if (s[key] !== undefined && resolve('/', s[key]) === resolve('/', s.file)) problems.push({ path: `stages[${i}].${key}`, message: `${quote(s[key])} is the stage's model file; give the ${key === 'scales' ? 'scales.json' : 'calibration cache'} its own file` });
    }
  });
  doc.tensors.forEach((t, i) => {
    if (t.quantization === undefined) return;
    if (t.dtype !== null && t.dtype !== 'int8') problems.push({ path: `tensors[${i}].dtype`, message: `is ${t.dtype}, but the tensor is handed off quantized; an INT8 hand-off has dtype int8` });
    for (const c of t.to) {
      const s = doc.stages.find((x) => x.name === c);
      if (s !== undefined && s.precision !== 'int8') problems.push({ path: `tensors[${i}].quantization`, message: `the INT8 hand-off ${quote(t.name)} is read by ${quote(c)}, which runs ${s.precision}; only INT8 stages start at a DequantizeLinear` });
    }
  });
  return problems;
}

/** How far reading a stage file checks the files it names. */
export interface FileCheckOptions {
  /** Also open each stage model and check its inputs and outputs against the tensors. @default true */
  models?: boolean;
}

/**
 * Checks the files a stage document names, relative to `dir`: each exists, is a readable regular file,
 * and stays inside `dir` once symlinks are resolved; with `models`, each model's inputs and outputs
 * are the stage's, and producer and consumers agree on each tensor's dtype and shape.
 */
export function checkStageFiles(doc: StageDocument, dir: string, options: FileCheckOptions = {}): StageFileProblem[] {
  const problems: StageFileProblem[] = [];
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (e) {
    return [{ path: '', message: `its folder ${quote(dir)} cannot be resolved: ${(e as Error).message}` }];
  }
  const declared = new Map<string, { stage: string; role: 'produced' | 'read'; dtype: DataType | undefined; shape: readonly Dim[] | undefined }[]>();
  doc.stages.forEach((s, i) => {
    const path = `stages[${i}].file`;
    for (const key of PLAN_STAGE_FILES) {
      const extra = (s as Partial<PlanStage>)[key];
      if (extra === undefined) continue;
      const at = locateStageFile(extra, dir, root);
      if (typeof at !== 'string') problems.push({ path: `stages[${i}].${key}`, message: at.problem });
    }
    const where = locateStageFile(s.file, dir, root);
    if (typeof where !== 'string') {
      problems.push({ path, message: where.problem });
      return;
    }
    const real = where;
    if (options.models === false) return;
    let model;
    try {
      model = loadModel(real, { weights: 'lazy' });
    } catch (e) {
      if (!isTandemError(e)) throw e;
      problems.push({ path, message: `${quote(s.file)} is not a model tandem can read: ${e.message}` });
      return;
    }
    const g = model.graph;
    const inputs = g.runtimeInputs;
    for (const t of s.inputs) if (!inputs.includes(t)) problems.push({ path: `stages[${i}].inputs`, message: `${quote(t)} is not an input of ${quote(s.file)} (its inputs: ${inputs.map(quote).join(', ') || 'none'})` });
    for (const t of inputs) if (!s.inputs.includes(t)) problems.push({ path: `stages[${i}].inputs`, message: `misses ${quote(t)}, an input of ${quote(s.file)}` });
    for (const t of s.outputs) if (!g.outputs.includes(t)) problems.push({ path: `stages[${i}].outputs`, message: `${quote(t)} is not an output of ${quote(s.file)} (its outputs: ${g.outputs.map(quote).join(', ') || 'none'})` });
    for (const [role, names] of [['read', s.inputs], ['produced', s.outputs]] as const) {
      for (const t of names) {
        if (!(role === 'read' ? inputs : g.outputs).includes(t)) continue;
        const type = g.tensorType(t);
        declared.set(t, [...(declared.get(t) ?? []), { stage: s.name, role, dtype: type?.dtype, shape: type?.shape }]);
      }
    }
  });

  doc.tensors.forEach((t, i) => {
    const seen = declared.get(t.name) ?? [];
    for (const d of seen) {
      if (t.dtype !== null && d.dtype !== undefined && d.dtype !== t.dtype) {
        problems.push({ path: `tensors[${i}].dtype`, message: `is ${t.dtype}, but stage ${quote(d.stage)}'s model ${d.role === 'read' ? 'reads' : 'produces'} ${quote(t.name)} as ${d.dtype}` });
      }
      if (t.shape !== null && d.shape !== undefined && !shapesAgree(t.shape, d.shape)) {
        problems.push({ path: `tensors[${i}].shape`, message: `is [${t.shape.join(',')}], but stage ${quote(d.stage)}'s model ${d.role === 'read' ? 'reads' : 'produces'} ${quote(t.name)} as [${d.shape.join(',')}]` });
      }
    }
    const producer = seen.find((d) => d.role === 'produced');
    if (producer === undefined) return;
    for (const c of seen.filter((d) => d.role === 'read')) {
      if (producer.dtype !== undefined && c.dtype !== undefined && producer.dtype !== c.dtype) {
        problems.push({ path: `tensors[${i}]`, message: `${quote(t.name)} is produced as ${producer.dtype} by ${quote(producer.stage)} but read as ${c.dtype} by ${quote(c.stage)}` });
      } else if (producer.shape !== undefined && c.shape !== undefined && !shapesAgree(producer.shape, c.shape)) {
        problems.push({ path: `tensors[${i}]`, message: `${quote(t.name)} is produced as [${producer.shape.join(',')}] by ${quote(producer.stage)} but read as [${c.shape.join(',')}] by ${quote(c.stage)}` });
      }
    }
  });
  return problems;
}

/** Same rank, and equal where both dims are numbers (a named or unknown dim agrees with anything). */
export function shapesAgree(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);
}

/** The tensors of a document that lists none (a hand-written split.json v1): derived from the stages. */
export function deriveTensors(stages: StageDocument['stages']): TensorEntry[] {
  const names = [...new Set(stages.flatMap((s) => [...s.inputs, ...s.outputs]))];
  const read = new Set(stages.flatMap((s) => s.inputs));
  return names.map((name) => ({
    name,
    dtype: null,
    shape: null,
    from: stages.find((s) => s.outputs.includes(name))?.name ?? null,
    to: stages.filter((s) => s.inputs.includes(name)).map((s) => s.name),
    modelOutput: !read.has(name),
  }));
}

/**
 * Where a stage file really is: its real path inside `root` (the real path of `dir`), or the problem
 * (missing, a symlink out of the folder, not a regular file, unreadable).
 */
export function locateStageFile(file: string, dir: string, root: string): string | { problem: string } {
  let real: string;
  try {
    real = realpathSync(resolve(dir, file));
  } catch {
    return { problem: `${quote(file)} does not exist in ${quote(dir)}` };
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    return { problem: `${quote(file)} leaves the folder of this file through a symlink (it resolves to ${quote(real)}); stage files must lie inside ${quote(root)}` };
  }
  try {
    if (!statSync(real).isFile()) return { problem: `${quote(file)} is not a regular file` };
    closeSync(openRegularFile(real, 'stage model').fd);
  } catch (e) {
    return { problem: `${quote(file)} cannot be read: ${(e as Error).message}` };
  }
  return real;
}

/**
 * The file problems of a document whose shape is wrong elsewhere: every `stages[i].file` that is a
 * relative path is still located, so that one error lists these too.
 */
export function checkRawStageFiles(raw: unknown, dir: string): StageFileProblem[] {
  const stages = (raw as { stages?: unknown } | null)?.stages;
  if (!Array.isArray(stages)) return [];
  let root: string;
  try {
    root = realpathSync(dir);
  } catch {
    return [];
  }
  const problems: StageFileProblem[] = [];
  stages.forEach((s: unknown, i) => {
    for (const key of ['file', ...PLAN_STAGE_FILES] as const) {
      const file = (s as Record<string, unknown> | null)?.[key];
      if (typeof file !== 'string' || file === '' || file.includes('\0') || isAbsolute(file) || file.split(/[\\/]/).includes('..')) continue;
      const where = locateStageFile(file, dir, root);
      if (typeof where !== 'string') problems.push({ path: `stages[${i}].${key}`, message: where.problem });
    }
  });
  return problems;
}
