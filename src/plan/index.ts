/**
 * plan/: deployment plans — which engine and precision each stage runs at, and the tensors between
 * stages (written as plan.json through io/stage-file); the orin layout over the Orin latency model,
 * the host choice from timings, and boundary quantization of INT8 hand-offs. The
 * Orin latency model (cost/: per-layer rooflines, pipelines with DRAM contention, parameters fitted on
 * published measurements), cost reports of models and stage files, the placement search, export bundles
 * for TensorRT (export/) and the import of the target's measurements (import/). Imports quant/ and
 * everything below; never runtime/ (engines are injected) and never prints.
 */
export * from './boundary-quantization.js';
export * from './host-choice.js';
export { compactOutputs, encodeInput, normalizePixels, pixelNormalization, verifyFrameIo, type FrameIoCheck, type PixelNormalization } from './frame-io.js';
export * from './orin-layout.js';
export * from './plan-deployment.js';
export { randomFeeds } from './random-feeds.js';
export * from './cost/index.js';
export { COST_BASIS, costModel, costStageFile, resolveOrinCostOptions, type OrinCostOptions, type CostReport, type ResolvedOrinCostOptions, type StageCostRow } from './cost-report.js';
export { loadCostSubject, type CostSubject } from './cost-subject.js';
export { searchStagePins, type StagePinsResult } from './search-pins.js';
export { paretoSet, searchPlacement, type ScoredPlacement, type SearchObjective, type SearchOptions, type SearchResult, type SegmentPlacement } from './search.js';
export * from './export/index.js';
export { orinPlanPath, writeOrinPlan, type StagePlacement } from './orin-plan.js';
export * from './import/index.js';
export { fitLatencyParams, type FitOptions, type FitResult, type FitRow } from './cost/fit.js';
