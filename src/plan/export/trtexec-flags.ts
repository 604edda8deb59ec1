import { TandemError } from '../../util/errors.js';

/**
 * What each TensorRT version's trtexec accepts, as data (one row per version family), with where each
 * fact comes from. The bundle writer asks this table instead of testing version numbers.
 */

/** TensorRT versions `exportBundle` writes commands for. */
export const TRT_EXPORT_VERSIONS = ['8.6', '10.x', '11.4'] as const;
/** A TensorRT version `exportBundle` knows (`'8.6'`, `'10.x'`, `'11.4'`). */
export type TrtExportVersion = (typeof TRT_EXPORT_VERSIONS)[number];

export interface TrtexecFlags {
  readonly version: TrtExportVersion;
  /** The target profile whose rules describe this TensorRT version's DLA. */
  readonly target: 'orin-dla' | 'orin-dla-trt10' | 'orin-dla-trt11';
  /** A version string for calibration-cache headers (the major version must match). */
  readonly cacheVersion: string | undefined;
  /** How INT8 reaches the engine. */
  readonly quantization: 'calibration-cache' | 'typed-qdq';
  /** --fp16 / --int8 / --calib exist (removed in 11.x: strongly typed networks only). */
  readonly precisionFlags: boolean;
  /** --layerPrecisions with --precisionConstraints (weak typing; gone with it in 11.x). */
  readonly layerPrecisions: boolean;
  /** The flag for concurrent inference streams. */
  readonly streamsFlag: '--streams' | '--infStreams';
  readonly useSpinWait: boolean;
  readonly buildDLAStandalone: boolean;
  readonly sources: readonly string[];
}

export const TRTEXEC_FLAGS: Readonly<Record<TrtExportVersion, TrtexecFlags>> = {
  '8.6': {
    version: '8.6',
    target: 'orin-dla',
    cacheVersion: '8.6.2',
    quantization: 'calibration-cache',
    precisionFlags: true,
    layerPrecisions: true,
    streamsFlag: '--streams',
    useSpinWait: true,
    buildDLAStandalone: true,
    sources: [
      'trtexec --help of TensorRT 8.6 (samples/trtexec/trtexec.cpp, sampleOptions.cpp): --fp16, --int8, --calib=<file>, --useDLACore=N, --allowGPUFallback, --buildDLAStandalone, --inputIOFormats/--outputIOFormats=type:fmt, --layerPrecisions=spec, --precisionConstraints=prefer|obey, --sparsity=disable|enable|force, --streams=N, --useSpinWait, --exportTimes, --exportProfile, --separateProfileRun, --skipInference',
    ],
  },
  '10.x': {
    version: '10.x',
    target: 'orin-dla-trt10',
    cacheVersion: '10.3.0',
    quantization: 'calibration-cache',
    precisionFlags: true,
    layerPrecisions: true,
    streamsFlag: '--infStreams',
    useSpinWait: true,
    buildDLAStandalone: true,
    sources: [
      'trtexec --help of TensorRT 10.6 (v100600): the 8.6 flags above; --infStreams=N "instantiate N execution contexts to run inference concurrently" (--streams still accepted as the older spelling)',
      'TensorRT 8.x → 10.x trtexec migration: --workspace → --memPoolSize, --minTiming removed (neither used here)',
    ],
  },
  '11.4': {
    version: '11.4',
    target: 'orin-dla-trt11',
    cacheVersion: undefined,
    quantization: 'typed-qdq',
    precisionFlags: false,
    layerPrecisions: false,
    streamsFlag: '--infStreams',
    useSpinWait: false,
    buildDLAStandalone: true,
    sources: [
      'TensorRT 11.4.1 "Migrating trtexec Usage from TensorRT 10.x to 11.x": --fp16, --int8, --bf16, --fp8, --int4, --best and --calib removed (all networks strongly typed; quantize offline with Q/DQ), --stronglyTyped no longer needed',
      'TensorRT 11.x C++ migration: kOBEY/kPREFER_PRECISION_CONSTRAINTS removed (strong typing always enforced), so --layerPrecisions/--precisionConstraints are not written; FP16 layers are FP16 in the model',
      '--useSpinWait in 11.x: not confirmed, left out (UNCONF)',
    ],
  },
};

/** Parses --trt: 8.6, 10 / 10.x / 10.N, 11.4 / 11.4.N. */
export function parseTrtVersion(text: string): TrtExportVersion {
  const t = text.trim();
  if (/^8\.6(\.\d+)*$/.test(t)) return '8.6';
  if (/^10(\.x|\.\d+(\.\d+)*)?$/.test(t)) return '10.x';
  if (/^11\.(4|[5-9]|\d\d)(\.\d+)*$/.test(t)) return '11.4';
  throw new TandemError('USAGE', `--trt ${JSON.stringify(text)}: expected 8.6, 10.x or 11.4 (TensorRT 11 reaches the Orin DLA from 11.4.1 on JetPack 7.2.2+)`);
}
