import type { Model } from '../../src/ir/model.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { getEngine } from '../../src/runtime/engines/registry.js';
import { randomInputs } from '../../src/runtime/verify.js';

/**
 * Trainable parameters as `sum(p.numel() for p in model.parameters())` counts them in PyTorch: float
 * initializers named `<module>.weight` / `<module>.bias`. BatchNorm running statistics are buffers,
 * not parameters, and constants (shapes, scales) are named after the node that reads them.
 */
export function countParameters(model: Model, prefix = ''): number {
  let n = 0;
  for (const [name, t] of model.graph.initializers) {
    if (t.dtype === 'float32' && name.startsWith(prefix) && /\.(weight|bias)$/.test(name)) n += t.size;
  }
  return n;
}

/** Node count per op type. */
export function opHistogram(model: Model): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of model.graph.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
}

export interface Summary {
  dims: readonly number[];
  nonFinite: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  distinct: number;
}

export function summarize(t: Tensor): Summary {
  const d = t.data as Float32Array;
  let nonFinite = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  for (const x of d) {
    if (!Number.isFinite(x)) nonFinite++;
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
    sq += x * x;
  }
  const mean = sum / d.length;
  return { dims: t.dims, nonFinite, min, max, mean, std: Math.sqrt(Math.max(sq / d.length - mean * mean, 0)), distinct: new Set(d).size };
}

/** Runs a model once on the cpu engine with seeded U(-1, 1) inputs. */
export async function runOnCpu(model: Model, seed = 1): Promise<Record<string, Tensor>> {
  await using session = await getEngine('cpu').open(model);
  return await session.run(randomInputs(model, { seed }));
}

/** Per-channel spread of an NCHW tensor: rms of the channel means, and the mean within-channel std. */
export function channelSpread(t: Tensor): { rmsChannelMean: number; withinStd: number } {
  const [n = 1, c = 1, h = 1, w = 1] = t.dims;
  const d = t.data as Float32Array;
  const hw = h * w;
  let meanSq = 0;
  let within = 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * hw;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < hw; i++) {
        const x = d[base + i]!;
        s1 += x;
        s2 += x * x;
      }
      const m = s1 / hw;
      meanSq += m * m;
      within += Math.max(s2 / hw - m * m, 0);
    }
  }
  return { rmsChannelMean: Math.sqrt(meanSq / (n * c)), withinStd: Math.sqrt(within / (n * c)) };
}
