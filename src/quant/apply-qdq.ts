import { quote } from '../util/text.js';
import { TandemError } from '../util/errors.js';
import { attr } from '../ir/attribute.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { Node } from '../ir/node.js';
import { Tensor } from '../ir/tensor.js';
import type { QdqConsumer, QdqPlan } from './qdq-plan.js';

/** QuantizeLinear with a per-axis scale needs opset 13 (reference §1; ONNX QuantizeLinear-13). */
const MIN_QDQ_OPSET = 13;

/**
 * Applies a Q/DQ plan to a copy of `model`: one QuantizeLinear → DequantizeLinear pair per planned
 * tensor (symmetric: int8 zero point 0), its readers rewired to the dequantized value. Weights keep
 * their float32 values behind a per-channel Q/DQ pair (ModelOpt and pytorch-quantization exports do the
 * same; TensorRT folds it into INT8 weights).
 */
export function applyQdqPlan(model: Model, plan: QdqPlan): Model {
  const opset = model.opset('') ?? 0;
  if (opset < MIN_QDQ_OPSET) {
    throw new TandemError('QDQ_MODEL', `the model imports ai.onnx opset ${opset}; per-channel QuantizeLinear needs opset ${MIN_QDQ_OPSET} or later; convert the model to opset 13+ first (e.g. onnx.version_converter)`);
  }
  void model.graph.nodes; // sort first: positions in the plan index the sorted order, which clone keeps
  const out = model.clone();
  const g = out.graph;
  const byPosition = [...g.nodes];
  const resolve = (c: QdqConsumer): Node => {
    const n = byPosition[c.position];
    if (n === undefined || n.name !== c.node) throw new TandemError('QDQ_MODEL', `the Q/DQ plan names node ${quote(c.node)} at position ${c.position}, which this model does not have there; the plan was made for another model`);
    return n;
  };
  for (const w of plan.weights) {
    const consumer = resolve(w.consumer);
    const channels = w.scales.length;
    const dq = insertPair(g, w.tensor, new Tensor('float32', [channels], Float32Array.from(w.scales)), new Tensor('int8', [channels], new Int8Array(channels)), w.axis, consumer);
    consumer.setInput(w.consumer.input, dq);
  }
  for (const a of plan.activations) {
    const readers = a.consumers === 'all' ? g.consumers(a.tensor).map((n) => ({ n, inputs: indicesOf(n, a.tensor) })) : a.consumers.map((c) => ({ n: resolve(c), inputs: [c.input] }));
    if (readers.length === 0) continue;
    const before = readers.map((r) => r.n).sort((x, y) => g.positionOf(x) - g.positionOf(y))[0]!;
    const dq = insertPair(g, a.tensor, new Tensor('float32', [], Float32Array.of(a.scale)), new Tensor('int8', [], new Int8Array(1)), undefined, before);
    for (const r of readers) for (const i of r.inputs) if (r.n.inputs[i] === a.tensor) r.n.setInput(i, dq);
  }
  g.topologicalSort();
  return out;
}

function indicesOf(node: Node, tensor: string): number[] {
  const out: number[] = [];
  node.inputs.forEach((n, i) => {
    if (n === tensor) out.push(i);
  });
  return out;
}

/** Adds `tensor` → QuantizeLinear → DequantizeLinear before `before`; returns the dequantized name. */
function insertPair(g: Graph, tensor: string, scale: Tensor, zeroPoint: Tensor, axis: number | undefined, before: Node): string {
  const base = tensor.replace(/[^A-Za-z0-9_./:-]/g, '_');
  const scaleName = g.freshName(`${base}_scale`);
  const zpName = g.freshName(`${base}_zero_point`);
  g.setInitializer(scaleName, scale);
  g.setInitializer(zpName, zeroPoint);
  const quantized = g.freshName(`${base}_quantized`);
  const attrs = axis === undefined ? {} : { axis: attr.int(axis) };
  const q = new Node({ op: 'QuantizeLinear', name: g.freshName(`${base}_QuantizeLinear`), inputs: [tensor, scaleName, zpName], outputs: [quantized], attrs });
  g.addNode(q, { before });
  const dequantized = g.freshName(`${base}_dequantized`);
  const dq = new Node({ op: 'DequantizeLinear', name: g.freshName(`${base}_DequantizeLinear`), inputs: [quantized, scaleName, zpName], outputs: [dequantized], attrs });
  g.addNode(dq, { after: q });
  return dequantized;
}
