import { InvalidArgumentError } from 'commander';
import { quote } from '../util/text.js';

/** Option parsers: a wrong value is one clear line, never a stack trace. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got ${quote(value)}`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got ${quote(value)}`);
  return n;
}

export function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got ${quote(value)}`);
  return n;
}

/** "a,b,c" → ["a","b","c"] (empty entries dropped). */
export function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Repeatable option collector: --input a=x.npy --input b=y.npy. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** One of a fixed set of choices. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got ${quote(value)}`);
    return value as T;
  };
}

/** "name=5,other=3" → { name: 5, other: 3 } (for symbolic dim sizes). */
export function dimSizes(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of list(value)) {
    const m = /^([^=]+)=(\d+)$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected name=size pairs like batch=1,height=512, got ${quote(part)}`);
    const size = Number(m[2]);
    if (!Number.isSafeInteger(size) || size <= 0) throw new InvalidArgumentError(`dim ${quote(m[1]!)} needs a positive integer size, got ${quote(m[2]!)}`);
    out[m[1]!] = size;
  }
  return out;
}

/** "HxW" (e.g. 256x512) → { height, width }. */
export function parseSize(value: string): { height: number; width: number } {
  const m = /^(\d+)x(\d+)$/i.exec(value.trim());
  const height = m ? Number(m[1]) : NaN;
  const width = m ? Number(m[2]) : NaN;
  if (!m || height <= 0 || width <= 0 || !Number.isSafeInteger(height) || !Number.isSafeInteger(width)) throw new InvalidArgumentError(`expected HxW like 256x512, got "${value}"`);
  return { height, width };
}
