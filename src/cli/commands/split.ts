import { formatShape } from '../../ir/types.js';
import { checkOutputDir } from '../../util/fs.js';
import { loadModel, modelFiles } from '../../onnx/index.js';
import { splitModel, writeSplit, type SplitPlan } from '../../passes/index.js';
import { withDims } from '../dims.js';
import { dimSizes, list } from '../parse.js';
import { names, plural, table } from '../format.js';
import type { CliCommand } from './types.js';

interface SplitFlags {
  out: string;
  at?: string[];
  auto?: boolean;
  postprocess: boolean;
  dims?: Record<string, number>;
  json?: boolean;
}

export const splitCommand: CliCommand = {
  name: 'split',
  examples: [
    'tandem split multitask.onnx --auto -o stages/',
    'tandem split multitask.onnx --at c1,c2,c3,c4 -o stages/',
    'tandem split detector.onnx --at /backbone/out -o stages/ --json',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('split')
      .description('cut a model into stage models (backbone, one head per output, post-processing) and write split.json')
      .argument('<model>', 'ONNX model file')
      .requiredOption('-o, --out <dir>', 'folder for the stage files and split.json (never over the input)')
      .option('--at <t1,t2,...>', 'cut tensors: the backbone computes them, the heads start from them', list)
      .option('--auto', 'find the shared trunk: the nodes every output depends on form the backbone')
      .option('--no-postprocess', 'leave TopK / NonMaxSuppression / ArgMax tails in the heads instead of their own GPU stages')
      .option('--dims <name=size,...>', 'sizes for symbolic input dims: the stage models and split.json get these static shapes', dimSizes)
      .option('--json', 'print split.json and the files written as JSON')
      .action((modelPath: string, flags: SplitFlags) => {
        checkOutputDir(flags.out);
        const model = withDims(loadModel(modelPath, { weights: 'lazy' }), flags.dims, ctx.note);
        const plan = splitModel(model, { ...(flags.at ? { at: flags.at } : {}), auto: flags.auto ?? false, postprocess: flags.postprocess });
        const written = writeSplit(plan, flags.out, { source: modelPath, protect: modelFiles(model, modelPath) });
        if (flags.json) {
          ctx.printJson({ ...written.manifest, dir: written.dir, files: written.files });
          return;
        }
        for (const line of formatSplit(plan)) ctx.print(line);
        ctx.print(`wrote      ${plural(written.files.length - 1, 'stage file')} and ${written.files.at(-1)}`);
      });
  },
};

/** Lines describing the stages in run order and the tensors handed between them. */
export function formatSplit(plan: SplitPlan): string[] {
  const out = [`stages (in run order)`];
  const rows = plan.stages.map((s) => [s.name, String(s.model.graph.nodes.length), names(s.inputs), names(s.outputs)]);
  for (const line of table(['stage', 'nodes', 'inputs', 'outputs'], rows, [1])) out.push(`  ${line}`);
  const between = plan.tensors.filter((t) => t.from !== undefined && t.to.length > 0);
  if (between.length > 0) {
    out.push('between stages');
    for (const line of table(['tensor', 'type', 'from', 'to'], between.map((t) => [t.name, `${t.dtype ?? '?'}[${formatShape(t.shape)}]`, t.from ?? '', t.to.join(', ')]))) out.push(`  ${line}`);
  }
  return out;
}
