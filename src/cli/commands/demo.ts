import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspectModel } from '../../inspect/index.js';
import { formatShape } from '../../ir/types.js';
import { REFERENCE_MODELS } from '../../models/index.js';
import { loadModel, saveModel } from '../../onnx/load-save.js';
import type { Model } from '../../ir/model.js';
import { referenceModelPath } from '../../eval/index.js';
import { evalStep } from '../demo-steps/eval-step.js';
import { writeSplit } from '../../passes/index.js';
import { runOnce } from '../../runtime/run-once.js';
import { analyzeStep } from '../demo-steps/analyze-step.js';
import { orinStep } from '../demo-steps/orin-step.js';
import { pipelineStep } from '../demo-steps/pipeline-step.js';
import { planStep } from '../demo-steps/plan-step.js';
import { prepareSplitStep } from '../demo-steps/prepare-split-step.js';
import { quantizeStep } from '../demo-steps/quantize-step.js';
import { reportStep } from '../demo-steps/report-step.js';
import { assertFolderFree, checkOutputDir, readRegularFile, writeFileAtomic } from '../../util/fs.js';
import { positiveInt } from '../parse.js';
import { printSummary } from './inspect.js';
import type { CliCommand } from './types.js';

/** The trained reference is a few MB; a file far larger is not it. */
const MAX_REFERENCE_BYTES = 256 << 20;

interface DemoFlags {
  out: string;
  small?: boolean;
  random?: boolean;
  samples: number;
  json?: boolean;
}

export const demoCommand: CliCommand = {
  name: 'demo',
  examples: [
    'tandem demo',
    'tandem demo --random --small --out /tmp/demo',
  ],
  writes: true,
  readsModel: false,
  register(program, outer) {
    program
      .command('demo')
      .description("the whole path on the trained multi-task reference (tandem-street; --random: the builder's MiT-B0 network): inspect, run, eval, analyze, prepare, split, quantize, plan, bench, run the pipeline, report")
      .option('-o, --out <dir>', 'folder for the model, the stages and the quantization artifacts', 'tandem-demo')
      .option('--random', "use the builder's random-weight MiT-B0 model (512x1024, or 64x128 with --small) instead of the trained tandem-street model (128x256)")
      .option('--small', 'with --random: a 64x128 input instead of 512x1024 (seconds instead of minutes)')
      .option('--samples <n>', 'generated calibration samples', positiveInt, 16)
      .option('--json', 'print a JSON summary of the artifacts and numbers on stdout (the step-by-step text goes to stderr)')
      .action(async (flags: DemoFlags) => {
        // With --json the steps' text goes to stderr, so stdout holds the one JSON document.
        const ctx = flags.json ? { ...outer, print: (line = '') => outer.note(line) } : outer;
        const t0 = performance.now();
        const out = resolve(flags.out);
        checkOutputDir(flags.out);
        // The trained model is the demo's one input: no step may write over it or into its folder.
        const reference = flags.random ? undefined : referenceModelPath();
        if (reference !== undefined) assertFolderFree(flags.out, [{ path: reference, what: 'the reference model' }]);
        mkdirSync(out, { recursive: true });
        let model: Model;
        let modelPath: string;
        if (flags.random) {
          const ref = REFERENCE_MODELS.multitask;
          model = ref.build(flags.small ? ref.smallOptions : {});
          modelPath = join(out, 'multitask.onnx');
          saveModel(model, modelPath);
          ctx.print(`── build: ${ref.description}${flags.small ? ' (small: 64x128)' : ''}, random weights → ${modelPath}`);
        } else {
          modelPath = join(out, 'tandem-street.onnx');
          writeFileAtomic(modelPath, readRegularFile(reference!, { maxBytes: MAX_REFERENCE_BYTES, what: 'ONNX model' }));
          model = loadModel(modelPath);
          ctx.print(`── model: tandem-street, the trained reference (MiT encoder + SegFormer head + depth decoder, 128x256; assets/models/README.md) → ${modelPath}`);
        }
        ctx.print('');

        ctx.print('── inspect');
        printSummary(inspectModel(modelPath), ctx);
        ctx.print('');

        ctx.print('── run once on the cpu engine (onnxruntime), seeded random input');
        const run = await runOnce(modelPath, { engine: 'cpu' });
        for (const [name, t] of Object.entries(run.outputs)) ctx.print(`  ${name}: ${t.dtype}[${formatShape(t.dims)}]`);
        ctx.print(`  session ${run.openMs.toFixed(0)} ms, run ${run.runMs.toFixed(0)} ms — measured on this machine's CPU, one cold run`);
        ctx.print('');

        if (!flags.random) {
          await evalStep(modelPath, ctx, { frames: 8, workDir: out });
          ctx.print('');
        }

        const analysis = await analyzeStep(model, ctx);
        ctx.print('');

        const { plan, prepared, report, verification } = await prepareSplitStep(model, ctx);
        const written = writeSplit(plan, join(out, 'stages'), { source: modelPath, protect: [modelPath] });
        ctx.print(`  wrote ${written.files.length - 1} stage models and ${join(out, 'stages', 'split.json')}`);
        ctx.print('');

        const quantized = await quantizeStep(model, ctx, { workDir: out, splitManifest: join(out, 'stages', 'split.json'), samples: flags.samples });
        ctx.print('');

        const plans = await planStep(join(out, 'stages', 'split.json'), ctx, { workDir: out, samples: flags.samples });
        ctx.print('');

        const pipe = await pipelineStep(plans.host.plan, ctx, { workDir: out, durationS: flags.small ? 2 : 5 });
        ctx.print('');
        const orin = orinStep(prepared, plans.orin, ctx, { workDir: out });
        ctx.print('');
        const reportPath = reportStep(ctx, { workDir: out, modelPath, prepared, prepareReport: report, verification });
        ctx.print('');
        const artifacts = [
          ['model', modelPath],
          ['stages + split.json', join(out, 'stages')],
          ['INT8 calibration caches, scales.json, Q/DQ heads', join(out, 'quantize')],
          ['orin plan (written for the target; modelled)', join(out, 'plan-orin', 'plan.json')],
          ['Orin build bundles (TensorRT 8.6, 11.4)', join(out, 'bundle-trt8.6')],
          ['host plan (run here)', join(out, 'plan-host', 'plan.json')],
          ['bench numbers', join(out, 'bench', 'bench.json')],
          ['Chrome trace (open in https://ui.perfetto.dev)', join(out, 'bench', 'trace.json')],
          ['colour-mapped outputs', join(out, 'outputs')],
          ['HTML report', join(out, 'report.html')],
        ] as const;
        const seconds = (performance.now() - t0) / 1000;
        if (flags.json) {
          outer.printJson({
            dir: out,
            seconds,
            artifacts: Object.fromEntries(artifacts.map(([what, where]) => [what, where])),
            run: { engine: 'cpu', openMs: run.openMs, runMs: run.runMs, measured: 'this machine, one cold run' },
            analysis: { target: analysis.target, precision: analysis.precision, summary: analysis.summary, modelled: true },
            prepare: { before: report.before, after: report.after, verification: { ok: verification.ok, outputs: verification.outputs }, modelled: 'coverage from the DLA rules' },
            split: { stages: plan.stages.map((s) => ({ name: s.name, kind: s.kind, inputs: s.inputs, outputs: s.outputs })) },
            quantize: { samples: quantized.observation.samples, calibrationMs: quantized.calibrationMs, artifacts: quantized.artifacts.map((a) => ({ stage: a.stage, method: a.method, activations: a.scales.activations.size })) },
            plans: { host: plans.host.plan.stages.map((s) => ({ name: s.name, engine: s.engine, precision: s.precision })), orin: plans.orin.plan.stages.map((s) => ({ name: s.name, engine: s.engine, precision: s.precision })) },
            bench: { modes: pipe.bench.modes.map((m) => ({ mode: m.mode, frames: m.frames, throughputFps: m.throughputFps, latencyMs: m.latencyMs })), speedup: pipe.bench.speedup ?? null, what: pipe.bench.what },
            orin: { bundles: orin.bundles, modelled: true },
            report: reportPath,
          });
          return;
        }
        ctx.print(`done in ${seconds.toFixed(1)} s; everything is in ${out}:`);
        for (const [what, where] of artifacts) ctx.print(`  ${what.padEnd(48)} ${where}`);
        ctx.print('Measured: the cpu run time, the host plan timings and the bench above (this machine). Emulated: INT8 fidelity (Q/DQ models on onnxruntime cpu).');
        ctx.print('Modelled: DLA coverage, regions and crossings (from the DLA rules of the reference; no DLA runs here); Orin latencies and throughputs (the fitted latency model).');
      });
  },
};
