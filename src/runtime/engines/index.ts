/**
 * runtime/engines/: execution engines (onnxruntime-node with the cpu, webgpu, cuda and tensorrt
 * execution providers) behind one Engine/Session interface. Imports ir/, onnx/, util/.
 */
export { ENGINE_REGISTRY, getEngine, isEngineName } from './registry.js';
export { OrtEngine, ortEngineError, setOnnxruntimeLogLevel, type OrtLogLevel } from './ort-engine.js';
export { probeEngine } from './probe.js';
export { toOrtTensor, fromOrtTensor } from './convert.js';
export * from './types.js';
