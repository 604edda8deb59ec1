import { quote } from '../../util/text.js';
import { TandemError } from '../../util/errors.js';

/** A stage as the scheduler sees it: a name, the stream it runs on, the tensors it reads and writes. */
export interface ScheduleStage {
  readonly name: string;
  readonly stream: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** Stages in a topological order, with who reads each tensor; built once, read by the scheduler. */
export interface ScheduleGraph {
  readonly stages: readonly ScheduleStage[];
  /** Tensors no stage produces: each frame's feeds. */
  readonly inputs: readonly string[];
  /** Tensors handed to the consumer with each frame. */
  readonly outputs: readonly string[];
  readonly outputSet: ReadonlySet<string>;
  /** Tensor → the stages that read it. */
  readonly consumers: ReadonlyMap<string, readonly string[]>;
  /** Streams in order of their first stage. */
  readonly streams: readonly string[];
}

/**
 * Checks the stages form a DAG (each tensor produced once, no cycles, every output produced) and orders
 * them topologically (stable: ties keep the given order). Throws TandemError `GRAPH_INVALID` / `GRAPH_CYCLE`.
 */
export function buildScheduleGraph(stages: readonly ScheduleStage[], outputs: readonly string[]): ScheduleGraph {
  const producer = new Map<string, string>();
  const names = new Set<string>();
  for (const s of stages) {
    if (names.has(s.name)) throw new TandemError('GRAPH_INVALID', `two stages are named ${quote(s.name)}; stage names must be unique`);
    names.add(s.name);
    for (const o of s.outputs) {
      const other = producer.get(o);
      if (other !== undefined) throw new TandemError('GRAPH_INVALID', `tensor ${quote(o)} is produced by both stage ${quote(other)} and stage ${quote(s.name)}; each tensor needs one producer`);
      producer.set(o, s.name);
    }
  }
  for (const o of outputs) {
    if (!producer.has(o)) throw new TandemError('GRAPH_INVALID', `output ${quote(o)} is produced by no stage; outputs must come from a stage (produced: ${[...producer.keys()].join(', ') || 'none'})`);
  }
  const consumers = new Map<string, string[]>();
  const inputs: string[] = [];
  for (const s of stages) {
    for (const i of s.inputs) {
      const list = consumers.get(i) ?? [];
      if (!list.includes(s.name)) list.push(s.name);
      consumers.set(i, list);
      if (!producer.has(i) && !inputs.includes(i)) inputs.push(i);
    }
  }
  const ordered: ScheduleStage[] = [];
  const done = new Set<string>();
  const available = new Set(inputs);
  while (ordered.length < stages.length) {
    const next = stages.find((s) => !done.has(s.name) && s.inputs.every((i) => available.has(i)));
    if (next === undefined) {
      const stuck = stages.filter((s) => !done.has(s.name)).map((s) => `${quote(s.name)}`);
      throw new TandemError('GRAPH_CYCLE', `stages ${stuck.join(', ')} wait on each other's outputs (a cycle); a pipeline's stages must form a DAG`);
    }
    ordered.push(next);
    done.add(next.name);
    for (const o of next.outputs) available.add(o);
  }
  const streams: string[] = [];
  for (const s of ordered) if (!streams.includes(s.stream)) streams.push(s.stream);
  return { stages: ordered, inputs, outputs: [...outputs], outputSet: new Set(outputs), consumers, streams };
}
