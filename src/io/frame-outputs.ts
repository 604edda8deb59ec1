import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../ir/tensor.js';
import type { OutputForm } from './stage-file/types.js';
import { writeFileAtomic } from '../util/fs.js';
import { colourMapKind, colourMapPng } from './colour-map.js';
import { encodeNpy } from './npy.js';

/** A tensor or frame name as a file name: letters, digits, '.', '_' and '-' (exporters write "/model/conv/Conv_output_0"). */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+/, '') || 'output';
}

/**
 * Writes one frame's outputs into `dir` (made if missing): each as `<name>.npy`, and where it reads as a
 * segmentation or depth map also as a colour-mapped `<name>.png`; `forms` (a plan's `io.outputs`) marks
 * outputs that are class ids (`argmax`), drawn one colour per id. Returns the files written.
 */
export async function writeFrameOutputs(outputs: Readonly<Record<string, Tensor>>, dir: string, forms: Readonly<Record<string, OutputForm>> = {}): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, t] of Object.entries(outputs)) {
    const base = join(dir, safeFileName(name));
    writeFileAtomic(`${base}.npy`, encodeNpy(t));
    written.push(`${base}.npy`);
    const kind = colourMapKind(t, forms[name]);
    if (kind !== undefined) {
      writeFileAtomic(`${base}.png`, await colourMapPng(t, kind));
      written.push(`${base}.png`);
    }
  }
  return written;
}
