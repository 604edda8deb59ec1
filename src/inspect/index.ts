/**
 * inspect/: what a model is, as one summary object (the `tandem inspect` command prints it).
 * Imports ops/, onnx/, ir/, util/.
 */
export * from './inspect.js';
