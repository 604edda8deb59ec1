/**
 * eval/: what a model or plan is worth in task metrics. Datasets (generated street scenes with exact
 * ground truth, Cityscapes-style and generic folders), streaming metric accumulators, image I/O and
 * colour maps, and the evaluation of a model or plan against ground truth and a reference. Sits above
 * runtime/ (it runs engines) and below report/ and cli/; it never prints.
 */
export * from './datasets/cityscapes-classes.js';
export * from './datasets/scene-generator.js';
export * from './datasets/types.js';
export * from './datasets/views.js';
export * from './datasets/write-scenes.js';
export * from './image-io.js';
export * from './metrics/classification.js';
export * from './metrics/depth.js';
export * from './metrics/segmentation.js';
export * from './datasets/folder-datasets.js';
export * from './metrics/agreement.js';
export * from './model-tasks.js';
export * from './predictions.js';
export * from './eval-target.js';
export * from './evaluate.js';
export * from './merge.js';
export * from './dataset-spec.js';
export * from './reference-model.js';
export * from './mixed-precision.js';
export * from './sensitivity.js';
export * from './keep-fp16-split.js';
