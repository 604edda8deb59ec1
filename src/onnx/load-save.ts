import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TandemError } from '../util/errors.js';
import { notAModelMessage, sniffFileKind, SNIFF_BYTES } from '../util/file-kind.js';
import { printable } from '../util/text.js';
import type { Model } from '../ir/model.js';
import type { ExternalDataInfo, Tensor } from '../ir/tensor.js';
import { decodeFrom, type DecodeOptions } from './decode.js';
import { allTensors, encodeModelParts, MAX_PROTOBUF_BYTES, type ExternalPlacer } from './encode.js';
import { checkExternalLocation, ExternalDataSource, FileRegionSource } from './external-data.js';
import { FileSource } from './file-source.js';
import { F } from './schema.js';

/** Options of `loadModel`. */
export interface LoadOptions {
  /** 'eager' reads every weight; 'lazy' reads a weight when its `data` is first used. @default 'eager' */
  weights?: 'eager' | 'lazy';
  /** @default 64 */
  maxDepth?: number;
}

/**
 * Reads an ONNX model file. Only the structure is parsed from the model file's bytes; weights are
 * read straight into their own aligned buffers (eager) or left in the file until used (lazy).
 * External data resolves inside the model's folder only.
 *
 * @example
 * ```ts
 * const model = loadModel('model.onnx', { weights: 'lazy' });   // external data resolves next to it
 * console.log(model.graph.inputs, model.opset());
 * ```
 */
export function loadModel(path: string, options: LoadOptions = {}): Model {
  const source = new FileSource(path);
  try {
    if (source.length === 0) throw new TandemError('ONNX_PARSE', `${printable(path)} is empty (0 bytes); expected an ONNX model — the file was not written completely, or this is the wrong path`);
    // A split.json, an .npy or a README given by mistake is named as what it is, before the decoder's "invalid wire type".
    const kind = sniffFileKind(source.slice(0, Math.min(SNIFF_BYTES, source.length)));
    const wrong = notAModelMessage(path, kind);
    if (wrong !== undefined) throw new TandemError('FILE_KIND', wrong, { details: { kind } });
    const decode: DecodeOptions = {
      weights: options.weights ?? 'eager',
      baseDir: dirname(resolve(path)),
      filePath: resolve(path),
      ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
    };
    const model = decodeFrom(source, decode);
    if (model.extra?.presence?.includes(F.model.graph)) {
      throw new TandemError('ONNX_PARSE', `${printable(path)} holds no graph (${source.length} bytes decode as a ModelProto without its graph field); expected an ONNX model`);
    }
    return model;
  } finally {
    source.close();
  }
}

/**
 * The files a model loaded from `path` reads: the model file and each external-data file. Commands
 * pass these to assertOutputsFree so that no output lands on them.
 */
export function modelFiles(model: Model, path: string): string[] {
  const files = new Set([path]);
  const base = model.baseDir ?? dirname(resolve(path));
  for (const t of allTensors(model)) if (t.external !== undefined) files.add(join(base, t.external.location));
  return [...files];
}

/** The files saveModel(model, path) may write with default options: the model and its external-data file. */
export function savedModelFiles(path: string): string[] {
  return [path, join(dirname(path), `${basename(path)}.data`)];
}

/** Options of `saveModel`. */
export interface SaveOptions {
  /**
   * Where tensor data goes: `false` inline; `true` tensors of `externalThreshold` bytes or more into one
   * external file; 'auto' external when the model already used external data or would pass 2 GiB.
   * @default 'auto'
   */
  externalData?: boolean | 'auto';
  /** External data file name, relative to the model's folder. @default `<model file name>.data` */
  externalLocation?: string;
  /** @default 1024 */
  externalThreshold?: number;
  /** Also write inferred shapes as value_info. @default false */
  writeInferred?: boolean;
  /** fsync the files before renaming them into place (survives a power cut; slower). @default false */
  durable?: boolean;
}

/** What `saveModel` wrote: the model file and any external data files. */
export interface SaveResult {
  path: string;
  bytes: number;
  externalPath?: string;
  externalBytes?: number;
  externalTensors: number;
}

/** Offsets of external tensors are aligned so that the data can be mapped or viewed without copying. */
const ALIGN_SMALL = 64;
const ALIGN_LARGE = 4096;
const LARGE = 1 << 20;

/**
 * Writes a model (and its external data) to temporary files and renames them into place, so a failed
 * write never leaves a half-written model. Lazily loaded weights that live in the files being replaced
 * are read first.
 *
 * @example
 * ```ts
 * const { model: prepared } = prepareModel(loadModel('model.onnx'));
 * saveModel(prepared, 'model.prepared.onnx');   // refuses to overwrite an input; written through a temporary name
 * ```
 */
export function saveModel(model: Model, path: string, options: SaveOptions = {}): SaveResult {
  const target = resolve(path);
  const folder = dirname(target);
  const location = options.externalLocation ?? `${basename(target)}.data`;
  checkExternalLocation(location, '(external data file)');
  const dataPath = join(folder, location);
  const threshold = options.externalThreshold ?? 1024;
  const durable = options.durable ?? false;

  const tensors = allTensors(model);
  // Weights still in a file we are about to replace must be read before it is replaced.
  for (const t of tensors) {
    const src = t.source;
    if (src instanceof FileRegionSource && resolve(src.path) === target) void t.data;
    if (src instanceof ExternalDataSource && safeRealPath(src) === resolve(dataPath)) void t.data;
  }

  const mode = options.externalData ?? 'auto';
  let external = mode === true;
  if (mode === 'auto') {
    const inline = tensors.reduce((n, t) => n + t.byteLength, 0);
    external = tensors.some((t) => t.storage === 'external') || inline > MAX_PROTOBUF_BYTES - (64 << 20);
  }

  const placed: { tensor: Tensor; offset: number }[] = [];
  let dataBytes = 0;
  const placer: ExternalPlacer | undefined = external
    ? {
        place(t: Tensor): ExternalDataInfo | undefined {
          if (t.dtype === 'string' || t.byteLength < threshold) return undefined;
          const align = t.byteLength >= LARGE ? ALIGN_LARGE : ALIGN_SMALL;
          const offset = Math.ceil(dataBytes / align) * align;
          dataBytes = offset + t.byteLength;
          placed.push({ tensor: t, offset });
          return {
            location,
            offset,
            length: t.byteLength,
            entries: [
              ['location', location],
              ['offset', String(offset)],
              ['length', String(t.byteLength)],
            ],
          };
        },
      }
    : undefined;

  const encoded = encodeModelParts(model, { ...(placer ? { external: placer } : {}), writeInferred: options.writeInferred ?? false });
  if (encoded.length > MAX_PROTOBUF_BYTES) {
    throw new TandemError(
      'ONNX_ENCODE',
      `the model's structure alone encodes to ${encoded.length} bytes, over protobuf's 2 GiB limit, even with external data${external ? '' : ' (external data was off: pass externalData: true)'}`,
    );
  }

  const tmpModel = `${target}.tmp-${process.pid}`;
  const tmpData = `${dataPath}.tmp-${process.pid}`;
  try {
    mkdirSync(folder, { recursive: true });
    if (placed.length > 0) {
      writeFileParts(tmpData, durable, function* () {
        let at = 0;
        for (const { tensor, offset } of placed) {
          if (offset > at) yield new Uint8Array(offset - at);
          const src = tensor.source;
          yield src ? src.read() : tensor.rawBytes();
          at = offset + tensor.byteLength;
        }
      });
    }
    writeFileParts(tmpModel, durable, function* () {
      yield* encoded.parts;
    });
    if (placed.length > 0) renameSync(tmpData, dataPath);
    renameSync(tmpModel, target);
  } catch (e) {
    rmSync(tmpModel, { force: true });
    rmSync(tmpData, { force: true });
    if (e instanceof TandemError) throw e;
    throw new TandemError('IO', `cannot write ${target}: ${(e as Error).message}`, { cause: e });
  }
  const result: SaveResult = { path: target, bytes: encoded.length, externalTensors: placed.length };
  if (placed.length > 0) {
    result.externalPath = dataPath;
    result.externalBytes = dataBytes;
  }
  return result;
}

function safeRealPath(src: ExternalDataSource): string | undefined {
  try {
    return src.path;
  } catch {
    return undefined;
  }
}

/** Writes parts, coalescing small ones into 1 MiB blocks; large parts are written as they are. */
function writeFileParts(path: string, durable: boolean, parts: () => Generator<Uint8Array>): void {
  const fd = openSync(path, 'w');
  try {
    const block = new Uint8Array(1 << 20);
    let fill = 0;
    const flush = (): void => {
      writeAll(fd, block.subarray(0, fill));
      fill = 0;
    };
    for (const p of parts()) {
      if (p.length >= block.length / 4) {
        flush();
        writeAll(fd, p);
      } else {
        if (fill + p.length > block.length) flush();
        block.set(p, fill);
        fill += p.length;
      }
    }
    flush();
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}
