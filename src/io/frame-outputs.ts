import { extname } from 'node:path';
import type { Tensor } from '../ir/tensor.js';
import type { OutputForm } from './stage-file/types.js';
import { writeFileAtomic, writeFolderAsync } from '../util/fs.js';
import { colourMapKind, colourMapPng, type MapSize } from './colour-map.js';
import { encodeNpy } from './npy.js';

/** A tensor or frame name as a file name: letters, digits, '.', '_' and '-' (exporters write "/model/conv/Conv_output_0"). */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+/, '') || 'output';
}

/**
 * A distinct file name (no extension) per name, in order: names that sanitise alike, ignoring case
 * (case-insensitive file systems), get `-2`, `-3`, ... so that no output overwrites another.
 */
export function distinctFileNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = safeFileName(name);
    let file = base;
    for (let i = 2; used.has(file.toLowerCase()); i++) file = `${base}-${i}`;
    used.add(file.toLowerCase());
    return file;
  });
}

/** The folder of each frame's outputs: its id without the extension, file-safe and distinct. */
export function frameFolderNames(ids: readonly string[]): string[] {
  return distinctFileNames(ids.map((id) => id.slice(0, id.length - extname(id).length) || id));
}

/**
 * Writes one frame's outputs into `dir` (made if missing) as one set: each as `<name>.npy`, and where it
 * reads as a segmentation or depth map also as a colour-mapped `<name>.png`, all staged and renamed at
 * the end, so a failure leaves none of them; `forms` (a plan's `io.outputs`) marks outputs that are class
 * ids (`argmax`), drawn one colour per id. A map smaller than `imageSize` (made at a stride) is drawn at
 * that size, upsampled as eval scores it; the .npy keeps the output as it is. Returns the files written
 * (their final paths).
 */
export async function writeFrameOutputs(outputs: Readonly<Record<string, Tensor>>, dir: string, forms: Readonly<Record<string, OutputForm>> = {}, imageSize?: MapSize): Promise<string[]> {
  const entries = Object.entries(outputs);
  const names = distinctFileNames(entries.map(([name]) => name));
  return writeFolderAsync(dir, async (out) => {
    const written: string[] = [];
    for (const [i, [name, t]] of entries.entries()) {
      writeFileAtomic(out.at(`${names[i]}.npy`), encodeNpy(t));
      written.push(out.final(`${names[i]}.npy`));
      const kind = colourMapKind(t, forms[name]);
      if (kind !== undefined) {
        const [h, w] = [t.dims.at(-2)!, t.dims.at(-1)!];
        const strided = imageSize !== undefined && h <= imageSize.height && w <= imageSize.width && (h < imageSize.height || w < imageSize.width);
        writeFileAtomic(out.at(`${names[i]}.png`), await colourMapPng(t, kind, strided ? imageSize : undefined));
        written.push(out.final(`${names[i]}.png`));
      }
    }
    return written;
  });
}
