import { join } from 'node:path';
import { importResults, readLatencyParams, refitFromResults, type ImportResult } from '../../plan/index.js';
import { checkOutputFile, writeFileAtomic } from '../../util/fs.js';
import type { CliCommand } from './types.js';

interface ImportFlags {
  refit?: string | boolean;
  params?: string;
  out?: string;
  json?: boolean;
}

export const importCommand: CliCommand = {
  name: 'import',
  examples: [
    'tandem import bundle/results',
    'tandem import bundle/results --refit my-orin.json && tandem cost plan.json --params my-orin.json',
  ],
  writes: true,
  readsModel: false,
  register(program, ctx) {
    program
      .command('import')
      .description("read a bundle's results/ (trtexec logs, --exportTimes / --exportProfile JSON) from the Orin: measured vs modelled per stage; --refit fits the latency model on them")
      .argument('<results>', 'the results/ folder bench.sh wrote inside the bundle')
      .option('--refit [file]', 'refit the latency parameters on these measurements and write them here (default: <results>/orin-params.refit.json; never the shipped file)')
      .option('--params <file>', 'parameters to start the refit from (default: the shipped ones)')
      .option('-o, --out <file>', 'where to write the bench JSON (default: <results>/tandem-bench.json)')
      .option('--json', 'print the bench JSON')
      .action((results: string, flags: ImportFlags) => {
        if (typeof flags.refit === 'string') checkOutputFile(flags.refit, '--refit');
        if (flags.out !== undefined) checkOutputFile(flags.out, '--out');
        const r = importResults(results);
        const out = flags.out ?? join(results, 'tandem-bench.json');
        writeFileAtomic(out, `${JSON.stringify(r, null, 2)}\n`);
        if (flags.json) ctx.printJson(r);
        else {
          for (const line of formatImport(r)) ctx.print(line);
          ctx.print(`wrote ${out}`);
        }
        if (flags.refit !== undefined && flags.refit !== false) {
          const fit = refitFromResults(r, results, { ...(typeof flags.refit === 'string' ? { out: flags.refit } : {}), ...(flags.params ? { params: readLatencyParams(flags.params) } : {}) });
          ctx.note(`refit on ${fit.rows.length} measured rows: rms log error ${fit.rmsLogError.toFixed(3)}; parameters written to ${fit.file} (use with --params)`);
          for (const row of fit.rows) ctx.note(`  ${row.id.padEnd(28)} measured ${row.published.toFixed(3)} ms, modelled after refit ${row.predicted.toFixed(3)} ms (${row.errorPct >= 0 ? '+' : ''}${row.errorPct.toFixed(1)}%)`);
        }
      });
  },
};

export function formatImport(r: ImportResult): string[] {
  const out = [`results (TensorRT ${r.trt}): measured on the Orin by trtexec; predicted = modelled${r.environment ? `; ${r.environment.split('\n')[0]}` : ''}`];
  out.push(`  ${'stage'.padEnd(16)} ${'engine'.padEnd(6)} ${'alone: measured'.padStart(16)} ${'modelled'.padStart(9)} ${'error'.padStart(7)}   ${'all at once: measured'.padStart(22)} ${'modelled'.padStart(9)} ${'error'.padStart(7)}`);
  for (const s of r.stages) {
    const c = s.concurrent;
    out.push(
      `  ${s.name.padEnd(16)} ${s.engine.padEnd(6)} ${`${s.alone.compute.medianMs.toFixed(3)} ms`.padStart(16)} ${`${s.predicted.aloneMs.toFixed(3)}`.padStart(9)} ${`${s.errorPct.alone.toFixed(1)}%`.padStart(7)}   ${(c ? `${c.compute.medianMs.toFixed(3)} ms (${c.qps.toFixed(1)} qps)` : '–').padStart(22)} ${`${s.predicted.concurrentMs.toFixed(3)}`.padStart(9)} ${(s.errorPct.concurrent === undefined ? '–' : `${s.errorPct.concurrent.toFixed(1)}%`).padStart(7)}`,
    );
  }
  out.push(`pipeline: ${r.pipeline.measuredFps === undefined ? 'not measured all at once' : `${r.pipeline.measuredFps.toFixed(1)} fps measured (slowest engine in the ${r.windowMs!.toFixed(0)} ms window where all ran)`}, ${r.pipeline.predictedFps.toFixed(1)} fps modelled`);
  return out;
}
