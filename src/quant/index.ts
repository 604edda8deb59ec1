/**
 * quant/: INT8 calibration (observers, calibrators max / entropy / percentile / mse), TensorRT
 * calibration caches, scales.json, Q/DQ placement and insertion, the QDQ translator (Q/DQ model →
 * cache), FP16 conversion, and output fidelity. Specification: shared/reference/quantization.md.
 * Imports ir/, onnx/, io/, util/; never runtime/ or cli/: sessions come in through `SessionOpener`.
 */
export * from './arithmetic.js';
export * from './calibration-cache.js';
export * from './calibration-source.js';
export * from './calibration-targets.js';
export * from './calibrators/entropy.js';
export * from './calibrators/histogram-methods.js';
export * from './calibrators/registry.js';
export * from './histogram.js';
export * from './image-preprocess.js';
export * from './image-pixels.js';
export * from './observer.js';
export * from './qdq-plan.js';
export * from './apply-qdq.js';
export * from './extract-qdq-plan.js';
export * from './residual-add.js';
export * from './scales.js';
export * from './fidelity.js';
export * from './split-manifest.js';
export * from './quantize.js';
export * from './quantize-stages.js';
export type * from './session.js';
export * from './scale-propagation.js';
export * from './translate-qdq.js';
export * from './translate-qdq-file.js';
export * from './fp16.js';
export * from './calibrators/threshold-pool.js';
