import { createRegistry } from '../../util/registry.js';
import { OrtEngine } from './ort-engine.js';
import type { Engine, EngineName } from './types.js';

/** The engines by name (in ENGINE_NAMES order), each a factory: every `getEngine` call gets a fresh engine. */
export const ENGINE_REGISTRY = createRegistry('engine', {
  cpu: () => new OrtEngine('cpu'),
  webgpu: () => new OrtEngine('webgpu'),
  cuda: () => new OrtEngine('cuda'),
  tensorrt: () => new OrtEngine('tensorrt'),
  'dla-emulated': () => new OrtEngine('dla-emulated'),
} satisfies Readonly<Record<EngineName, () => Engine>>);

export function isEngineName(name: string): name is EngineName {
  return ENGINE_REGISTRY.has(name);
}

/** The engine of that name. Throws TandemError `UNKNOWN_NAME` listing the engines that exist. */
export function getEngine(name: string): Engine {
  return ENGINE_REGISTRY.get(name)();
}
