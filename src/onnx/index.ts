/**
 * onnx/: the ONNX protobuf codec. Bytes ↔ ir (decode, encode), files (load, save), external data.
 * Nothing above this folder sees protobuf. Imports ir/ and util/ only.
 */
export { decodeModel, decodeFrom, type DecodeOptions } from './decode.js';
export { allTensors, encodeModel, encodeModelParts, MAX_PROTOBUF_BYTES, type EncodeOptions, type EncodedModel, type ExternalPlacer } from './encode.js';
export { checkExternalLocation, resolveExternalPath } from './external-data.js';
export { loadModel, modelFiles, saveModel, savedModelFiles, type LoadOptions, type SaveOptions, type SaveResult } from './load-save.js';
