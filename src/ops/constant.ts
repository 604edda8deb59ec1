import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import { Tensor } from '../ir/tensor.js';
import { tensorFromValues, tensorValues } from '../ir/tensor-values.js';
import { MAX_VALUE_ELEMENTS, elementsOf, symToTensor } from './sym-tensor.js';
import { isFixedInitializer, lookupValue, valueStore } from './value-store.js';

const utf8 = new TextEncoder();

/**
 * The tensor a Constant node holds (whichever `value*` attribute it has), or undefined when it has
 * none that can be read (a sparse value too large to make dense).
 */
export function constantNodeTensor(node: Node): Tensor | undefined {
  const a = node.attrs;
  const t = a.tensor('value');
  if (t) return t;
  const f = a.get('value_float');
  if (f !== undefined) return tensorFromValues('float32', [], [a.float('value_float', 0)]);
  const fs = a.floats('value_floats');
  if (fs) return tensorFromValues('float32', [fs.length], fs);
  const i = a.get('value_int');
  if (i !== undefined) return tensorFromValues('int64', [], [a.int('value_int', 0)]);
  const is = a.ints('value_ints');
  if (is) return tensorFromValues('int64', [is.length], is);
  const s = a.string('value_string');
  if (s !== undefined) return new Tensor('string', [], [utf8.encode(s)]);
  const ss = a.strings('value_strings');
  if (ss) return new Tensor('string', [ss.length], ss.map((x) => utf8.encode(x)));
  const sparse = a.get('sparse_value');
  if (sparse?.type === 'sparseTensor') {
    const { values, indices, dims } = sparse.value;
    const n = elementsOf(dims);
    if (n > MAX_VALUE_ELEMENTS || values.dtype === 'string' || values.dtype === 'complex64' || values.dtype === 'complex128') return undefined;
    const dense = new Array<number>(n).fill(0);
    const vals = tensorValues(values);
    const idx = tensorValues(indices);
    // COO indices: either [NNZ] linear positions or [NNZ, rank] coordinates.
    const rank = dims.length;
    const coordinates = indices.dims.length === 2;
    for (let k = 0; k < vals.length; k++) {
      let pos = 0;
      if (coordinates) for (let ax = 0; ax < rank; ax++) pos = pos * dims[ax]! + idx[k * rank + ax]!;
      else pos = idx[k]!;
      if (pos >= 0 && pos < n) dense[pos] = vals[k]!;
    }
    return tensorFromValues(values.dtype, dims, dense);
  }
  return undefined;
}

/**
 * The value of a tensor when it is statically known: a fixed initializer (not one a caller may
 * override as a graph input), a Constant node's output, or a shape computation that inferShapes
 * folded to numbers. Call after inferShapes for folded values; results are cached per graph.
 * The tensor returned may be shared with the graph: do not modify it.
 */
export function constantValue(graph: Graph, name: string): Tensor | undefined {
  // Outer-scope names of a subgraph belong to the graph that defines them.
  let owner: Graph | undefined = graph;
  while (owner !== undefined && !owner.isInitializer(name) && owner.producer(name) === undefined && !owner.isGraphInput(name)) owner = owner.parent;
  if (owner === undefined) return undefined;
  graph = owner;
  const store = valueStore(graph);
  const cached = store.tensors.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let result: Tensor | undefined;
  if (graph.isInitializer(name)) {
    result = isFixedInitializer(graph, name) ? graph.initializers.get(name) : undefined;
  } else {
    const producer = graph.producer(name);
    if (producer?.op === 'Constant' && producer.domain === '') result = constantNodeTensor(producer);
    if (result === undefined) {
      const v = lookupValue(graph, name);
      result = v === undefined ? undefined : symToTensor(v, name);
    }
  }
  store.tensors.set(name, result ?? null);
  return result;
}
