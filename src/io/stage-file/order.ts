import { TandemError } from '../../util/errors.js';

/** What ordering needs of a stage: the tensors it reads and writes. */
export interface StageLinks {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface StageOrder<T> {
  /** Stages in an order that runs: each after the stages producing its inputs, otherwise as listed. */
  readonly order: T[];
  /** Stages that no order runs (on a cycle, or after one); empty when all are ordered. */
  readonly blocked: T[];
}

/**
 * The one stage-order computation of tensors (split, quantize, plan and the runtime use it): repeatedly
 * takes the first listed stage whose inputs are all available. An input no stage produces is an input
 * of the whole model and available from the start.
 */
export function stageOrder<T>(stages: readonly T[], links: (s: T) => StageLinks = (s) => s as unknown as StageLinks): StageOrder<T> {
  const produced = new Set(stages.flatMap((s) => links(s).outputs));
  const done = new Set<string>();
  const left = [...stages];
  const order: T[] = [];
  for (;;) {
    const i = left.findIndex((s) => links(s).inputs.every((t) => done.has(t) || !produced.has(t)));
    if (i < 0) break;
    const [s] = left.splice(i, 1);
    order.push(s!);
    for (const t of links(s!).outputs) done.add(t);
  }
  return { order, blocked: left };
}

/** Stages in run order; throws `GRAPH_CYCLE` naming the stages that read each other's outputs. */
export function runOrder<T>(stages: readonly T[], links: (s: T) => StageLinks = (s) => s as unknown as StageLinks): T[] {
  const { order, blocked } = stageOrder(stages, links);
  if (blocked.length > 0) {
    throw new TandemError('GRAPH_CYCLE', `the stages ${blocked.map((s) => JSON.stringify(links(s).name)).join(', ')} read each other's outputs in a cycle; no order runs them — cut the model so that data flows one way between stages`);
  }
  return order;
}
