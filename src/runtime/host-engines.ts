import type { HostEngine, Plan } from '../io/stage-file/types.js';
import type { HostEngines } from '../plan/host-choice.js';
import type { SessionOpener } from '../quant/session.js';
import { probeEngine } from './engines/probe.js';
import { getEngine } from './engines/registry.js';
import { benchPipeline } from './pipeline/bench.js';
import { openPipeline } from './pipeline/pipeline.js';

/**
 * The engines that start on this machine, for a host plan: cpu and its DLA emulation always; webgpu
 * where an adapter opens. webgpu is probed only when asked (`webgpu: false` skips it: every stage is
 * pinned elsewhere), once, in a child process: Dawn prints its own "Couldn't load Vulkan" warning on
 * machines without a GPU, which no onnxruntime setting silences (see probeEngine). `notes` says why an
 * engine is missing. With `measureS` > 0 the engines can also run a candidate plan briefly as a pipeline
 * (`measure`: openPipeline, then benchPipeline in pipelined mode for `measureS` seconds after a quarter
 * of that as warm-up), so that planDeployment measures its best-ranked candidates.
 */
export async function detectHostEngines(options: { webgpu?: boolean; measureS?: number } = {}): Promise<{ engines: HostEngines; notes: string[] }> {
  const available: HostEngine[] = ['cpu'];
  const notes: string[] = [];
  if (options.webgpu !== false) {
    const problem = await probeEngine('webgpu');
    if (problem === undefined) available.push('webgpu');
    else notes.push(`webgpu: not timed (${problem.message.split(';')[0]})`);
  }
  available.push('dla-emulated');
  const measureS = options.measureS;
  const measure = async (plan: Plan): Promise<number> => {
    await using pipeline = await openPipeline(plan);
    const r = await benchPipeline(pipeline, { modes: ['pipelined'], durationS: measureS!, warmupS: measureS! / 4 });
    return r.modes[0]!.throughputFps;
  };
  return { engines: { available, open: (e, m) => getEngine(e).open(m), ...(measureS !== undefined && measureS > 0 ? { measure } : {}) }, notes };
}

/** onnxruntime cpu with graph optimizations off: a check that compares ONNX semantics (see PlanOptions.verifyOpener). */
export const semanticsOpener: SessionOpener = { open: (m) => getEngine('cpu').open(m, { graphOptimization: 'disabled' }) };
