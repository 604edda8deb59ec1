/**
 * runtime/: engines, and (later) the pipeline scheduler, bench statistics and trace recording.
 * Imports everything below it; never cli/ or report/.
 */
export * from './engines/index.js';
export * from './verify.js';
export * from './run-once.js';
export * from './pipeline/index.js';
