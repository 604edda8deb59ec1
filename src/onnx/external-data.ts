import { closeSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { TandemError, isTandemError } from '../util/errors.js';
import { openRegularFile, readExactly } from '../util/fs.js';
import { printable, quote } from '../util/text.js';
import type { ExternalDataInfo, TensorSource } from '../ir/tensor.js';

/**
 * Checks an external-data `location` before any file is touched: it must be a relative POSIX path with
 * no `..` segment (the ONNX spec: relative to the model's folder). Throws `EXTERNAL_DATA_PATH`.
 */
export function checkExternalLocation(location: string, tensorName: string): void {
  const refuse = (why: string): never => {
    throw new TandemError(
      'EXTERNAL_DATA_PATH',
      `tensor ${quote(tensorName)}: external data location ${quote(location)} ${why}; tandem only reads external data inside the model's folder — move the data file next to the model and use a relative path`,
      { details: { location, tensor: tensorName } },
    );
  };
  if (location === '') refuse('is empty');
  if (location.includes('\0')) refuse('contains a NUL byte');
  if (isAbsolute(location) || /^[a-zA-Z]:[\\/]/.test(location) || location.startsWith('\\')) refuse('is an absolute path');
  if (location.split(/[\\/]/).some((seg) => seg === '..')) refuse('contains a ".." segment');
}

/** Parses the `offset`/`length` strings of external_data: decimal non-negative integers. */
export function parseExternalNumber(value: string | undefined, key: string, tensorName: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new TandemError('EXTERNAL_DATA', `tensor ${quote(tensorName)}: external data ${key} ${quote(value)} is not a non-negative integer`);
  }
  return Number(value);
}

/**
 * Resolves `location` inside `baseDir`, following symlinks, and refuses anything whose real path
 * leaves the real `baseDir`. Returns the real path of the data file.
 */
export function resolveExternalPath(baseDir: string, location: string, tensorName: string): string {
  checkExternalLocation(location, tensorName);
  let realBase: string;
  let realFile: string;
  try {
    realBase = realpathSync(baseDir);
  } catch (e) {
    throw new TandemError('EXTERNAL_DATA', `tensor ${quote(tensorName)}: model folder ${printable(baseDir)} cannot be read`, { cause: e });
  }
  try {
    realFile = realpathSync(join(baseDir, location));
  } catch (e) {
    throw new TandemError(
      'EXTERNAL_DATA',
      `tensor ${quote(tensorName)}: external data file ${quote(location)} not found in ${printable(baseDir)}; copy it next to the model`,
      { cause: e, details: { location } },
    );
  }
  const rel = relative(realBase, realFile);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new TandemError(
      'EXTERNAL_DATA_PATH',
      `tensor ${quote(tensorName)}: external data location ${quote(location)} resolves to ${printable(realFile)}, outside the model's folder ${printable(realBase)} (through a symbolic link); refusing to read it`,
      { details: { location, resolved: realFile } },
    );
  }
  return realFile;
}

/**
 * One tensor's bytes in an external data file. Path safety and the offset/length bounds are checked
 * against the real file before a byte is read; the read happens on `read()`.
 */
export class ExternalDataSource implements TensorSource {
  readonly byteLength: number;
  readonly description: string;
  readonly info: ExternalDataInfo;
  readonly #baseDir: string;
  readonly #tensorName: string;

  constructor(baseDir: string, info: ExternalDataInfo, byteLength: number, tensorName: string) {
    this.#baseDir = baseDir;
    this.info = info;
    this.byteLength = byteLength;
    this.#tensorName = tensorName;
    this.description = `external file ${quote(info.location)} at offset ${info.offset}`;
  }

  /** The real path of the data file (checked). */
  get path(): string {
    return resolveExternalPath(this.#baseDir, this.info.location, this.#tensorName);
  }

  read(): Uint8Array {
    const path = this.path;
    let fd: number;
    let size: number;
    try {
      ({ fd, size } = openRegularFile(path, 'external data file'));
    } catch (e) {
      throw new TandemError('EXTERNAL_DATA', `tensor ${quote(this.#tensorName)}: cannot read external data: ${isTandemError(e) ? e.message : String(e)}`, { cause: e });
    }
    try {
      const end = this.info.offset + this.byteLength;
      if (end > size) {
        throw new TandemError(
          'EXTERNAL_DATA',
          `tensor ${quote(this.#tensorName)}: external data needs bytes ${this.info.offset}..${end} of ${quote(this.info.location)}, but the file has ${size} bytes; the data file is truncated or belongs to another model`,
          { details: { offset: this.info.offset, length: this.byteLength, fileSize: size } },
        );
      }
      const out = new Uint8Array(this.byteLength);
      readExactly(fd, out, this.info.offset, path);
      return out;
    } finally {
      closeSync(fd);
    }
  }
}

/** A region of the model file itself, read on first access (lazy loading of inline weights). */
export class FileRegionSource implements TensorSource {
  readonly description: string;
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly byteLength: number,
  ) {
    this.description = `model file at offset ${offset}`;
  }

  read(): Uint8Array {
    let fd: number;
    try {
      ({ fd } = openRegularFile(this.path, 'ONNX model'));
    } catch (e) {
      throw new TandemError('IO', `cannot reopen ${printable(this.path)} to read weights lazily (was it moved?): ${isTandemError(e) ? e.message : String(e)}`, { cause: e });
    }
    try {
      const out = new Uint8Array(this.byteLength);
      readExactly(fd, out, this.offset, this.path);
      return out;
    } finally {
      closeSync(fd);
    }
  }
}
