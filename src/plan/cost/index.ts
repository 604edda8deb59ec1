/**
 * plan/cost/: the latency model of a target (Orin: GPU and two DLAs sharing DRAM). Per-layer rooflines
 * from the op cost table and analyze's verdicts, pipelines with DRAM contention, the parameter file and
 * its fit on published measurements. Every figure it returns is modelled. Imports ir/, ops/, targets/
 * and util/; never runtime/.
 */
export { ORIN_PARAMS } from './orin.js';
export { stageLatency, type CostEngineKind, type CostPrecision, type CostSettings, type EngineLoad, type LayerSet, type StageLatency } from './latency.js';
export { PIPELINE_ENGINES, pipelineCost, type EngineUse, type PipelineCostResult, type PipelineEngine, type PipelineStage } from './pipeline.js';
export {
  PARAM_NAMES,
  POWER_MODES,
  latencyParamsSchema,
  param,
  parseLatencyParams,
  readLatencyParams,
  type ClockScale,
  type FitRowResult,
  type LatencyParams,
  type ParamEntry,
  type ParamName,
  type PowerMode,
} from './params.js';
export { layerIndex, outputLayers, partitionAt, type Partition } from './partition.js';
export { cutLayersOf, modelWorkload, type LayerClass, type WorkLayer, type Workload, type WorkloadOptions } from './workload.js';
