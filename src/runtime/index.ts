/**
 * runtime/: engines, the pipeline scheduler (runtime/pipeline: plans run as pipelines, bench statistics,
 * Chrome traces). Imports everything below it; never cli/ or report/.
 */
export * from './engines/index.js';
export * from './verify.js';
export * from './run-once.js';
export * from './pipeline/index.js';
export * from './checked-rewrites.js';
export * from './host-engines.js';
