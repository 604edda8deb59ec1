import { readFileSync, statSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { TandemError } from '../util/errors.js';
import { byteSize, DATA_TYPES, type DataType } from '../ir/dtype.js';
import { Tensor, elementCount, type TensorData } from '../ir/tensor.js';
import { ioError } from '../onnx/file-source.js';

/** NumPy `descr` codes ↔ tandem data types (little-endian; single-byte types have no byte order). */
const DESCR: Readonly<Record<string, DataType>> = {
  '<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '|i1': 'int8', '|u1': 'uint8', '<i2': 'int16', '<u2': 'uint16',
  '<i4': 'int32', '<u4': 'uint32', '<i8': 'int64', '<u8': 'uint64', '|b1': 'bool', '<c8': 'complex64', '<c16': 'complex128',
};
const DESCR_OF = new Map<DataType, string>(Object.entries(DESCR).map(([k, v]) => [v, k]));

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Largest .npy header we accept; NumPy writes a few hundred bytes. */
const MAX_HEADER = 1 << 16;

/** Parses a .npy file's bytes into a tensor (data copied into an aligned buffer). */
export function decodeNpy(bytes: Uint8Array, where = '<npy>'): Tensor {
  const fail = (what: string): never => {
    throw new TandemError('NPY_PARSE', `${where}: ${what}; expected a NumPy .npy file (np.save)`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('missing the \\x93NUMPY magic');
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
  const dtype = DESCR[descr.replace(/^=/, '<')] ?? (descr.startsWith('>') ? fail(`big-endian dtype ${descr} is not supported; convert with x.astype(x.dtype.newbyteorder("<"))`) : fail(`dtype ${descr} is not supported (supported: ${Object.keys(DESCR).join(' ')})`));
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : fail(`bad shape entry "${s}"`)));
  const dataStart = headerStart + headerLen;
  const count = elementCount(dims);
  const need = byteSize(dtype, count);
  if (bytes.length - dataStart !== need) fail(`shape (${dims.join(', ')}) of ${descr} needs ${need} data bytes, the file has ${bytes.length - dataStart}`);
  const Ctor = DATA_TYPES[dtype].array!;
  // A real copy at offset 0: Buffer#slice (readFileSync gives a Buffer) is a view, not a copy.
  const copy = new Uint8Array(bytes.subarray(dataStart));
  return new Tensor(dtype, dims, new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT) as TensorData);
}

/** Encodes a tensor as .npy (format 1.0). */
export function encodeNpy(t: Tensor): Uint8Array {
  const descr = DESCR_OF.get(t.dtype);
  if (descr === undefined) throw new TandemError('NPY_PARSE', `tensor "${t.name}" of type ${t.dtype} has no NumPy equivalent`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = t.rawBytes();
  const out = new Uint8Array(10 + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** Parses a .npz archive (np.savez / np.savez_compressed) into named tensors. */
export function decodeNpz(bytes: Uint8Array, where = '<npz>'): Map<string, Tensor> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new TandemError('NPY_PARSE', `${where}: not a readable .npz (zip) archive: ${(e as Error).message}`, { cause: e });
  }
  const out = new Map<string, Tensor>();
  for (const [file, content] of Object.entries(files)) {
    if (!file.endsWith('.npy')) continue;
    const name = file.slice(0, -4);
    const t = decodeNpy(content, `${where}:${file}`);
    t.name = name;
    out.set(name, t);
  }
  return out;
}

export function encodeNpz(tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  return zipSync(Object.fromEntries(entries.map(([k, t]) => [`${k}.npy`, encodeNpy(t)])), { level: 0 });
}

/** Largest tensor file read into memory at once. */
const MAX_FILE = 4 * 1024 ** 3;

/** Reads a .npy file. */
export function readNpy(path: string): Tensor {
  return decodeNpy(readTensorFile(path), path);
}

/** Reads a .npz file. */
export function readNpz(path: string): Map<string, Tensor> {
  return decodeNpz(readTensorFile(path), path);
}

function readTensorFile(path: string): Uint8Array {
  try {
    const size = statSync(path).size;
    if (size > MAX_FILE) throw new TandemError('NPY_PARSE', `${path} is ${size} bytes; tensor files over 4 GiB are not read into memory`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof TandemError) throw e;
    throw ioError(path, e);
  }
}
