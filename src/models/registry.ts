import type { Model } from '../ir/model.js';
import { createRegistry } from '../util/registry.js';
import { MULTITASK_IO, buildMultitask, type MultitaskOptions } from './multitask.js';
import { RESNET50_IO, buildResNet50, type ResNet50Options } from './resnet50.js';

/** Options every reference model takes (each model's own options add more). */
export interface ReferenceModelOptions {
  /** Seed of the weight generator. @default 0 */
  seed?: number;
  /** Batch size (a static dimension). @default 1 */
  batch?: number;
  /** Input height. @default the model's own (224 for ResNet-50, 512 for the multi-task model) */
  height?: number;
  /** Input width. @default the model's own (224 for ResNet-50, 1024 for the multi-task model) */
  width?: number;
}

/** A reference model: how to build it, and the names a caller needs to use it. */
export interface ReferenceModel<O extends ReferenceModelOptions = ReferenceModelOptions> {
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Tensors where the backbone hands over to the heads: the natural cut for `split` (none for a single-head model). */
  readonly features: readonly string[];
  /** Options of a small variant that builds and runs in about a second (tests, smoke runs). */
  readonly smallOptions: Readonly<O>;
  /** Builds the model; the same options always give the same model, byte for byte once encoded. */
  build(options?: O): Model;
}

/** The reference models by name, filled in here and nowhere else. */
export const REFERENCE_MODELS = {
  resnet50: {
    name: 'resnet50',
    description: 'ResNet-50 v1.5 classifier in torchvision layout, 224x224, 1000 classes, seeded weights (25.6 M parameters)',
    inputs: [RESNET50_IO.input],
    outputs: [RESNET50_IO.output],
    features: [],
    smallOptions: { height: 64, width: 64 },
    build: (options?: ResNet50Options): Model => buildResNet50(options),
  } satisfies ReferenceModel<ResNet50Options>,
  multitask: {
    name: 'multitask',
    description: "the webinar's multi-task network: MiT-B0 (SegFormer) encoder, SegFormer segmentation head (19 classes, 1/4 resolution), progressive depth decoder (full resolution), 512x1024",
    inputs: [MULTITASK_IO.input],
    outputs: [MULTITASK_IO.segmentation, MULTITASK_IO.depth],
    features: MULTITASK_IO.features,
    smallOptions: { height: 64, width: 128 },
    build: (options?: MultitaskOptions): Model => buildMultitask(options),
  } satisfies ReferenceModel<MultitaskOptions>,
} as const;

/** The name of a reference model (`'resnet50'`, `'multitask'`, ...). */
export type ReferenceModelName = keyof typeof REFERENCE_MODELS;

/** The reference models as a registry: lookups by name, one miss message for every registry. */
export const REFERENCE_MODEL_REGISTRY = createRegistry('reference model', REFERENCE_MODELS);

/** The names of the reference models `getReferenceModel` builds. */
export const REFERENCE_MODEL_NAMES: readonly ReferenceModelName[] = REFERENCE_MODEL_REGISTRY.names;

export function isReferenceModelName(name: string): name is ReferenceModelName {
  return REFERENCE_MODEL_REGISTRY.has(name);
}

/** The reference model of that name. Throws TandemError `UNKNOWN_NAME` listing the models that exist. */
export function getReferenceModel(name: string): ReferenceModel {
  return REFERENCE_MODEL_REGISTRY.get(name);
}
