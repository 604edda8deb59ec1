import { TandemError, type ErrorCode } from './errors.js';

/**
 * The most elements of any one tensor tandem allocates from sizes it was told rather than data it holds:
 * random inputs from declared dims or --dims, images resized to a declared size, arrays a file declares.
 * 2^28 elements is 1 GiB of float32 (2 GiB while random data is drawn in float64), far above any input of
 * a perception model, and far below what blows up a process.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/**
 * Checks dims before allocating (code `TOO_LARGE`, or `DYNAMIC_SHAPE` for a dim that is not a non-negative
 * integer) and returns the element count. `what` names the tensor and where its dims came from.
 */
export interface ElementLimitOptions {
  /** @default MAX_TENSOR_ELEMENTS */
  limit?: number;
  /** What to do instead. @default give smaller sizes (--dims) or check the model's declared shape */
  remedy?: string;
  /** Code for dims too large. @default 'TOO_LARGE' */
  code?: ErrorCode;
}

export function checkedElementCount(dims: readonly number[], what: string, options: ElementLimitOptions = {}): number {
  const limit = options.limit ?? MAX_TENSOR_ELEMENTS;
  const remedy = options.remedy ?? "give smaller sizes (--dims) or check the model's declared shape";
  const shown = `[${dims.join(', ')}]`;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new TandemError('DYNAMIC_SHAPE', `${what} has dims ${shown}; every dim must be a non-negative integer — give sizes for symbolic dims with --dims, or fix the model's declared shape`, { details: { dims } });
    }
  }
  let n = 1;
  for (const d of dims) n *= d;
  if (n > limit) {
    throw new TandemError(
      options.code ?? 'TOO_LARGE',
      `${what} would have dims ${shown} = ${n.toExponential(3)} elements, over tandem's limit of ${limit} elements per tensor; ${remedy}`,
      { details: { dims, elements: n, limit } },
    );
  }
  return n;
}
