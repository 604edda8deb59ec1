import { quote } from '../../util/text.js';
import { Option } from 'commander';
import { TandemError } from '../../util/errors.js';
import { classMapOutputs, keepFp16ForSplit, writeKeepFp16Results, type KeepFp16Result } from '../../eval/index.js';
import { loadModel } from '../../onnx/load-save.js';
import { getEngine } from '../../runtime/engines/registry.js';
import {
  CACHE_ALGORITHMS,
  CALIBRATION_METHODS,
  ENTROPY_VARIANTS,
  QDQ_PLACEMENTS,
  compareCalibrators,
  isSplitManifestPath,
  quantizeStages,
  writeQuantizeStages,
  type CacheAlgorithm,
  type CalibrationMethod,
  type EntropyVariant,
  type FidelityRow,
  type ImagePreprocessOptions,
  type QdqPlacement,
  type QuantizeResult,
} from '../../quant/index.js';
import { progressBars } from '../progress-events.js';
import { plural, table } from '../format.js';
import { unusedDimsNotes } from '../dims.js';
import { dimSizes, finiteNumber, list, positiveInt } from '../parse.js';
import type { CliCommand } from './types.js';

interface QuantizeFlags {
  calib: string;
  out: string;
  trtVersion?: string;
  method: string[];
  entropyVariant: EntropyVariant;
  percentile?: number;
  bins?: number;
  placement: QdqPlacement;
  cacheAlgorithm: CacheAlgorithm;
  outputScales?: boolean;
  limit?: number;
  batch: number;
  stages?: string[];
  compare?: boolean;
  holdout: number;
  compareData?: string;
  size?: string;
  resize?: 'stretch' | 'cover' | 'contain';
  mean?: string[];
  std?: string[];
  bgr?: boolean;
  layout?: 'nchw' | 'nhwc';
  scale?: number;
  keepFp16?: string;
  budget: string;
  evalData: string;
  dims?: Record<string, number>;
  json?: boolean;
}

export const quantizeCommand: CliCommand = {
  name: 'quantize',
  examples: [
    'tandem quantize model.onnx --calib images/ --trt-version 8.6.1 -o int8/',
    'tandem quantize split/split.json --calib images/ --placement dla --keep-fp16 auto --budget miou=0.5,absrel=2% --trt-version 8.6.1 -o int8/',
    'tandem quantize split/split.json --calib images/ --stages head-segmentation,head-depth --trt-version 10.3.0 -o int8/',
    'tandem quantize model.onnx --calib tensors/ --method entropy,max,percentile,mse --compare --trt-version 8.6.1 -o int8/',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('quantize')
      .description('calibrate INT8 scales and write, per stage: TensorRT calibration cache, scales.json, Q/DQ model (numbers measured on the onnxruntime cpu engine of this machine)')
      .argument('<model>', 'ONNX model, or split.json from tandem split (head stages are calibrated on the features their upstream stages produce)')
      .requiredOption('--calib <dir>', 'calibration data: a folder of images, of .npz files keyed by input name, or of .npy files (single-input models)')
      .requiredOption('-o, --out <dir>', 'output folder')
      .option('--trt-version <x.y.z>', 'TensorRT version that will read the cache, e.g. 8.6.1 (DRIVE OS 6 / JetPack 6.0), 10.3.0 (JetPack 6.1+); a wrong major version makes TensorRT ignore the cache')
      .option('--method <list>', `calibration methods, comma-separated (${CALIBRATION_METHODS.join(', ')}); several share one calibration run and get a subfolder each`, list, ['entropy'])
      .addOption(new Option('--entropy-variant <variant>', 'entropy algorithm (trt-gtc: GTC17 EntropyCalibration2)').choices(ENTROPY_VARIANTS).default('trt-gtc'))
      .option('--percentile <p>', 'percentile of |x| for --method percentile (default: 99.99)', finiteNumber)
      .option('--bins <n>', 'histogram bins (default: 2048)', positiveInt)
      .addOption(new Option('--placement <placement>', 'Q/DQ placement: trt (TensorRT explicit-quantization rules) or dla (every activation tensor)').choices(QDQ_PLACEMENTS).default('trt'))
      .addOption(new Option('--cache-algorithm <name>', 'calibration cache header word').choices(CACHE_ALGORITHMS).default('EntropyCalibration2'))
      .option('--output-scales', 'also write cache entries for graph outputs (INT8 outputs)')
      .option('--limit <n>', 'calibrate on the first n samples (file names in code-point order)', positiveInt)
      .option('--batch <n>', 'samples per session run (models with a dynamic batch dimension)', positiveInt, 1)
      .option('--stages <list>', 'split.json only: stages to quantize (default: all)', list)
      .option('--compare', 'run the FP32 and the Q/DQ models on held-out samples and print the fidelity per output and method')
      .option('--holdout <n>', 'held-out samples for --compare: the last n of the calibration folder, never used to calibrate', positiveInt, 8)
      .option('--compare-data <dir>', 'held-out samples for --compare from another folder instead')
      .option('--size <HxW>', 'images: resize to H x W (default: the model input size)')
      .addOption(new Option('--resize <mode>', 'images: stretch, cover (scale + centre crop) or contain (letterbox)').choices(['stretch', 'cover', 'contain']))
      .option('--mean <list>', 'images: per-channel mean after --scale (default: ImageNet 0.485,0.456,0.406)', list)
      .option('--std <list>', 'images: per-channel std after --scale (default: ImageNet 0.229,0.224,0.225)', list)
      .option('--bgr', 'images: feed channels in BGR order')
      .addOption(new Option('--layout <layout>', 'images: tensor layout').choices(['nchw', 'nhwc']))
      .option('--scale <s>', 'images: pixel multiplier before mean/std (default: 1/255)', finiteNumber)
      .option('--keep-fp16 <auto>', 'split.json: find the fewest head tensors to keep in FP16 (float in the Q/DQ model, left out of the cache, --layerPrecisions for trtexec) so the task loss stays within --budget: sensitivity ranking, then bisection')
      .option('--budget <metric=loss,...>', 'with --keep-fp16: allowed loss per task, miou=<points> and absrel=<percent>% (relative to FP32)', 'miou=0.5,absrel=2%')
      .option('--eval-data <dataset>', 'with --keep-fp16: held-out frames with ground truth: synthetic[:seed,count], cityscapes:<dir>, folder:<dir>', 'synthetic:1000,16')
      .option('--dims <name=size,...>', 'sizes for symbolic input dims of a model (a split.json: tandem split --dims fixes them in the stages)', dimSizes)
      .option('--json', 'print the result as JSON')
      .action(async (modelPath: string, flags: QuantizeFlags) => {
        if (flags.trtVersion === undefined) {
          throw new TandemError('USAGE', 'give --trt-version: the TensorRT version that will read the calibration cache (e.g. 8.6.1 for DRIVE OS 6.0 / JetPack 6.0, 10.3.0 for JetPack 6.1+); TensorRT silently ignores a cache of another major version');
        }
        if (flags.keepFp16 !== undefined && flags.keepFp16 !== 'auto') throw new TandemError('USAGE', `--keep-fp16 takes "auto", got ${quote(flags.keepFp16)}`);
        if (flags.stages && !isSplitManifestPath(modelPath)) throw new TandemError('USAGE', '--stages applies to a split.json only');
        if (flags.keepFp16 !== undefined && !isSplitManifestPath(modelPath)) throw new TandemError('USAGE', "--keep-fp16 auto needs a split.json (the heads are bisected on the backbone's features); run tandem split first");
        if (flags.dims && isSplitManifestPath(modelPath)) throw new TandemError('USAGE', `--dims sizes a model's symbolic input dims; ${modelPath} is a split manifest, whose stages have their own shapes (tandem split --dims fixes them when splitting)`);
        if (flags.dims) for (const line of unusedDimsNotes(loadModel(modelPath, { weights: 'lazy' }), flags.dims)) ctx.note(line);
        const engine = getEngine('cpu');
        const bars = progressBars(ctx);
        const result = await quantizeStages(modelPath, engine, {
          calib: flags.calib,
          out: flags.out,
          methods: flags.method as CalibrationMethod[],
          trtVersion: flags.trtVersion,
          placement: flags.placement,
          cacheAlgorithm: flags.cacheAlgorithm,
          outputScales: flags.outputScales ?? false,
          batchSize: flags.batch,
          calibrator: { entropyVariant: flags.entropyVariant, ...(flags.percentile !== undefined ? { percentile: flags.percentile } : {}), ...(flags.bins !== undefined ? { bins: flags.bins } : {}) },
          image: imageOptions(flags),
          ...(flags.stages !== undefined ? { stages: flags.stages } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
          ...(flags.compare ? { holdout: flags.compareData !== undefined ? { dir: flags.compareData } : flags.holdout } : {}),
          ...(flags.dims ? { dims: flags.dims } : {}),
          onProgress: bars.onProgress,
        });
        bars.stop();
        for (const note of result.notes) ctx.note(`warning: ${note}`);
        if (result.holdout !== undefined && flags.compareData === undefined) ctx.note(`--compare: calibrating on ${plural(result.calibration.ids.length, 'sample')}, holding out the last ${result.holdout.ids.length} for the comparison`);
        const calib = result.calibration;
        const held = result.holdout;
        let artifacts = result.artifacts;
        let precision: KeepFp16Result[] | undefined;
        if (flags.keepFp16 !== undefined) {
          const done = await keepFp16ForSplit(result, { budget: flags.budget, evalData: flags.evalData });
          artifacts = done.artifacts;
          precision = done.results;
        }
        const written = writeQuantizeStages(result, artifacts);
        const precisionFiles = writeKeepFp16Results(precision ?? [], result);
        let fidelity: FidelityRow[] | undefined;
        if (held !== undefined) {
          const cmp = progressBars(ctx);
          fidelity = await compareCalibrators(result, engine, { artifacts, onProgress: cmp.onProgress });
          cmp.stop();
        }
        if (flags.json) {
          const doc = quantizeJson(result, calib.description, written.map((w) => w.files), fidelity === undefined ? undefined : { samples: held!.ids.length, rows: fidelity }) as Record<string, unknown>;
          ctx.printJson(precision ? { ...doc, keepFp16: precision.map(({ plan: _plan, ...r }) => r) } : doc);
          return;
        }
        for (const line of formatQuantizeSummary(result, calib.description)) ctx.print(line);
        for (const w of written) ctx.print(`  ${w.stage} (${w.method}): ${w.files.cache}, ${w.files.scales}, ${w.files.qdq}`);
        (precision ?? []).forEach((r, i) => {
          const unit = (v: number): string => (r.metric === 'miou' ? `${v.toFixed(2)} mIoU points` : `${(100 * v).toFixed(2)}% AbsRel`);
          ctx.print('');
          ctx.print(`keep-fp16 ${r.stage} (${r.method}), task metric ${r.metric} on ${flags.evalData} (emulated INT8, onnxruntime cpu): FP32 ${r.fp32.toFixed(4)}, INT8 ${r.int8.toFixed(4)} (loss ${unit(r.int8Loss)}), mixed ${r.mixed.toFixed(4)} (loss ${unit(r.mixedLoss)}) — ${r.withinBudget ? 'within' : 'NOT within'} budget`);
          ctx.print(`  keep in FP16: ${r.keep.length === 0 ? 'nothing (INT8 is within budget)' : r.keep.map((k) => `${k.tensor} (${k.kind}, ${k.layer === '' ? 'stage input' : `layer ${k.layer}`})`).join(', ')}; ${r.sensitivity.length} sensitivity runs + ${r.bisectionSteps} bisection steps`);
          ctx.print(`  most sensitive: ${r.sensitivity.slice(0, 5).map((x) => `${x.tensor} ${unit(x.recovers)}`).join(', ')}`);
          if (r.trtexecArgs) ctx.print(`  trtexec: ${r.trtexecArgs}`);
          ctx.print(`  wrote ${precisionFiles[i]}`);
        });
        if (fidelity) {
          ctx.print('');
          for (const line of formatFidelityTable(fidelity, `fidelity on ${held!.ids.length} held-out samples (${held!.description}): Q/DQ model vs FP32 model, both on onnxruntime cpu — INT8 emulated by Q/DQ, not measured on a DLA`, new Set(result.stages.flatMap((s) => classMapOutputs(s.model))))) ctx.print(line);
        }
        ctx.note(`cache header: ${result.artifacts[0]?.cache.split('\n')[0] ?? ''} (TensorRT ignores a cache of another major version; check the build log for "Missing scale")`);
      });
  },
};

/** What `quantize --json` prints (and the demo writes as quantize.json for the report); `files` per artifact, in order. */
export function quantizeJson(result: QuantizeResult, source: string, files: readonly Record<string, string>[], fidelity?: { samples: number; rows: readonly FidelityRow[] }): unknown {
  return {
    calibration: { source, samples: result.observation.samples, batchSize: result.observation.batchSize, wallMs: result.calibrationMs, measured: 'wall time of observation and threshold search, onnxruntime cpu engine, this machine' },
    artifacts: result.artifacts.map((a, i) => ({ stage: a.stage, method: a.method, algorithm: a.scales.algorithm, tensors: a.scales.activations.size, weights: a.scales.weights.size, qdqPairs: a.plan.activations.length + a.plan.weights.length, files: files[i] })),
    ...(fidelity ? { fidelity: { samples: fidelity.samples, what: 'Q/DQ model vs FP32 model, both on onnxruntime cpu (INT8 emulated by Q/DQ; not measured on a DLA)', rows: fidelity.rows } } : {}),
  };
}

function imageOptions(flags: QuantizeFlags): ImagePreprocessOptions {
  const o: ImagePreprocessOptions = {};
  if (flags.size !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(flags.size);
    if (!m) throw new TandemError('USAGE', `--size expects HxW like 512x1024, got ${quote(flags.size)}`);
    o.height = Number(m[1]);
    o.width = Number(m[2]);
  }
  const nums = (xs: string[], what: string): number[] =>
    xs.map((x) => {
      const n = Number(x);
      if (!Number.isFinite(n)) throw new TandemError('USAGE', `--${what} expects numbers, got ${quote(x)}`);
      return n;
    });
  if (flags.resize !== undefined) o.resize = flags.resize;
  if (flags.mean !== undefined) o.mean = nums(flags.mean, 'mean');
  if (flags.std !== undefined) o.std = nums(flags.std, 'std');
  if (flags.bgr) o.channelOrder = 'bgr';
  if (flags.layout !== undefined) o.layout = flags.layout;
  if (flags.scale !== undefined) o.scale = flags.scale;
  return o;
}

export function formatQuantizeSummary(result: QuantizeResult, source: string): string[] {
  const o = result.observation;
  const tensors = o.stages.reduce((n, s) => n + s.tensors.size, 0);
  const lines = [
    `calibrated ${o.samples} samples (${source}) in ${(result.calibrationMs / 1000).toFixed(1)} s wall (measured: onnxruntime cpu engine, this machine; ${o.runs} runs per stage, batch ${o.batchSize})`,
    `observed ${tensors} activation tensors; statistics held: ${(o.statisticsBytes / 1024).toFixed(0)} KiB (independent of the number of samples)`,
  ];
  for (const a of result.artifacts) {
    lines.push(`${a.stage} · ${a.method}: ${a.scales.activations.size} activation scales, ${a.scales.weights.size} per-channel weights, ${a.plan.activations.length} activation + ${a.plan.weights.length} weight Q/DQ pairs (${a.plan.placement} placement)`);
  }
  lines.push(`algorithm: ${result.artifacts[0]?.scales.algorithm ?? ''}`);
  return lines;
}

/**
 * The fidelity table: one row per stage, output and method. Argmax agreement is shown for class maps only
 * (`classMaps`, e.g. from eval's classMapOutputs); for a feature map it means nothing. Without any class
 * map the column is left out.
 */
export function formatFidelityTable(rows: readonly FidelityRow[], title: string, classMaps: ReadonlySet<string> = new Set()): string[] {
  const argmax = rows.some((r) => classMaps.has(r.output) && r.argmaxAgreement !== undefined);
  const header = ['stage', 'output', 'method', 'rel L2', 'cosine', ...(argmax ? ['argmax agree'] : []), 'max |diff|'];
  const body = rows.map((r) => [
    r.stage,
    r.output,
    r.label,
    r.relL2.toFixed(4),
    r.cosine.toFixed(5),
    ...(argmax ? [classMaps.has(r.output) && r.argmaxAgreement !== undefined ? `${(r.argmaxAgreement * 100).toFixed(2)} %` : '—'] : []),
    r.maxAbs.toPrecision(3),
  ]);
  return [title, ...table(header, body, header.map((_, i) => i).filter((i) => i >= 3))];
}
