import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspectModel } from '../../inspect/index.js';
import { formatShape } from '../../ir/types.js';
import { REFERENCE_MODELS } from '../../models/index.js';
import { saveModel } from '../../onnx/load-save.js';
import { writeSplit } from '../../passes/index.js';
import { runOnce } from '../../runtime/run-once.js';
import { analyzeStep } from '../demo-steps/analyze-step.js';
import { planStep } from '../demo-steps/plan-step.js';
import { prepareSplitStep } from '../demo-steps/prepare-split-step.js';
import { quantizeStep } from '../demo-steps/quantize-step.js';
import { reportStep } from '../demo-steps/report-step.js';
import { positiveInt } from '../parse.js';
import { printSummary } from './inspect.js';
import type { CliCommand } from './types.js';

interface DemoFlags {
  out: string;
  small?: boolean;
  samples: number;
}

export const demoCommand: CliCommand = {
  name: 'demo',
  register(program, ctx) {
    program
      .command('demo')
      .description("the whole path on the built-in multi-task model (the webinar's MiT-B0 network): build, inspect, run, analyze, prepare, split, quantize, plan")
      .option('--out <dir>', 'folder for the model, the stages and the quantization artifacts', 'tandem-demo')
      .option('--small', 'use a 64x128 input instead of 512x1024 (seconds instead of minutes)')
      .option('--samples <n>', 'generated calibration samples', positiveInt, 16)
      .addHelpText('after', '\nExamples:\n  tandem demo\n  tandem demo --small --out /tmp/demo')
      .action(async (flags: DemoFlags) => {
        const t0 = performance.now();
        const out = resolve(flags.out);
        mkdirSync(out, { recursive: true });
        const ref = REFERENCE_MODELS.multitask;
        const options = flags.small ? ref.smallOptions : {};
        const model = ref.build(options);
        const modelPath = join(out, 'multitask.onnx');
        saveModel(model, modelPath);
        ctx.print(`── build: ${ref.description}${flags.small ? ' (small: 64x128)' : ''} → ${modelPath}`);
        ctx.print('');

        ctx.print('── inspect');
        printSummary(inspectModel(modelPath), ctx);
        ctx.print('');

        ctx.print('── run once on the cpu engine (onnxruntime), seeded random input');
        const run = await runOnce(model, modelPath, { engine: 'cpu' });
        for (const [name, t] of Object.entries(run.outputs)) ctx.print(`  ${name}: ${t.dtype}[${formatShape(t.dims)}]`);
        ctx.print(`  session ${run.openMs.toFixed(0)} ms, run ${run.runMs.toFixed(0)} ms — measured on this machine's CPU, one cold run`);
        ctx.print('');

        await analyzeStep(model, ctx);
        ctx.print('');

        const { plan, prepared, report, verification } = await prepareSplitStep(model, ctx);
        const written = writeSplit(plan, join(out, 'stages'), { source: modelPath, protect: [modelPath] });
        ctx.print(`  wrote ${written.files.length - 1} stage models and ${join(out, 'stages', 'split.json')}`);
        ctx.print('');

        await quantizeStep(model, ctx, { workDir: out, splitManifest: join(out, 'stages', 'split.json'), samples: flags.samples });
        ctx.print('');

        await planStep(join(out, 'stages', 'split.json'), ctx, { workDir: out, samples: flags.samples });
        ctx.print('');
        reportStep(ctx, { workDir: out, modelPath, prepared, prepareReport: report, verification });
        ctx.print('');
        ctx.print(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s; everything is in ${out}`);
        ctx.print('Measured: the cpu run time above (this machine). Emulated: INT8 fidelity (Q/DQ models on onnxruntime cpu).');
        ctx.print('Modelled: DLA coverage, regions and crossings (from the DLA rules of the reference; no DLA runs here).');
      });
  },
};
