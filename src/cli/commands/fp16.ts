import { Option } from 'commander';
import { TandemError } from '../../util/errors.js';
import { assertOutputsFree, checkOutputFile } from '../../util/fs.js';
import { quote } from '../../util/text.js';
import { loadModel, modelFiles, saveModel, savedModelFiles } from '../../onnx/load-save.js';
import { FP16_BLOCK_LIST } from '../../quant/fp16.js';
import { convertToFloat16Checked } from '../../runtime/checked-rewrites.js';
import { unusedDimsNotes } from '../dims.js';
import { dimSizes, finiteNumber, list, positiveInt } from '../parse.js';
import { classMapOutputs } from '../../eval/index.js';
import { progressReporter } from '../progress.js';
import { plural } from '../format.js';
import type { CliCommand } from './types.js';

interface Fp16Flags {
  out: string;
  keepIoTypes: boolean;
  block?: string[];
  blockNodes?: string[];
  check: boolean;
  tolerance: number;
  trials: number;
  dims?: Record<string, number>;
  json?: boolean;
}

export const fp16Command: CliCommand = {
  name: 'fp16',
  examples: [
    'tandem fp16 backbone.onnx -o backbone.fp16.onnx',
    'tandem fp16 model.onnx -o model.fp16.onnx --block LayerNormalization,Pow',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('fp16')
      .description('convert a model (a GPU stage) to float16: weights and activations FP16, inputs/outputs kept float32 by default; checked to run in onnxruntime cpu')
      .argument('<model>', 'ONNX model file')
      .requiredOption('-o, --out <file>', 'output model file')
      .option('--no-keep-io-types', 'make graph inputs and outputs float16 too (no Casts at the edges)')
      .option('--block <ops>', `op types kept in float32 (default: ${Object.keys(FP16_BLOCK_LIST).join(', ')})`, list)
      .option('--block-nodes <names>', 'node names kept in float32', list)
      .option('--no-check', 'skip running both models in onnxruntime')
      .option('--tolerance <relL2>', 'fail (exit 2, nothing written) when an output\'s relative L2 error exceeds this', finiteNumber, 1e-2)
      .option('--trials <n>', 'random input sets for the check', positiveInt, 2)
      .option('--dims <name=size,...>', 'sizes for symbolic input dims of the check\'s random inputs (the written model keeps its symbolic dims)', dimSizes)
      .option('--json', 'print the result as JSON')
      .addOption(new Option('--seed <n>', 'seed of the random inputs').argParser(positiveInt).default(1))
      .action(async (modelPath: string, flags: Fp16Flags & { seed: number }) => {
        checkOutputFile(flags.out);
        const model = loadModel(modelPath);
        if (flags.dims) for (const line of unusedDimsNotes(model, flags.dims)) ctx.note(line);
        assertOutputsFree(savedModelFiles(flags.out), modelFiles(model, modelPath));
        const progress = progressReporter(ctx);
        const r = await convertToFloat16Checked(model, {
          keepIoTypes: flags.keepIoTypes,
          ...(flags.block ? { blockOps: flags.block } : {}),
          ...(flags.blockNodes ? { blockNodes: flags.blockNodes } : {}),
          ...(flags.dims ? { dims: flags.dims } : {}),
          check: flags.check ? { tolerance: flags.tolerance, trials: flags.trials, seed: flags.seed } : false,
          onProgress: () => progress.step('fp16', 'checking the FP16 model against the input on onnxruntime cpu'),
        });
        progress.stop();
        // Argmax agreement only where the output is a class map; a feature map's channels are not classes.
        const classMaps = new Set(classMapOutputs(model));
        const checks: { output: string; relL2: number; cosine: number; maxAbs: number; argmaxAgreement?: number }[] = (r.check?.outputs ?? []).map(({ argmaxAgreement, ...rest }) =>
          classMaps.has(rest.output) && argmaxAgreement !== undefined ? { ...rest, argmaxAgreement } : rest,
        );
        const over = r.check?.over ?? [];
        // Above the tolerance nothing is written and the exit is non-zero, as prepare does when verification fails.
        if (over.length === 0) saveModel(r.model, flags.out);
        if (flags.json) {
          ctx.printJson({ file: over.length === 0 ? flags.out : null, blocked: r.blocked, casts: r.casts, saturated: r.saturated, untyped: r.untyped, check: flags.check ? { engine: 'cpu', trials: flags.trials, what: 'FP16 model vs input model on seeded random inputs, onnxruntime cpu, this machine', outputs: checks } : undefined });
          if (over.length > 0) throw toleranceError(over, flags.tolerance);
          return;
        }
        ctx.print(`${over.length === 0 ? `wrote ${flags.out}` : 'converted (not written)'}: ${plural(r.casts, 'Cast')}, ${plural(r.blocked.length, 'node')} kept float32${r.blocked.length ? ` (${[...new Set(r.blocked.map((b) => b.op))].join(', ')})` : ''}, inputs/outputs ${flags.keepIoTypes ? 'float32' : 'float16'}`);
        if (r.saturated.length) ctx.note(`${plural(r.saturated.length, 'constant')} had values beyond ±65504 and were saturated: ${r.saturated.slice(0, 5).join(', ')}`);
        if (r.untyped.length) ctx.note(`${plural(r.untyped.length, 'tensor')} without an inferred type, left as they are: ${r.untyped.slice(0, 5).join(', ')}`);
        for (const c of checks) {
          const flag = !(c.relL2 <= flags.tolerance) ? `  ← above --tolerance ${flags.tolerance}` : '';
          ctx.print(`  ${c.output}: rel L2 ${c.relL2.toExponential(2)}, cosine ${c.cosine.toFixed(6)}${c.argmaxAgreement !== undefined ? `, argmax agree ${(c.argmaxAgreement * 100).toFixed(2)} %` : ''} (FP16 vs FP32, ${flags.trials} random input sets, onnxruntime cpu)${flag}`);
        }
        if (!flags.check) ctx.note('not checked in onnxruntime (--no-check)');
        if (over.length > 0) throw toleranceError(over, flags.tolerance);
      });
  },
};

function toleranceError(over: readonly { output: string; relL2: number }[], tolerance: number): TandemError {
  return new TandemError(
    'VERIFY_FAILED',
    `FP16 outputs differ from FP32 beyond --tolerance ${tolerance}: ${over.map((c) => `${quote(c.output)} rel L2 ${c.relL2.toExponential(2)}`).join(', ')}; nothing written — keep the offending ops in float32 with --block / --block-nodes, or raise --tolerance`,
  );
}
