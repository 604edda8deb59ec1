import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { TandemError } from './errors.js';
import { printable } from './text.js';

/**
 * Every file tandem reads is opened here and every set of files it writes is checked and staged here:
 * one place that refuses what is not a regular file, outputs that would land on an input, and output
 * paths of the wrong kind, before any long work starts.
 */

/** A read or stat error as a TandemError that names the path. */
export function ioError(path: string, e: unknown): TandemError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const p = printable(path);
  if (code === 'ENOENT') return new TandemError('FILE_NOT_FOUND', `${p}: no such file; check the path`, { cause: e });
  if (code === 'EISDIR') return new TandemError('IO', `${p} is a directory, not a file`, { cause: e });
  if (code === 'EACCES') return new TandemError('IO', `${p}: permission denied`, { cause: e });
  if (code === 'ENOTDIR') return new TandemError('FILE_NOT_FOUND', `${p}: a part of the path is a file, not a folder; check the path`, { cause: e });
  if (code === 'ELOOP') return new TandemError('IO', `${p}: too many symbolic links (a loop?)`, { cause: e });
  if (code === 'ENAMETOOLONG') return new TandemError('IO', `${p}: the name is too long`, { cause: e });
  return new TandemError('IO', `${p}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface OpenedFile {
  readonly fd: number;
  /** Size in bytes when opened. */
  readonly size: number;
}

/**
 * Opens a file for reading and refuses (code `IO`) anything that is not a regular file before a byte is
 * read: a FIFO would block forever, /dev/zero (also through a symbolic link) never ends. The open is
 * non-blocking so that opening a FIFO cannot hang; the type is checked on the descriptor (fstat), not
 * the name, so the answer holds for the file actually read.
 */
export function openRegularFile(path: string, what = 'file'): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new TandemError('IO', `${printable(path)} is ${kindOf(st)}, not a regular file; give the path of a ${what}`, { details: { path } });
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    if (e instanceof TandemError) throw e;
    throw ioError(path, e);
  }
}

/** Reads `length` bytes at `position` of an open file; refuses a file that ends early. */
export function readExactly(fd: number, buf: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      n = readSync(fd, buf, done, buf.length - done, position + done);
    } catch (e) {
      throw ioError(path, e);
    }
    if (n === 0) throw new TandemError('IO', `${printable(path)}: file ended at byte ${position + done} while reading; it changed or was truncated during the read`);
    done += n;
  }
}

export interface ReadFileOptions {
  /** Largest file read; larger ones are refused before reading. */
  maxBytes: number;
  /** What the file should be, for messages ("ONNX model", "calibration cache"). @default 'file' */
  what?: string;
}

/** Reads a whole regular file (see openRegularFile), refusing one over `maxBytes` before reading it. */
export function readRegularFile(path: string, options: ReadFileOptions): Buffer {
  const { fd, size } = openRegularFile(path, options.what);
  try {
    if (size > options.maxBytes) {
      throw new TandemError('IO', `${printable(path)} is ${size} bytes; a ${options.what ?? 'file'} of more than ${options.maxBytes} bytes is not read`, { details: { path, size } });
    }
    const out = Buffer.alloc(size);
    readExactly(fd, out, 0, path);
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole regular text file as UTF-8 (see readRegularFile). */
export function readTextFile(path: string, options: ReadFileOptions): string {
  return readRegularFile(path, options).toString('utf8');
}

/**
 * The real path a file has or will have: symbolic links in the part of the path that exists are
 * resolved, the rest is appended. Two paths with the same real path name the same file.
 */
export function realPathOf(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(realPathOf(parent), basename(abs));
  }
}

/**
 * Refuses (code `FILE_EXISTS`) any output whose real path is the real path of a file the command reads:
 * inputs given through symbolic links, external-data files, .npy feeds. No command writes over a file it read.
 */
export function assertOutputsFree(outputs: readonly string[], inputs: readonly string[]): void {
  const read = new Map<string, string>();
  for (const i of inputs) read.set(realPathOf(i), i);
  for (const o of outputs) {
    const hit = read.get(realPathOf(o));
    if (hit !== undefined) {
      const same = resolve(hit) === resolve(o) ? '' : ` (the same file as ${printable(o)})`;
      throw new TandemError('FILE_EXISTS', `output ${printable(o)} would overwrite the input ${printable(hit)}${same}; tandem never writes over its input (or any file it reads) — choose another output path`, {
        details: { output: o, input: hit },
      });
    }
  }
}

/** An input a command reads, with what it is for messages ("the plan's folder", "the input frames folder"). */
export interface ReadPath {
  readonly path: string;
  /** @default 'the input' */
  readonly what?: string;
}

/** Options of `assertFolderFree`. */
export interface FolderFreeOptions {
  /**
   * The names the command writes directly in the folder (files or subfolders: frame ids, `stages`,
   * `manifest.json`). An input the folder holds is refused only when one of them is, or holds, it.
   * @default none given: any input inside the folder is refused
   */
  readonly entries?: readonly string[];
  /** How the folder is named in messages. @default 'output folder' */
  readonly flag?: string;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Refuses (code `FILE_EXISTS`) an output folder where writing could overwrite or change an input, by
 * real path (symbolic links resolved): the folder is an input, lies inside an input folder (the plan's
 * folder, an input frames folder), or holds an input that one of its `entries` would land on or in.
 */
export function assertFolderFree(dir: string, inputs: readonly (string | ReadPath)[], options: FolderFreeOptions = {}): void {
  const out = realPathOf(dir);
  const named = `${options.flag ?? 'output folder'} ${printable(dir)}`;
  const entries = options.entries === undefined ? undefined : new Set(options.entries.map((e) => e.toLowerCase()));
  for (const input of inputs) {
    const { path, what = 'the input' } = typeof input === 'string' ? { path: input } : input;
    const real = realPathOf(path);
    const quoted = `${what} ${printable(path)}`;
    const fail = (message: string): never => {
      throw new TandemError('FILE_EXISTS', message, { details: { output: dir, input: path } });
    };
    if (real === out) fail(`${named} is ${quoted}${resolve(path) === resolve(dir) ? '' : ` (through a symbolic link)`}; tandem never writes into what it reads — choose a folder outside it`);
    if (isInside(out, real)) fail(`${named} lies inside ${quoted}; writing there would change what this command reads — choose a folder outside ${printable(path)}`);
    if (isInside(real, out)) {
      const first = relative(out, real).split(sep)[0]!;
      if (entries === undefined) fail(`${named} holds ${quoted}; this command writes anywhere in its output folder — choose a folder that holds none of its inputs`);
      else if (entries.has(first.toLowerCase())) fail(`${named} holds ${quoted}, and this command writes ${printable(join(dir, first))} — choose another output folder`);
    }
  }
}

/** Refuses an output path that names one of the inputs: no command writes over its input. */
export function assertNotInput(output: string, inputs: readonly string[]): void {
  assertOutputsFree([output], inputs);
}

/** The nearest part of `path` that exists (itself, or a parent), with its stats. */
function nearestExisting(path: string): { path: string; stat: Stats } {
  let p = resolve(path);
  for (;;) {
    try {
      return { path: p, stat: statSync(p) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw ioError(p, e);
      const parent = dirname(p);
      if (parent === p) throw ioError(p, e);
      p = parent;
    }
  }
}

/**
 * Checks an output folder before any work (code `OUTPUT_PATH`): it is a folder or can be made one. An
 * existing file there, or a file where a parent folder should be, is refused.
 */
export function checkOutputDir(dir: string, flag = '-o'): void {
  const near = nearestExisting(dir);
  if (near.path === resolve(dir)) {
    if (!near.stat.isDirectory()) throw new TandemError('OUTPUT_PATH', `${flag} ${printable(dir)} is an existing file, not a folder; this command writes several files into a folder — give a folder path`);
    return;
  }
  if (!near.stat.isDirectory()) throw new TandemError('OUTPUT_PATH', `${flag} ${printable(dir)}: ${printable(near.path)} is a file, so the folder cannot be made there — give another folder path`);
}

/**
 * Checks an output file path before any work (code `OUTPUT_PATH`): not an existing folder, and its
 * folder exists or can be made.
 */
export function checkOutputFile(file: string, flag = '-o'): void {
  const near = nearestExisting(file);
  if (near.path === resolve(file)) {
    if (near.stat.isDirectory()) throw new TandemError('OUTPUT_PATH', `${flag} ${printable(file)} is an existing folder; this command writes one file — give a file path such as ${printable(join(file, 'model.onnx'))}`);
    if (!near.stat.isFile()) throw new TandemError('OUTPUT_PATH', `${flag} ${printable(file)} is not a regular file; give a file path`);
    return;
  }
  if (!near.stat.isDirectory()) throw new TandemError('OUTPUT_PATH', `${flag} ${printable(file)}: ${printable(near.path)} is a file, so the folder cannot be made there — give another path`);
}

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
    throw new TandemError('IO', `cannot write ${printable(path)}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A set of output files written together: each is written under a hidden staging folder, and all are
 * renamed to their final names by `commit()`. A failure before `commit()` (and `discard()`) leaves no
 * final-named file. When the folder did not exist, the staging folder itself is renamed into place.
 */
export class StagedFolder {
  readonly dir: string;
  readonly staging: string;
  /** The folder did not exist: the staging folder becomes it. */
  readonly #created: boolean;
  #done = false;

  private constructor(dir: string, staging: string, created: boolean) {
    this.dir = dir;
    this.staging = staging;
    this.#created = created;
  }

  /** Checks `dir` (see checkOutputDir) and makes a staging folder next to or inside it. */
  static begin(dir: string, flag = '-o'): StagedFolder {
    checkOutputDir(dir, flag);
    const abs = resolve(dir);
    try {
      let exists = true;
      try {
        statSync(abs);
      } catch {
        exists = false;
      }
      if (exists) return new StagedFolder(dir, mkdtempSync(join(abs, '.tandem-tmp-')), false);
      mkdirSync(dirname(abs), { recursive: true });
      return new StagedFolder(dir, mkdtempSync(join(dirname(abs), `.${basename(abs)}.tandem-tmp-`)), true);
    } catch (e) {
      throw new TandemError('IO', `cannot make the output folder ${printable(dir)}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Where to write `rel` (a path relative to the output folder) before commit. Parent folders are made. */
  at(rel: string): string {
    const p = join(this.staging, rel);
    if (relative(this.staging, p).startsWith('..')) throw new TandemError('OUTPUT_PATH', `output name ${printable(rel)} leaves the output folder`);
    mkdirSync(dirname(p), { recursive: true });
    return p;
  }

  /** The final path of `rel`. */
  final(rel: string): string {
    return join(this.dir, rel);
  }

  /** Moves every staged file to its final name. */
  commit(): void {
    if (this.#done) return;
    const abs = resolve(this.dir);
    try {
      if (this.#created) {
        try {
          renameSync(this.staging, abs);
          this.#done = true;
          return;
        } catch {
          mkdirSync(abs, { recursive: true }); // made meanwhile by someone else: move file by file
        }
      }
      // Everything that can fail is checked before the first rename: folders made, no folder in a file's place.
      const files = listFiles(this.staging);
      for (const rel of files) {
        mkdirSync(dirname(join(abs, rel)), { recursive: true });
        if (isDirectory(join(abs, rel))) throw new Error(`${printable(join(this.dir, rel))} is a folder`);
      }
      for (const rel of files) renameSync(join(this.staging, rel), join(abs, rel));
      rmSync(this.staging, { recursive: true, force: true });
      this.#done = true;
    } catch (e) {
      throw new TandemError('IO', `cannot move the outputs into ${printable(this.dir)}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Removes the staging folder and everything in it (idempotent; a no-op after commit). */
  discard(): void {
    if (this.#done) return;
    this.#done = true;
    rmSync(this.staging, { recursive: true, force: true });
  }
}

/** Runs `write` against a staged folder and commits it; on any failure nothing final-named is left. */
export function writeFolder<T>(dir: string, write: (out: StagedFolder) => T, flag = '-o'): T {
  const out = StagedFolder.begin(dir, flag);
  try {
    const result = write(out);
    out.commit();
    return result;
  } finally {
    out.discard();
  }
}

/** The same for writers that await. */
export async function writeFolderAsync<T>(dir: string, write: (out: StagedFolder) => Promise<T>, flag = '-o'): Promise<T> {
  const out = StagedFolder.begin(dir, flag);
  try {
    const result = await write(out);
    out.commit();
    return result;
  } finally {
    out.discard();
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Files (not folders) under `dir`, as paths relative to it. */
function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix))) {
    const rel = join(prefix, name);
    if (lstatSync(join(dir, rel)).isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}
