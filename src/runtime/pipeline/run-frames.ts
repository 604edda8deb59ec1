import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { frameFolderNames, writeFrameOutputs } from '../../io/frame-outputs.js';
import { savedModelFiles } from '../../onnx/load-save.js';
import { isTandemError, TandemError } from '../../util/errors.js';
import { assertFolderFree, StagedFolder, type ReadPath } from '../../util/fs.js';
import { printable, quote } from '../../util/text.js';
import type { ProgressCallback } from '../../util/progress.js';
import { openFrameSource, type FrameSourceOptions } from './frame-source.js';
import type { Pipeline, PipelineInput, PipelineMode } from './pipeline.js';
import type { MapSize } from '../../io/colour-map.js';
import { pixelFloatShape, type PixelEncoding } from '../../quant/image-pixels.js';
import { summarize, type SampleStats } from './stats.js';

/** Options of `runFrames`. */
export interface RunFramesOptions extends FrameSourceOptions {
  /** Frames: `synthetic:N` or a folder of images, .npy or .npz files (see openFrameSource). @default 'synthetic:8' */
  readonly input?: string;
  /**
   * Write each frame's outputs as .npy (and colour-mapped PNGs for class maps and depth) into
   * `<out>/<frame id>/`, staged: they appear when the run ends (see runFrames). @default none (nothing written)
   */
  readonly out?: string;
  /**
   * Further paths the caller read (the plan's folder and plan.json): `out` may not be, lie inside, or hold
   * one of them where a frame's folder would land (TandemError `FILE_EXISTS`). The stage models and the
   * input frames folder are always protected. @default []
   */
  readonly protect?: readonly (string | ReadPath)[];
  /** Overlap frames across engines, or run them one at a time. @default 'pipelined' */
  readonly mode?: PipelineMode;
  /** Frames admitted and not yet taken, at most. @default the pipeline's (streams + 1) */
  readonly maxInFlight?: number;
  /** Stops the run; frames that finished are kept (with `out`, their outputs are written), the run ends with TandemError `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Told after each frame (`kind: 'frame'`). */
  readonly onProgress?: ProgressCallback;
}

/** What `runFrames` did: frames run, measured latency and wall time, output types, files written. */
export interface RunFramesResult {
  /** What the frames were (openFrameSource's description). */
  readonly source: string;
  readonly frames: number;
  /** Measured per-frame latency on this machine, ms: from admission to the last stage's end. */
  readonly latencyMs: SampleStats;
  /** Measured wall time of the run, s (output writing included). */
  readonly wallS: number;
  /** dtype and dims of each output of the last frame. */
  readonly outputs: Readonly<Record<string, { readonly dtype: string; readonly dims: readonly number[] }>>;
  /** Every file written, frame by frame. */
  readonly files: readonly string[];
}

/**
 * Runs frames through an open pipeline, in frame order, writing each frame's outputs where asked.
 *
 * With `out`, nothing is written before every frame's folder name is checked against what the run reads
 * (the stage models, the frames folder, `protect`), and the outputs are written under a hidden staging
 * folder (`.<out>.tandem-tmp-*` next to a new `out`, `<out>/.tandem-tmp-*` in an existing one) and
 * moved into `out` when the run ends — one rename for a new folder. A failure (an engine error, an
 * unreadable frame) leaves no final-named file. A stop (`signal`, Ctrl-C in the CLI) moves the frames
 * that finished, each folder whole, into `out` and ends with `ABORTED` saying how many; a killed process
 * leaves only the hidden staging folder.
 */
export async function runFrames(pipeline: Pipeline, options: RunFramesOptions = {}): Promise<RunFramesResult> {
  const pixels = options.pixels ?? pipeline.plan.io?.input;
  const source = openFrameSource(options.input ?? 'synthetic:8', pipeline.inputs, { ...(options.image ? { image: options.image } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(pixels ? { pixels } : {}) });
  const forms = pipeline.plan.io?.outputs ?? {};
  const imageSize = imageSizeOf(pipeline.inputs, pixels?.encoding);
  const folders = frameFolderNames(source.ids);
  const latencies: number[] = [];
  const files: string[] = [];
  let last: Record<string, { dtype: string; dims: readonly number[] }> = {};
  const t0 = performance.now();
  const run = pipeline.run(source.frames(), {
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const staged = options.out === undefined ? undefined : stageFrameFolder(pipeline, options.out, folders, options);
  try {
    for await (const r of run) {
      latencies.push(r.latencyMs);
      last = Object.fromEntries(Object.entries(r.outputs).map(([k, t]) => [k, { dtype: t.dtype, dims: t.dims }]));
      if (staged !== undefined) {
        const folder = folders[r.frame]!;
        files.push(...(await writeFrameOutputs(r.outputs, staged.at(folder), forms, imageSize)).map((f) => staged.final(join(folder, basename(f)))));
      }
      options.onProgress?.({ kind: 'frame', done: latencies.length, total: source.ids.length });
    }
    staged?.commit();
  } catch (e) {
    if (staged === undefined || !isTandemError(e, 'ABORTED') || latencies.length === 0) throw e;
    staged.commit();
    throw new TandemError('ABORTED', `${e.message}; the outputs of the ${latencies.length} finished frame${latencies.length === 1 ? '' : 's'} are in ${printable(staged.dir)}`, { cause: e, details: { ...e.details, written: files.length } });
  } finally {
    staged?.discard();
  }
  return { source: source.description, frames: latencies.length, latencyMs: summarize(latencies), wallS: (performance.now() - t0) / 1000, outputs: last, files };
}

/** Checks `out` against what the run reads and opens its staging folder. */
function stageFrameFolder(pipeline: Pipeline, out: string, folders: readonly string[], options: RunFramesOptions): StagedFolder {
  const plan = pipeline.plan;
  const input = options.input ?? 'synthetic:8';
  const read: (string | ReadPath)[] = [
    ...plan.stages.flatMap((s) => savedModelFiles(join(plan.dir, s.file)).map((path) => ({ path, what: `the model of stage ${quote(s.name)}` }))),
    ...(input.startsWith('synthetic') ? [] : [{ path: input, what: 'the input frames folder' }]),
    ...(options.protect ?? []),
  ];
  assertFolderFree(out, read, { entries: folders });
  return StagedFolder.begin(out, '--out');
}

/**
 * The image size of a one-input plan (its [N, C, H, W] input, or the float shape a pixel input stands
 * for), at which class and depth maps made at a stride are drawn; undefined for other plans.
 */
function imageSizeOf(inputs: readonly PipelineInput[], encoding: PixelEncoding | undefined): MapSize | undefined {
  if (inputs.length !== 1) return undefined;
  const shape = encoding === undefined ? inputs[0]!.dims : pixelFloatShape(encoding, inputs[0]!.dims);
  return shape.length === 4 && typeof shape[2] === 'number' && typeof shape[3] === 'number' ? { height: shape[2], width: shape[3] } : undefined;
}
