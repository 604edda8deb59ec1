/**
 * ir/: the graph model (Model, Graph, Node, Value, Tensor), attributes, the builder and the invariant
 * checker. Knows nothing of protobuf (onnx/ maps bytes to and from these types) or of op semantics (ops/).
 * Imports only util/.
 */
export * from './attribute.js';
export * from './builder.js';
export * from './check.js';
export * from './dtype.js';
export * from './graph.js';
export * from './model.js';
export * from './node.js';
export type * from './preserved.js';
export type * from './sparse.js';
export * from './tensor.js';
export * from './tensor-values.js';
export * from './types.js';
