/**
 * plan/: what to run where on a target. cost/: the latency model (per-layer rooflines, pipelines with
 * DRAM contention, parameters fitted on published measurements); cost reports of models and stage
 * files; the placement search; export bundles for TensorRT (export/) and the import of the target's
 * measurements (import/). Imports io/, onnx/, models/, targets/, passes/, quant/ and below; never
 * runtime/. Never prints.
 */
export * from './cost/index.js';
export { COST_BASIS, costModel, costStageFile, resolveCostOptions, type CostOptions, type CostReport, type ResolvedCostOptions, type StageCostRow } from './cost-report.js';
export { paretoSet, searchPlacement, type ScoredPlacement, type SearchObjective, type SearchOptions, type SearchResult, type SegmentPlacement } from './search.js';
export * from './export/index.js';
export { orinPlanPath, writeOrinPlan, type StagePlacement } from './orin-plan.js';
export * from './import/index.js';
export { fitLatencyParams, type FitOptions, type FitResult, type FitRow } from './cost/fit.js';
