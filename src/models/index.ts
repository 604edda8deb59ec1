/**
 * models/: reference model builders on ir/'s GraphBuilder (ResNet-50; the webinar's multi-task network),
 * with deterministic seeded weights, opset 17 and PyTorch-export-like names, in an explicit registry.
 * Imports ir/ and util/ only.
 */
export { DEPTH_DECODER_CHANNELS } from './depth-decoder.js';
export { MIT_B0, type MiTStage } from './mit-encoder.js';
export { MULTITASK_IO, buildMultitask, resolveMultitaskOptions, type MultitaskOptions, type ResolvedMultitaskOptions } from './multitask.js';
export {
  REFERENCE_MODELS,
  REFERENCE_MODEL_NAMES,
  REFERENCE_MODEL_REGISTRY,
  getReferenceModel,
  isReferenceModelName,
  type ReferenceModel,
  type ReferenceModelName,
  type ReferenceModelOptions,
} from './registry.js';
export { RESNET50_IO, buildResNet50, resolveResNet50Options, type ResNet50Options, type ResolvedResNet50Options } from './resnet50.js';
export { SEG_HEAD_LINEARS, type SegHeadLinear } from './segformer-head.js';
export { YOLOV5S_IO, buildYoloV5s, type DetectorOptions } from './yolov5s.js';
export { buildRetinaNetResNeXt50 } from './retinanet.js';
export { buildSsdResNet34 } from './ssd-resnet34.js';
