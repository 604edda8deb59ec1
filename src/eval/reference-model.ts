import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TandemError } from '../util/errors.js';

/** tandem's trained multi-task reference (assets/models/README.md says how it was trained). */
export const REFERENCE_MODEL_FILE = join('assets', 'models', 'tandem-street.onnx');

/** The trained reference model's path, found from this file upwards (works from src/ under tsx and from dist/). */
export function referenceModelPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, REFERENCE_MODEL_FILE);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new TandemError('FILE_NOT_FOUND', `the trained reference model ${REFERENCE_MODEL_FILE} is not in this installation; run from a checkout of tandem, or use the random-weight builder (tandem demo --random)`);
}
