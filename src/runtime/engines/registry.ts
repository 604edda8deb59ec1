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

/**
 * The engine of that name. Throws TandemError `UNKNOWN_NAME` listing the engines that exist.
 *
 * @example
 * ```ts
 * const session = await getEngine('cpu').open('model.onnx', { threads: 2 });
 * try {
 *   const outputs = await session.run({ input: new Tensor('float32', [1, 3, 224, 224], new Float32Array(3 * 224 * 224)) });
 *   console.log(Object.keys(outputs));
 * } finally {
 *   await session.close();
 * }
 * ```
 */
export function getEngine(name: string): Engine {
  return ENGINE_REGISTRY.get(name)();
}
