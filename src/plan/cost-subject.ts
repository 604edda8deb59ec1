import { existsSync } from 'node:fs';
import type { Model } from '../ir/model.js';
import { buildMultitask, getReferenceModel, isReferenceModelName, MULTITASK_IO, REFERENCE_MODEL_NAMES } from '../models/index.js';
import { loadModel } from '../onnx/load-save.js';
import { prepareModel } from '../passes/index.js';
import { TandemError } from '../util/errors.js';
import { quote } from '../util/text.js';

/** What the latency model is asked about: a model (with the tensors the trunk hands over, where known) or a stage file. */
export type CostSubject = { kind: 'model'; model: Model; features?: readonly string[]; note?: string } | { kind: 'stages'; path: string };

/**
 * A model file, a split.json / plan.json, or a reference model's name. The reference multi-task model is
 * built as the webinar ran it: 1024x1024 (NVIDIA's mtmi README), prepared for the Orin DLA.
 */
export function loadCostSubject(subject: string): CostSubject {
  if (subject.endsWith('.json')) return { kind: 'stages', path: subject };
  if (!existsSync(subject) && subject === 'multitask') {
    const model = prepareModel(buildMultitask({ height: 1024, width: 1024 }), { target: 'orin-dla', precision: 'int8' }).model;
    return { kind: 'model', model, features: MULTITASK_IO.features, note: 'reference model multitask at 1024x1024 (the webinar\'s input), prepared for orin-dla (tandem prepare), cut at its features c1..c4' };
  }
  if (!existsSync(subject) && isReferenceModelName(subject)) return { kind: 'model', model: getReferenceModel(subject).build() };
  if (!existsSync(subject)) throw new TandemError('FILE_NOT_FOUND', `${quote(subject)} is neither a file nor a reference model; give an .onnx file, a split.json / plan.json, or one of ${REFERENCE_MODEL_NAMES.join(', ')}`);
  return { kind: 'model', model: loadModel(subject, { weights: 'lazy' }) };
}
