import { join } from 'node:path';
import type { Deployment } from '../../plan/index.js';
import { planDeployment } from '../../plan/index.js';
import { getEngine } from '../../runtime/engines/registry.js';
import { semanticsOpener } from '../../runtime/host-engines.js';
import { formatDeployment, hostEngines } from '../commands/plan.js';
import type { CliContext } from '../context.js';
import { progressBars } from '../progress-events.js';

/**
 * Demo step: plans the split for `orin` (the webinar layout, modelled; written for the target) and
 * for `host` (stages timed on this machine's engines), each with INT8 heads calibrated on generated
 * inputs; prints both plans and where they are.
 */
export async function planStep(splitPath: string, ctx: CliContext, options: { workDir: string; samples: number }): Promise<{ orin: Deployment; host: Deployment }> {
  const common = { opener: getEngine('cpu'), verifyOpener: semanticsOpener, generatedSamples: options.samples };
  ctx.print('── plan for orin: trunk FP16 on the GPU, heads INT8 on the two DLAs (modelled; no Orin here)');
  const orinProgress = progressBars(ctx);
  const orin = await planDeployment({ splitPath }, { ...common, target: 'orin', out: join(options.workDir, 'plan-orin'), onProgress: orinProgress.onProgress });
  orinProgress.stop();
  for (const line of formatDeployment(orin)) ctx.print(line === '' ? '' : `  ${line}`);
  ctx.print('');
  ctx.print('── plan for host: every stage timed on the engines of this machine, the fastest pipeline chosen');
  const hostProgress = progressBars(ctx);
  const host = await planDeployment({ splitPath }, { ...common, target: 'host', out: join(options.workDir, 'plan-host'), engines: await hostEngines(ctx), onProgress: hostProgress.onProgress });
  hostProgress.stop();
  for (const line of formatDeployment(host)) ctx.print(line === '' ? '' : `  ${line}`);
  return { orin, host };
}
