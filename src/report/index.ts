/**
 * report/: one self-contained HTML page of a deployment, built from the result files tandem's commands
 * write (analyze, prepare, split, plan, quantize, bench, trace, cost, eval, export). Reads files only,
 * never live engines (no runtime/ import); may use io/ and plan/ types. The page's script and style are
 * TypeScript/CSS sources in page/, compiled into page-assets.ts. Never prints.
 */
import { assertOutputsFree, checkOutputFile, writeFileAtomic } from '../util/fs.js';
import { buildReport, type ReportOptions } from './build-report.js';
import { loadReportInputs, type ReportInputs } from './load-inputs.js';

export { buildReport, REPORT_SECTIONS, type ReportOptions } from './build-report.js';
export { commandFor, kindOf, loadReportInputs, MAX_INPUT_BYTES, type InputKind, type Loaded, type ReportInputs } from './load-inputs.js';
export { layoutGraph, routePath, type Layout, type LayoutEdge, type LayoutNode, type LayoutOptions } from './graph-layout.js';
export { timelineData, type TimelineData } from './timeline-section.js';
export { trtexecCommands, type TrtexecCommand } from './export-section.js';

/** What `writeReport` wrote: the page, its size, and the inputs it read. */
export interface WrittenReport {
  readonly path: string;
  readonly bytes: number;
  readonly inputs: ReportInputs;
}

/**
 * Reads the result files and folders, builds the page and writes it (through a temporary name) to `out`.
 *
 * @example
 * ```ts
 * const report = writeReport(['out/analyze.json', 'out/plan', 'out/bench.json'], 'out/report.html');
 * console.log(`${report.path}: ${report.bytes} bytes`);
 * ```
 */
export function writeReport(paths: readonly string[], out: string, options: ReportOptions = {}): WrittenReport {
  checkOutputFile(out);
  const inputs = loadReportInputs(paths);
  const files = [...inputs.analyses, ...inputs.prepares, ...inputs.stages, ...inputs.quantizes, ...inputs.scales, ...inputs.benches, ...inputs.traces, ...inputs.costs, ...inputs.searches, ...inputs.evals, ...inputs.imports, ...inputs.manifests, ...inputs.scripts, ...inputs.pictures].map((l) => l.file);
  assertOutputsFree([out], [...paths, ...files]);
  const html = buildReport(inputs, options);
  writeFileAtomic(out, html);
  return { path: out, bytes: Buffer.byteLength(html), inputs };
}
