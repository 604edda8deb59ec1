import { ruleMap } from '../rule-kit.js';
import type { RuleDef } from '../types.js';
import * as activation from './activation-rules.js';
import { CONV_RULES, DECONV_RULES } from './conv-rules.js';
import * as eltwise from './elementwise-rules.js';
import { DLA_GENERAL_RULES, DLA_LIMIT_RULES } from './general-rules.js';
import { POOL_RULES, REDUCE_RULES, poolCountIncludePadRule, poolIndicesRule } from './pool-rules.js';
import { RESIZE_RULES } from './resize-rules.js';
import * as tensor from './tensor-rules.js';

/** Every DLA rule by id: the one registry the op table's rule lists resolve against. */
export const DLA_RULES: ReadonlyMap<string, RuleDef> = ruleMap(
  DLA_GENERAL_RULES,
  DLA_LIMIT_RULES,
  CONV_RULES,
  DECONV_RULES,
  POOL_RULES,
  [poolIndicesRule, poolCountIncludePadRule],
  REDUCE_RULES,
  [
    activation.activationRankRule,
    activation.clipConstantRule,
    activation.clipRangeRule,
    activation.activationInt8Note,
    activation.leakyReluNote,
    activation.preluSlopeRule,
    activation.scaleRankRule,
    activation.scaleConstantRule,
    activation.scaleTrainingRule,
    activation.lrnSizeRule,
    activation.lrnInt8Note,
    activation.unaryRankRule,
    activation.unaryRangeNote,
  ],
  [
    eltwise.eltwiseRankRule,
    eltwise.eltwiseBroadcastRule,
    eltwise.eltwiseWeightNote,
    eltwise.eltwiseInt8Note,
    eltwise.convAddNote,
    eltwise.xavierSubNote,
    eltwise.minConflictNote,
    eltwise.divOperandsRule,
    eltwise.powOperandsRule,
    eltwise.comparePrecisionRule,
    eltwise.compareCastRule,
    eltwise.compareConstantRule,
    eltwise.comparePinningNote,
    eltwise.castAfterCompareRule,
  ],
  RESIZE_RULES,
  [
    tensor.concatAxisRule,
    tensor.concatInputsRule,
    tensor.concatConstantRule,
    tensor.concatInt8Note,
    tensor.sliceConstantRule,
    tensor.sliceStepRule,
    tensor.sliceBatchAxisRule,
    tensor.sliceRankRule,
    tensor.sliceInt8Note,
    tensor.softmaxOpsetRule,
    tensor.softmaxRankRule,
    tensor.softmaxAxisRule,
    tensor.softmaxLengthRule,
    tensor.softmaxInt8Note,
    tensor.shuffleRankRule,
    tensor.shuffleBatchRule,
    tensor.shuffleShapeRule,
    tensor.matmulConstantRule,
    tensor.matmulOutRule,
    tensor.matmulRankNote,
  ],
);

export { DLA_GENERAL_RULES, DLA_LIMIT_RULES, tensorVolumeRule } from './general-rules.js';
