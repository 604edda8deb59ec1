/**
 * io/stage-file: the one schema of split.json and plan.json, with its reader, validator, writer and the
 * stage-order computation. Imports ir/, onnx/ (to check stage models) and util/ only.
 */
export * from './types.js';
export { runOrder, stageOrder, type StageLinks, type StageOrder } from './order.js';
export type { StageFileProblem } from './problems.js';
export { STAGE_NAME } from './schema.js';
export { isPlanPath, parseStageDocument, readPlan, readSplit, readStageFile, type LoadedSplit, type ParsedStageDocument, type ReadStageFileOptions, type StageFile } from './read.js';
export { checkStageDocument, checkStageFiles, shapesAgree, type FileCheckOptions } from './validate.js';
export { STAGE_FILE_NAMES, newPlanDocument, newSplitDocument, writePlan, writeSplitDocument, writeStageFile, type WriteStageFileOptions } from './write.js';
