import type { Model } from '../../ir/model.js';
import { Node } from '../../ir/node.js';

/**
 * A stage of an Orin plan hands INT8 tensors over (its graph inputs dequantized by DequantizeLinear, its
 * outputs made by QuantizeLinear). TensorRT ≤ 10.x builds the DLA from a float model and a calibration
 * cache, so before the Q/DQ translation each INT8 boundary becomes float with a Q/DQ pair on it: an
 * input x gets `x → QuantizeLinear → (the DequantizeLinear it had)`, an output y gets
 * `QuantizeLinear → DequantizeLinear → y`, with the same scale and zero point. The function is the same
 * up to the boundary's own rounding; the tensor names stay, so the cache's scales apply to them.
 */
export function floatBoundaries(input: Model): Model {
  const model = input.clone();
  const g = model.graph;
  for (const x of [...g.runtimeInputs]) {
    const t = g.tensorType(x);
    const dqs = g.consumers(x).filter((n) => n.op === 'DequantizeLinear' && n.inputs[0] === x);
    if (t?.dtype !== 'int8' || dqs.length === 0) continue;
    const dq = dqs[0]!;
    const q = g.freshName(`${x}_quantized`);
    g.replaceUses(x, q);
    g.setValueType(x, { kind: 'tensor', dtype: 'float32', shape: t.shape });
    g.addNode(new Node({ op: 'QuantizeLinear', name: g.freshName(`${x}_QuantizeLinear`), inputs: [x, dq.inputs[1]!, ...(dq.inputs[2] ? [dq.inputs[2]] : [])], outputs: [q] }), { before: dq });
  }
  for (const y of [...g.outputs]) {
    const t = g.tensorType(y);
    const q = g.producer(y);
    if (t?.dtype !== 'int8' || q === undefined || q.op !== 'QuantizeLinear') continue;
    const inner = g.freshName(`${y}_quantized`);
    g.renameValue(y, inner);
    g.setOutputs(g.outputs.map((o) => (o === inner ? y : o)));
    g.setValueType(y, { kind: 'tensor', dtype: 'float32', shape: t.shape });
    g.addNode(new Node({ op: 'DequantizeLinear', name: g.freshName(`${y}_DequantizeLinear`), inputs: [inner, q.inputs[1]!, ...(q.inputs[2] ? [q.inputs[2]] : [])], outputs: [y] }), { after: q });
  }
  return model;
}
