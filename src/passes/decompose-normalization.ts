import type { DataType } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Emitter } from './graph-edit.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, replaceEachNode, findEachNode, type Rewrite } from './pass.js';

export interface NormalizationRewrite extends Rewrite {
  readonly op: 'LayerNormalization' | 'GroupNormalization' | 'InstanceNormalization' | 'MeanVarianceNormalization';
  readonly rank: number;
  /** Input channels (dim 1), 0 where unknown (LayerNormalization, MeanVarianceNormalization need none). */
  readonly channels: number;
  /** GroupNormalization: the input shape as a Reshape target (0 keeps a symbolic batch). */
  readonly shape: readonly number[];
  /** Axes the statistics run over (of the input, or for GroupNormalization of [N, G, rest]). */
  readonly axes: readonly number[];
  readonly epsilon: number;
  /** GroupNormalization: groups, and whether scale/bias are per group (opset 18-20) or per channel (21+). */
  readonly groups: number;
  readonly perGroupAffine: boolean;
  readonly dtype: DataType;
}

/**
 * R-NORM: LayerNormalization, GroupNormalization, InstanceNormalization and MeanVarianceNormalization
 * written out as ReduceMean, Sub, Mul, Add, Sqrt, Div (the DLA-SW 3.14 decompositions). Through
 * TensorRT 8.6 the Sqrt and Div stay on the GPU, so `prepare` keeps a decomposition only where the
 * target's analysis says coverage gains (e.g. when the means become AveragePools). Float32, static
 * shapes where a Reshape needs them (GroupNormalization: all but the batch), constant per-channel
 * affine parameters (Group/Instance), statistics outputs unused.
 */
export const DECOMPOSE_NORMALIZATION = definePass<NormalizationRewrite>({
  name: 'decompose-normalization',
  kind: 'reconstruction',
  summary: 'writes Layer/Group/Instance/MeanVariance normalization out as ReduceMean, Sub, Mul, Add, Sqrt and Div',
  recipes: ['R-NORM'],
  find: findEachNode(plan),
  rewrite: replaceEachNode((e, node, r, edit) => {
    const x = node.inputs[0]!;
    const y = node.outputs[0]!;
    const rank = r.rank;
    const c = r.channels;
    const perChannel = (values: readonly number[]): string => e.floats('affine', [1, c, ...new Array<number>(rank - 2).fill(1)], values, r.dtype);
    switch (r.op) {
      case 'LayerNormalization': {
        const normed = normalize(e, x, r.axes, r.epsilon, r.dtype, false);
        const scaled = e.binary('Mul', normed, node.inputs[1]!, node.input(2) === undefined ? y : undefined);
        if (node.input(2) !== undefined) e.binary('Add', scaled, node.inputs[2]!, y);
        break;
      }
      case 'GroupNormalization': {
        const g = r.groups;
        const grouped = e.reshape(x, [r.shape[0]!, g, r.shape.slice(1).reduce((a, b) => a * b, 1) / g]);
        const normed = e.reshape(normalize(e, grouped, [2], r.epsilon, r.dtype, false), r.shape);
        const expand = (v: number[]): number[] => (r.perGroupAffine ? Array.from({ length: c }, (_, i) => v[Math.floor(i / (c / g))]!) : v);
        e.binary('Add', e.binary('Mul', normed, perChannel(expand(edit.values(node.inputs[1]!)))), perChannel(expand(edit.values(node.inputs[2]!))), y);
        break;
      }
      case 'InstanceNormalization': {
        const normed = normalize(e, x, r.axes, r.epsilon, r.dtype, false);
        e.binary('Add', e.binary('Mul', normed, perChannel(edit.values(node.inputs[1]!))), perChannel(edit.values(node.inputs[2]!)), y);
        break;
      }
      case 'MeanVarianceNormalization':
        normalize(e, x, r.axes, r.epsilon, r.dtype, true, y);
        break;
    }
  }),
});

/** (x − mean) / sqrt(var + ε), or (x − mean) / (sqrt(var) + ε) as MeanVarianceNormalization's function body has it. */
function normalize(e: Emitter, x: string, axes: readonly number[], eps: number, dtype: DataType, epsOutside: boolean, out?: string): string {
  const d = e.binary('Sub', x, e.reduce('ReduceMean', x, axes, true));
  const variance = e.reduce('ReduceMean', e.binary('Mul', d, d), axes, true);
  const epsilon = e.scalar('epsilon', eps, dtype);
  const denominator = epsOutside ? e.binary('Add', e.unary('Sqrt', variance), epsilon) : e.unary('Sqrt', e.binary('Add', variance, epsilon));
  return e.binary('Div', d, denominator, out);
}

const NORMALIZATION_OPS: ReadonlySet<string> = new Set(['LayerNormalization', 'GroupNormalization', 'InstanceNormalization', 'MeanVarianceNormalization']);

function plan(f: GraphFacts, node: Node): NormalizationRewrite | undefined {
  if (node.domain !== '') return undefined;
  if (!NORMALIZATION_OPS.has(node.op)) return undefined;
  const op = node.op as NormalizationRewrite['op'];
  const x = node.input(0);
  const rank = x === undefined ? undefined : f.rank(x);
  if (x === undefined || rank === undefined || f.dtype(x) !== 'float32' || rank < 2) return undefined;
  if (node.outputs.slice(1).some((o) => o !== '' && (f.consumers(o).length > 0 || f.isGraphOutput(o)))) return undefined;
  const dim1 = f.shape(x)?.[1];
  const channels = typeof dim1 === 'number' ? dim1 : 0;
  const base = { nodes: [nodeKey(node)], op, rank, channels, shape: [] as number[], dtype: 'float32' as const, groups: 0, perGroupAffine: false };
  const summary = (what: string): string => `${nodeLabel(node)} → ${what}`;
  switch (op) {
    case 'LayerNormalization': {
      const raw = node.attrs.int('axis', -1);
      const axis = raw < 0 ? raw + rank : raw;
      const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
      return { ...base, summary: summary(`ReduceMean/Sub/Mul/Sqrt/Div over axes [${axes.join(',')}]`), axes, epsilon: node.attrs.float('epsilon', 1e-5) };
    }
    case 'GroupNormalization': {
      const g = node.attrs.int('num_groups', 0);
      const c = channels;
      const target = f.reshapeTarget(x, x);
      if (target === undefined || c === 0 || g < 1 || c % g !== 0 || !f.isConstant(node.input(1)) || !f.isConstant(node.input(2))) return undefined;
      const perGroupAffine = f.opset < 21;
      if (f.constant(node.input(1))!.size !== (perGroupAffine ? g : c)) return undefined;
      return { ...base, shape: target, summary: summary(`Reshape to ${g} groups, ReduceMean/Sub/Mul/Sqrt/Div, per-channel affine`), axes: [2], epsilon: node.attrs.float('epsilon', 1e-5), groups: g, perGroupAffine };
    }
    case 'InstanceNormalization': {
      if (rank < 3 || channels === 0 || f.constant(node.input(1))?.size !== channels || f.constant(node.input(2))?.size !== channels) return undefined;
      const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
      return { ...base, summary: summary(`ReduceMean/Sub/Mul/Sqrt/Div over axes [${axes.join(',')}], per-channel affine`), axes, epsilon: node.attrs.float('epsilon', 1e-5) };
    }
    default: {
      const axes = (node.attrs.ints('axes') ?? [0, 2, 3]).map((a) => (a < 0 ? a + rank : a));
      if (axes.some((a) => a < 0 || a >= rank)) return undefined;
      return { ...base, summary: summary(`ReduceMean/Sub/Mul/Sqrt/Add/Div over axes [${axes.join(',')}]`), axes, epsilon: 1e-9 };
    }
  }
}

/** Layer/Group/Instance/MeanVariance normalization → elementary ops. */
export function decomposeNormalization(model: Model): Model {
  return DECOMPOSE_NORMALIZATION.run(model).model;
}
