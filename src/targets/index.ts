/**
 * targets/: capability profiles (orin-dla, orin-dla-trt10, orin-dla-trt11, xavier-dla, gpu, cpu) as data plus small rule
 * functions `(node, ctx) → Verdict`, and `analyze`: the verdict per node, the DLA regions it makes and
 * the tensors crossing between engines. The rules implement the DLA support reference
 * (shared/reference/dla-support.md); every rule id is stable. Imports ir/, ops/ and util/ only; never
 * prints.
 */
export { DEFAULT_TARGET, analyze, resolveAnalyzeOptions, type AnalyzeOptions, type ResolvedAnalyzeOptions } from './analyze.js';
export { checkTargetRules, type GraphCheck, type NodeCheck } from './check.js';
export { GRAPH_CHECKS, OP_CHECKS, type CheckInfo } from './diagnostics.js';
export { ORIN_DLA_LIMITS, XAVIER_DLA_LIMITS, type DlaLimits, type Range } from './limits.js';
export { OP_TABLE } from './op-table.js';
export { TARGETS, TARGET_REGISTRY, getTarget } from './profiles.js';
export { RECIPES, poolChain, type Recipe, type RecipeCheck } from './recipes.js';
export { DLA_RULES } from './rules/index.js';
export { SPARSE_MIN_CHANNELS, convSparsity, followsTwoFour, type ConvSparsity } from './sparsity.js';
export { checkTable, opSupportMarkdown, opSupportTable, referencesMarkdown, ruleMarkdown, ruleTable, targetDocs, targetMarkdown, type OpSupportRow, type RuleRow } from './support-table.js';
export { explainReference, referenceTags } from './references.js';
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
  OpRow,
  OpStatus,
  OpSupport,
  Placement,
  Precision,
  Problem,
  RecipeId,
  Region,
  RuleContext,
  RuleDef,
  TargetKind,
  TargetProfile,
  Verdict,
  XavierStatus,
} from './types.js';
