import { closeSync } from 'node:fs';
import { zipSync } from 'fflate';
import { TandemError } from '../util/errors.js';
import { openRegularFile, readExactly, readRegularFile } from '../util/fs.js';
import { checkedElementCount } from '../util/limits.js';
import { NPY_MAGIC, startsWith } from '../util/file-kind.js';
import { printable, quote } from '../util/text.js';
import { byteSize, DATA_TYPES, type DataType } from '../ir/dtype.js';
import { Tensor, type TensorData } from '../ir/tensor.js';
import { readZipDirectory, readZipEntry } from './zip.js';

/** NumPy `descr` codes ↔ tandem data types (little-endian; single-byte types have no byte order). */
const DESCR: Readonly<Record<string, DataType>> = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '|i1': 'int8', '|u1': 'uint8', '<i2': 'int16', '<u2': 'uint16',
  '<i4': 'int32', '<u4': 'uint32', '<i8': 'int64', '<u8': 'uint64', '|b1': 'bool', '<c8': 'complex64', '<c16': 'complex128',
};
const DESCR_OF = new Map<DataType, string>(Object.entries(DESCR).map(([k, v]) => [v, k]));


/** Largest .npy header we accept; NumPy writes a few hundred bytes. */
const MAX_HEADER = 1 << 16;

/** What a .npy header declares. */
export interface NpyHeader {
  readonly dtype: DataType;
  readonly dims: readonly number[];
  /** Offset of the array data. */
  readonly dataStart: number;
  /** Bytes of array data the header's shape and dtype need. */
  readonly dataBytes: number;
}

/** The most bytes a .npy header can take (magic, version, length, header): what is read to parse it. */
export const NPY_HEAD_BYTES = 12 + MAX_HEADER;

/**
 * Parses a .npy header from the first bytes of a file (the data need not be present). Refuses a shape
 * over tandem's element limit before anything is allocated for it.
 */
export function parseNpyHeader(bytes: Uint8Array, where = '<npy>'): NpyHeader {
  const fail = (what: string): never => {
    throw new TandemError('NPY_PARSE', `${where}: ${what}; expected a NumPy .npy file (np.save)`);
  };
  if (bytes.length < 10 || !startsWith(bytes, NPY_MAGIC)) fail('missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  if (major < 1 || major > 3) fail(`unsupported format version ${major}.${bytes[7]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : fail('truncated header');
  const headerStart = major === 1 ? 10 : 12;
  if (headerLen > MAX_HEADER || headerStart + headerLen > bytes.length) fail(`header length ${headerLen} runs past the end of the file`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1] ?? fail('header has no descr');
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] ?? fail('header has no fortran_order');
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail('header has no shape');
  if (fortran === 'True') fail('Fortran-order arrays are not supported; save with np.ascontiguousarray(x)');
  const dtype =
    DESCR[descr.replace(/^=/, '<')] ??
    (descr.startsWith('>') ? fail(`big-endian dtype ${quote(descr)} is not supported; convert with x.astype(x.dtype.newbyteorder("<"))`) : fail(`dtype ${quote(descr)} is not supported (supported: ${Object.keys(DESCR).join(' ')})`));
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : fail(`bad shape entry ${quote(s)}`)));
  const count = checkedElementCount(dims, `${where}: the array`, { remedy: 'save smaller arrays (one sample per file)', code: 'NPY_PARSE' });
  return { dtype, dims, dataStart: headerStart + headerLen, dataBytes: byteSize(dtype, count) };
}

function sizeMismatch(where: string, h: NpyHeader, found: number): TandemError {
  return new TandemError('NPY_PARSE', `${where}: shape (${h.dims.join(', ')}) of ${h.dtype} needs ${h.dataBytes} data bytes, the file has ${found}; expected a NumPy .npy file (np.save)`);
}

function tensorOf(h: NpyHeader, data: Uint8Array): Tensor {
  const Ctor = DATA_TYPES[h.dtype].array!;
  // data must be a real copy at offset 0: Buffer#slice is a view, not a copy.
  return new Tensor(h.dtype, h.dims, new Ctor(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength / Ctor.BYTES_PER_ELEMENT) as TensorData);
}

/** Parses a .npy file's bytes into a tensor (data copied into an aligned buffer). */
export function decodeNpy(bytes: Uint8Array, where = '<npy>'): Tensor {
  const h = parseNpyHeader(bytes, where);
  if (bytes.length - h.dataStart !== h.dataBytes) throw sizeMismatch(where, h, bytes.length - h.dataStart);
  return tensorOf(h, new Uint8Array(bytes.subarray(h.dataStart)));
}

/** Encodes a tensor as .npy (format 1.0). */
export function encodeNpy(t: Tensor): Uint8Array {
  const descr = DESCR_OF.get(t.dtype);
  if (descr === undefined) throw new TandemError('NPY_PARSE', `tensor ${quote(t.name)} of type ${t.dtype} has no NumPy equivalent`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = t.rawBytes();
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** Most bytes all arrays of one .npz may declare together. */
const MAX_NPZ_BYTES = 4 * 1024 ** 3;

/**
 * Parses a .npz archive (np.savez / np.savez_compressed) into named tensors. Sizes are checked from the
 * zip directory and each array's .npy header before an entry is inflated, and inflation stops at the
 * declared size: a zip bomb is refused without being inflated.
 */
export function decodeNpz(bytes: Uint8Array, where = '<npz>'): Map<string, Tensor> {
  const entries = readZipDirectory(bytes, where).filter((e) => e.name.endsWith('.npy'));
  const declared = entries.reduce((n, e) => n + e.size, 0);
  if (declared > MAX_NPZ_BYTES) {
    throw new TandemError('NPY_PARSE', `${where}: its arrays declare ${declared} bytes in all, over the ${MAX_NPZ_BYTES}-byte limit for one .npz; save one sample per file`);
  }
  const out = new Map<string, Tensor>();
  for (const e of entries) {
    const name = e.name.slice(0, -4);
    const at = `${where}:${quote(e.name)}`;
    let header: NpyHeader | undefined;
    const bytesOf = readZipEntry(bytes, e, where, NPY_HEAD_BYTES, (head) => {
      header = parseNpyHeader(head, at);
      if (header.dataStart + header.dataBytes !== e.size) throw sizeMismatch(at, header, e.size - header.dataStart);
    });
    if (out.has(name)) throw new TandemError('NPY_PARSE', `${where}: array ${quote(name)} appears twice`);
    const t = tensorOf(header!, bytesOf.subarray(header!.dataStart).slice());
    t.name = name;
    out.set(name, t);
  }
  return out;
}

/** Encodes tensors by name as a NumPy .npz archive (uncompressed; one .npy member per tensor). */
export function encodeNpz(tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  return zipSync(Object.fromEntries(entries.map(([k, t]) => [`${k}.npy`, encodeNpy(t)])), { level: 0 });
}

/** Largest .npz file read into memory at once. */
const MAX_FILE = 4 * 1024 ** 3;

/** Reads a .npy file: the header first (shape checked against the element limit), then exactly the data it declares. */
export function readNpy(path: string): Tensor {
  const where = printable(path);
  const { fd, size } = openRegularFile(path, 'NumPy .npy file');
  try {
    const head = new Uint8Array(Math.min(size, NPY_HEAD_BYTES));
    readExactly(fd, head, 0, path);
    const h = parseNpyHeader(head, where);
    if (size - h.dataStart !== h.dataBytes) throw sizeMismatch(where, h, size - h.dataStart);
    const data = new Uint8Array(h.dataBytes);
    readExactly(fd, data, h.dataStart, path);
    return tensorOf(h, data);
  } finally {
    closeSync(fd);
  }
}

/** Reads a .npz file. */
export function readNpz(path: string): Map<string, Tensor> {
  return decodeNpz(readRegularFile(path, { maxBytes: MAX_FILE, what: 'NumPy .npz archive' }), printable(path));
}
