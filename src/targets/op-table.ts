import type { Node } from '../ir/node.js';
import type { Fix, OpRow, RuleContext } from './types.js';

/**
 * The ONNX operator table of the DLA support reference (section 2c): the 114 ops of the DLA SW operator
 * list (R-OPS) and the 32 extra ops the TensorRT 8.6 ONNX parser imports (P86). Profiles resolve each row
 * for their TensorRT version and DLA generation; `tandem targets` and the README tables print it.
 */

type RowInit = Partial<Omit<OpRow, 'op' | 'status' | 'layer'>>;

function row(op: string, status: OpRow['status'], layer: string, init: RowInit = {}): OpRow {
  return { op, status, layer, rules: [], dlaSw: '', xavier: 'gpu', source: 'R-OPS', conf: 'CONF', ...init };
}

/** A GPU row whose TensorRT layer is "not exposed" though DLA SW ≥ 3.14.0 has it. */
function notExposed(op: string, layer: string, init: RowInit = {}): OpRow {
  return row(op, 'gpu', layer, { why: 'not exposed on the DLA by TensorRT', dlaSw: '≥3.14.0', ...init });
}

function extra(op: string, status: OpRow['status'], layer: string, init: RowInit = {}): OpRow {
  return row(op, status, layer, { source: 'P86', xavier: status === 'build' || status === 'removed' ? 'same' : 'gpu', ...init });
}

const ELTWISE = ['eltwise.rank', 'eltwise.broadcast', 'eltwise.constant-storage', 'eltwise.int8-ranges'] as const;
const COMPARE = ['eltwise.rank', 'eltwise.broadcast', 'compare.precision', 'compare.cast', 'compare.constant', 'compare.pinning'] as const;
const CONV = ['conv.spatial-dims', 'conv.kernel-size', 'conv.stride', 'conv.padding', 'conv.dilation', 'conv.out-channels', 'conv.groups', 'conv.cbuf', 'weights.constant'] as const;
const DECONV = [
  'deconv.spatial-dims',
  'deconv.kernel-size',
  'deconv.stride',
  'deconv.square-size',
  'deconv.padding',
  'deconv.groups',
  'deconv.dilation',
  'deconv.channels',
  'weights.constant',
  'deconv.stride-hint',
] as const;
const POOL = ['pool.spatial-dims', 'pool.window', 'pool.stride', 'pool.padding', 'pool.dilation', 'pool.ceil-mode', 'pool.int8-ranges'] as const;
const SLICE = ['slice.constant-params', 'slice.step', 'slice.batch-axis', 'slice.rank', 'slice.int8'] as const;
const SPLIT = ['slice.constant-params', 'slice.batch-axis', 'slice.rank', 'slice.int8'] as const;
const SOFTMAX = ['softmax.opset', 'softmax.rank', 'softmax.axis', 'softmax.axis-length', 'softmax.int8'] as const;
const MATMUL = ['matmul.constant-b', 'matmul.out-channels', 'matmul.layout'] as const;
const RESIZE = ['resize.scales-static', 'resize.scale', 'resize.mode'] as const;
const REDUCE = ['reduce.rank', 'reduce.axes', 'reduce.keepdims'] as const;

const BOOL = 'BOOL logic runs on the GPU (G1)';
const LOOP = 'TensorRT builds it with a Loop, which has no DLA path';

/** x / c → x · (1/c): ElementWise PROD or a Scale, both DLA layers. */
function divByConstant(node: Node, ctx: RuleContext): Fix | undefined {
  const b = node.input(1);
  if (b === undefined || !ctx.isConstant(b) || ctx.isConstant(node.input(0) ?? '')) return undefined;
  const v = ctx.values(b);
  if (v !== undefined && v.some((x) => x === 0)) return undefined;
  return { kind: 'rewrite', text: `the divisor ${JSON.stringify(b)} is a constant: multiply by its reciprocal instead (Mul runs on the DLA)` };
}

function meanAsSum(node: Node): Fix {
  const n = node.inputs.filter((i) => i !== '').length;
  return { kind: 'rewrite', text: `write it as Sum (or Add) of the ${n} inputs followed by Mul by 1/${n} (both DLA layers)` };
}

function hardSigmoidAsClip(node: Node): Fix {
  const alpha = node.attrs.float('alpha', node.op === 'HardSwish' ? 1 / 6 : 0.2);
  const beta = node.attrs.float('beta', 0.5);
  const hs = `Clip(x·${round(alpha)} + ${round(beta)}, 0, 1)`;
  return { kind: 'rewrite', text: node.op === 'HardSwish' ? `write it as x · ${hs}: Mul, Add, Clip (max 1 is in the DLA clipped-ReLU range), Mul` : `write it as ${hs}: Mul, Add and a clipped ReLU, all DLA layers` };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Every row, by ONNX op name: filled here and nowhere else. */
export const OP_TABLE: readonly OpRow[] = [
  // ---- R-OPS ----
  row('Abs', 'native', 'Unary ABS', { rules: ['unary.rank'], dlaSw: 'native', xavier: 'likely' }),
  notExposed('Acos', 'Unary ACOS'),
  notExposed('Acosh', 'Unary ACOSH'),
  row('Add', 'native', 'ElementWise SUM, or Scale (shift) for a uniform/per-channel constant', { rules: [...ELTWISE, 'eltwise.conv-add-int8'], dlaSw: 'native', xavier: 'yes' }),
  row('And', 'recon', 'ElementWise AND (BOOL)', { why: BOOL, recipe: 'R-AND', dlaSw: 'recon' }),
  notExposed('Asin', 'Unary ASIN'),
  notExposed('Asinh', 'Unary ASINH'),
  notExposed('Atan', 'Unary ATAN'),
  row('Atanh', 'native-8.6.12', 'Unary ATANH', { rules: ['unary.rank', 'unary.range'], dlaSw: '≥3.14.0', conf: 'UNCONF' }),
  row('AveragePool', 'native', 'Pooling AVERAGE', { rules: [...POOL, 'pool.count-include-pad'], dlaSw: 'native', xavier: 'yes' }),
  row('BatchNormalization', 'native', 'Scale (per-channel), folded from scale/B/mean/var', { rules: ['scale.rank', 'scale.constant', 'scale.training-mode'], dlaSw: 'native', xavier: 'yes' }),
  notExposed('Ceil', 'Unary CEIL'),
  notExposed('Celu', 'Unary/ElementWise composite'),
  row('Clip', 'native', 'Activation CLIP', { rules: ['activation.rank', 'clip.constant', 'clip.range'], dlaSw: 'native', xavier: 'yes' }),
  row('Concat', 'native', 'Concatenation', { rules: ['concat.axis', 'concat.inputs', 'concat.constant-input', 'concat.int8-ranges'], dlaSw: 'native', xavier: 'yes' }),
  row('Constant', 'build', 'Constant', { why: 'must fold into a DLA consumer (G11)', dlaSw: 'RFE', xavier: 'same' }),
  row('ConstantOfShape', 'build', 'folded', { why: 'needs static shapes to fold', dlaSw: 'build-time', xavier: 'same' }),
  row('Conv', 'native', 'Convolution', { rules: CONV, dlaSw: 'native', xavier: 'yes' }),
  row('ConvTranspose', 'native', 'Deconvolution', { rules: DECONV, dlaSw: 'native', xavier: 'yes' }),
  row('Cos', 'native-8.6.12', 'Unary COS', { rules: ['unary.rank', 'unary.range'], dlaSw: '≥3.14.0', conf: 'UNCONF' }),
  notExposed('Cosh', 'Unary COSH'),
  row('CumSum', 'recon', 'Loop + Slice + ElementWise', { why: LOOP, recipe: 'R-CUMSUM', dlaSw: 'recon' }),
  row('DepthToSpace', 'recon', '2× Shuffle via a 6-D reshape + transpose', { why: '6-D shuffles are not DLA layers', recipe: 'R-D2S', dlaSw: '≥3.14.0 native', xavier: 'recipe' }),
  row('DequantizeLinear', 'recon', 'Dequantize', { why: 'explicit Q/DQ is not supported on the DLA through TensorRT ≤ 10.7 (G3)', recipe: 'R-QDQ', dlaSw: 'recon', xavier: 'recipe' }),
  row('Div', 'native-8.6.12', 'ElementWise DIV', { rules: ['eltwise.rank', 'eltwise.broadcast', 'eltwise.div-operands'], dlaSw: '≥3.14.0', rewrite: divByConstant }),
  notExposed('Elu', 'Activation ELU', { why: 'activation type not on the DLA (A2)' }),
  row('Equal', 'native', 'ElementWise EQUAL', { rules: COMPARE, exempt: ['precision.dtype'], dlaSw: 'native', xavier: 'assume-gpu' }),
  notExposed('Erf', 'Unary ERF'),
  notExposed('Exp', 'Unary EXP'),
  notExposed('Expand', 'Slice with stride 0 on broadcast dims', { why: 'stride ≠ 1 breaks L-SLICE S2' }),
  row('Flatten', 'gpu', 'Shuffle (rank change)', { why: 'rank-changing Shuffle (R-OPS: RFE)', recipe: 'R-FC', dlaSw: 'RFE' }),
  notExposed('Floor', 'Unary FLOOR'),
  row('Gather', 'recon', 'Gather', { why: 'IGatherLayer has no DLA support', recipe: 'R-GATHER', dlaSw: 'recon', xavier: 'recipe' }),
  row('GatherElements', 'recon', 'GatherV2 (ELEMENT)', { why: 'no DLA gather', recipe: 'R-GATHER', dlaSw: 'recon', xavier: 'recipe' }),
  row('GatherND', 'recon', 'GatherV2 (ND)', { why: 'no DLA gather', recipe: 'R-GATHER', dlaSw: 'recon', xavier: 'recipe' }),
  row('Gemm', 'native', 'MatrixMultiply (+ ElementWise for alpha/beta and C)', { rules: MATMUL, dlaSw: 'RFE', xavier: 'likely' }),
  row('GlobalAveragePool', 'gpu', 'Reduce AVG over H, W', { why: 'Reduce AVG is not on the DLA', recipe: 'R-GAP', dlaSw: 'native', xavier: 'recipe' }),
  notExposed('GlobalLpPool', 'Pool/Unary/ElementWise composite'),
  row('GlobalMaxPool', 'native-8.6.12', 'Reduce MAX over H, W', { rules: ['reduce.rank'], recipe: 'R-GMP', dlaSw: 'native', xavier: 'recipe' }),
  row('Greater', 'native-8.6.12', 'ElementWise GREATER', { rules: COMPARE, exempt: ['precision.dtype'], dlaSw: '≥3.14.0' }),
  notExposed('GreaterOrEqual', 'GREATER + EQUAL + OR (BOOL)', { why: `OR is BOOL: ${BOOL}` }),
  row('GroupNormalization', 'gpu', 'Normalization / plugin', { why: 'not exposed; R-NORM decompositions (ReduceMean, Pow, Sqrt, Div) still run on the GPU through TensorRT', dlaSw: 'recon (≥3.14.0)' }),
  row('GRU', 'recon', 'Loop + MatrixMultiply + ElementWise + Activation', { why: LOOP, recipe: 'R-GRU', dlaSw: 'recon', xavier: 'recipe' }),
  notExposed('HardSigmoid', 'Activation HARD_SIGMOID', { why: 'activation type not on the DLA (A2)', rewrite: hardSigmoidAsClip }),
  notExposed('HardSwish', 'Activation HARD_SIGMOID + ElementWise PROD', { why: 'activation type not on the DLA (A2)', rewrite: hardSigmoidAsClip }),
  row('Identity', 'recon', 'Identity', { why: 'usually removed by TensorRT; where kept it runs on the GPU', recipe: 'R-ID', dlaSw: '≥3.14.0 native', xavier: 'recipe' }),
  row('InstanceNormalization', 'gpu', 'plugin / Normalization', { why: 'not exposed; R-NORM decompositions still run on the GPU through TensorRT', dlaSw: 'recon (≥3.14.0)' }),
  row('LayerNormalization', 'gpu', 'INormalizationLayer', { why: 'not exposed; R-NORM decompositions (ReduceMean, Pow, Sqrt, Div) still run on the GPU through TensorRT', dlaSw: 'recon (≥3.14.0)' }),
  row('LeakyRelu', 'native', 'Activation LEAKY_RELU', { rules: ['activation.rank', 'activation.leaky-slope'], dlaSw: 'native', xavier: 'yes' }),
  row('Less', 'native-8.6.12', 'ElementWise LESS', { rules: COMPARE, exempt: ['precision.dtype'], dlaSw: '≥3.14.0' }),
  notExposed('LessOrEqual', 'LESS + EQUAL + OR (BOOL)', { why: `OR is BOOL: ${BOOL}` }),
  notExposed('Log', 'Unary LOG'),
  row('LogSoftmax', 'gpu', 'SoftMax + Unary LOG + Shuffle', { why: 'Unary LOG is not exposed', dlaSw: 'recon (≥3.14.0)' }),
  notExposed('LpNormalization', 'Reduce + Unary + ElementWise'),
  notExposed('LpPool', 'Pooling + Unary + ElementWise', { why: 'pooling type not on the DLA (P2)' }),
  row('LRN', 'native', 'LRN', { rules: ['lrn.size', 'lrn.int8-upgrade'], dlaSw: 'native', xavier: 'yes' }),
  row('LSTM', 'recon', 'Loop + MatrixMultiply + …', { why: LOOP, recipe: 'R-GRU', dlaSw: 'recon', xavier: 'recipe' }),
  row('MatMul', 'native', 'MatrixMultiply', { rules: MATMUL, dlaSw: 'RFE', xavier: 'likely' }),
  row('Max', 'native', 'ElementWise MAX (chained for > 2 inputs)', { rules: ELTWISE, dlaSw: 'native', xavier: 'yes' }),
  row('MaxPool', 'native', 'Pooling MAX', { rules: [...POOL, 'pool.indices'], dlaSw: 'native', xavier: 'yes' }),
  notExposed('Mean', 'ElementWise SUM chain + PROD by 1/n', { why: 'R-OPS lists it as RFE (why is unconfirmed: SUM and PROD alone are DLA ops)', rewrite: meanAsSum }),
  notExposed('MeanVarianceNormalization', 'Reduce + ElementWise + Unary', { dlaSw: 'recon (≥3.14.0)' }),
  row('Min', 'conflict', 'ElementWise MIN', { rules: [...ELTWISE, 'eltwise.min-conflict'], dlaSw: 'native', xavier: 'likely', conf: 'CONFLICT' }),
  row('Mish', 'gpu', 'not imported by the TensorRT 8.6 parser', { imported: false, why: 'needs a plugin or a decomposition whose Softplus part is GPU-only', dlaSw: '≥3.14.0' }),
  notExposed('Mod', 'ElementWise + Select'),
  row('Mul', 'native', 'ElementWise PROD, or Scale for a uniform/per-channel constant', { rules: ELTWISE, dlaSw: 'native', xavier: 'yes' }),
  row('Neg', 'recon', 'Unary NEG', { why: 'Unary NEG is not on the DLA', recipe: 'R-NEG', dlaSw: 'recon', xavier: 'recipe' }),
  row('Not', 'recon', 'Unary NOT (BOOL)', { why: BOOL, recipe: 'R-NOT', dlaSw: 'recon', xavier: 'recipe' }),
  row('Or', 'recon', 'ElementWise OR (BOOL)', { why: BOOL, recipe: 'R-OR', dlaSw: 'recon', xavier: 'recipe' }),
  notExposed('Pad', 'Slice with mode FILL / REFLECT / CLAMP', {
    why: 'TensorRT 8.6 DLA Slice allows the default mode only (a constant-0 Pad may pass S1–S6 on TensorRT 10 with FILL: UNCONF, treated as GPU)',
    recipe: 'R-PAD',
  }),
  row('PRelu', 'native', 'ParametricReLU', { rules: ['activation.rank', 'prelu.slope'], dlaSw: 'native', xavier: 'yes' }),
  row('QuantizeLinear', 'recon', 'Quantize', { why: 'explicit Q/DQ is not supported on the DLA through TensorRT ≤ 10.7 (G3)', recipe: 'R-QDQ', dlaSw: 'recon', xavier: 'recipe' }),
  notExposed('Reciprocal', 'Unary RECIP'),
  notExposed('ReduceL1', 'Unary ABS + Reduce SUM', { why: 'Reduce SUM is not on the DLA' }),
  notExposed('ReduceL2', 'ElementWise + Reduce + Unary SQRT'),
  notExposed('ReduceLogSum', 'Reduce + Unary LOG', { dlaSw: 'recon (≥3.14.0)' }),
  notExposed('ReduceLogSumExp', 'Unary EXP + Reduce + Unary LOG', { dlaSw: 'recon (≥3.14.0)' }),
  row('ReduceMean', 'gpu', 'Reduce AVG', { why: 'Reduce AVG is not on the DLA', recipe: 'R-RMEAN', dlaSw: 'native', xavier: 'recipe' }),
  row('ReduceMin', 'gpu', 'Reduce MIN', { why: 'Reduce MIN is not on the DLA', dlaSw: 'native' }),
  row('ReduceSum', 'recon', 'Reduce SUM', { why: 'Reduce SUM is not on the DLA', recipe: 'R-RSUM', dlaSw: '≥3.14.0 native', xavier: 'recipe' }),
  notExposed('ReduceSumSquare', 'ElementWise PROD + Reduce SUM'),
  row('Relu', 'native', 'Activation RELU', { rules: ['activation.rank'], dlaSw: 'native', xavier: 'yes' }),
  row('Reshape', 'native', 'Shuffle', { rules: ['shuffle.rank', 'shuffle.batch', 'shuffle.shape-constant'], dlaSw: 'native', xavier: 'assume-gpu' }),
  row('Resize', 'native', 'Resize', { rules: RESIZE, dlaSw: 'native', xavier: 'yes' }),
  row('RNN', 'recon', 'Loop + MatrixMultiply + Activation', { why: LOOP, recipe: 'R-GRU', dlaSw: 'recon', xavier: 'recipe' }),
  notExposed('Round', 'Unary ROUND'),
  row('Scatter', 'recon', 'Scatter (ELEMENT)', { why: 'no DLA scatter', recipe: 'R-SCATTER', dlaSw: 'recon', xavier: 'recipe' }),
  row('ScatterElements', 'recon', 'Scatter (ELEMENT)', { why: 'no DLA scatter', recipe: 'R-SCATTER', dlaSw: 'recon', xavier: 'recipe' }),
  notExposed('Selu', 'Activation SELU', { why: 'activation type not on the DLA (A2)' }),
  row('Shape', 'build', 'Shape', { why: 'folded at build time with static shapes', dlaSw: 'build-time', xavier: 'same', fold: 'shape-only' }),
  notExposed('Shrink', 'Select + ElementWise'),
  row('Sigmoid', 'native', 'Activation SIGMOID', { rules: ['activation.rank', 'activation.int8-upgrade'], dlaSw: 'native', xavier: 'yes' }),
  notExposed('Sign', 'Unary SIGN'),
  row('Sin', 'native-8.6.12', 'Unary SIN', { rules: ['unary.rank', 'unary.range'], dlaSw: '≥3.14.0', conf: 'UNCONF' }),
  notExposed('Sinh', 'Unary SINH'),
  row('Slice', 'native', 'Slice', { rules: SLICE, dlaSw: 'native', xavier: 'likely' }),
  row('Softmax', 'native', 'SoftMax (opset < 13: flattened to 2-D)', { rules: SOFTMAX, dlaSw: 'native' }),
  notExposed('Softplus', 'Activation SOFTPLUS', { why: 'activation type not on the DLA (A2)' }),
  notExposed('Softsign', 'Activation SOFTSIGN', { why: 'activation type not on the DLA (A2)' }),
  row('SpaceToDepth', 'recon', '2× Shuffle via a 6-D reshape + transpose', { why: '6-D shuffles are not DLA layers', recipe: 'R-S2D', dlaSw: '≥3.14.0 native', xavier: 'recipe' }),
  row('Split', 'native', 'one Slice per output', { rules: SPLIT, dlaSw: 'native', xavier: 'likely' }),
  notExposed('Sqrt', 'Unary SQRT'),
  row('Squeeze', 'gpu', 'Shuffle (rank change)', { why: 'rank-changing Shuffle (R-OPS: RFE)', recipe: 'R-FC', dlaSw: 'RFE' }),
  row('Sub', 'native', 'ElementWise SUB (Xavier: Scale + SUM)', { rules: [...ELTWISE, 'eltwise.xavier-sub'], dlaSw: 'native', xavier: 'yes' }),
  row('Sum', 'native', 'ElementWise SUM chain', { rules: ELTWISE, dlaSw: 'native', xavier: 'yes' }),
  notExposed('Tan', 'Unary TAN'),
  row('Tanh', 'native', 'Activation TANH', { rules: ['activation.rank', 'activation.int8-upgrade'], dlaSw: 'native', xavier: 'yes' }),
  notExposed('ThresholdedRelu', 'Activation THRESHOLDED_RELU', { why: 'activation type not on the DLA (A2)' }),
  notExposed('Tile', 'Slice with mode WRAP', { why: 'TensorRT 8.6 DLA Slice allows the default mode only (WRAP on TensorRT 10: UNCONF, treated as GPU)' }),
  row('Transpose', 'native', 'Shuffle', { rules: ['shuffle.rank', 'shuffle.batch'], dlaSw: 'native', xavier: 'assume-gpu' }),
  row('Unsqueeze', 'gpu', 'Shuffle (rank change)', { why: 'rank-changing Shuffle (R-OPS: RFE)', dlaSw: 'RFE' }),
  row('Upsample', 'native', 'Resize (asymmetric, floor)', { rules: RESIZE, dlaSw: 'native', xavier: 'yes' }),
  row('Where', 'recon', 'Select', { why: 'ISelectLayer has no DLA path', recipe: 'R-WHERE', dlaSw: 'recon', xavier: 'recipe' }),
  row('Xor', 'recon', 'ElementWise XOR (BOOL)', { why: BOOL, recipe: 'R-XOR', dlaSw: 'recon', xavier: 'recipe' }),
  // ---- extra ops of the TensorRT 8.6 parser (P86) ----
  extra('ArgMax', 'gpu', 'TopK', { why: 'TopK has no DLA path' }),
  extra('ArgMin', 'gpu', 'TopK', { why: 'TopK has no DLA path' }),
  extra('Cast', 'cast', 'Cast', { rules: ['cast.after-compare'], exempt: ['precision.dtype'], why: 'DLA only as the FP16/INT8 cast right after a comparison', xavier: 'gpu' }),
  extra('Dropout', 'removed', 'removed (inference)', { why: 'no layer left at inference (UNCONF that the parser never emits one)', conf: 'UNCONF' }),
  extra('Einsum', 'gpu', 'Einsum', { why: 'IEinsumLayer has no DLA path' }),
  extra('EyeLike', 'build', 'Constant', { why: 'folds to a constant (depends on the input shape only)', fold: 'shape-only' }),
  extra('GridSample', 'gpu', 'GridSample', { why: 'IGridSampleLayer has no DLA path' }),
  extra('If', 'gpu', 'IfConditional', { why: 'control flow has no DLA path' }),
  extra('Loop', 'gpu', 'Loop', { why: 'control flow has no DLA path' }),
  extra('Scan', 'gpu', 'Loop', { why: 'control flow has no DLA path' }),
  extra('ImageScaler', 'native', 'Scale', { rules: ['scale.rank'], conf: 'UNCONF', xavier: 'likely', note: 'ImageScaler is not in R-OPS: DLA support unconfirmed (Scale layer)' }),
  extra('IsInf', 'gpu', 'Unary/ElementWise (BOOL)', { why: BOOL }),
  extra('IsNaN', 'gpu', 'Unary/ElementWise (BOOL)', { why: BOOL }),
  extra('NonMaxSuppression', 'gpu', 'NMS', { why: 'detection NMS stays on the GPU (R-TOP)' }),
  extra('NonZero', 'gpu', 'NonZero', { why: 'data-dependent output shape' }),
  extra('OneHot', 'gpu', 'OneHot', { why: 'IOneHotLayer has no DLA path' }),
  extra('ParametricSoftplus', 'gpu', 'Activation', { why: 'activation type not on the DLA (A2)' }),
  extra('ScaledTanh', 'gpu', 'Activation', { why: 'activation type not on the DLA (A2)' }),
  extra('Pow', 'native-10', 'ElementWise POW', { rules: ['eltwise.rank', 'eltwise.broadcast', 'eltwise.pow-operands'], conf: 'UNCONF', why: 'listed in the TensorRT 10.x DLA summary only; rejected on a JetPack 6.0 (TensorRT 8.6.2) build' }),
  extra('RandomNormal', 'gpu', 'Fill', { why: 'random generators have no DLA path', fold: 'never' }),
  extra('RandomNormalLike', 'gpu', 'Fill', { why: 'random generators have no DLA path', fold: 'never' }),
  extra('RandomUniform', 'gpu', 'Fill', { why: 'random generators have no DLA path', fold: 'never' }),
  extra('RandomUniformLike', 'gpu', 'Fill', { why: 'random generators have no DLA path', fold: 'never' }),
  extra('Range', 'gpu', 'Fill', { why: 'IFillLayer has no DLA path (folds when its inputs are constant)' }),
  extra('ReduceMax', 'native-10', 'Reduce MAX', { rules: REDUCE, conf: 'UNCONF', why: 'Reduce MAX is documented for TensorRT 10.x; on 8.6.12 only proven through GlobalMaxPool' }),
  extra('ReduceProd', 'gpu', 'Reduce PROD', { why: 'Reduce PROD is not on the DLA' }),
  extra('ReverseSequence', 'gpu', 'ReverseSequence', { why: 'no DLA path' }),
  extra('RoiAlign', 'gpu', 'plugin', { why: 'plugins run on the GPU' }),
  extra('ScatterND', 'gpu', 'Scatter (ND)', { why: 'no DLA scatter' }),
  extra('Size', 'build', 'shape math', { why: 'folded at build time with static shapes', fold: 'shape-only' }),
  extra('TopK', 'gpu', 'TopK', { why: 'classifier Top-K stays on the GPU (R-TOP)' }),
  extra('Trilu', 'gpu', 'Select + ElementWise', { why: 'ISelectLayer has no DLA path' }),
];
