/**
 * runtime/pipeline/: the pipeline scheduler (engine-independent), plans run as pipelines over engines,
 * bench statistics and Chrome traces. Imports runtime/engines, io/, ir/, util/.
 */
export * from './schedule-graph.js';
export * from './scheduler.js';
export { median, percentile, summarize, type SampleStats } from './stats.js';
export { openPipeline, type FrameResult, type Pipeline, type PipelineInput, type PipelineMode, type PipelineOptions, type PipelineRunOptions, type PipelineStageInfo } from './pipeline.js';
export * from './trace.js';
export * from './bench.js';
export * from './function-pipeline.js';
export * from './frame-source.js';
export * from './model-plan.js';
export * from './run-frames.js';
