import { TandemError } from '../../util/errors.js';
import type { Tensor } from '../../ir/tensor.js';
import type { PipelineInput, PipelineRunOptions } from './pipeline.js';
import { scheduleRun, toAsync } from './pipeline.js';
import { buildScheduleGraph, type ScheduleGraph, type ScheduleStage } from './schedule-graph.js';
import type { ScheduledFrame, StageRunner } from './scheduler.js';

/** A stage of a function pipeline: a ScheduleStage plus a label for its engine in reports. */
export interface FunctionStage extends ScheduleStage {
  /** @default 'function' */
  readonly engine?: string;
}

/** A pipeline whose stages are plain async functions: the scheduler without onnxruntime (tests, benchmarks, custom engines). */
export interface FunctionPipeline<V = Tensor> {
  readonly stages: readonly { readonly name: string; readonly stream: string; readonly engine: string }[];
  readonly streams: readonly string[];
  readonly inputs: readonly PipelineInput[];
  readonly graph: ScheduleGraph;
  run(frames: AsyncIterable<Readonly<Record<string, V>>> | Iterable<Readonly<Record<string, V>>>, options?: PipelineRunOptions): AsyncGenerator<ScheduledFrame<V>, void, undefined>;
}

/**
 * Builds a pipeline over functions: `runStage(stage, feeds, frame)` returns the stage's outputs. `inputs`
 * describes each frame's feeds (for synthetic frames in bench); `release` frees a hand-off value.
 */
export function createFunctionPipeline<V = Tensor>(
  stages: readonly FunctionStage[],
  outputs: readonly string[],
  runStage: StageRunner<V>,
  options: { readonly inputs?: readonly PipelineInput[]; readonly release?: (value: V) => void } = {},
): FunctionPipeline<V> {
  const graph = buildScheduleGraph(stages, outputs);
  const inputs = options.inputs ?? [];
  const missing = graph.inputs.filter((n) => inputs.length > 0 && !inputs.some((i) => i.name === n));
  if (missing.length > 0) throw new TandemError('USAGE', `inputs ${missing.join(', ')} are read by the stages but not described`);
  let running = false;
  return {
    stages: graph.stages.map((s) => ({ name: s.name, stream: s.stream, engine: stages.find((f) => f.name === s.name)?.engine ?? 'function' })),
    streams: graph.streams,
    inputs,
    graph,
    async *run(frames, runOptions = {}) {
      if (running) throw new TandemError('RUN_IN_PROGRESS', 'this pipeline is already running frames; one run at a time');
      running = true;
      const scheduler = scheduleRun(graph, runStage, runOptions, options.release);
      try {
        yield* scheduler.run(toAsync(frames));
      } finally {
        await scheduler.whenIdle();
        running = false;
      }
    },
  };
}
