/**
 * tandem deploys one neural network across several accelerators at once: inspect a model, analyze
 * which nodes a DLA-class engine can run, prepare (rewrite) it to raise that coverage, split it into
 * stages, quantize the INT8 stages, plan which engine runs each stage, run and benchmark the plan as a
 * pipeline, evaluate task metrics, and write an HTML report. Every figure says whether it is measured
 * (which engine, which machine), emulated (DLA numerics on the CPU) or modelled (the Orin latency model).
 *
 * ```ts
 * import { analyze, buildMultitask, getEngine, splitModel, Tensor } from 'tandem';
 *
 * const model = buildMultitask({ height: 64, width: 128 });      // or: loadModel('model.onnx')
 * const { summary } = analyze(model, { target: 'orin-dla' });
 * const { stages } = splitModel(model, { auto: true });
 * const backbone = stages.find((s) => s.kind === 'backbone')!;
 * const session = await getEngine('cpu').open(backbone.model);
 * const outputs = await session.run({ image: new Tensor('float32', [1, 3, 64, 128], new Float32Array(3 * 64 * 128)) });
 * await session.close();
 * ```
 *
 * The verbs by step: `loadModel` / `saveModel`, `inspectModel`, `analyze`, `prepareModel`, `splitModel` /
 * `writeSplit`, `quantize` / `convertToFloat16` / `translateQdq`, `planDeployment`, `costModel` /
 * `searchPlacement` (modelled Orin latency), `exportBundle` / `importResults` (build and measure on the
 * target), `getEngine` / `openPipeline` / `benchPipeline`, `evaluate`, `writeReport`. Errors are
 * `TandemError` with a stable `code`. ESM only; the CLI (`tandem`) is a thin layer over these calls.
 *
 * @packageDocumentation
 */

// This file is the whole published surface, written out name by name (test/api/exports.test.ts pins the
// runtime names): an export is a decision, not a side effect of `export *`. Layer folders keep their own
// index.ts for tandem's code (the CLI may import internals from them); users import from 'tandem' only.
// Implementations users need not subclass (engines, sessions, pipelines, metric accumulators) come as
// interfaces returned by factory functions; the IR classes (Model, Graph, Node, Tensor) and GraphBuilder
// are classes because users construct them. onnxruntime's types never reach this surface (a strict
// consumer would need the DOM lib for them). Sections follow DESIGN.md's pipeline.

// ---- errors ----
export { TandemError, isTandemError } from './util/errors.js';
export type { ErrorCode, TandemErrorOptions } from './util/errors.js';

// ---- progress: one onProgress(event) for every long verb ----
export type {
  BenchProgress,
  CalibrationProgress,
  CandidateProgress,
  CompareProgress,
  FrameProgress,
  OpenProgress,
  PassProgress,
  ProgressCallback,
  ProgressEvent,
  ProgressKind,
  SearchProgress,
  SensitivityProgress,
  TimingProgress,
  VerifyProgress,
} from './util/progress.js';

// ---- the graph model (ir/) ----
export { Model, DEFAULT_IR_VERSION } from './ir/model.js';
export type { ModelInit, OpsetImport, FunctionDef, TrainingInfo } from './ir/model.js';
export { Graph } from './ir/graph.js';
export type { NodePosition, QuantizationAnnotation } from './ir/graph.js';
export { Node } from './ir/node.js';
export type { NodeInit } from './ir/node.js';
export { Tensor } from './ir/tensor.js';
export type { TensorData, TensorDataMap, TensorOptions, TensorSource, TensorStorage, ExternalDataInfo } from './ir/tensor.js';
export { tensorFromValues, tensorValues } from './ir/tensor-values.js';
export { DATA_TYPES, isDataType } from './ir/dtype.js';
export type { ArrayCtor, DataType, DataTypeInfo } from './ir/dtype.js';
export type { Dim, Shape, Value, ValueType, TensorType, SparseTensorType, SequenceType, MapType, OptionalType, OpaqueType, UnsetType } from './ir/types.js';
export type { Attrs, Attribute, AttributeInput, AttributeType, AttributeValueMap } from './ir/attribute.js';
export type { SparseTensor } from './ir/sparse.js';
export type { Preserved, PreservedField } from './ir/preserved.js';
export { GraphBuilder, buildModel } from './ir/builder.js';
export type { GraphBuilderOptions, Operand, OpOptions, ConvOptions, PoolOptions, ResizeOptions, BuildModelOptions } from './ir/builder.js';
export { checkGraph } from './ir/check.js';
export type { GraphProblem } from './ir/check.js';

// ---- ONNX files (onnx/) and tensor files (io/) ----
export { loadModel, saveModel } from './onnx/load-save.js';
export type { LoadOptions, SaveOptions, SaveResult } from './onnx/load-save.js';
export { decodeModel } from './onnx/decode.js';
export type { DecodeOptions } from './onnx/decode.js';
export { encodeModel } from './onnx/encode.js';
export type { EncodeOptions, ExternalPlacer } from './onnx/encode.js';
export { readNpy, readNpz, decodeNpy, decodeNpz, encodeNpy, encodeNpz } from './io/npy.js';

// ---- reference models (models/) ----
export { buildMultitask, MULTITASK_IO } from './models/multitask.js';
export type { MultitaskOptions } from './models/multitask.js';
export type { SegHeadLinear } from './models/segformer-head.js';
export { buildResNet50 } from './models/resnet50.js';
export type { ResNet50Options } from './models/resnet50.js';
export { buildYoloV5s } from './models/yolov5s.js';
export type { DetectorOptions } from './models/yolov5s.js';
export { REFERENCE_MODEL_NAMES, getReferenceModel } from './models/registry.js';
export type { ReferenceModel, ReferenceModelName, ReferenceModelOptions } from './models/registry.js';

// ---- what a model is (inspect/, ops/) ----
export { inspectModel } from './inspect/inspect.js';
export type { InspectOptions, ModelSummary, NodeInfo, TensorInfo } from './inspect/inspect.js';
export { inferShapes } from './ops/infer.js';
export type { InferShapesOptions, ShapeInferenceReport, ShapeIssue } from './ops/infer.js';
export { modelCost } from './ops/cost.js';
export type { CostOptions, CostTotals, ModelCost, NodeCost } from './ops/cost.js';

// ---- where each node can run (targets/) ----
export { analyze } from './targets/analyze.js';
export type { AnalyzeOptions } from './targets/analyze.js';
export { TARGETS, getTarget } from './targets/profiles.js';
export { opSupportTable, ruleTable, targetMarkdown } from './targets/support-table.js';
export type { OpSupportRow, RuleRow } from './targets/support-table.js';
export type { DlaLimits, Range } from './targets/limits.js';
export type {
  Analysis,
  AnalysisSummary,
  Bytes,
  Confidence,
  Crossing,
  Diagnostic,
  Finding,
  Fix,
  FixKind,
  NodeVerdict,
  OpStatus,
  Placement,
  Precision,
  OpRow,
  OpSupport,
  Problem,
  RecipeId,
  Region,
  RuleContext,
  RuleDef,
  TargetKind,
  TargetProfile,
  Verdict,
  XavierStatus,
} from './targets/types.js';

// ---- rewrites and the cut into stages (passes/) ----
export { prepareModel } from './passes/prepare-model.js';
export type { PassRecord, PrepareOptions, PrepareReport, PrepareResult, RejectedRewrite } from './passes/prepare-model.js';
export { PASS_NAMES } from './passes/registry.js';
export type { PassName } from './passes/registry.js';
export type { PassKind, Rewrite } from './passes/pass.js';
export { splitModel } from './passes/split-model.js';
export type { SplitOptions, SplitPlan, SplitStage, SplitTensor } from './passes/split-model.js';
export { writeSplit } from './passes/write-split.js';
export type { WriteSplitOptions, WrittenSplit } from './passes/write-split.js';
export { extractSubgraph } from './passes/extract-subgraph.js';
export { fixInputDims } from './passes/fix-input-dims.js';
export type { ExtractOptions } from './passes/extract-subgraph.js';
export { pruneTwoFour } from './passes/prune-two-four.js';
export type { PruneRecord, PruneResult } from './passes/prune-two-four.js';

// ---- split.json / plan.json (io/stage-file) ----
export { STAGE_FILE_VERSION, HOST_ENGINES, TARGET_ENGINES } from './io/stage-file/types.js';
export type {
  EngineChoice,
  HostEngine,
  InputEncoding,
  OutputForm,
  Plan,
  PlanDocument,
  PlanEngine,
  PlanFrameIo,
  PlanSelection,
  PlanStage,
  PlanTarget,
  PlanTensor,
  Precision as StagePrecision,
  SplitDocument,
  StageDocument,
  StageEntry,
  StageKind,
  TargetEngine,
  TensorEntry,
  TensorQuantization,
} from './io/stage-file/types.js';
export { readPlan, readSplit, readStageFile } from './io/stage-file/read.js';
export type { LoadedSplit, ReadStageFileOptions, StageFile } from './io/stage-file/read.js';
export { writePlan } from './io/stage-file/write.js';
export type { WriteStageFileOptions } from './io/stage-file/write.js';
export type { StageFileProblem } from './io/stage-file/problems.js';
export type { FileCheckOptions } from './io/stage-file/validate.js';

// ---- INT8 calibration, Q/DQ, FP16 (quant/) ----
export { quantize, writeStageArtifacts } from './quant/quantize.js';
export type { QuantizeOptions, QuantizeResult, QuantizeStage, StageArtifacts } from './quant/quantize.js';
export { compareCalibrators, quantizeStages, writeQuantizeStages } from './quant/quantize-stages.js';
export type { QuantizeFileStage, QuantizeStagesOptions, QuantizeStagesResult } from './quant/quantize-stages.js';
export { loadSplitStages } from './quant/split-manifest.js';
export type { LoadedStage } from './quant/split-manifest.js';
export { arraySource, modelInputSpecs, openCalibrationFolder } from './quant/calibration-source.js';
export type { CalibrationFolderOptions, CalibrationSource, ModelInputSpec } from './quant/calibration-source.js';
export { CALIBRATION_METHODS } from './quant/calibrators/registry.js';
export type { CalibrationMethod, CalibratorOptions, TensorStatistics } from './quant/calibrators/registry.js';
export type { HistogramData, RangeStatistics } from './quant/histogram.js';
export type { QuantSession, SessionOpener } from './quant/session.js';
export { readCalibrationCache, writeCalibrationCache } from './quant/calibration-cache.js';
export type { CacheAlgorithm, CacheWriteOptions, CalibrationCache, CalibrationCacheHeader } from './quant/calibration-cache.js';
export { compareFidelity } from './quant/fidelity.js';
export type { CompareFidelityOptions, FidelityCandidate, FidelityRow, FidelityStage, OutputFidelity } from './quant/fidelity.js';
export { convertToFloat16 } from './quant/fp16.js';
export type { Fp16Options, Fp16Result } from './quant/fp16.js';
export { translateQdq } from './quant/translate-qdq.js';
export type { TranslateQdqOptions, TranslateQdqResult, TranslationReport, WeightScaleCheck } from './quant/translate-qdq.js';
export { extractQdqPlan } from './quant/extract-qdq-plan.js';
export type { ExtractedQdqPlan, FixedQdq } from './quant/extract-qdq-plan.js';
export { translateQdqFile } from './quant/translate-qdq-file.js';
export type { TranslateQdqFileOptions } from './quant/translate-qdq-file.js';
export type { PropagatedScale } from './quant/scale-propagation.js';
export type { ImagePreprocessOptions, ResolvedImagePreprocess } from './quant/image-preprocess.js';
export { imageToPixels, packPixels } from './quant/image-pixels.js';
export type { PixelEncoding, PixelInput } from './quant/image-pixels.js';
export type { HistogramSummary, ScalesDocument, StageScales, WeightScales } from './quant/scales.js';
export type { ActivationQdq, QdqConsumer, QdqPlan, WeightQdq } from './quant/qdq-plan.js';
export type { ObservationResult, StageStatistics } from './quant/observer.js';

// ---- deployment plans and the Orin latency model (plan/) ----
export { planDeployment } from './plan/plan-deployment.js';
export type { Deployment, PlanOptions, PlanSource } from './plan/plan-deployment.js';
export type { HostAssignment, HostEngines, StageTiming, TimingOptions } from './plan/host-choice.js';
export type { BoundaryCheck } from './plan/boundary-quantization.js';
export type { FrameIoCheck } from './plan/frame-io.js';
export type { CostEngineKind, CostPrecision, EngineLoad, StageLatency } from './plan/cost/latency.js';
export { COST_BASIS, costModel, costStageFile } from './plan/cost-report.js';
export type { CostReport, OrinCostOptions, StageCostRow } from './plan/cost-report.js';
export { searchPlacement } from './plan/search.js';
export type { ScoredPlacement, SearchObjective, SearchOptions, SearchResult, SegmentPlacement } from './plan/search.js';
export { searchStagePins } from './plan/search-pins.js';
export type { StagePinsResult } from './plan/search-pins.js';
export { ORIN_PARAMS } from './plan/cost/orin.js';
export { POWER_MODES, readLatencyParams } from './plan/cost/params.js';
export type { LatencyParams, PowerMode } from './plan/cost/params.js';
export { PIPELINE_ENGINES, pipelineCost } from './plan/cost/pipeline.js';
export type { EngineUse, PipelineCostResult, PipelineEngine, PipelineStage } from './plan/cost/pipeline.js';
export { exportBundle } from './plan/export/bundle.js';
export type { BundleFile, BundleManifest, ExportOptions } from './plan/export/bundle.js';
export { TRT_EXPORT_VERSIONS } from './plan/export/trtexec-flags.js';
export type { TrtExportVersion } from './plan/export/trtexec-flags.js';
export { importResults, refitFromResults, writeImportResults } from './plan/import/import-results.js';
export type { ImportResult, MeasuredRun, RefitOptions, StageResult } from './plan/import/import-results.js';
export type { LayerProfile, TimingStats } from './plan/import/trtexec-log.js';
export type { FitResult } from './plan/cost/fit.js';

// ---- engines, pipelines, benchmarks (runtime/) ----
export { ENGINE_NAMES } from './runtime/engines/types.js';
export type { Engine, EngineName, EngineOptions, ModelInput, OutputLocation, ResidentTensor, RunOptions, Session, StageValue } from './runtime/engines/types.js';
export { getEngine } from './runtime/engines/registry.js';
export { probeEngine } from './runtime/engines/probe.js';
export { setOnnxruntimeLogLevel } from './runtime/engines/ort-engine.js';
export type { OrtLogLevel } from './runtime/engines/ort-engine.js';
export { detectHostEngines } from './runtime/host-engines.js';
export { runOnce } from './runtime/run-once.js';
export type { RunOnceOptions, RunOnceResult } from './runtime/run-once.js';
export { checkEquivalent, randomInputs } from './runtime/verify.js';
export type { EquivalenceOptions, EquivalenceReport, OutputComparison, RandomInputOptions } from './runtime/verify.js';
export { convertToFloat16Checked, prepareAndVerify, pruneTwoFourChecked } from './runtime/checked-rewrites.js';
export type { Float16Check, Float16CheckOptions, PrepareAndVerifyOptions, PruneCheckResult, VerifiedPrepareResult, VerifyOptions } from './runtime/checked-rewrites.js';
export { openPipeline } from './runtime/pipeline/pipeline.js';
export type { FrameResult, Pipeline, PipelineInput, PipelineMode, PipelineOptions, PipelineRunOptions, PipelineStageInfo } from './runtime/pipeline/pipeline.js';
export { benchPipeline } from './runtime/pipeline/bench.js';
export type { BenchModeResult, BenchOptions, BenchResult, BenchTarget, FrameTime, LatencyMs, StageBench, StreamBench } from './runtime/pipeline/bench.js';
export { profilePlan } from './runtime/pipeline/profile.js';
export type { ProfilePlanOptions, StageProfile } from './runtime/pipeline/profile.js';
export type { OpProfile, OpTypeProfile } from './runtime/engines/op-profile.js';
export { openFrameSource } from './runtime/pipeline/frame-source.js';
export type { FrameSource, FrameSourceOptions } from './runtime/pipeline/frame-source.js';
export { runFrames } from './runtime/pipeline/run-frames.js';
export type { RunFramesOptions, RunFramesResult } from './runtime/pipeline/run-frames.js';
export { modelPlan } from './runtime/pipeline/model-plan.js';
export { createFunctionPipeline } from './runtime/pipeline/function-pipeline.js';
export type { FunctionPipeline, FunctionStage } from './runtime/pipeline/function-pipeline.js';
export type { ScheduleGraph, ScheduleStage } from './runtime/pipeline/schedule-graph.js';
export type { FrameRecord, ScheduledFrame, StageFrameRecord, StageRunner } from './runtime/pipeline/scheduler.js';
export { buildTrace } from './runtime/pipeline/trace.js';
export type { ChromeTrace, TraceEvent, TraceOptions } from './runtime/pipeline/trace.js';
export type { SampleStats } from './runtime/pipeline/stats.js';

// ---- task metrics (eval/) ----
export { evaluate } from './eval/evaluate.js';
export type { EvalPart, EvaluateOptions } from './eval/evaluate.js';
export { mergeEvalParts, readEvalPart, summarizeEval } from './eval/merge.js';
export type { EvalSummary, TaskResults } from './eval/merge.js';
export { openEvalTarget } from './eval/eval-target.js';
export type { EvalTarget, EvalTargetSpec, OpenTargetOptions } from './eval/eval-target.js';
export { syntheticDataset } from './eval/datasets/scene-generator.js';
export type { SyntheticOptions } from './eval/datasets/scene-generator.js';
export { cityscapesDataset, imageFolderDataset } from './eval/datasets/folder-datasets.js';
export { openDatasetSpec } from './eval/dataset-spec.js';
export type { FrameDataset, LabeledFrame } from './eval/datasets/types.js';
export type { Shard } from './eval/datasets/views.js';
export { writeScenes } from './eval/datasets/write-scenes.js';
export type { SceneFormat, WriteScenesOptions, WriteScenesResult } from './eval/datasets/write-scenes.js';
export type { ReadPath } from './util/fs.js';
export { readModelTasks } from './eval/model-tasks.js';
export type { DepthEncoding, DepthTask, ModelTasks, SegmentationTask } from './eval/model-tasks.js';
export { keepFp16ForSplit, writeKeepFp16Results } from './eval/keep-fp16-split.js';
export type { KeepFp16Result, KeepFp16SplitOptions } from './eval/keep-fp16-split.js';
export type { Budget, HeadPrecisionResult, QuantizedTensor, SensitivityRanking, SensitivityRow } from './eval/mixed-precision.js';
export { checkSensitivityTarget, evaluateSensitivity } from './eval/sensitivity.js';
export type { SensitivityOptions, SensitivityReport, StageSensitivity } from './eval/sensitivity.js';
export type { ClassificationResult } from './eval/metrics/classification.js';
export type { DepthResult } from './eval/metrics/depth.js';
export type { SegmentationResult } from './eval/metrics/segmentation.js';
export type { AgreementResult } from './eval/metrics/agreement.js';

// ---- the HTML report (report/) ----
export { writeReport, buildReport, loadReportInputs, REPORT_SECTIONS } from './report/index.js';
export type { Loaded, ReportOptions, ReportInputs, WrittenReport } from './report/index.js';
export type { BenchFile } from './report/schemas.js';
