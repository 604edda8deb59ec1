import { TandemError } from '../util/errors.js';
import { quote, quoteCut } from '../util/text.js';
import { float32Hex, hexFloat32 } from './arithmetic.js';

/**
 * TensorRT calibration cache, the text format of reference §3.1:
 *   header  := "TRT-" version "-" algorithm
 *   entry   := tensorName ": " hex8          (hex8: big-endian float32 bits of the scale, amax / 127)
 * one entry per line, LF endings, trailing LF.
 */

/** Header words TensorRT writes; trtexec's only calibrator reads `EntropyCalibration2` (reference §3.2). */
export const CACHE_ALGORITHMS = ['EntropyCalibration2', 'MinMaxCalibration', 'EntropyCalibration', 'LegacyCalibration'] as const;
/** The calibrator word of a cache header. */
export type CacheAlgorithm = (typeof CACHE_ALGORITHMS)[number];

/** The first line of a TensorRT calibration cache: `TRT-<version>-<algorithm>`. */
export interface CalibrationCacheHeader {
  /** The number in the header: NV_TENSORRT_VERSION of the writer (8601 for 8.6.1, 100300 for 10.3.0). */
  version: number;
  algorithm: string;
}

/** A TensorRT calibration cache as read by `readCalibrationCache`. */
export interface CalibrationCache {
  header: CalibrationCacheHeader;
  /** Tensor name → float32 scale (amax / 127), in file order. */
  scales: Map<string, number>;
}

/**
 * The header number for a TensorRT version: 7.x/8.x → M·1000 + m·100 + p; 10.x and later → M·10000 + m·100 + p
 * (reference §3.1). A plain integer is taken as the number itself. 9.x has no known rule and is refused.
 */
export function trtVersionNumber(version: string): number {
  const text = version.trim();
  if (/^\d+$/.test(text)) {
    // A header number: 7000..8999 (7.x, 8.x) or 100000..999999 (10.x to 99.x); anything else is no TensorRT's.
    const n = Number(text);
    if (text.length <= 7 && ((n >= 7000 && n <= 8999) || (n >= 100000 && n <= 999999))) return n;
    throw new TandemError('USAGE', `TensorRT version ${quote(text)} is not a calibration-cache header number (7000..8999 for 7.x/8.x, 100000..999999 for 10.x and later, e.g. 8601, 100300); or give MAJOR.MINOR.PATCH like 8.6.1`);
  }
  const m = /^(\d{1,2})\.(\d{1,2})(?:\.(\d{1,2}))?(?:\.\d{1,4})?$/.exec(text);
  if (!m) {
    throw new TandemError('USAGE', `TensorRT version ${quote(version)} is not MAJOR.MINOR.PATCH (e.g. 8.6.1, 10.3.0) nor a header number (e.g. 8601)`);
  }
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (major >= 10) return major * 10000 + minor * 100 + patch;
  if (major === 7 || major === 8) return major * 1000 + minor * 100 + patch;
  throw new TandemError(
    'USAGE',
    `TensorRT ${quote(version)}: no known calibration-cache header number for major version ${major} (7/8 use M·1000+m·100+p, 10+ use M·10000+m·100+p); pass the header number itself, e.g. --trt-version 8601`,
  );
}

/** Options of `writeCalibrationCache`. */
export interface CacheWriteOptions {
  /** TensorRT version that will read the cache: "8.6.1", "10.3.0", or a header number. Required: a wrong major version makes TensorRT ignore the cache (reference §3.2). */
  trtVersion: string | number;
  /** The header's calibrator word. @default 'EntropyCalibration2' (trtexec's calibrator; it rejects other words) */
  algorithm?: CacheAlgorithm;
}

/** Writes a cache from tensor → scale. Throws `CALIB_CACHE` for a scale TensorRT rejects (≤ 0, not finite) or a name with a line break. */
export function writeCalibrationCache(scales: Iterable<readonly [string, number]>, options: CacheWriteOptions): string {
  const version = typeof options.trtVersion === 'number' ? options.trtVersion : trtVersionNumber(options.trtVersion);
  const lines = [`TRT-${version}-${options.algorithm ?? 'EntropyCalibration2'}`];
  for (const [name, scale] of scales) {
    if (/[\r\n]/.test(name)) throw new TandemError('CALIB_CACHE', `tensor name ${JSON.stringify(name)} contains a line break; it cannot be written to a calibration cache`);
    if (!(scale > 0) || !Number.isFinite(scale) || Math.fround(scale) === 0) {
      throw new TandemError('CALIB_CACHE', `tensor ${quote(name)} has scale ${scale}; TensorRT needs a positive finite scale ("Scale coefficients must all be positive")`);
    }
    lines.push(`${name}: ${float32Hex(scale)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a cache. Accepts padded and unpadded hex, CRLF, blank lines; splits each entry on its last ": "
 * (names may contain ':'). Throws `CALIB_CACHE` naming the line for anything else.
 */
export function readCalibrationCache(text: string, where = '<cache>'): CalibrationCache {
  const lines = text.split(/\r?\n/);
  const first = lines[0]?.trim() ?? '';
  const h = /^TRT-(\d+)-([A-Za-z0-9]+)$/.exec(first);
  if (!h) {
    throw new TandemError('CALIB_CACHE', `${where}: line 1 is ${quoteCut(first, 80)}, expected a header like "TRT-8601-EntropyCalibration2"; is this a TensorRT calibration cache?`);
  }
  const scales = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cut = line.lastIndexOf(': ');
    const value = cut > 0 ? hexFloat32(line.slice(cut + 2).trim()) : undefined;
    if (value === undefined) {
      throw new TandemError('CALIB_CACHE', `${where}: line ${i + 1} is ${quoteCut(line, 80)}, expected "tensorName: 3c010204" (the scale as float32 hex)`);
    }
    const name = line.slice(0, cut);
    if (!(value > 0) || !Number.isFinite(value)) {
      throw new TandemError('CALIB_CACHE', `${where}: line ${i + 1}: tensor ${quote(name)} has scale ${value}; a scale must be positive and finite (TensorRT: "Scale coefficients must all be positive") — the cache is corrupt`);
    }
    if (scales.has(name)) throw new TandemError('CALIB_CACHE', `${where}: line ${i + 1}: tensor ${quote(name)} appears twice`);
    scales.set(name, value);
  }
  return { header: { version: Number(h[1]), algorithm: h[2]! }, scales };
}

/** A version mismatch worth telling the user about: TensorRT silently ignores a cache of another major version (reference §3.2). */
export function cacheVersionMismatch(header: CalibrationCacheHeader, trtVersion: string | number): string | undefined {
  const want = typeof trtVersion === 'number' ? trtVersion : trtVersionNumber(trtVersion);
  if (want === header.version) return undefined;
  const major = (n: number): number => (n >= 100000 ? Math.floor(n / 10000) : Math.floor(n / 1000));
  const severity = major(want) !== major(header.version) ? 'TensorRT will ignore it (major version differs)' : 'a patch-level difference, usually accepted (unconfirmed)';
  return `cache header says TRT ${header.version}, target is ${want}: ${severity}`;
}
