import { quote } from '../../util/text.js';
import { TandemError } from '../../util/errors.js';
import { OrtEngine } from './ort-engine.js';
import { ENGINE_NAMES, type Engine, type EngineName } from './types.js';

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/** The engine of that name. Throws TandemError `UNKNOWN_NAME` listing the engines that exist. */
export function getEngine(name: string): Engine {
  if (!isEngineName(name)) {
    throw new TandemError('UNKNOWN_NAME', `unknown engine ${quote(name)}; engines: ${ENGINE_NAMES.join(', ')}`);
  }
  return new OrtEngine(name);
}
