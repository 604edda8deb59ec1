import { TandemError } from '../util/errors.js';
import { ATTRIBUTE_TYPE_CODES, type Attribute } from '../ir/attribute.js';
import { DATA_TYPES, dataTypeCode } from '../ir/dtype.js';
import type { Graph, QuantizationAnnotation } from '../ir/graph.js';
import type { FunctionDef, Model, OpsetImport, TrainingInfo } from '../ir/model.js';
import type { Node } from '../ir/node.js';
import type { Preserved } from '../ir/preserved.js';
import type { SparseTensor } from '../ir/sparse.js';
import type { ExternalDataInfo, Tensor } from '../ir/tensor.js';
import type { Shape, Value, ValueType } from '../ir/types.js';
import { DATA_LOCATION_EXTERNAL, F } from './schema.js';
import { typeKey } from './type-key.js';
import { WIRE, WireWriter } from './wire.js';

/** Largest protobuf message: 2 GiB - 1. Larger models need external data. */
export const MAX_PROTOBUF_BYTES = 2 ** 31 - 1;

/** Decides, per tensor, whether it goes to external data, and where (see save.ts). */
export interface ExternalPlacer {
  place(tensor: Tensor): ExternalDataInfo | undefined;
}

/** Options of `encodeModel(model, options)` (and of `saveModel`). */
export interface EncodeOptions {
  /** Places large tensors in external data; without it every tensor is written inline. @default none (all inline) */
  external?: ExternalPlacer;
  /** Also write inferred tensor types as value_info (and for untyped graph inputs/outputs). @default false */
  writeInferred?: boolean;
}

export interface EncodedModel {
  parts: Uint8Array[];
  length: number;
}

/** Encodes a model as a list of byte parts (large tensor payloads are referenced, not copied). */
export function encodeModelParts(model: Model, options: EncodeOptions = {}): EncodedModel {
  const w = new WireWriter();
  new Encoder(options).model(w, model);
  const length = w.length;
  return { parts: w.finish(), length };
}

/** Encodes a model into one buffer. Throws TandemError `ONNX_ENCODE` past 2 GiB (use saveModel with external data). */
export function encodeModel(model: Model, options: EncodeOptions = {}): Uint8Array {
  const tooBig = (bytes: number): TandemError =>
    new TandemError(
      'ONNX_ENCODE',
      `the model encodes to ${bytes} bytes or more, over protobuf's 2 GiB limit; save it with external data (saveModel(model, path, { externalData: true }))`,
    );
  // Refuse before reading any weight: the tensor payloads alone already tell.
  const weights = allTensors(model).reduce((n, t) => n + t.byteLength, 0);
  if (options.external === undefined && weights > MAX_PROTOBUF_BYTES) throw tooBig(weights);
  const { parts, length } = encodeModelParts(model, options);
  if (length > MAX_PROTOBUF_BYTES && options.external === undefined) throw tooBig(length);
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Writes a message's unknown fields in field-number order among the known ones. */
class Unknowns {
  #i = 0;
  readonly #list: Preserved['unknown'];
  constructor(
    readonly w: WireWriter,
    extra: Preserved | undefined,
  ) {
    this.#list = extra?.unknown ?? [];
  }
  upTo(field: number): void {
    const list = this.#list;
    while (this.#i < list.length && list[this.#i]!.field < field) this.w.raw(list[this.#i++]!.bytes);
  }
  rest(): void {
    this.upTo(Infinity);
  }
}

/** Default decision XOR the presence quirk recorded by the decoder. */
function writes(defaultWrite: boolean, extra: Preserved | undefined, field: number): boolean {
  return extra?.presence?.includes(field) ? !defaultWrite : defaultWrite;
}

function repacked(extra: Preserved | undefined, field: number): boolean {
  return extra?.repacked?.includes(field) ?? false;
}

class Encoder {
  constructor(readonly options: EncodeOptions) {}

  model(w: WireWriter, m: Model): void {
    const f = F.model;
    const u = new Unknowns(w, m.extra);
    if (writes(true, m.extra, f.irVersion)) {
      u.upTo(f.irVersion);
      w.tag(f.irVersion, WIRE.varint);
      w.int(m.irVersion);
    }
    u.upTo(f.producerName);
    if (m.producerName !== undefined) w.stringField(f.producerName, m.producerName);
    if (m.producerVersion !== undefined) w.stringField(f.producerVersion, m.producerVersion);
    if (m.domain !== undefined) w.stringField(f.domain, m.domain);
    u.upTo(f.modelVersion);
    if (m.modelVersion !== undefined) {
      w.tag(f.modelVersion, WIRE.varint);
      w.int(m.modelVersion);
    }
    u.upTo(f.doc);
    if (m.doc !== undefined) w.stringField(f.doc, m.doc);
    u.upTo(f.graph);
    if (writes(true, m.extra, f.graph)) w.messageField(f.graph, this.graph(m.graph, true));
    u.upTo(f.opsetImport);
    for (const o of m.opsetImports) w.messageField(f.opsetImport, this.opset(o));
    u.upTo(f.metadata);
    for (const [k, v] of m.metadata) w.messageField(f.metadata, pair(k, v));
    u.upTo(f.trainingInfo);
    for (const t of m.trainingInfo) w.messageField(f.trainingInfo, this.training(t));
    u.upTo(f.functions);
    for (const fn of m.functions) w.messageField(f.functions, this.function(fn));
    u.rest();
  }

  opset(o: OpsetImport): WireWriter {
    const w = new WireWriter();
    const u = new Unknowns(w, o.extra);
    if (writes(o.domain !== '', o.extra, F.opset.domain)) w.stringField(F.opset.domain, o.domain);
    u.upTo(F.opset.version);
    w.tag(F.opset.version, WIRE.varint);
    w.int(o.version);
    u.rest();
    return w;
  }

  graph(g: Graph, main = false): WireWriter {
    const w = new WireWriter();
    const f = F.graph;
    const u = new Unknowns(w, g.extra);
    for (const n of g.nodes) w.messageField(f.node, this.node(n));
    u.upTo(f.name);
    if (writes(g.name !== '', g.extra, f.name)) w.stringField(f.name, g.name);
    u.upTo(f.initializer);
    for (const t of g.initializers.values()) w.messageField(f.initializer, this.tensor(t, true));
    u.upTo(f.doc);
    if (g.doc !== undefined) w.stringField(f.doc, g.doc);
    u.upTo(f.input);
    const inferFallback = main || this.options.writeInferred === true;
    for (const name of g.inputs) w.messageField(f.input, this.valueInfo(g.values.get(name) ?? { name }, inferFallback));
    u.upTo(f.output);
    for (const name of g.outputs) w.messageField(f.output, this.valueInfo(g.values.get(name) ?? { name }, inferFallback));
    u.upTo(f.valueInfo);
    const io = new Set(g.inputs.concat(g.outputs));
    for (const v of g.values.values()) {
      if (io.has(v.name)) continue;
      const listed = v.type !== undefined || v.doc !== undefined || v.extra !== undefined || v.metadata !== undefined;
      if (listed || (this.options.writeInferred && v.inferred)) w.messageField(f.valueInfo, this.valueInfo(v, this.options.writeInferred === true));
    }
    u.upTo(f.quantAnnotation);
    for (const a of g.quantizationAnnotations) w.messageField(f.quantAnnotation, annotation(a));
    u.upTo(f.sparseInitializer);
    for (const s of g.sparseInitializers) w.messageField(f.sparseInitializer, this.sparse(s));
    u.upTo(f.metadata);
    for (const [k, v] of g.metadata ?? []) w.messageField(f.metadata, pair(k, v));
    u.rest();
    return w;
  }

  node(n: Node): WireWriter {
    const w = new WireWriter();
    const f = F.node;
    const u = new Unknowns(w, n.extra);
    for (const i of n.inputs) w.stringField(f.input, i);
    u.upTo(f.output);
    for (const o of n.outputs) w.stringField(f.output, o);
    u.upTo(f.name);
    if (writes(n.name !== '', n.extra, f.name)) w.stringField(f.name, n.name);
    u.upTo(f.opType);
    if (writes(n.op !== '', n.extra, f.opType)) w.stringField(f.opType, n.op);
    u.upTo(f.attribute);
    for (const [name, a] of n.attrs) w.messageField(f.attribute, this.attribute(name, a));
    u.upTo(f.doc);
    if (n.doc !== undefined) w.stringField(f.doc, n.doc);
    u.upTo(f.domain);
    if (writes(n.domain !== '', n.extra, f.domain)) w.stringField(f.domain, n.domain);
    u.upTo(f.overload);
    if (n.overload !== undefined) w.stringField(f.overload, n.overload);
    u.upTo(f.metadata);
    for (const [k, v] of n.metadata ?? []) w.messageField(f.metadata, pair(k, v));
    u.rest();
    return w;
  }

  attribute(name: string, a: Attribute): WireWriter {
    const w = new WireWriter();
    const f = F.attribute;
    const x = a.extra;
    const u = new Unknowns(w, x);
    const single = a.refAttrName === undefined;
    w.stringField(f.name, name);
    u.upTo(f.f);
    if (a.type === 'float' && writes(single, x, f.f)) {
      w.tag(f.f, WIRE.fixed32);
      w.float(a.value);
    }
    u.upTo(f.i);
    if (a.type === 'int' && writes(single, x, f.i)) {
      w.tag(f.i, WIRE.varint);
      w.int(a.value);
    }
    u.upTo(f.s);
    if (a.type === 'string' && writes(single, x, f.s)) w.bytesField(f.s, a.rawStrings?.[0] ?? Buffer.from(a.value, 'utf8'));
    u.upTo(f.t);
    if (a.type === 'tensor' && writes(single, x, f.t)) w.messageField(f.t, this.tensor(a.value, true));
    u.upTo(f.g);
    if (a.type === 'graph' && writes(single, x, f.g)) w.messageField(f.g, this.graph(a.value));
    u.upTo(f.floats);
    if (a.type === 'floats') {
      if (repacked(x, f.floats)) {
        const body = new WireWriter();
        for (const v of a.value) body.float(v);
        w.messageField(f.floats, body);
      } else {
        for (const v of a.value) {
          w.tag(f.floats, WIRE.fixed32);
          w.float(v);
        }
      }
    }
    u.upTo(f.ints);
    if (a.type === 'ints') writeVarints(w, f.ints, a.value, repacked(x, f.ints));
    u.upTo(f.strings);
    if (a.type === 'strings') {
      a.value.forEach((s, i) => w.bytesField(f.strings, a.rawStrings?.[i] ?? Buffer.from(s, 'utf8')));
    }
    u.upTo(f.tensors);
    if (a.type === 'tensors') for (const t of a.value) w.messageField(f.tensors, this.tensor(t, true));
    u.upTo(f.graphs);
    if (a.type === 'graphs') for (const g of a.value) w.messageField(f.graphs, this.graph(g));
    u.upTo(f.doc);
    if (a.doc !== undefined) w.stringField(f.doc, a.doc);
    u.upTo(f.tp);
    if (a.type === 'typeProto' && writes(single, x, f.tp)) w.messageField(f.tp, this.type(a.value));
    u.upTo(f.typeProtos);
    if (a.type === 'typeProtos') for (const t of a.value) w.messageField(f.typeProtos, this.type(t));
    u.upTo(f.type);
    if (writes(true, x, f.type)) {
      w.tag(f.type, WIRE.varint);
      w.uint(ATTRIBUTE_TYPE_CODES[a.type]);
    }
    u.upTo(f.refAttrName);
    if (a.refAttrName !== undefined) w.stringField(f.refAttrName, a.refAttrName);
    u.upTo(f.sparseTensor);
    if (a.type === 'sparseTensor' && writes(single, x, f.sparseTensor)) w.messageField(f.sparseTensor, this.sparse(a.value));
    u.upTo(f.sparseTensors);
    if (a.type === 'sparseTensors') for (const s of a.value) w.messageField(f.sparseTensors, this.sparse(s));
    u.rest();
    return w;
  }

  tensor(t: Tensor, mayExternalize: boolean): WireWriter {
    const w = new WireWriter();
    const f = F.tensor;
    const x = t.extra;
    const u = new Unknowns(w, x);
    const external = mayExternalize ? this.options.external?.place(t) : undefined;
    writeVarints(w, f.dims, t.dims, repacked(x, f.dims));
    u.upTo(f.dataType);
    w.tag(f.dataType, WIRE.varint);
    w.uint(dataTypeCode(t.dtype));
    u.upTo(f.segment);
    if (t.segment) {
      const s = new WireWriter();
      s.tag(F.segment.begin, WIRE.varint);
      s.int(t.segment.begin);
      s.tag(F.segment.end, WIRE.varint);
      s.int(t.segment.end);
      w.messageField(f.segment, s);
    }
    const inline = external === undefined;
    const typed = inline && (t.storage === 'typed' || t.dtype === 'string');
    const typedField = typed ? typedFieldOf(t) : undefined;
    for (const field of [f.floatData, f.int32Data, f.stringData, f.int64Data] as const) {
      u.upTo(field);
      if (typedField === field) writeTyped(w, t, field, repacked(x, field));
    }
    u.upTo(f.name);
    if (writes(t.name !== '', x, f.name)) w.stringField(f.name, t.name);
    u.upTo(f.rawData);
    if (inline && !typed) w.bytesField(f.rawData, t.source ? t.source.read() : t.rawBytes());
    for (const field of [f.doubleData, f.uint64Data] as const) {
      u.upTo(field);
      if (typedField === field) writeTyped(w, t, field, repacked(x, field));
    }
    u.upTo(f.doc);
    if (t.doc !== undefined) w.stringField(f.doc, t.doc);
    u.upTo(f.externalData);
    if (external) for (const [k, v] of external.entries) w.messageField(f.externalData, pair(k, v));
    u.upTo(f.dataLocation);
    if (writes(external !== undefined, x, f.dataLocation)) {
      w.tag(f.dataLocation, WIRE.varint);
      w.uint(external ? DATA_LOCATION_EXTERNAL : 0);
    }
    u.upTo(f.metadata);
    for (const [k, v] of t.metadata ?? []) w.messageField(f.metadata, pair(k, v));
    u.rest();
    return w;
  }

  sparse(s: SparseTensor): WireWriter {
    const w = new WireWriter();
    const u = new Unknowns(w, s.extra);
    w.messageField(F.sparse.values, this.tensor(s.values, false));
    u.upTo(F.sparse.indices);
    w.messageField(F.sparse.indices, this.tensor(s.indices, false));
    u.upTo(F.sparse.dims);
    writeVarints(w, F.sparse.dims, s.dims, repacked(s.extra, F.sparse.dims));
    u.rest();
    return w;
  }

  valueInfo(v: Value, withInferred: boolean): WireWriter {
    const w = new WireWriter();
    const f = F.valueInfo;
    const u = new Unknowns(w, v.extra);
    w.stringField(f.name, v.name);
    u.upTo(f.type);
    const type = v.type ?? (withInferred ? v.inferred : undefined);
    if (type !== undefined) w.messageField(f.type, this.type(type));
    u.upTo(f.doc);
    if (v.doc !== undefined) w.stringField(f.doc, v.doc);
    u.upTo(f.metadata);
    for (const [k, val] of v.metadata ?? []) w.messageField(f.metadata, pair(k, val));
    u.rest();
    return w;
  }

  type(t: ValueType): WireWriter {
    const w = new WireWriter();
    const verbatim = t.extra?.verbatim;
    if (verbatim && verbatim.key === typeKey(t)) {
      w.raw(verbatim.bytes);
      return w;
    }
    const f = F.type;
    const denotation = (): void => {
      if (t.denotation !== undefined) w.stringField(f.denotation, t.denotation);
    };
    switch (t.kind) {
      case 'tensor':
      case 'sparseTensor': {
        const inner = new WireWriter();
        if (t.dtype !== undefined) {
          inner.tag(F.tensorTypeMsg.elemType, WIRE.varint);
          inner.uint(dataTypeCode(t.dtype));
        }
        if (t.shape !== undefined) inner.messageField(F.tensorTypeMsg.shape, shapeMessage(t.shape, t.dimDenotations));
        if (t.kind === 'tensor') {
          w.messageField(f.tensor, inner);
          denotation();
        } else {
          denotation();
          w.messageField(f.sparseTensor, inner);
        }
        break;
      }
      case 'sequence':
      case 'optional': {
        const inner = new WireWriter();
        if (t.elem) inner.messageField(1, this.type(t.elem));
        if (t.kind === 'sequence') {
          w.messageField(f.sequence, inner);
          denotation();
        } else {
          denotation();
          w.messageField(f.optional, inner);
        }
        break;
      }
      case 'map': {
        const inner = new WireWriter();
        if (t.keyType !== undefined) {
          inner.tag(1, WIRE.varint);
          inner.uint(dataTypeCode(t.keyType));
        }
        if (t.valueType) inner.messageField(2, this.type(t.valueType));
        w.messageField(f.map, inner);
        denotation();
        break;
      }
      case 'opaque': {
        denotation();
        const inner = new WireWriter();
        if (t.domain !== undefined) inner.stringField(1, t.domain);
        if (t.name !== undefined) inner.stringField(2, t.name);
        w.messageField(f.opaque, inner);
        break;
      }
      case 'unset':
        denotation();
        break;
    }
    return w;
  }

  training(t: TrainingInfo): WireWriter {
    const w = new WireWriter();
    const f = F.training;
    const u = new Unknowns(w, t.extra);
    if (t.initialization) w.messageField(f.initialization, this.graph(t.initialization));
    u.upTo(f.algorithm);
    if (t.algorithm) w.messageField(f.algorithm, this.graph(t.algorithm));
    u.upTo(f.initializationBinding);
    for (const [k, v] of t.initializationBinding) w.messageField(f.initializationBinding, pair(k, v));
    u.upTo(f.updateBinding);
    for (const [k, v] of t.updateBinding) w.messageField(f.updateBinding, pair(k, v));
    u.rest();
    return w;
  }

  function(fn: FunctionDef): WireWriter {
    const w = new WireWriter();
    const f = F.function;
    const u = new Unknowns(w, fn.extra);
    w.stringField(f.name, fn.name);
    u.upTo(f.input);
    for (const i of fn.body.inputs) w.stringField(f.input, i);
    u.upTo(f.output);
    for (const o of fn.body.outputs) w.stringField(f.output, o);
    u.upTo(f.attribute);
    for (const a of fn.attributes) w.stringField(f.attribute, a);
    u.upTo(f.node);
    for (const n of fn.body.nodes) w.messageField(f.node, this.node(n));
    u.upTo(f.doc);
    if (fn.doc !== undefined) w.stringField(f.doc, fn.doc);
    u.upTo(f.opsetImport);
    for (const o of fn.opsetImports) w.messageField(f.opsetImport, this.opset(o));
    u.upTo(f.domain);
    if (writes(fn.domain !== '', fn.extra, f.domain)) w.stringField(f.domain, fn.domain);
    u.upTo(f.attributeProto);
    for (const [name, a] of fn.attributeDefaults) w.messageField(f.attributeProto, this.attribute(name, a));
    u.upTo(f.valueInfo);
    for (const v of fn.body.values.values()) w.messageField(f.valueInfo, this.valueInfo(v, false));
    u.upTo(f.overload);
    if (fn.overload !== undefined) w.stringField(f.overload, fn.overload);
    u.upTo(f.metadata);
    for (const [k, v] of fn.metadata ?? []) w.messageField(f.metadata, pair(k, v));
    u.rest();
    return w;
  }
}

/** Every tensor that can carry weights: initializers and tensor attributes, of every graph. */
export function allTensors(model: Model): Tensor[] {
  const out: Tensor[] = [];
  for (const g of model.graphs()) {
    for (const t of g.initializers.values()) out.push(t);
    for (const n of g.nodes) {
      for (const [, a] of n.attrs) {
        if (a.type === 'tensor') out.push(a.value);
        else if (a.type === 'tensors') for (const t of a.value) out.push(t);
      }
    }
  }
  return out;
}

function pair(key: string, value: string): WireWriter {
  const w = new WireWriter();
  w.stringField(F.pair.key, key);
  w.stringField(F.pair.value, value);
  return w;
}

function annotation(a: QuantizationAnnotation): WireWriter {
  const w = new WireWriter();
  const u = new Unknowns(w, a.extra);
  w.stringField(F.annotation.tensorName, a.tensorName);
  u.upTo(F.annotation.quantParams);
  for (const [k, v] of a.quantParameterTensorNames) w.messageField(F.annotation.quantParams, pair(k, v));
  u.rest();
  return w;
}

function shapeMessage(shape: Shape, denotations: readonly (string | undefined)[] | undefined): WireWriter {
  const w = new WireWriter();
  shape.forEach((d, i) => {
    const dim = new WireWriter();
    if (typeof d === 'number') {
      dim.tag(F.dim.value, WIRE.varint);
      dim.int(d);
    } else if (typeof d === 'string') dim.stringField(F.dim.param, d);
    const den = denotations?.[i];
    if (den !== undefined) dim.stringField(F.dim.denotation, den);
    w.messageField(F.shape.dim, dim);
  });
  return w;
}

function writeVarints(w: WireWriter, field: number, values: readonly number[], packed: boolean): void {
  if (values.length === 0) return;
  if (packed) {
    const body = new WireWriter();
    for (const v of values) body.int(v);
    w.messageField(field, body);
  } else {
    for (const v of values) {
      w.tag(field, WIRE.varint);
      w.int(v);
    }
  }
}

/** The TensorProto typed-data field a type is stored in. */
function typedFieldOf(t: Tensor): number {
  switch (t.dtype) {
    case 'float32':
    case 'complex64':
      return F.tensor.floatData;
    case 'float64':
    case 'complex128':
      return F.tensor.doubleData;
    case 'int64':
      return F.tensor.int64Data;
    case 'uint32':
    case 'uint64':
      return F.tensor.uint64Data;
    case 'string':
      return F.tensor.stringData;
    default:
      return F.tensor.int32Data;
  }
}

function writeTyped(w: WireWriter, t: Tensor, field: number, unpackedQuirk: boolean): void {
  const data = t.data;
  if (field === F.tensor.stringData) {
    for (const s of data as Uint8Array[]) w.bytesField(field, s);
    return;
  }
  if (field === F.tensor.floatData || field === F.tensor.doubleData) {
    const width = field === F.tensor.floatData ? 4 : 8;
    const bytes = t.rawBytes();
    if (bytes.length === 0) return;
    if (unpackedQuirk) {
      for (let i = 0; i < bytes.length; i += width) {
        w.tag(field, width === 4 ? WIRE.fixed32 : WIRE.fixed64);
        w.raw(bytes.subarray(i, i + width));
      }
    } else w.bytesField(field, bytes);
    return;
  }
  const arr = data as ArrayLike<number | bigint>;
  if (arr.length === 0) return;
  const body = unpackedQuirk ? w : new WireWriter();
  const big = DATA_TYPES[t.dtype].array === BigInt64Array || DATA_TYPES[t.dtype].array === BigUint64Array;
  for (let i = 0; i < arr.length; i++) {
    if (unpackedQuirk) w.tag(field, WIRE.varint);
    const v = arr[i]!;
    if (big) body.bigint(v as bigint);
    else body.int(v as number);
  }
  if (!unpackedQuirk) w.messageField(field, body);
}
