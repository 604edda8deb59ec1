import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { readRegularFile } from '../util/fs.js';
import { PNG_SIGNATURE, startsWith } from '../util/file-kind.js';
import { esc } from './html.js';
import type { Loaded } from './load-inputs.js';
import type { EvalFile } from './schemas.js';

/**
 * Caps on embedded pictures (file bytes; base64 adds a third), so the page stays well under 5 MB:
 * per file and in all.
 */
export const MAX_PICTURE_BYTES = 512 * 1024;
export const MAX_PICTURES_BYTES = 2.25 * 2 ** 20;

/** Every string ending in .png anywhere in a JSON value (eval writes the pictures it saved as paths). */
function pngPaths(value: unknown, out: string[], depth = 0): void {
  if (depth > 8 || out.length > 500) return;
  if (typeof value === 'string') {
    if (/\.png$/i.test(value)) out.push(value);
  } else if (Array.isArray(value)) for (const v of value) pngPaths(v, out, depth + 1);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) pngPaths(v, out, depth + 1);
}

/**
 * The pictures eval saved (input, segmentation, depth, error map per frame) and the PNGs found in the
 * folders given (tandem run's colour-mapped outputs), grouped per frame and embedded as data URIs
 * within the caps.
 */
export function picturesSection(evals: readonly Loaded<EvalFile>[], found: readonly Loaded<undefined>[] = []): { html: string; count: number } {
  const figures: string[] = [];
  const notes: string[] = [];
  let total = 0;
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  const add = (abs: string): void => {
    if (seen.has(abs)) return;
    seen.add(abs);
    // eval names a frame's pictures <frame>-<what>.png; tandem run puts each frame in its own folder
    const stem = basename(abs).replace(/[-_.](input|image|seg\w*|depth\w*|error\w*|err\w*|fp32|int8|label\w*|gt)([-_.].*)?\.png$/i, '');
    const key = stem === basename(abs) ? dirname(abs) : `${dirname(abs)}/${stem}`;
    groups.set(key, [...(groups.get(key) ?? []), abs]);
  };
  for (const e of evals) {
    const paths: string[] = [];
    pngPaths(e.data, paths);
    for (const p of paths) add(isAbsolute(p) ? p : resolve(dirname(e.file), p));
  }
  for (const f of found) add(f.file);
  {
    for (const [key, files] of groups) {
      const cells: string[] = [];
      for (const f of files) {
        if (!existsSync(f)) {
          notes.push(`${f} (named by eval) does not exist`);
          continue;
        }
        const st = statSync(f);
        if (!st.isFile()) {
          notes.push(`${basename(f)} is not a regular file`);
          continue;
        }
        const size = st.size;
        if (size > MAX_PICTURE_BYTES || total + size > MAX_PICTURES_BYTES) {
          notes.push(`${basename(f)} left out: ${size} bytes would pass the cap (${MAX_PICTURE_BYTES} per picture, ${MAX_PICTURES_BYTES} in all)`);
          continue;
        }
        const bytes = readRegularFile(f, { maxBytes: MAX_PICTURE_BYTES, what: 'PNG picture' });
        if (!startsWith(bytes, PNG_SIGNATURE)) {
          notes.push(`${basename(f)} is not a PNG file`);
          continue;
        }
        total += size;
        cells.push(`<figure><img alt="${esc(basename(f))}" src="data:image/png;base64,${bytes.toString('base64')}"><figcaption>${esc(basename(f))}</figcaption></figure>`);
      }
      if (cells.length > 0) figures.push(`<div class="picture-row"><h4>${esc(basename(key))}</h4><div class="pictures">${cells.join('')}</div></div>`);
    }
  }
  const html = figures.join('') + (notes.length > 0 ? `<details><summary>${notes.length} pictures not shown</summary><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></details>` : '');
  return { html, count: figures.length };
}
