import { Option } from 'commander';
import { TandemError } from '../../util/errors.js';
import { translateQdqFile } from '../../quant/translate-qdq-file.js';
import { loadModel } from '../../onnx/load-save.js';
import { unusedDimsNotes } from '../dims.js';
import { dimSizes, list } from '../parse.js';
import type { CliCommand } from './types.js';

interface TranslateFlags {
  out: string;
  trtVersion?: string;
  calibrationType: 'max' | 'histogram';
  inferAveragePoolScales?: boolean;
  inferConcatScales?: boolean;
  inferMulScales?: boolean;
  addtlOps?: string[];
  addUnaryEwScalesForDla?: boolean;
  renameNodeOutputs?: boolean;
  dims?: Record<string, number>;
  foldBatchnorm: boolean;
  fusePad: boolean;
  json?: boolean;
}

export const translateQdqCommand: CliCommand = {
  name: 'translate-qdq',
  examples: [
    'tandem translate-qdq model_qat.onnx -o translated/ --trt-version 8.6.1',
    'trtexec --onnx=translated/model_qat_noqdq.onnx --calib=translated/model_qat_precision_config_calib.cache --int8 --fp16 \\\n--useDLACore=0 --precisionConstraints=prefer --layerPrecisions=$(cat translated/model_qat_precision_config_layer_arg.txt)',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('translate-qdq')
      .description('QDQ translator (NVIDIA DLA-SW qdq-translator rules): a Q/DQ model → model without Q/DQ, calibration cache, precision config and --layerPrecisions for trtexec')
      .argument('<model>', 'ONNX model with QuantizeLinear/DequantizeLinear nodes (QAT export, or tandem quantize\'s .qdq.onnx)')
      .requiredOption('-o, --out <dir>', 'output folder')
      .option('--trt-version <x.y.z>', 'TensorRT version that will read the cache, e.g. 8.6.1 or 10.3.0 (required)')
      .addOption(new Option('--calibration-type <type>', 'max: check weight scales equal max|w|/127 per channel; histogram: skip the check').choices(['max', 'histogram']).default('max'))
      .option('--infer-average-pool-scales', 'propagate scales through AveragePool, GlobalAveragePool, ReduceMean')
      .option('--infer-concat-scales', 'propagate scales through Concat')
      .option('--infer-mul-scales', 'propagate scales through Mul (and Sigmoid→Mul)')
      .option('--addtl-ops <list>', 'more op types to propagate scales through, like Relu', list)
      .option('--add-unary-ew-scales-for-dla', 'give Conv outputs feeding a residual Add the unit scale (DLA 3.13+ only; not for GPU)')
      .option('--rename-node-outputs', 'rename node outputs to their node names')
      .option('--no-fold-batchnorm', 'keep BatchNormalization nodes')
      .option('--no-fuse-pad', 'keep Pad nodes before Conv')
      .option('--dims <name=size,...>', 'sizes for symbolic input dims, fixed in the written model', dimSizes)
      .option('--json', 'print the translation report as JSON')
      .action((modelPath: string, flags: TranslateFlags) => {
        if (flags.trtVersion === undefined) throw new TandemError('USAGE', 'give --trt-version: the TensorRT version that will read the calibration cache (e.g. 8.6.1, 10.3.0); TensorRT silently ignores a cache of another major version');
        if (flags.dims) for (const line of unusedDimsNotes(loadModel(modelPath, { weights: 'lazy' }), flags.dims)) ctx.note(line);
        const r = translateQdqFile(modelPath, {
          out: flags.out,
          trtVersion: flags.trtVersion,
          ...(flags.dims ? { dims: flags.dims } : {}),
          calibrationType: flags.calibrationType,
          inferAveragePoolScales: flags.inferAveragePoolScales ?? false,
          inferConcatScales: flags.inferConcatScales ?? false,
          inferMulScales: flags.inferMulScales ?? false,
          extraOps: flags.addtlOps ?? [],
          addUnaryEwScalesForDla: flags.addUnaryEwScalesForDla ?? false,
          renameNodeOutputs: flags.renameNodeOutputs ?? false,
          foldBatchNorm: flags.foldBatchnorm,
          fusePad: flags.fusePad,
        });
        const paths = r.files;
        if (flags.json) {
          ctx.printJson({ files: paths, scales: r.scales.size, fp16Nodes: r.fp16Nodes, report: r.report });
          return;
        }
        const acts = r.report.pairs.filter((p) => p.kind === 'activation').length;
        ctx.print(`removed ${r.report.pairs.length} Q/DQ pairs (${acts} activation, ${r.report.pairs.length - acts} weight)${r.report.dequantizedWeights.length ? `, dequantized ${r.report.dequantizedWeights.length} INT8 weights` : ''}; folded ${r.report.folded.length} (BN/Pad into Conv)`);
        ctx.print(`scales: ${r.scales.size} tensors (${r.report.propagated.length} propagated through range-preserving ops${r.report.unaryScales.length ? `, ${r.report.unaryScales.length} DLA unit scales` : ''}); FP16 layers (a tensor without scale): ${r.fp16Nodes.length}`);
        const bad = r.report.weightChecks.filter((c) => c.mismatched > 0);
        if (flags.calibrationType === 'max' && bad.length > 0) {
          ctx.note(`${bad.length} of ${r.report.weightChecks.length} weights have Q scales that differ from max|w|/127 per channel (worst ${Math.max(...bad.map((b) => b.worstAbsDiff)).toPrecision(3)}): TensorRT's implicit mode recomputes weight scales, so learned (QAT) weight scales are not kept; pass --calibration-type histogram to skip this check`);
        }
        for (const p of Object.values(paths)) ctx.print(`  ${p}`);
      });
  },
};
