import { Inflate } from 'fflate';
import { TandemError } from '../util/errors.js';
import { quote } from '../util/text.js';

/**
 * A zip archive's table of contents, read from its central directory without inflating anything, and
 * one entry inflated at a time with a cap on its output: a zip bomb is refused from its declared sizes,
 * and an archive that lies about a size is refused as soon as its output passes the declared size.
 */

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly compressedSize: number;
  /** What the central directory declares. */
  readonly size: number;
  readonly localOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
/** Compressed bytes fed to the inflater per step: bounds one step's output to about 64 MiB. */
const STEP = 64 * 1024;

function u64(v: DataView, at: number): number {
  const n = v.getBigUint64(at, true);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** The entries of a zip archive (code `NPY_PARSE` for anything that is not a readable zip). */
export function readZipDirectory(bytes: Uint8Array, where: string): ZipEntry[] {
  const fail = (what: string): never => {
    throw new TandemError('NPY_PARSE', `${where}: ${what}; expected a .npz archive (np.savez / np.savez_compressed)`);
  };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let eocd = -1;
  for (let at = len - 22; at >= 0 && at >= len - 22 - 0xffff; at--) {
    if (v.getUint32(at, true) === SIG_EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return fail('not a zip archive (no end-of-central-directory record)');
  let count = v.getUint16(eocd + 10, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  if (eocd >= 20 && v.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
    const z = u64(v, eocd - 12);
    if (z + 56 > len || v.getUint32(z, true) !== SIG_ZIP64_EOCD) return fail('broken zip64 end-of-central-directory record');
    count = u64(v, z + 32);
    cdOffset = u64(v, z + 48);
  }
  // Each central-directory entry takes at least 46 bytes: a count the file cannot hold is a lie.
  if (count > (len - Math.min(cdOffset, len)) / 46) return fail(`declares ${count} entries, more than its ${len} bytes can hold`);
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');
  for (let i = 0; i < count; i++) {
    if (at + 46 > len || v.getUint32(at, true) !== SIG_CENTRAL) return fail(`central directory entry ${i} is missing or corrupt`);
    const flags = v.getUint16(at + 8, true);
    const method = v.getUint16(at + 10, true);
    let compressedSize = v.getUint32(at + 20, true);
    let size = v.getUint32(at + 24, true);
    const nameLen = v.getUint16(at + 28, true);
    const extraLen = v.getUint16(at + 30, true);
    const commentLen = v.getUint16(at + 32, true);
    let localOffset = v.getUint32(at + 42, true);
    const end = at + 46 + nameLen + extraLen + commentLen;
    if (end > len) return fail(`central directory entry ${i} runs past the end of the file`);
    const name = ((flags & 0x800) !== 0 ? utf8 : latin1).decode(bytes.subarray(at + 46, at + 46 + nameLen));
    if ((flags & 1) !== 0) return fail(`entry ${quote(name)} is encrypted`);
    for (let x = at + 46 + nameLen; x + 4 <= at + 46 + nameLen + extraLen; ) {
      const id = v.getUint16(x, true);
      const n = v.getUint16(x + 2, true);
      if (id === 0x0001) {
        let p = x + 4;
        const take = (): number => {
          if (p + 8 > x + 4 + n) return fail(`entry ${quote(name)} has a short zip64 field`);
          const r = u64(v, p);
          p += 8;
          return r;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      x += 4 + n;
    }
    entries.push({ name, method, compressedSize, size, localOffset });
    at = end;
  }
  return entries;
}

/**
 * Inflates one entry; refuses (code `NPY_PARSE`) an entry whose data would run past the file or whose
 * output passes its declared size, stopping there. `check(head)` sees the first `headBytes` bytes of
 * output (or all of it, if shorter) before the output buffer is allocated: it vets the declared sizes.
 */
export function readZipEntry(bytes: Uint8Array, e: ZipEntry, where: string, headBytes: number, check: (head: Uint8Array) => void): Uint8Array {
  const fail = (what: string): never => {
    throw new TandemError('NPY_PARSE', `${where}: entry ${quote(e.name)} ${what}`);
  };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.localOffset + 30 > bytes.length || v.getUint32(e.localOffset, true) !== SIG_LOCAL) return fail('has no local header where the directory says');
  const start = e.localOffset + 30 + v.getUint16(e.localOffset + 26, true) + v.getUint16(e.localOffset + 28, true);
  if (start + e.compressedSize > bytes.length) return fail(`declares ${e.compressedSize} compressed bytes past the end of the archive`);
  const data = bytes.subarray(start, start + e.compressedSize);
  if (e.method === 0) {
    if (e.compressedSize !== e.size) return fail(`is stored with ${e.compressedSize} bytes but declares ${e.size}`);
    check(data.subarray(0, headBytes));
    return new Uint8Array(data);
  }
  if (e.method !== 8) return fail(`uses compression method ${e.method}; only stored and deflate are read`);
  const head: Uint8Array[] = [];
  let headFill = 0;
  let out: Uint8Array | undefined;
  let filled = 0;
  const append = (chunk: Uint8Array): void => {
    if (filled + chunk.length > out!.length) fail(`inflates to more than its declared ${e.size} bytes; the archive is corrupt or crafted`);
    out!.set(chunk, filled);
    filled += chunk.length;
  };
  const startOutput = (): void => {
    const h = concat(head, headFill);
    check(h.subarray(0, Math.min(headBytes, h.length)));
    out = new Uint8Array(e.size);
    head.length = 0;
    append(h);
  };
  const inflater = new Inflate((chunk) => {
    if (out !== undefined) return append(chunk);
    head.push(chunk);
    headFill += chunk.length;
    if (headFill >= headBytes) startOutput();
  });
  // Small steps until the head is vetted, then bigger ones: the output of one step stays bounded.
  let pos = 0;
  try {
    do {
      const next = Math.min(pos + (out === undefined ? 1024 : STEP), data.length);
      inflater.push(data.subarray(pos, next), next === data.length);
      pos = next;
    } while (pos < data.length);
  } catch (err) {
    if (err instanceof TandemError) throw err;
    return fail(`cannot be inflated: ${(err as Error).message}`);
  }
  if (out === undefined) startOutput();
  if (filled !== e.size) return fail(`inflates to ${filled} bytes but declares ${e.size}`);
  return out!;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
