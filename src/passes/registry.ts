import { createRegistry } from '../util/registry.js';
import { CONVERT_MATMUL_TO_CONV } from './convert-matmul-to-conv.js';
import { CONVERT_REDUCE_MEAN_TO_POOL } from './convert-reduce-mean-to-pool.js';
import { CONVERT_RESIZE_SIZES_TO_SCALES } from './convert-resize-sizes-to-scales.js';
import { CONVERT_SQUEEZE_TO_RESHAPE } from './convert-squeeze-to-reshape.js';
import { DECOMPOSE_LOG_REDUCTIONS } from './decompose-log-reductions.js';
import { DECOMPOSE_NORMALIZATION } from './decompose-normalization.js';
import { FOLD_CONSTANTS } from './fold-constants.js';
import { FUSE_CONV_AFFINE } from './fuse-conv-affine.js';
import { FUSE_CONV_BATCH_NORM } from './fuse-conv-batch-norm.js';
import { FUSE_PAD_INTO_CONV } from './fuse-pad-into-conv.js';
import { FUSE_SIBLING_CONVS } from './fuse-sibling-convs.js';
import { MERGE_SHAPE_OPS } from './merge-shape-ops.js';
import type { Pass } from './pass.js';
import { RECONSTRUCT_CUM_SUM } from './reconstruct-cum-sum.js';
import { RECONSTRUCT_DEPTH_TO_SPACE } from './reconstruct-depth-to-space.js';
import { RECONSTRUCT_GATHER } from './reconstruct-gather.js';
import { RECONSTRUCT_GLOBAL_MAX_POOL } from './reconstruct-global-max-pool.js';
import { RECONSTRUCT_LOGIC } from './reconstruct-logic.js';
import { RECONSTRUCT_NEG } from './reconstruct-neg.js';
import { RECONSTRUCT_REDUCE_SUM } from './reconstruct-reduce-sum.js';
import { RECONSTRUCT_SCATTER } from './reconstruct-scatter.js';
import { RECONSTRUCT_SPACE_TO_DEPTH } from './reconstruct-space-to-depth.js';
import { RECONSTRUCT_WHERE } from './reconstruct-where.js';
import { REMOVE_DEAD_NODES } from './remove-dead-nodes.js';
import { REMOVE_NO_OPS } from './remove-no-ops.js';
import { SINK_FLATTEN } from './sink-flatten.js';
import { UNROLL_RECURRENT } from './unroll-recurrent.js';

/**
 * Every pass `prepare` can run, by name, in the order the default pipeline runs them: cleanups, then
 * fusions and conversions (always applied: they never cost coverage), then reconstructions (kept
 * where the target's analysis gains). Filled here and nowhere else.
 */
export const PASSES = {
  'remove-no-ops': REMOVE_NO_OPS,
  'fold-constants': FOLD_CONSTANTS,
  'merge-shape-ops': MERGE_SHAPE_OPS,
  'remove-dead-nodes': REMOVE_DEAD_NODES,
  'fuse-pad-into-conv': FUSE_PAD_INTO_CONV,
  'fuse-conv-batchnorm': FUSE_CONV_BATCH_NORM,
  'fuse-conv-affine': FUSE_CONV_AFFINE,
  'sink-flatten': SINK_FLATTEN,
  'convert-squeeze-to-reshape': CONVERT_SQUEEZE_TO_RESHAPE,
  'convert-reduce-mean-to-pool': CONVERT_REDUCE_MEAN_TO_POOL,
  'convert-matmul-to-conv': CONVERT_MATMUL_TO_CONV,
  'convert-resize-sizes-to-scales': CONVERT_RESIZE_SIZES_TO_SCALES,
  'fuse-sibling-convs': FUSE_SIBLING_CONVS,
  'reconstruct-logic': RECONSTRUCT_LOGIC,
  'reconstruct-neg': RECONSTRUCT_NEG,
  'reconstruct-depth-to-space': RECONSTRUCT_DEPTH_TO_SPACE,
  'reconstruct-space-to-depth': RECONSTRUCT_SPACE_TO_DEPTH,
  'reconstruct-gather': RECONSTRUCT_GATHER,
  'reconstruct-scatter': RECONSTRUCT_SCATTER,
  'reconstruct-where': RECONSTRUCT_WHERE,
  'reconstruct-cumsum': RECONSTRUCT_CUM_SUM,
  'reconstruct-reduce-sum': RECONSTRUCT_REDUCE_SUM,
  'reconstruct-global-max-pool': RECONSTRUCT_GLOBAL_MAX_POOL,
  'unroll-recurrent': UNROLL_RECURRENT,
  'decompose-normalization': DECOMPOSE_NORMALIZATION,
  'decompose-log-reductions': DECOMPOSE_LOG_REDUCTIONS,
} as const satisfies Readonly<Record<string, Pass>>;

/** The name of a graph rewrite `prepareModel` can run (`'fuse-conv-batch-norm'`, ...). */
export type PassName = keyof typeof PASSES;

/** The passes as a registry: lookups by name, one miss message for every registry. */
export const PASS_REGISTRY = createRegistry('pass', PASSES);

/** Every pass, in the order `prepareModel` runs them by default. */
export const PASS_NAMES: readonly PassName[] = PASS_REGISTRY.names;

export function isPassName(name: string): name is PassName {
  return PASS_REGISTRY.has(name);
}

/** The pass of that name. Throws TandemError `UNKNOWN_NAME` listing the passes that exist. */
export function getPass(name: string): Pass {
  return PASS_REGISTRY.get(name);
}
