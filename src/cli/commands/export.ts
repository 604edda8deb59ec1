import { checkOutputDir } from '../../util/fs.js';
import { Option } from 'commander';
import { readPlan } from '../../io/stage-file/index.js';
import { exportBundle, parseTrtVersion, readLatencyParams, type PowerMode } from '../../plan/index.js';
import { plural } from '../format.js';
import type { CliCommand } from './types.js';

interface ExportFlags {
  trt: string;
  out: string;
  artifacts?: string;
  sparsity?: 'force';
  power?: PowerMode;
  params?: string;
  json?: boolean;
}

export const exportCommand: CliCommand = {
  name: 'export',
  examples: [
    'tandem export out/plan.json --trt 8.6 -o bundle/',
    'tandem export out/plan.json --trt 11.4 -o bundle-trt11/',
  ],
  writes: true,
  readsModel: false,
  register(program, ctx) {
    program
      .command('export')
      .description('write the bundle to build and measure an Orin plan with trtexec: per-stage ONNX, calibration caches or typed Q/DQ models, build.sh, bench.sh, manifest.json, README')
      .argument('<plan>', 'plan.json with target orin')
      .requiredOption('--trt <version>', 'TensorRT on the target: 8.6, 10.x or 11.4 (11.4.1+, JetPack 7.2.2+)')
      .requiredOption('-o, --out <dir>', 'bundle folder (created)')
      .option('--artifacts <dir>', 'where tandem quantize wrote <stage>.cache / <stage>.qdq.onnx (default: the plan\'s folder)')
      .addOption(new Option('--sparsity <mode>', 'build with 2:4-sparse kernels where weights allow (trtexec --sparsity=force)').choices(['force']))
      .addOption(new Option('--power <mode>', 'power mode of the predicted numbers').choices(['maxn', '50w', '30w', '15w']).default('maxn'))
      .option('--params <file>', 'latency parameters for the predicted numbers (default: the shipped ones)')
      .option('--json', 'print manifest.json')
      .action((planPath: string, flags: ExportFlags) => {
        checkOutputDir(flags.out);
        const trt = parseTrtVersion(flags.trt);
        const manifest = exportBundle(readPlan(planPath), {
          trt,
          out: flags.out,
          ...(flags.artifacts ? { artifacts: flags.artifacts } : {}),
          ...(flags.sparsity ? { sparsity: true } : {}),
          ...(flags.power ? { power: flags.power } : {}),
          ...(flags.params ? { params: readLatencyParams(flags.params) } : {}),
        });
        if (flags.json) {
          ctx.printJson(manifest);
          return;
        }
        ctx.print(`bundle for TensorRT ${trt} (${manifest.target}) in ${flags.out}: ${plural(manifest.files.length, 'file')}, sha256 in manifest.json`);
        for (const s of manifest.stages) ctx.print(`  ${s.name.padEnd(14)} ${s.engine.padEnd(5)} ${s.precision.padEnd(5)} ${s.onnx}${s.calib ? ` + ${s.calib}` : ''}${s.loadable ? ' (+ standalone DLA loadable)' : ''}  modelled ${s.predicted.latencyMs.toFixed(2)} ms`);
        ctx.print(`predicted pipeline (modelled): ${manifest.predicted.fps.toFixed(1)} fps, ${manifest.predicted.latencyMs.toFixed(1)} ms`);
        ctx.print(`next: copy ${flags.out} to the Orin, bash build.sh, bash bench.sh, then tandem import ${flags.out}/results`);
      });
  },
};
