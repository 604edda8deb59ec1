import { closeSync } from 'node:fs';
import { ioError, openRegularFile, readExactly } from '../util/fs.js';
import type { ByteSource } from './wire.js';
import { assert } from '../util/errors.js';

/** Bytes fetched per structural read: large enough for a tensor header, small enough to skip weights. */
const WINDOW = 16 * 1024;

/**
 * A model file read on demand with positioned reads: the decoder touches only the bytes of the
 * structure, and weight payloads are read (or skipped) separately. Keeps one descriptor open until closed.
 */
export class FileSource implements ByteSource {
  readonly inMemory = false;
  readonly length: number;
  readonly name: string;
  #fd: number | undefined;
  #win = new Uint8Array(0);
  #winStart = 0;

  constructor(path: string, name = path) {
    this.name = name;
    const opened = openRegularFile(path, 'ONNX model (.onnx)');
    this.#fd = opened.fd;
    this.length = opened.size;
  }

  get fd(): number {
    assert(this.#fd !== undefined, 'FileSource used after close');
    return this.#fd;
  }

  window(pos: number, min: number): { buf: Uint8Array; start: number } {
    if (pos >= this.#winStart && pos + min <= this.#winStart + this.#win.length) return { buf: this.#win, start: this.#winStart };
    const size = Math.min(Math.max(min, WINDOW), this.length - pos);
    const buf = new Uint8Array(Math.max(size, 0));
    this.readInto(buf, pos);
    this.#win = buf;
    this.#winStart = pos;
    return { buf, start: pos };
  }

  slice(pos: number, len: number): Uint8Array {
    if (pos >= this.#winStart && pos + len <= this.#winStart + this.#win.length) {
      const o = pos - this.#winStart;
      return this.#win.slice(o, o + len);
    }
    const out = new Uint8Array(len);
    this.readInto(out, pos);
    return out;
  }

  /** Fills `buf` from absolute offset `pos`. */
  readInto(buf: Uint8Array, pos: number): void {
    readExactly(this.fd, buf, pos, this.name);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

export { ioError };
