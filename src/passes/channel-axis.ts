import type { Emitter } from './graph-edit.js';

/**
 * R-GATHER's transposes: bring axis 2 or 3 of an NCHW tensor to the channel position, where a 1×1 Conv
 * can mix it, and back. Axis 1 needs none.
 */
export function channelPerms(axis: number): { before: number[]; after: number[] } | undefined {
  if (axis === 2) return { before: [0, 2, 3, 1], after: [0, 3, 1, 2] };
  if (axis === 3) return { before: [0, 3, 2, 1], after: [0, 3, 2, 1] };
  return undefined;
}

/** The NCHW axis a constant broadcasts along (all its other dims 1), 1 for a uniform one; undefined otherwise. */
export function broadcastAxis(dims: readonly number[], shape: readonly number[]): number | undefined {
  if (dims.length > shape.length) return undefined;
  const aligned = [...new Array<number>(shape.length - dims.length).fill(1), ...dims];
  const varying = aligned.map((d, i) => (d === 1 ? -1 : d === shape[i] ? i : -2)).filter((i) => i !== -1);
  if (varying.includes(-2) || varying.length > 1) return undefined;
  return varying[0] ?? 1;
}

/** Wraps `body` (which maps a channel-first tensor to one) in the transposes for `axis`; the last node writes `out`. */
export function onChannelAxis(e: Emitter, axis: number, inputs: readonly string[], out: string, body: (inputs: string[], out?: string) => string): void {
  const perms = channelPerms(axis);
  if (perms === undefined) {
    body([...inputs], out);
    return;
  }
  const moved = inputs.map((x) => e.transpose(x, perms.before));
  e.transpose(body(moved), perms.after, out);
}

/** A one-hot 1×1 Conv weight: out × in, with W[o, pick(o)] = 1 (no 1 where pick gives -1). */
export function selectionWeights(out: number, inChannels: number, pick: (o: number) => number): number[] {
  const w = new Array<number>(out * inChannels).fill(0);
  for (let o = 0; o < out; o++) {
    const i = pick(o);
    if (i >= 0) w[o * inChannels + i] = 1;
  }
  return w;
}
