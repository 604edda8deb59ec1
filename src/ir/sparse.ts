import type { Preserved } from './preserved.js';
import type { Tensor } from './tensor.js';

/** SparseTensorProto: `values` of the non-zero elements, their `indices` (COO), and the dense `dims`. */
export interface SparseTensor {
  values: Tensor;
  indices: Tensor;
  dims: number[];
  extra?: Preserved;
}
