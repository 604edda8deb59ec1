/**
 * Field numbers of the ONNX protobuf messages (onnx.proto, IR version 11), and which fields the encoder
 * writes by default when the IR value is the type's default. Shared by decoder and encoder so that
 * presence quirks recorded by one are read the same way by the other.
 */
export const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, doc: 6, graph: 7, opsetImport: 8, metadata: 14, trainingInfo: 20, functions: 25 },
  graph: { node: 1, name: 2, initializer: 5, doc: 10, input: 11, output: 12, valueInfo: 13, quantAnnotation: 14, sparseInitializer: 15, metadata: 16 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, doc: 6, domain: 7, overload: 8, metadata: 9 },
  attribute: {
    name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, tensors: 10, graphs: 11, doc: 13,
    tp: 14, typeProtos: 15, type: 20, refAttrName: 21, sparseTensor: 22, sparseTensors: 23,
  },
  tensor: {
    dims: 1, dataType: 2, segment: 3, floatData: 4, int32Data: 5, stringData: 6, int64Data: 7, name: 8, rawData: 9,
    doubleData: 10, uint64Data: 11, doc: 12, externalData: 13, dataLocation: 14, metadata: 16,
  },
  sparse: { values: 1, indices: 2, dims: 3 },
  valueInfo: { name: 1, type: 2, doc: 3, metadata: 4 },
  type: { tensor: 1, sequence: 4, map: 5, denotation: 6, opaque: 7, sparseTensor: 8, optional: 9 },
  tensorTypeMsg: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2, denotation: 3 },
  opset: { domain: 1, version: 2 },
  pair: { key: 1, value: 2 },
  training: { initialization: 1, algorithm: 2, initializationBinding: 3, updateBinding: 4 },
  function: { name: 1, input: 4, output: 5, attribute: 6, node: 7, doc: 8, opsetImport: 9, domain: 10, valueInfo: 12, overload: 13, attributeProto: 11, metadata: 14 },
  annotation: { tensorName: 1, quantParams: 2 },
  segment: { begin: 1, end: 2 },
} as const;

/** TensorProto.DataLocation.EXTERNAL */
export const DATA_LOCATION_EXTERNAL = 1;

/** Decoding depth past which a file is refused (graphs in attributes in graphs ...; protobuf's own limit is 100). */
export const DEFAULT_MAX_DEPTH = 64;
