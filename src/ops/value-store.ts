import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { symFromTensor, type SymTensor } from './sym-tensor.js';

/**
 * Values that shape inference found, per graph. Kept beside the graph (the IR has no slot for them)
 * and replaced on every inferShapes run; a graph edited afterwards needs inferShapes again, as its
 * inferred types do.
 */
interface GraphValues {
  /** Known values by tensor name; null records "looked at, not known". */
  readonly values: Map<string, SymTensor | null>;
  /** constantValue results. */
  readonly tensors: Map<string, Tensor | null>;
  /** IR version < 4: initializers listed as graph inputs are constants, not overridable defaults. */
  readonly initializerInputsAreConstant: boolean;
}

const STORES = new WeakMap<Graph, GraphValues>();

export function resetValueStore(graph: Graph, initializerInputsAreConstant: boolean): GraphValues {
  const store: GraphValues = { values: new Map(), tensors: new Map(), initializerInputsAreConstant };
  STORES.set(graph, store);
  return store;
}

export function valueStore(graph: Graph): GraphValues {
  return STORES.get(graph) ?? resetValueStore(graph, false);
}

/** Whether an initializer is a fixed value (not an input a caller may override). */
export function isFixedInitializer(graph: Graph, name: string): boolean {
  if (!graph.isInitializer(name)) return false;
  return !graph.isGraphInput(name) || valueStore(graph).initializerInputsAreConstant;
}

/** The known value of `name` as seen from `graph` (walking out to enclosing graphs for outer names). */
export function lookupValue(graph: Graph, name: string): SymTensor | undefined {
  for (let g: Graph | undefined = graph; g !== undefined; g = g.parent) {
    const store = valueStore(g);
    const known = store.values.get(name);
    if (known !== undefined) return known ?? undefined;
    if (g.producer(name) !== undefined) return undefined;
    if (g.isInitializer(name)) {
      const t = isFixedInitializer(g, name) ? g.initializers.get(name) : undefined;
      const v = t === undefined ? undefined : symFromTensor(t);
      store.values.set(name, v ?? null);
      return v;
    }
    if (g.isGraphInput(name)) return undefined;
  }
  return undefined;
}
