import { inspectModel, type ModelSummary } from '../../inspect/index.js';
import { loadModel } from '../../onnx/load-save.js';
import type { CliContext } from '../context.js';
import { bytes, count, plural, shape, si, table } from '../format.js';
import { dimSizes } from '../parse.js';
import { unusedDimsNotes } from '../dims.js';
import type { CliCommand } from './types.js';

interface InspectFlags {
  nodes?: boolean;
  json?: boolean;
  dims?: Record<string, number>;
}

export const inspectCommand: CliCommand = {
  name: 'inspect',
  examples: [
    'tandem inspect model.onnx',
    'tandem inspect model.onnx --nodes --dims batch=1',
    'tandem inspect model.onnx --json > summary.json',
  ],
  writes: false,
  readsModel: true,
  register(program, ctx) {
    program
      .command('inspect')
      .description('what a model is: opsets, inputs/outputs with shapes, op histogram, parameters, FLOPs (weights are not read)')
      .argument('<model>', 'ONNX model file')
      .option('--nodes', 'list every node with its inferred output shapes and FLOPs')
      .option('--dims <name=size,...>', 'sizes for symbolic input dims (for shapes and FLOPs)', dimSizes)
      .option('--json', 'print the summary as JSON (inputs/outputs as [{ name, dtype, shape }], nodes with --nodes)')
      .action((modelPath: string, flags: InspectFlags) => {
        const summary = inspectModel(modelPath, { nodes: flags.nodes === true, ...(flags.dims ? { dims: flags.dims } : {}) });
        // The summary's input shapes have --dims applied; the declared ones say which names exist.
        if (flags.dims) for (const line of unusedDimsNotes(loadModel(modelPath, { weights: 'lazy' }), flags.dims)) ctx.note(line);
        if (flags.json) ctx.printJson(summary);
        else printSummary(summary, ctx);
      });
  },
};

export function printSummary(s: ModelSummary, ctx: CliContext): void {
  ctx.print(`${s.path ?? s.graphName}${s.fileBytes !== undefined ? `  (${bytes(s.fileBytes)})` : ''}`);
  ctx.print(`  IR version ${s.irVersion}; opsets ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}; producer ${[s.producer.name, s.producer.version].filter(Boolean).join(' ') || '-'}`);
  for (const [label, list] of [['input ', s.inputs], ['output', s.outputs]] as const) {
    for (const t of list) ctx.print(`  ${label}  ${t.name}: ${t.dtype} ${shape(t.shape)}`);
  }
  ctx.print(`  nodes ${count(s.counts.nodes)}${s.counts.subgraphs ? ` (+ ${s.counts.subgraphs} subgraphs)` : ''}, initializers ${count(s.counts.initializers)}${s.counts.functions ? `, functions ${s.counts.functions}` : ''}`);
  ctx.print(`  parameters ${count(s.params.count)} (${bytes(s.params.bytes)}: ${s.params.byDtype.map((d) => `${d.dtype} ${bytes(d.bytes)}`).join(', ') || 'none'})`);
  if (s.cost) {
    const what = 'modelled from inferred shapes';
    if (s.cost.complete) {
      ctx.print(`  compute ${si(s.cost.macs, 'MAC')}, ${si(s.cost.flops, 'FLOP')} per run; memory traffic ${bytes(s.cost.bytesRead)} read, ${bytes(s.cost.bytesWritten)} written — ${what}`);
    } else {
      ctx.print(`  compute unknown for ${plural(s.cost.nodesWithoutCost, 'node')} (symbolic shapes, or ops without a cost model): pass --dims to size symbolic dims; the other nodes: ${si(s.cost.flops, 'FLOP')} — ${what}`);
    }
  }
  if (s.shapeInference && (s.shapeInference.unknownOps.length > 0 || s.shapeInference.unresolved > 0)) {
    ctx.print(`  shape inference: ${plural(s.shapeInference.unresolved, 'tensor')} unknown${s.shapeInference.unknownOps.length ? `; ops without inference: ${s.shapeInference.unknownOps.join(', ')}` : ''}`);
  }
  ctx.print(`  ops: ${s.ops.map((o) => `${o.domain === 'ai.onnx' ? '' : `${o.domain}:`}${o.op} ${o.count}`).join(', ')}`);
  if (s.nodes) {
    ctx.print('');
    const rows = s.nodes.map((n) => [n.name || '(unnamed)', n.op, n.outputs.map((o) => `${o.dtype} ${shape(o.shape)}`).join(' '), n.flops === null ? '?' : si(n.flops)]);
    for (const line of table(['node', 'op', 'output', 'FLOPs'], rows, [3])) ctx.print(`  ${line}`);
  }
}
