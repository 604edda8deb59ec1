import { mkdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { safeFileName, writeFrameOutputs } from '../../io/frame-outputs.js';
import type { ProgressCallback } from '../../util/progress.js';
import { openFrameSource, type FrameSourceOptions } from './frame-source.js';
import type { Pipeline, PipelineMode } from './pipeline.js';
import { summarize, type SampleStats } from './stats.js';

/** Options of `runFrames`. */
export interface RunFramesOptions extends FrameSourceOptions {
  /** Frames: `synthetic:N` or a folder of images, .npy or .npz files (see openFrameSource). @default 'synthetic:8' */
  readonly input?: string;
  /** Write each frame's outputs as .npy (and colour-mapped PNGs for class maps and depth) into `<out>/<frame id>/`. @default none (nothing written) */
  readonly out?: string;
  /** Overlap frames across engines, or run them one at a time. @default 'pipelined' */
  readonly mode?: PipelineMode;
  /** Frames admitted and not yet taken, at most. @default the pipeline's (streams + 1) */
  readonly maxInFlight?: number;
  /** Stops the run; frames that finished are kept, the run ends with TandemError `ABORTED`. */
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

/** Runs frames through an open pipeline, in frame order, writing each frame's outputs where asked. */
export async function runFrames(pipeline: Pipeline, options: RunFramesOptions = {}): Promise<RunFramesResult> {
  const pixels = options.pixels ?? pipeline.plan.io?.input;
  const source = openFrameSource(options.input ?? 'synthetic:8', pipeline.inputs, { ...(options.image ? { image: options.image } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(pixels ? { pixels } : {}) });
  const forms = pipeline.plan.io?.outputs ?? {};
  if (options.out !== undefined) mkdirSync(options.out, { recursive: true });
  const latencies: number[] = [];
  const files: string[] = [];
  let last: Record<string, { dtype: string; dims: readonly number[] }> = {};
  const t0 = performance.now();
  const run = pipeline.run(source.frames(), {
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const r of run) {
    latencies.push(r.latencyMs);
    last = Object.fromEntries(Object.entries(r.outputs).map(([k, t]) => [k, { dtype: t.dtype, dims: t.dims }]));
    if (options.out !== undefined) {
      const id = source.ids[r.frame]!;
      files.push(...(await writeFrameOutputs(r.outputs, join(options.out, safeFileName(id.slice(0, id.length - extname(id).length) || id)), forms)));
    }
    options.onProgress?.({ kind: 'frame', done: latencies.length, total: source.ids.length });
  }
  return { source: source.description, frames: latencies.length, latencyMs: summarize(latencies), wallS: (performance.now() - t0) / 1000, outputs: last, files };
}
