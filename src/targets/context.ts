import type { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import { tensorValues } from '../ir/tensor-values.js';
import type { Shape } from '../ir/types.js';
import { isStaticShape } from '../ir/types.js';
import { constantValue } from '../ops/index.js';
import type { OpSupport, Precision, RuleContext, TargetProfile } from './types.js';

/** Constants larger than this are not read element by element (a uniformity check on a huge tensor). */
const MAX_READ_ELEMENTS = 1 << 20;

/** What vanishes at build time: folded nodes, the constants they make, and removed pass-through nodes. */
export interface BuildFacts {
  /** Nodes TensorRT folds (all inputs constant, or Shape/Size of a static shape) or removes (Dropout). */
  readonly atBuild: ReadonlySet<Node>;
  /** Why each of those vanishes. */
  readonly buildReason: ReadonlyMap<Node, string>;
  /** Build-time constant tensor names that are not initializers. */
  readonly folded: ReadonlySet<string>;
  /** Output → input of removed pass-through nodes (Dropout): consumers of the output read the input. */
  readonly alias: ReadonlyMap<string, string>;
}

/**
 * Finds what TensorRT resolves at build time: a node all of whose inputs are constants is folded
 * (reference G11: constants fold into their consumers), as is Shape/Size of a static shape (BUILD
 * rows); nodes of `removed` rows become wires. Nodes with subgraphs and non-deterministic ops never fold.
 */
export function findBuildFacts(graph: Graph, profile: TargetProfile): BuildFacts {
  const atBuild = new Set<Node>();
  const buildReason = new Map<Node, string>();
  const folded = new Set<string>();
  const alias = new Map<string, string>();
  const isConst = (name: string): boolean => graph.isInitializer(name) || folded.has(name);
  for (const node of graph.nodes) {
    const support = opSupportOf(profile, node);
    if (support.placement === 'removed') {
      const input = node.input(0);
      if (input !== undefined && isConst(input)) {
        for (const o of node.outputs) if (o !== '') folded.add(o);
      } else if (input !== undefined && node.outputs[0]) {
        alias.set(node.outputs[0], resolveAlias(alias, input));
      }
      atBuild.add(node);
      buildReason.set(node, `${node.op} is removed by the TensorRT ONNX parser at inference`);
      continue;
    }
    if (node.attrs.subgraphs().length > 0 || support.row?.fold === 'never') continue;
    const inputs = node.inputs.filter((i) => i !== '');
    let reason: string | undefined;
    if (support.row?.fold === 'shape-only' && inputs.length === 1) {
      const shape = graph.tensorType(resolveAlias(alias, inputs[0]!))?.shape;
      if (isStaticShape(shape)) reason = `${node.op} of a static shape folds at build time`;
    } else if (inputs.length > 0 ? inputs.every(isConst) : support.placement === 'build') {
      reason = inputs.length > 0 ? 'all inputs are build-time constants: TensorRT folds it' : `${node.op} is a build-time constant`;
    }
    if (reason === undefined) continue;
    atBuild.add(node);
    buildReason.set(node, reason);
    for (const o of node.outputs) if (o !== '') folded.add(o);
  }
  return { atBuild, buildReason, folded, alias };
}

export function resolveAlias(alias: ReadonlyMap<string, string>, name: string): string {
  let n = name;
  for (let next = alias.get(n); next !== undefined; next = alias.get(n)) n = next;
  return n;
}

/** How a profile treats a node's op (default domain by table, everything else as unknown). */
export function opSupportOf(profile: TargetProfile, node: Node): OpSupport {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return profile.unknownOp;
  return profile.ops.get(node.op) ?? profile.unknownOp;
}

export function createRuleContext(graph: Graph, profile: TargetProfile, precision: Precision, opset: number, facts: BuildFacts): RuleContext {
  const valueCache = new Map<string, readonly number[] | null>();
  const consumerCache = new Map<string, readonly Node[]>();
  const isConstant = (name: string): boolean => {
    if (graph.isInitializer(name) || facts.folded.has(name)) return true;
    const p = graph.producer(name);
    return p !== undefined && p.op === 'Constant' && (p.domain === '' || p.domain === 'ai.onnx');
  };
  const constant = (name: string): Tensor | undefined => graph.initializer(name) ?? constantValue(graph, name);
  return {
    graph,
    profile,
    limits: profile.limits,
    precision,
    opset,
    shape: (name: string): Shape | undefined => graph.tensorType(resolveAlias(facts.alias, name))?.shape,
    dtype: (name: string): DataType | undefined => graph.tensorType(resolveAlias(facts.alias, name))?.dtype,
    isConstant,
    constant,
    values(name: string): readonly number[] | undefined {
      const cached = valueCache.get(name);
      if (cached !== undefined) return cached ?? undefined;
      const t = isConstant(name) ? constant(name) : undefined;
      let values: readonly number[] | null = null;
      if (t !== undefined && t.size <= MAX_READ_ELEMENTS && t.dtype !== 'string' && t.dtype !== 'complex64' && t.dtype !== 'complex128') {
        values = tensorValues(t);
      }
      valueCache.set(name, values);
      return values ?? undefined;
    },
    consumers(name: string): readonly Node[] {
      let list = consumerCache.get(name);
      if (list === undefined) {
        list = graph.consumers(name).filter((n) => !facts.atBuild.has(n));
        consumerCache.set(name, list);
      }
      return list;
    },
  };
}
