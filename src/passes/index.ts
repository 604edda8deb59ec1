/**
 * passes/: graph rewrites, each planned as plain data before it is applied: cleanups (extract, dead
 * code, constant folding, no-ops), the fusions and conversions the DLA recipes use, the op
 * reconstructions of the DLA support reference (section 3), the prepare pipeline that keeps what raises
 * a target's coverage, and the cut of a model into stages (backbone, heads, post-processing).
 * Imports util/, ir/, onnx/, ops/, targets/; never runtime/ (verification lives in tests and the CLI).
 */
export { definePass, type Pass, type PassInfo, type PassKind, type PassPlan, type PassResult, type PassSpec, type Rewrite, type RunPassOptions } from './pass.js';
export { GraphFacts, nodeKey, nodeLabel } from './graph-facts.js';
export { GraphEdit, Emitter } from './graph-edit.js';
export { PASSES, PASS_NAMES, PASS_REGISTRY, getPass, isPassName, type PassName } from './registry.js';

export { extractSubgraph, planExtract, type ExtractOptions, type ExtractPlan } from './extract-subgraph.js';
export { REMOVE_DEAD_NODES, removeDeadNodes } from './remove-dead-nodes.js';
export { FOLD_CONSTANTS, foldConstants } from './fold-constants.js';
export { REMOVE_NO_OPS, removeNoOps } from './remove-no-ops.js';
export { MERGE_SHAPE_OPS, mergeShapeOps } from './merge-shape-ops.js';
export { CONVERT_SQUEEZE_TO_RESHAPE, convertSqueezeToReshape } from './convert-squeeze-to-reshape.js';
export { FUSE_CONV_BATCH_NORM, fuseConvBatchNorm } from './fuse-conv-batch-norm.js';
export { FUSE_CONV_AFFINE, fuseConvAffine } from './fuse-conv-affine.js';
export { FUSE_PAD_INTO_CONV, fusePadIntoConv } from './fuse-pad-into-conv.js';
export { FUSE_SIBLING_CONVS, fuseSiblingConvs } from './fuse-sibling-convs.js';
export { SINK_FLATTEN, sinkFlatten } from './sink-flatten.js';
export { CONVERT_REDUCE_MEAN_TO_POOL, convertReduceMeanToPool } from './convert-reduce-mean-to-pool.js';
export { CONVERT_MATMUL_TO_CONV, convertMatMulToConv } from './convert-matmul-to-conv.js';
export { CONVERT_RESIZE_SIZES_TO_SCALES, convertResizeSizesToScales } from './convert-resize-sizes-to-scales.js';
export { RECONSTRUCT_LOGIC, reconstructLogic } from './reconstruct-logic.js';
export { RECONSTRUCT_NEG, reconstructNeg } from './reconstruct-neg.js';
export { RECONSTRUCT_DEPTH_TO_SPACE, reconstructDepthToSpace } from './reconstruct-depth-to-space.js';
export { RECONSTRUCT_SPACE_TO_DEPTH, reconstructSpaceToDepth } from './reconstruct-space-to-depth.js';
export { RECONSTRUCT_GATHER, reconstructGather } from './reconstruct-gather.js';
export { RECONSTRUCT_SCATTER, reconstructScatter } from './reconstruct-scatter.js';
export { RECONSTRUCT_WHERE, reconstructWhere } from './reconstruct-where.js';
export { RECONSTRUCT_CUM_SUM, reconstructCumSum } from './reconstruct-cum-sum.js';
export { RECONSTRUCT_REDUCE_SUM, reconstructReduceSum } from './reconstruct-reduce-sum.js';
export { RECONSTRUCT_GLOBAL_MAX_POOL, reconstructGlobalMaxPool } from './reconstruct-global-max-pool.js';
export { UNROLL_RECURRENT, unrollRecurrent } from './unroll-recurrent.js';
export { DECOMPOSE_NORMALIZATION, decomposeNormalization } from './decompose-normalization.js';
export { DECOMPOSE_LOG_REDUCTIONS, decomposeLogReductions } from './decompose-log-reductions.js';

export {
  prepareModel,
  resolvePrepareOptions,
  type PassRecord,
  type PrepareOptions,
  type PrepareReport,
  type PrepareResult,
  type RejectedRewrite,
  type ResolvedPrepareOptions,
} from './prepare-model.js';
export { POSTPROCESS_OPS, planPostprocessCut, type PostprocessCut } from './cut-postprocessing.js';
export {
  resolveSplitOptions,
  splitModel,
  type ResolvedSplitOptions,
  type SplitOptions,
  type SplitPlan,
  type SplitStage,
  type SplitTensor,
  type StageKind,
} from './split-model.js';
export { splitDocument, writeSplit, type WriteSplitOptions, type WrittenSplit } from './write-split.js';
export { compareStageCoverage, stageCoverage, type CoverageChange, type StageCoverage } from './stage-coverage.js';
export { pruneTwoFour, type PruneRecord, type PruneResult } from './prune-two-four.js';
export { fixInputDims } from './fix-input-dims.js';
