/**
 * ops/: what is known per ONNX op, in one table chosen by opset version: inputs (with their role:
 * data, weight, config), attributes and defaults, traits (elementwise, hasWeights, quantizable,
 * shapeOp, movement, category, and what passes and quantization ask: nondeterministic,
 * valuePreserving, reshape, view, fusibleFollower, fixedFloatInputs, channelWeight, dtypeAttr), shape
 * and type inference with symbolic dims and tracked values of small integer tensors, and cost (MACs,
 * FLOPs, bytes, params). Shared code asks `OPS` / `opInfo` / `opHasTrait` / `opTraits` instead of
 * listing op names. Imports only ir/ and util/.
 */
export { OPS, OpRegistry, opHasTrait, opInfo, opTraits } from './registry.js';
export {
  inferShapes,
  resolveInferShapesOptions,
  type InferShapesOptions,
  type ResolvedInferShapesOptions,
  type ShapeInferenceReport,
  type ShapeIssue,
} from './infer.js';
export { constantValue, constantNodeTensor } from './constant.js';
export { outputProblems } from './output-problems.js';
export { inputValueRanges } from './input-ranges.js';
export { nodeCost, modelCost, type CostOptions, type CostTotals, type ModelCost, type NodeCost } from './cost.js';
export { MAX_VALUE_ELEMENTS, type SymTensor } from './sym-tensor.js';
export { addDims, dimsEqual, divDimsExact, evaluateDim, mulDims, productOfDims, subDims } from './symbolic.js';
export type {
  AttrDefault,
  AttrSpec,
  ChannelWeightFn,
  CostContext,
  CostFn,
  InferContext,
  InferFn,
  InferredOutput,
  InputRole,
  InputSpec,
  OpCategory,
  OpFlag,
  OpInfo,
  OpTraits,
  OutputSpec,
  ValueRange,
} from './types.js';
