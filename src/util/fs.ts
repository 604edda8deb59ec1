import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { TandemError } from './errors.js';

/** Writes a file through a temporary name and a rename, so readers never see a half-written file. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new TandemError('IO', `cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Refuses an output path that names one of the inputs: no command writes over its input. */
export function assertNotInput(output: string, inputs: readonly string[]): void {
  const out = resolve(output);
  const hit = inputs.find((i) => resolve(i) === out);
  if (hit !== undefined) {
    throw new TandemError('FILE_EXISTS', `output ${output} is the input ${hit}; tandem never writes over its input — choose another output path`);
  }
}
