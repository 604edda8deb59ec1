import type { Model } from '../ir/model.js';
import { nodeKey, nodeLabel, type GraphFacts } from './graph-facts.js';
import { definePass, type Rewrite } from './pass.js';

export interface ResizeScalesRewrite extends Rewrite {
  readonly scales: readonly number[];
}

/**
 * R-RESIZE-SCALES: a Resize given output `sizes` that are known before running (constants, or computed
 * from static shapes) gets the equivalent constant `scales` instead (the DLA takes only scales, L-RESIZE
 * Z1). Applied where each ratio sizes/input is exact in float32 and gives back the size exactly, so the
 * output shape and sampling grid are unchanged.
 */
export const CONVERT_RESIZE_SIZES_TO_SCALES = definePass<ResizeScalesRewrite>({
  name: 'convert-resize-sizes-to-scales',
  kind: 'conversion',
  summary: 'replaces constant Resize sizes by the equivalent constant scales',
  recipes: ['R-RESIZE-SCALES'],
  find(facts) {
    const out: ResizeScalesRewrite[] = [];
    for (const node of facts.nodes) {
      if (node.op !== 'Resize' || node.domain !== '' || facts.opset < 11) continue;
      if (node.attrs.has('axes') || node.attrs.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') continue;
      if (node.attrs.string('coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize') continue;
      const x = node.input(0);
      const y = node.outputs[0];
      // exporters of opset 11 pass an empty constant as `scales` beside `sizes`
      const scalesGiven = node.input(2) !== undefined && facts.constant(node.input(2))?.size !== 0;
      if (x === undefined || y === undefined || node.input(3) === undefined || scalesGiven) continue;
      const scales = ratios(facts, x, y, facts.values(node.input(3)));
      if (scales === undefined) continue;
      const sizes = facts.shape(y)!;
      out.push({ nodes: [nodeKey(node)], summary: `${nodeLabel(node)}: sizes [${sizes.join(',')}] → scales [${scales.join(',')}]`, scales });
    }
    return out;
  },
  rewrite(edit, r) {
    const node = edit.node(r.nodes[0]!);
    const e = edit.emitter(node.name || 'resize');
    const scales = e.floats('scales', [r.scales.length], r.scales);
    // opset 11/12 still require the roi input; an empty one is what exporters write
    const roi = node.input(1) ?? (edit.opset < 13 ? e.floats('roi', [0], []) : '');
    node.setInputs([node.inputs[0]!, roi, scales]);
  },
});

/**
 * sizes / input per dim, each exact in float32 and giving the size back exactly. Sizes computed from
 * shapes (PyTorch's `size=(x.shape[2], x.shape[3])`) count when shape inference knows the output: a
 * dim that is the same symbol (the batch) on both sides has ratio 1.
 */
function ratios(f: GraphFacts, x: string, y: string, sizes: number[] | undefined): number[] | undefined {
  const input = f.shape(x);
  const output = sizes ?? f.shape(y);
  if (input === undefined || output === undefined || input.length !== output.length) return undefined;
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const a = input[i];
    const b = output[i];
    if (typeof a === 'string' && a === b) out.push(1);
    else if (typeof a === 'number' && typeof b === 'number' && a > 0) {
      const s = b / a;
      if (Math.fround(s) !== s || a * s !== b) return undefined;
      out.push(s);
    } else return undefined;
  }
  return out;
}

/** Constant Resize sizes → constant scales. */
export function convertResizeSizesToScales(model: Model): Model {
  return CONVERT_RESIZE_SIZES_TO_SCALES.run(model).model;
}
