import { checkOutputFile } from '../../util/fs.js';
import { REPORT_SECTIONS, writeReport, type ReportInputs } from '../../report/index.js';
import type { CliCommand } from './types.js';

interface ReportFlags {
  out: string;
  title?: string;
  json?: boolean;
}

export const reportCommand: CliCommand = {
  name: 'report',
  examples: [
    'tandem report tandem-demo/ -o report.html',
    'tandem report analysis.json prepare.json stages/split.json bench.json trace.json -o report.html',
  ],
  writes: true,
  readsModel: false,
  register(program, ctx) {
    program
      .command('report')
      .description('one self-contained HTML page of a deployment (placement graph, coverage, plan, bench, timeline, INT8, pictures, export) from the result files tandem wrote; no network, no external assets')
      .argument('<inputs...>', 'result files (analyze/prepare/quantize/bench/cost/eval --json output, split.json, plan.json, scales.json, a trace, an export bundle\'s build.sh) or folders of them')
      .requiredOption('-o, --out <file>', 'the HTML file to write (never over an input)')
      .option('--json', 'print { path, bytes, sections, missing, ignored } as JSON')
      .option('--title <text>', 'page title (default: tandem report — <model>)')
      .action((inputs: string[], flags: ReportFlags) => {
        checkOutputFile(flags.out);
        const written = writeReport(inputs, flags.out, flags.title === undefined ? {} : { title: flags.title });
        if (flags.json) {
          const { have, lack } = reportSections(written.inputs);
          ctx.printJson({ path: written.path, bytes: written.bytes, sections: have, missing: lack, ignored: written.inputs.ignored });
          return;
        }
        for (const line of formatReportInputs(written.inputs)) ctx.print(line);
        ctx.print(`wrote      ${written.path} (${(written.bytes / 1024).toFixed(0)} KiB)`);
      });
  },
};

/** Which sections have data and which are missing, one line each. */
export function formatReportInputs(i: ReportInputs): string[] {
  const { have, lack } = reportSections(i);
  return [`sections   ${have.join(', ')}`, ...(lack.length > 0 ? [`no data    ${lack.join(', ')} (the page says which command produces each)`] : []), ...(i.ignored.length > 0 ? [`ignored    ${i.ignored.length} ${i.ignored.length === 1 ? 'file' : 'files'} that are not tandem results (listed in the page's summary)`] : [])];
}

/** The titles of the report's sections that have data, and of those that have none. */
export function reportSections(i: ReportInputs): { have: string[]; lack: string[] } {
  const count: Record<(typeof REPORT_SECTIONS)[number][0], number> = {
    summary: 1,
    placement: i.analyses.length,
    coverage: i.prepares.length,
    plan: i.stages.length,
    bench: i.benches.length + i.costs.length + i.searches.length + i.imports.length,
    timeline: i.traces.length,
    int8: i.quantizes.length + i.scales.length + i.evals.length,
    pictures: i.evals.length + i.pictures.length,
    export: i.scripts.length + i.manifests.length,
  };
  const have = REPORT_SECTIONS.filter(([id]) => count[id] > 0).map(([, t]) => t);
  const lack = REPORT_SECTIONS.filter(([id]) => count[id] === 0).map(([, t]) => t);
  return { have, lack };
}
