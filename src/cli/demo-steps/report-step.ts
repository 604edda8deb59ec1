import { join } from 'node:path';
import type { Model } from '../../ir/model.js';
import { saveModel } from '../../onnx/load-save.js';
import type { PrepareReport } from '../../passes/index.js';
import { writeReport } from '../../report/index.js';
import type { EquivalenceReport } from '../../runtime/verify.js';
import { analyze } from '../../targets/index.js';
import { writeFileAtomic } from '../../util/fs.js';
import { prepareJson } from '../commands/prepare.js';
import { formatReportInputs } from '../commands/report.js';
import type { CliContext } from '../context.js';

export interface ReportStepInput {
  /** The demo's output folder: the report reads every result file in it and is written there. */
  readonly workDir: string;
  /** The model file the demo built. */
  readonly modelPath: string;
  /** The model after prepare, its report and its check on onnxruntime (from the prepare step). */
  readonly prepared: Model;
  readonly prepareReport: PrepareReport;
  readonly verification: EquivalenceReport;
}

/**
 * Demo step, the last one: writes the results that earlier steps only printed (the analysis of the
 * prepared model, prepare's report) as the JSON their commands write, then builds the HTML report
 * from everything in the demo folder and prints its path.
 */
export function reportStep(ctx: CliContext, input: ReportStepInput): string {
  ctx.print('── report: one HTML page of all of the above');
  const preparedPath = join(input.workDir, 'multitask.prepared.onnx');
  const saved = saveModel(input.prepared, preparedPath);
  writeFileAtomic(join(input.workDir, 'prepare.json'), `${JSON.stringify(prepareJson(input.modelPath, saved.path, saved.bytes, input.prepareReport, input.verification), null, 2)}\n`);
  const analysis = analyze(input.prepared, { target: input.prepareReport.target, precision: input.prepareReport.precision });
  writeFileAtomic(join(input.workDir, 'analysis.json'), `${JSON.stringify(analysis)}\n`);
  const written = writeReport([input.workDir], join(input.workDir, 'report.html'), { title: 'tandem demo — the multi-task model on Orin GPU + 2 DLAs' });
  for (const line of formatReportInputs(written.inputs)) ctx.print(`  ${line}`);
  ctx.print(`  report: ${written.path} (${(written.bytes / 1024).toFixed(0)} KiB; open it in a browser, it needs no network)`);
  return written.path;
}
