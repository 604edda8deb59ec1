import { quote } from '../../util/text.js';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Plan, PlanStage } from '../../io/stage-file/index.js';
import type { Model } from '../../ir/model.js';
import { loadModel, saveModel } from '../../onnx/load-save.js';
import { artifactPaths, convertToFloat16, readCalibrationCache, translateQdq, writeCalibrationCache } from '../../quant/index.js';
import { floatBoundaries } from './float-boundaries.js';
import { analyze, convSparsity } from '../../targets/index.js';
import { TandemError } from '../../util/errors.js';
import { assertFolderFree, openRegularFile, readExactly, readTextFile, writeFileAtomic, writeFolder, type ReadPath } from '../../util/fs.js';
import { costStageFile, type CostReport } from '../cost-report.js';
import type { LatencyParams, PowerMode } from '../cost/params.js';
import { benchScript, buildScript, bundleReadme, type StageBuild } from './scripts.js';
import { TRTEXEC_FLAGS, parseTrtVersion, type TrtExportVersion } from './trtexec-flags.js';

/**
 * `tandem export`: the files to build and measure a plan on an Orin with trtexec — per-stage ONNX,
 * calibration caches (TensorRT ≤ 10.x) or typed Q/DQ models (11.4+), build.sh, bench.sh, manifest.json
 * (stages, engines, every file with its sha256, the modelled numbers) and a README saying what to run.
 */

/** Options of `exportBundle`. */
export interface ExportOptions {
  /**
   * TensorRT version the bundle is for, as elsewhere in tandem ("8.6.1", "10.3.0", "11.4.1"; also "8.6",
   * "10.x", "11.4"): trtexec flags and cache headers differ between 8.6, 10.x and 11.4+.
   */
  trtVersion: string;
  /**
   * Output folder (created if missing). It may not be, or lie inside, the plan's folder (which holds the
   * stage models) or the artifacts folder, nor hold them where a bundle entry would land (`FILE_EXISTS`).
   */
  out: string;
  /** Where tandem quantize wrote `<stage>.cache` / `<stage>.qdq.onnx`. @default the plan's folder */
  artifacts?: string;
  /** Build every DLA/GPU convolution with 2:4-sparse kernels where the weights allow (--sparsity=force). @default false */
  sparsity?: boolean;
  /** Power mode the predicted numbers are for. @default 'maxn' */
  power?: PowerMode;
  /** Latency parameters for the predicted numbers. @default ORIN_PARAMS */
  params?: LatencyParams;
}

/** A file of a bundle, with its size and SHA-256. */
export interface BundleFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The manifest of an export bundle (manifest.json): what was written and for which TensorRT. */
export interface BundleManifest {
  readonly tandem: 'bundle';
  readonly version: 1;
  readonly trt: TrtExportVersion;
  readonly target: string;
  readonly quantization: 'calibration-cache' | 'typed-qdq';
  readonly source?: string;
  readonly stages: readonly {
    readonly name: string;
    readonly engine: string;
    readonly precision: string;
    readonly dlaCore: number | null;
    readonly onnx: string;
    readonly engineFile: string;
    readonly loadable: string | null;
    readonly calib: string | null;
    readonly inputs: readonly string[];
    readonly outputs: readonly string[];
    readonly inputFormats: readonly string[];
    readonly outputFormats: readonly string[];
    readonly fp16Layers: readonly string[];
    readonly predicted: { readonly aloneMs: number; readonly latencyMs: number; readonly fps: number; readonly basis: 'modelled' };
  }[];
  readonly predicted: { readonly fps: number; readonly latencyMs: number; readonly power: PowerMode; readonly basis: string };
  readonly files: readonly BundleFile[];
}

/** Calibration caches are text of one line per tensor: far below this. */
const MAX_CACHE_BYTES = 64 << 20;

/** SHA-256 of a file, read in 1 MiB blocks (stage models can be large). */
function sha256(path: string): string {
  const hash = createHash('sha256');
  const { fd, size } = openRegularFile(path, 'bundle file');
  try {
    const block = new Uint8Array(1 << 20);
    for (let at = 0; at < size; at += block.length) {
      const part = block.subarray(0, Math.min(block.length, size - at));
      readExactly(fd, part, at, path);
      hash.update(part);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function walk(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p, root));
    else out.push(relative(root, p));
  }
  return out;
}

function rank(model: Model, tensor: string): number | undefined {
  return model.graph.tensorType(tensor)?.shape?.length;
}

/** The trtexec I/O format of a tensor: a DLA-native layout for 4-D tensors, linear otherwise. */
function ioFormat(kind: 'int8' | 'fp16' | 'fp32', dims: number | undefined, dla: boolean): string {
  if (kind === 'fp32') return 'fp32:chw';
  if (dims !== 4) return `${kind}:${dla ? 'dla_linear' : 'chw'}`;
  return kind === 'int8' ? 'int8:chw32' : 'fp16:chw16';
}

/** The names a bundle writes in its folder (engines/ and results/ are made on the Orin). */
const BUNDLE_ENTRIES = ['stages', 'build.sh', 'bench.sh', 'README.md', 'manifest.json'] as const;

/**
 * Writes the bundle as one set, staged and renamed into `options.out` at the end: a failure (a missing
 * calibration cache, a stage that cannot be translated) leaves no final-named file. Returns its manifest.
 */
export function exportBundle(plan: Plan, options: ExportOptions): BundleManifest {
  if (plan.target !== 'orin') {
    throw new TandemError('PLAN_TARGET', `plan in ${plan.dir} is a ${plan.target} plan; export builds for the Orin: make one with tandem plan <model> --target orin`);
  }
  const trt = parseTrtVersion(options.trtVersion);
  const artifacts = options.artifacts ?? plan.dir;
  const read: ReadPath[] = [
    { path: plan.dir, what: "the plan's folder" },
    { path: artifacts, what: 'the artifacts folder' },
  ];
  assertFolderFree(options.out, read, { entries: BUNDLE_ENTRIES });
  return writeFolder(options.out, (staged) => writeBundle(plan, options, trt, artifacts, staged.staging));
}

function writeBundle(plan: Plan, options: ExportOptions, trt: TrtExportVersion, artifacts: string, out: string): BundleManifest {
  const flags = TRTEXEC_FLAGS[trt];
  const stageOf = new Map(plan.stages.map((s) => [s.name, s]));
  const consumersOf = (tensor: string): PlanStage[] => plan.tensors.find((t) => t.name === tensor)?.to.map((n) => stageOf.get(n)!).filter((s) => s !== undefined) ?? [];
  // INT8 hand-off scales: the plan's, else the consuming INT8 stages' calibration caches
  const cacheScales = new Map<string, number>();
  if (flags.quantization === 'calibration-cache') {
    for (const s of plan.stages) {
      const path = artifactPaths(artifacts, s.name).cache;
      if (s.precision !== 'int8' || !existsSync(path)) continue;
      for (const [t, v] of readCalibrationCache(readTextFile(path, { maxBytes: MAX_CACHE_BYTES, what: 'calibration cache' }), path).scales) if (s.inputs.includes(t)) cacheScales.set(t, v);
    }
  }
  const scaleOf = (tensor: string): number | undefined => plan.tensors.find((t) => t.name === tensor)?.quantization?.scale ?? cacheScales.get(tensor);
  const report: CostReport = costStageFile(plan, { power: options.power ?? 'maxn', ...(options.params ? { params: options.params } : {}) });
  const builds: StageBuild[] = [];

  for (const [si, stage] of plan.stages.entries()) {
    const dla = stage.engine === 'dla0' || stage.engine === 'dla1';
    if (!dla && stage.engine !== 'gpu') throw new TandemError('PLAN_TARGET', `stage ${quote(stage.name)} runs on ${stage.engine}; an Orin plan's stages run on gpu, dla0 or dla1`);
    if (dla && stage.precision === 'fp32') throw new TandemError('PLAN_TARGET', `stage ${quote(stage.name)} is FP32 on ${stage.engine}; the DLA runs INT8 or FP16 — set its precision in the plan`);
    const model = loadModel(join(plan.dir, stage.file));
    const onnx = `stages/${stage.name}.onnx`;
    let calib: string | null = null;
    let boundaryOnly = false;
    let fp16Layers: string[] = [];
    const int8 = stage.precision === 'int8';
    const hasQdq = model.graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear');
    /** Tensor → INT8 scale of this stage (from its Q/DQ or its calibration cache). */
    let scales = new Map<string, number>();
    let written: Model = model;
    if (flags.quantization === 'typed-qdq') {
      // strongly typed: the model carries its precisions (tandem plan writes Q/DQ INT8 stages and FP16 stages)
      if (int8 && !hasQdq) {
        const qdq = artifactPaths(artifacts, stage.name).qdq;
        if (!existsSync(qdq)) throw new TandemError('FILE_NOT_FOUND', `stage ${quote(stage.name)} is INT8 and TensorRT ${trt} builds it from a typed Q/DQ model, but it has no Q/DQ and ${qdq} does not exist; plan it with tandem plan --target orin, or run tandem quantize (or give --artifacts <folder>)`);
        written = loadModel(qdq);
      } else if (stage.precision === 'fp16' && !model.graph.nodes.some((n) => n.op === 'Cast')) {
        written = convertToFloat16(model).model;
      }
    } else if (hasQdq) {
      // implicit quantization: the Q/DQ become a calibration cache (R-QDQ), the model goes back to float
      const t = translateQdq(floatBoundaries(model));
      written = t.model;
      scales = t.scales;
      if (int8) fp16Layers = t.fp16Nodes.filter((n) => !/[,:\s']/.test(n));
      else boundaryOnly = scales.size > 0;
    } else if (int8) {
      const cachePath = artifactPaths(artifacts, stage.name).cache;
      if (!existsSync(cachePath)) throw new TandemError('FILE_NOT_FOUND', `stage ${quote(stage.name)} is INT8 and TensorRT ${trt} reads its scales from a calibration cache, but it has no Q/DQ and ${cachePath} does not exist; run tandem quantize on the plan's split first (or give --artifacts <folder>)`);
      scales = readCalibrationCache(readTextFile(cachePath, { maxBytes: MAX_CACHE_BYTES, what: 'calibration cache' }), cachePath).scales;
      const covered = new Set(scales.keys());
      fp16Layers = model.graph.nodes
        .filter((n) => n.name !== '' && !/[,:\s']/.test(n.name) && n.outputs.some((o) => o !== '' && model.graph.tensorType(o)?.dtype === 'float32' && !covered.has(o)))
        .filter((n) => !['Shape', 'Constant', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity'].includes(n.op))
        .map((n) => n.name);
    }
    saveModel(written, join(out, onnx));
    if (flags.quantization === 'calibration-cache' && scales.size > 0) {
      // the header's major version must match the TensorRT that reads it (reference §3.2)
      calib = `stages/${stage.name}.cache`;
      writeFileAtomic(join(out, calib), writeCalibrationCache(scales, { trtVersion: flags.cacheVersion! }));
    }
    const scaled = (t: string): boolean => scales.has(t) || scaleOf(t) !== undefined;
    const dtypeOf = (t: string): string | undefined => written.graph.tensorType(t)?.dtype;
    const typedFormat = (t: string, onDla: boolean): string => {
      const d = dtypeOf(t);
      return ioFormat(d === 'int8' ? 'int8' : d === 'float16' ? 'fp16' : onDla ? 'fp16' : 'fp32', rank(written, t), onDla);
    };
    // I/O formats: hand-offs to a DLA stage in the layout the DLA reads without a reformat
    const outputFormats = stage.outputs.map((t) => {
      if (flags.quantization === 'typed-qdq') return typedFormat(t, dla);
      const toDla = consumersOf(t).filter((s) => s.engine !== 'gpu');
      const r = rank(written, t);
      if (toDla.length === 0) return dla ? ioFormat('fp16', r, true) : 'fp32:chw';
      const wantInt8 = toDla.every((s) => s.precision === 'int8') && scaled(t);
      return ioFormat(wantInt8 ? 'int8' : 'fp16', r, dla);
    });
    const inputFormats = stage.inputs.map((t) => {
      if (flags.quantization === 'typed-qdq') return typedFormat(t, dla);
      if (!dla) return 'fp32:chw';
      return ioFormat(int8 && scaled(t) ? 'int8' : 'fp16', rank(written, t), true);
    });
    // a GPU FP16 stage handing INT8 to a DLA needs those scales: a cache of the hand-off tensors
    if (!dla && !int8 && calib === null && flags.quantization === 'calibration-cache' && outputFormats.some((f) => f.startsWith('int8'))) {
      calib = `stages/${stage.name}.boundary.cache`;
      const hand = stage.outputs.filter((_, i) => outputFormats[i]!.startsWith('int8')).map((t): [string, number] => [t, scales.get(t) ?? scaleOf(t)!]);
      writeFileAtomic(join(out, calib), writeCalibrationCache(hand, { trtVersion: flags.cacheVersion! }));
      boundaryOnly = true;
    }
    let standalone = false;
    if (dla && flags.buildDLAStandalone) {
      const a = analyze(written, { target: flags.target, precision: int8 ? 'int8' : 'fp16' });
      standalone = a.summary.nodes.fallback === 0;
    }
    const predicted = report.stages[si]!;
    builds.push({
      stage,
      dlaCore: dla ? (stage.engine === 'dla1' ? 1 : 0) : null,
      onnx,
      engineFile: `engines/${stage.name}.engine`,
      loadable: standalone ? `engines/${stage.name}.dla.loadable` : null,
      calib,
      boundaryOnly,
      inputFormats,
      outputFormats,
      fp16Layers,
      sparseConvs: convSparsity(written).filter((c) => c.qualifies && c.follows === true && (c.zeroShare ?? 0) < 1).length,
      predictedMs: predicted.latencyMs,
      predictedAloneMs: predicted.cost.latencyMs,
      predictedFps: predicted.fps,
    });
  }

  writeFileAtomic(join(out, 'build.sh'), buildScript(builds, flags, options.sparsity ?? false));
  writeFileAtomic(join(out, 'bench.sh'), benchScript(builds, flags));
  writeFileAtomic(join(out, 'README.md'), bundleReadme(builds, flags, report));
  const files = walk(out)
    .filter((f) => f !== 'manifest.json')
    .map((f): BundleFile => ({ path: f, bytes: statSync(join(out, f)).size, sha256: sha256(join(out, f)) }));
  const manifest: BundleManifest = {
    tandem: 'bundle',
    version: 1,
    trt,
    target: flags.target,
    quantization: flags.quantization,
    ...(plan.source === undefined ? {} : { source: plan.source }),
    stages: builds.map((b) => ({
      name: b.stage.name,
      engine: b.stage.engine,
      precision: b.stage.precision,
      dlaCore: b.dlaCore,
      onnx: b.onnx,
      engineFile: b.engineFile,
      loadable: b.loadable,
      calib: b.calib,
      inputs: b.stage.inputs,
      outputs: b.stage.outputs,
      inputFormats: b.inputFormats,
      outputFormats: b.outputFormats,
      fp16Layers: b.fp16Layers,
      predicted: { aloneMs: b.predictedAloneMs, latencyMs: b.predictedMs, fps: b.predictedFps, basis: 'modelled' },
    })),
    predicted: { fps: report.pipeline.fps, latencyMs: report.pipeline.latencyMs, power: report.power, basis: report.basis },
    files,
  };
  writeFileAtomic(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
