/**
 * tandem's public API: everything the CLI does is a call a user can make from TypeScript.
 * ESM only. The CLI itself (src/cli) is not part of it.
 */
export * from './util/index.js';
export * from './ir/index.js';
export * from './onnx/index.js';
export * from './io/index.js';
export * from './ops/index.js';
export * from './models/index.js';
export * from './inspect/index.js';
export * from './targets/index.js';
export * from './passes/index.js';
export * from './quant/index.js';
export * from './plan/index.js';
export * from './runtime/index.js';
export * from './report/index.js';
