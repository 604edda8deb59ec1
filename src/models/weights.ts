import { Tensor } from '../ir/tensor.js';
import { createRng, type Rng } from '../util/random.js';

/**
 * Seeded weights keyed by tensor name. Each tensor draws from its own stream, derived from the seed and
 * its name, so its values depend only on (seed, name, shape): variants of a model (BatchNorm folded,
 * another head layout) share the weights of every layer they have in common, and an option that adds or
 * removes one layer leaves the others unchanged.
 */
export class WeightSource {
  constructor(readonly seed: number) {}

  /** The generator of one named tensor. */
  rng(name: string): Rng {
    return createRng((hashName(name) ^ Math.imul(this.seed >>> 0, 0x9e3779b1)) >>> 0);
  }

  /** Normal samples, as float64 for exact arithmetic before they are stored. */
  normal(name: string, count: number, std: number, mean = 0): Float64Array {
    const rng = this.rng(name);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = mean + std * rng.normal();
    return out;
  }

  /** Uniform samples in [lo, hi). */
  uniform(name: string, count: number, lo: number, hi: number): Float64Array {
    const rng = this.rng(name);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = rng.uniform(lo, hi);
    return out;
  }
}

/** A float32 tensor named `name` from values (rounded to float32). */
export function float32Tensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor<'float32'> {
  return new Tensor('float32', dims, Float32Array.from(values), { name });
}

/** FNV-1a over the UTF-16 code units of a name. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
