/**
 * io/: tensor file formats (.npy, .npz) and the stage files (split.json, plan.json). Imports ir/, onnx/ (file errors) and util/.
 */
export * from './npy.js';
// targets/ has its own Precision (what a DLA build takes): the stage-file one is exported as StagePrecision
export type { Precision as StagePrecision } from './stage-file/types.js';
export {
  HOST_ENGINES,
  STAGE_FILE_VERSION,
  TARGET_ENGINES,
  type EngineChoice,
  type HostEngine,
  type Plan,
  type PlanDocument,
  type PlanEngine,
  type PlanStage,
  type PlanTarget,
  type PlanTensor,
  type SplitDocument,
  type StageDocument,
  type StageEntry,
  type StageKind,
  type TargetEngine,
  type TensorEntry,
  type TensorQuantization,
} from './stage-file/types.js';
export * from './stage-file/order.js';
export { quote, type StageFileProblem } from './stage-file/problems.js';
export { STAGE_NAME } from './stage-file/schema.js';
export * from './stage-file/read.js';
export * from './stage-file/validate.js';
export * from './stage-file/write.js';
