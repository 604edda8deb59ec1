import { quote } from '../util/text.js';
import type { Model } from '../ir/model.js';
import { Tensor } from '../ir/tensor.js';
import { TandemError } from '../util/errors.js';
import { createRng } from '../util/random.js';

/** The most elements of one generated tensor (a 2 GiB float32 buffer): checked before allocating. */
const MAX_ELEMENTS = 1 << 29;

/**
 * Fresh random feeds for every runtime input of a model from its declared types: float32 uniform in
 * [-1, 1], int8 uniform over its range; symbolic dims of the first axis are 1. Other types are refused.
 */
export function randomFeeds(model: Model, seed: number): Record<string, Tensor> {
  const rng = createRng(seed);
  const feeds: Record<string, Tensor> = {};
  for (const name of model.graph.runtimeInputs) {
    const t = model.graph.tensorType(name);
    if (t?.dtype === undefined || t.shape === undefined) throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} has no declared type and shape; cannot make random data for it`);
    const dims = t.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : NaN));
    if (dims.some((d) => !Number.isSafeInteger(d))) throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} has symbolic dims [${t.shape.join(',')}]; plan needs static input shapes to time and verify stages`);
    const count = dims.reduce((a, b) => a * b, 1);
    if (count > MAX_ELEMENTS) throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} declares [${dims.join(',')}] = ${count} elements, over the ${MAX_ELEMENTS} tandem allocates for one tensor`);
    if (t.dtype === 'float32') {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = rng.uniform(-1, 1);
      feeds[name] = new Tensor('float32', dims, data);
    } else if (t.dtype === 'int8') {
      const data = new Int8Array(count);
      for (let i = 0; i < count; i++) data[i] = rng.int(-128, 128);
      feeds[name] = new Tensor('int8', dims, data);
    } else {
      throw new TandemError('INPUT_MISMATCH', `input ${quote(name)} is ${t.dtype}; plan generates float32 and int8 inputs only`);
    }
  }
  return feeds;
}
