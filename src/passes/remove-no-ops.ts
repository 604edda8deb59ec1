import { dataTypeFromCode } from '../ir/dtype.js';
import type { Model } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Shape } from '../ir/types.js';
import { canTakeOutputName } from './graph-edit.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface NoOpRewrite extends Rewrite {
  /** Which input passes through unchanged. */
  readonly input: number;
  readonly why: string;
}

/**
 * Removes nodes whose output equals one of their inputs: Identity, inference Dropout, Cast to the same
 * type, shape ops that keep the shape, identity Transpose, full Slice, zero Pad, one-input Concat,
 * Tile by ones, Resize by ones, and x+0, x-0, x*1, x/1. Covers recipe R-ID (an Identity that cannot be
 * removed, graph input straight to graph output, stays).
 */
export const REMOVE_NO_OPS = definePass<NoOpRewrite>({
  name: 'remove-no-ops',
  kind: 'cleanup',
  summary: 'removes Identity, inference Dropout and every op that provably passes a tensor through unchanged',
  recipes: ['R-ID'],
  find(facts) {
    const out: NoOpRewrite[] = [];
    for (const node of facts.nodes) {
      const hit = passThrough(facts, node);
      if (hit === undefined) continue;
      const from = node.inputs[hit.input]!;
      const to = node.outputs[0]!;
      if (facts.isGraphOutput(to) && !canTakeOutputName(facts.graph, from)) continue;
      out.push({ nodes: [nodeKey(node)], summary: `${nodeLabel(node)} removed: ${hit.why}`, input: hit.input, why: hit.why });
    }
    return out;
  },
  rewrite(edit, r) {
    const node = edit.node(r.nodes[0]!);
    edit.bypass(node, node.inputs[r.input]!, node.outputs[0]!);
  },
});

/** Removes nodes that pass a tensor through unchanged. */
export function removeNoOps(model: Model): Model {
  return REMOVE_NO_OPS.run(model).model;
}

interface Hit {
  input: number;
  why: string;
}

function passThrough(f: GraphFacts, node: Node): Hit | undefined {
  const x = node.input(0);
  const y = node.outputs[0];
  if (x === undefined || y === undefined || y === '' || node.domain !== '') return undefined;
  const extraOutputsUsed = node.outputs.slice(1).some((o) => o !== '' && (f.consumers(o).length > 0 || f.isGraphOutput(o)));
  const sameShape = (): boolean => shapesEqual(f.shape(x), f.shape(y)) && f.dtype(x) === f.dtype(y) && f.dtype(x) !== undefined;
  switch (node.op) {
    case 'Identity':
      return { input: 0, why: 'Identity' };
    case 'Dropout': {
      if (extraOutputsUsed) return undefined;
      const training = node.input(2);
      if (training !== undefined && f.values(training)?.[0] !== 0) return undefined;
      return { input: 0, why: 'Dropout does nothing at inference' };
    }
    case 'Cast':
      return f.dtype(x) !== undefined && f.dtype(x) === f.dtype(y) && f.dtype(x) === castTarget(node) ? { input: 0, why: `Cast to its own type ${f.dtype(x)}` } : undefined;
    case 'Reshape':
    case 'Flatten':
    case 'Squeeze':
    case 'Unsqueeze':
    case 'Expand':
      return sameShape() ? { input: 0, why: `${node.op} keeps the shape` } : undefined;
    case 'Transpose': {
      const perm = node.attrs.ints('perm');
      const rank = f.rank(x);
      const identity = perm !== undefined ? perm.every((p, i) => p === i) : rank !== undefined && rank <= 1;
      return identity ? { input: 0, why: 'identity permutation' } : undefined;
    }
    case 'Slice': {
      const steps = node.input(4) === undefined ? [] : f.values(node.input(4));
      if (steps === undefined || steps.some((s) => s !== 1)) return undefined;
      return sameShape() && f.staticShape(x) !== undefined ? { input: 0, why: 'Slice covers the whole tensor' } : undefined;
    }
    case 'Pad': {
      const pads = node.attrs.ints('pads') ?? f.values(node.input(1));
      return pads !== undefined && pads.every((p) => p === 0) ? { input: 0, why: 'all pads are 0' } : undefined;
    }
    case 'Concat':
      return node.inputs.filter((i) => i !== '').length === 1 ? { input: 0, why: 'Concat of one tensor' } : undefined;
    case 'Split':
      return node.outputs.length === 1 && sameShape() ? { input: 0, why: 'Split into one piece' } : undefined;
    case 'Tile': {
      const reps = f.values(node.input(1));
      return reps !== undefined && reps.every((r) => r === 1) ? { input: 0, why: 'Tile by ones' } : undefined;
    }
    case 'Resize': {
      const mode = node.attrs.string('mode', 'nearest');
      const coord = node.attrs.string('coordinate_transformation_mode', 'half_pixel');
      const ok = (mode === 'nearest' || mode === 'linear') && coord !== 'tf_crop_and_resize' && node.attrs.int('antialias', 0) === 0;
      return ok && sameShape() && f.staticShape(x) !== undefined ? { input: 0, why: 'Resize to the same size' } : undefined;
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return neutralOperand(f, node);
    default:
      return undefined;
  }
}

/** x+0, 0+x, x-0, x*1, 1*x, x/1 where the constant does not broadcast the result to a larger shape. */
function neutralOperand(f: GraphFacts, node: Node): Hit | undefined {
  const y = node.outputs[0]!;
  const neutral = node.op === 'Add' || node.op === 'Sub' ? 0 : 1;
  const commutes = node.op === 'Add' || node.op === 'Mul';
  for (const [xi, ci] of commutes ? [[0, 1], [1, 0]] : [[0, 1]]) {
    const x = node.input(xi!);
    const values = f.values(node.input(ci!));
    if (x === undefined || values === undefined || values.length === 0 || !values.every((v) => v === neutral)) continue;
    if (shapesEqual(f.shape(x), f.shape(y)) && f.dtype(x) === f.dtype(y) && f.dtype(x) !== undefined) {
      return { input: xi!, why: `${node.op} by the constant ${neutral}` };
    }
  }
  return undefined;
}

function castTarget(node: Node): string | undefined {
  const code = node.attrs.int('to');
  return code === undefined ? undefined : dataTypeFromCode(code);
}

/** Equal known shapes: same rank, each dim the same number or the same symbol. */
export function shapesEqual(a: Shape | undefined, b: Shape | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((d, i) => d !== null && d === b[i]);
}
