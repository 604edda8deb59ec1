import { TandemError } from '../util/errors.js';

/** A seed: an integer in [0, 2^32). */
export function checkSeed(model: string, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw usage(model, 'seed', seed, 'an integer in [0, 4294967295]');
  }
}

export function checkBatch(model: string, batch: number): void {
  checkCount(model, 'batch', batch);
}

/** A positive integer. */
export function checkCount(model: string, option: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw usage(model, option, value, 'a positive integer');
}

/** An input side: an integer of at least `min`, and a multiple of `multipleOf` where given. */
export function checkSpatial(model: string, option: string, value: number, rule: { min: number; multipleOf?: number }): void {
  const multiple = rule.multipleOf;
  if (!Number.isSafeInteger(value) || value < rule.min || (multiple !== undefined && value % multiple !== 0)) {
    const expected = multiple === undefined ? `an integer of at least ${rule.min}` : `a positive multiple of ${multiple}`;
    throw usage(model, option, value, expected);
  }
}

function usage(model: string, option: string, value: number, expected: string): TandemError {
  return new TandemError('USAGE', `${model}: option ${option} is ${value}; expected ${expected}`, { details: { model, option, value } });
}
