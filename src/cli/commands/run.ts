import { join } from 'node:path';
import { Option } from 'commander';
import { TandemError } from '../../util/errors.js';
import { assertOutputsFree, checkOutputDir, writeFileAtomic, writeFolder } from '../../util/fs.js';
import { quote } from '../../util/text.js';
import { formatShape } from '../../ir/types.js';
import type { Tensor } from '../../ir/tensor.js';
import { loadModel, modelFiles } from '../../onnx/load-save.js';
import { encodeNpy, readNpy } from '../../io/npy.js';
import { safeFileName } from '../../io/frame-outputs.js';
import { ENGINE_NAMES } from '../../runtime/engines/types.js';
import { runOnce } from '../../runtime/run-once.js';
import { collect, dimSizes, positiveInt } from '../parse.js';
import { unusedDimsNotes } from '../dims.js';
import type { CliCommand } from './types.js';
import type { PipelineMode } from '../../runtime/pipeline/pipeline.js';
import { isPlanPath } from '../pipeline-args.js';
import { runPlanCommand } from './run-plan.js';

export interface RunFlags {
  engine: (typeof ENGINE_NAMES)[number];
  maxInFlight?: number;
  mode: PipelineMode;
  hostHandoff?: boolean;
  input: string[];
  out?: string;
  dims?: Record<string, number>;
  seed: number;
  threads?: number;
  json?: boolean;
}

export const runCommand: CliCommand = {
  name: 'run',
  examples: [
    'tandem run model.onnx --engine cpu --input images=batch.npy --out outputs/',
    'tandem run int8/head-depth.qdq.onnx --engine dla-emulated',
    'tandem run host-plan/plan.json --input frames/ --out results/',
    'tandem run host-plan/ --input synthetic:32 --out results/',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('run')
      .description('run a model once on an engine, or a plan as a pipeline over frames; save outputs as .npy (and colour-mapped PNGs for a plan); print shapes and measured times')
      .argument('<model|plan>', 'ONNX model file, or plan.json (or its folder) from tandem plan')
      .addOption(new Option('--engine <engine>', 'engine to run a model on').choices(ENGINE_NAMES).default('cpu'))
      .option('--input <spec>', 'model: name=file.npy (repeatable; others get seeded random data); plan: a folder of images, .npy or .npz files, or synthetic:N', collect, [])
      .option('-o, --out <dir>', 'model: <dir>/<output>.npy; plan: <dir>/<frame>/<output>.npy and .png (segmentation as a class map, depth-like outputs in turbo colours)')
      .option('--max-in-flight <n>', 'plan: frames in flight at most (default: streams + 1)', positiveInt)
      .addOption(new Option('--mode <mode>', 'plan: pipelined (each engine on its own frame) or sequential').choices(['pipelined', 'sequential']).default('pipelined'))
      .option('--host-handoff', 'plan: pass hand-offs between webgpu stages through host memory instead of keeping them on the GPU')
      .option('--dims <name=size,...>', 'sizes of symbolic input dims for random inputs', dimSizes)
      .option('--seed <n>', 'seed for random inputs', positiveInt, 1)
      .option('--threads <n>', 'intra-op threads (cpu)', positiveInt)
      .option('--json', 'print the result as JSON')
      .action(async (modelPath: string, flags: RunFlags) => {
        if (flags.out !== undefined) checkOutputDir(flags.out, '--out');
        if (isPlanPath(modelPath)) {
          await runPlanCommand(modelPath, flags, ctx);
          return;
        }
        const model = loadModel(modelPath, { weights: 'lazy' });
        if (flags.dims) for (const line of unusedDimsNotes(model, flags.dims)) ctx.note(line);
        const read = modelFiles(model, modelPath);
        const inputs: Record<string, Tensor> = {};
        for (const spec of flags.input) {
          const eq = spec.indexOf('=');
          if (eq <= 0) throw new TandemError('USAGE', `--input expects name=file.npy, got ${quote(spec)}`);
          inputs[spec.slice(0, eq)] = readNpy(spec.slice(eq + 1));
          read.push(spec.slice(eq + 1));
        }
        // Output file names are known from the graph: checked against every file read before the run.
        const names = outputFileNames(model.graph.outputs);
        if (flags.out !== undefined) assertOutputsFree([...names.values()].map((f) => join(flags.out!, f)), read);
        const result = await runOnce(modelPath, {
          engine: flags.engine,
          inputs,
          seed: flags.seed,
          ...(flags.dims ? { dims: flags.dims } : {}),
          ...(flags.threads ? { engineOptions: { threads: flags.threads } } : {}),
        });
        const files: Record<string, string> = {};
        if (flags.out !== undefined) {
          writeFolder(
            flags.out,
            (out) => {
              for (const [name, t] of Object.entries(result.outputs)) {
                const file = names.get(name) ?? `${safeFileName(name)}.npy`;
                writeFileAtomic(out.at(file), encodeNpy(t));
                files[name] = out.final(file);
              }
            },
            '--out',
          );
        }
        if (flags.json) {
          ctx.printJson({
            engine: result.engine,
            measured: { openMs: result.openMs, runMs: result.runMs, what: `wall time on engine ${result.engine}, this machine, one run (no warm-up)` },
            randomInputs: result.randomInputs,
            outputs: Object.entries(result.outputs).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.dims, file: files[name] })),
          });
          return;
        }
        if (result.randomInputs.length > 0) ctx.note(`inputs filled with seeded random data: ${result.randomInputs.join(', ')}`);
        for (const [name, t] of Object.entries(result.outputs)) {
          ctx.print(`${name}: ${t.dtype}[${formatShape(t.dims)}]${files[name] ? ` → ${files[name]}` : ''}`);
        }
        const what = result.engine === 'dla-emulated' ? 'measured on this machine\'s CPU running the INT8 Q/DQ model: DLA numerics are emulated, DLA speed is not' : 'measured on this machine, one cold run';
        ctx.print(`engine ${result.engine}: session ${result.openMs.toFixed(1)} ms, run ${result.runMs.toFixed(1)} ms (${what})`);
      });
  },
};

/** A distinct .npy file name per output (two names that sanitise alike get a numeric suffix). */
function outputFileNames(outputs: readonly string[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const name of outputs) {
    const base = safeFileName(name);
    let file = `${base}.npy`;
    for (let i = 2; used.has(file.toLowerCase()); i++) file = `${base}-${i}.npy`;
    used.add(file.toLowerCase());
    out.set(name, file);
  }
  return out;
}
