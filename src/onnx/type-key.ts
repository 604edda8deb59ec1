import type { ValueType } from '../ir/types.js';

/** A fingerprint of a type's content (without its preserved extras), to tell whether it was changed. */
export function typeKey(t: ValueType): string {
  return JSON.stringify(t, (k, v: unknown) => (k === 'extra' ? undefined : v));
}
