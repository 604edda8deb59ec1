/**
 * util/: errors, narrow float formats, seeded randomness, small shared helpers.
 * Imports nothing from the rest of tandem.
 */
export * from './errors.js';
export * from './float16.js';
export * from './random.js';
export * from './fs.js';
export * from './text.js';
export * from './limits.js';
export * from './progress.js';
export * from './registry.js';
