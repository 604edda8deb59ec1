import { TandemError, assert } from '../../util/errors.js';

/**
 * A sum of non-negative reals kept in fixed point (units of 2^-32) in a bigint, so that adding is
 * associative: frames summed in any order, or in shards merged later, give bit-identical totals. Each
 * frame's float64 partial sum is rounded once (an error of at most 2^-33 a frame).
 */
const ONE = 2 ** 32;

export function toFixed(x: number): bigint {
  assert(Number.isFinite(x), () => `a metric sum became ${x}`);
  return BigInt(Math.round(x * ONE));
}

export function fromFixed(v: bigint): number {
  const whole = v / BigInt(ONE);
  const frac = v - whole * BigInt(ONE);
  return Number(whole) + Number(frac) / ONE;
}

/** Parses a fixed-point sum from its JSON form (a decimal string). */
export function parseFixed(v: unknown, where: string): bigint {
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new TandemError('EVAL_RESULT', `${where}: expected a decimal integer string, found ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** A non-negative safe integer from JSON. */
export function parseCount(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TandemError('EVAL_RESULT', `${where}: expected a non-negative integer, found ${JSON.stringify(v)}`);
  return v;
}

export function parseObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TandemError('EVAL_RESULT', `${where}: expected an object, found ${JSON.stringify(v)?.slice(0, 60)}`);
  return v as Record<string, unknown>;
}
