import type { HostEngine } from '../io/stage-file/types.js';
import type { HostEngines } from '../plan/host-choice.js';
import type { SessionOpener } from '../quant/session.js';
import { probeEngine } from './engines/probe.js';
import { getEngine } from './engines/registry.js';

/**
 * The engines that start on this machine, for a host plan: cpu and its DLA emulation always; webgpu
 * where an adapter opens. webgpu is probed only when asked (`webgpu: false` skips it: every stage is
 * pinned elsewhere), once, in a child process: Dawn prints its own "Couldn't load Vulkan" warning on
 * machines without a GPU, which no onnxruntime setting silences (see probeEngine). `notes` says why an
 * engine is missing.
 */
export async function detectHostEngines(options: { webgpu?: boolean } = {}): Promise<{ engines: HostEngines; notes: string[] }> {
  const available: HostEngine[] = ['cpu'];
  const notes: string[] = [];
  if (options.webgpu !== false) {
    const problem = await probeEngine('webgpu');
    if (problem === undefined) available.push('webgpu');
    else notes.push(`webgpu: not timed (${problem.message.split(';')[0]})`);
  }
  available.push('dla-emulated');
  return { engines: { available, open: (e, m) => getEngine(e).open(m) }, notes };
}

/** onnxruntime cpu with graph optimizations off: a check that compares ONNX semantics (see PlanOptions.verifyOpener). */
export const semanticsOpener: SessionOpener = { open: (m) => getEngine('cpu').open(m, { graphOptimization: 'disabled' }) };
