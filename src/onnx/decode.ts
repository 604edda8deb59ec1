import { quote } from '../util/text.js';
import { TandemError, isTandemError } from '../util/errors.js';
import { ATTRIBUTE_TYPE_CODES, type Attribute, type AttributeType } from '../ir/attribute.js';
import { DATA_TYPES, byteSize, dataTypeFromCode, type DataType } from '../ir/dtype.js';
import { Graph, type QuantizationAnnotation } from '../ir/graph.js';
import { Model, type FunctionDef, type OpsetImport, type TrainingInfo } from '../ir/model.js';
import { Node } from '../ir/node.js';
import type { Preserved, PreservedField } from '../ir/preserved.js';
import type { SparseTensor } from '../ir/sparse.js';
import { Tensor, elementCount, type ExternalDataInfo, type TensorData, type TensorSource } from '../ir/tensor.js';
import type { Dim, SparseTensorType, TensorType, Value, ValueType } from '../ir/types.js';
import { ExternalDataSource, FileRegionSource, checkExternalLocation, parseExternalNumber } from './external-data.js';
import type { FileSource } from './file-source.js';
import { DATA_LOCATION_EXTERNAL, DEFAULT_MAX_DEPTH, F } from './schema.js';
import { typeKey } from './type-key.js';
import { MemorySource, WIRE, WireReader, type ByteSource } from './wire.js';

/** Options of `decodeModel(bytes, options)` (and of `loadModel`, which adds the file). */
export interface DecodeOptions {
  /**
   * 'eager' reads every weight now; 'lazy' leaves payloads of `lazyThreshold` bytes or more in the file
   * (model or external data) until a tensor's `data` is first read. Lazy needs a file-backed source.
   * @default 'eager'
   */
  weights?: 'eager' | 'lazy';
  /** Folder external data resolves against; without it, external tensors cannot be read. @default none */
  baseDir?: string;
  /** @default 64 */
  maxDepth?: number;
  /** Payload size from which weights are read separately (file) or lazily. @default 1024 */
  lazyThreshold?: number;
  /** Path of the model file (for lazy reads of inline weights). @default none ('<memory>' in messages) */
  filePath?: string;
}

/** Decodes ONNX ModelProto bytes. Tensors are views over `bytes` where aligned (keep `bytes` alive). */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): Model {
  return decodeFrom(new MemorySource(bytes, options.filePath ?? '<memory>'), options);
}

/** Decodes from any byte source (used by `loadModel` with a file source). */
export function decodeFrom(source: ByteSource, options: DecodeOptions = {}): Model {
  const d = new Decoder(source, options);
  const model = d.model(source.length);
  if (options.baseDir !== undefined) model.baseDir = options.baseDir;
  return model;
}

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

type Seen = number[];

class Decoder {
  readonly r: WireReader;
  readonly #path: string[] = [];
  readonly #maxDepth: number;
  readonly #lazy: boolean;
  readonly #threshold: number;
  readonly #baseDir: string | undefined;
  readonly #filePath: string | undefined;

  constructor(source: ByteSource, options: DecodeOptions) {
    this.r = new WireReader(source, { path: () => ['ModelProto', ...this.#path].join('.') });
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#lazy = options.weights === 'lazy' && !source.inMemory;
    this.#threshold = options.lazyThreshold ?? 1024;
    this.#baseDir = options.baseDir;
    this.#filePath = options.filePath;
  }

  // ---- framing helpers ----

  /** Runs `body` for each field of the message that ends at `end`. */
  #fields(end: number, body: (field: number, wt: number, tagStart: number) => void): void {
    const r = this.r;
    const outer = r.limit;
    r.limit = end;
    while (r.pos < end) {
      const tagStart = r.pos;
      const t = r.tag();
      const wt = t & 7;
      if (wt > 5) r.fail(`invalid wire type ${wt}`, tagStart);
      body(t >>> 3, wt, tagStart);
    }
    if (r.pos !== end) r.fail('field runs past the end of its message');
    r.limit = outer;
  }

  /** Enters a length-delimited submessage: returns its end offset, checking depth. */
  #enter(segment: string): number {
    this.#path.push(segment);
    if (this.#path.length > this.#maxDepth) this.r.fail(`message nesting deeper than ${this.#maxDepth} levels`);
    const len = this.r.length();
    return this.r.pos + len;
  }

  #leave(): void {
    this.#path.pop();
  }

  #expect(wt: number, expected: number, field: string, at: number): void {
    if (wt !== expected) this.r.fail(`field ${field} has wire type ${WIRE_NAMES[wt]}, expected ${WIRE_NAMES[expected]}`, at);
  }

  #unknown(list: PreservedField[], field: number, wt: number, tagStart: number): void {
    this.r.skipValue(wt);
    list.push({ field, bytes: new Uint8Array(this.r.source.slice(tagStart, this.r.pos - tagStart)) });
  }

  #preserved(unknown: PreservedField[], presence: number[] = [], repacked: number[] = []): Preserved | undefined {
    if (unknown.length === 0 && presence.length === 0 && repacked.length === 0) return undefined;
    return {
      unknown,
      ...(presence.length > 0 ? { presence } : {}),
      ...(repacked.length > 0 ? { repacked } : {}),
    };
  }

  #str(wt: number, field: string, at: number): string {
    this.#expect(wt, WIRE.bytes, field, at);
    return this.r.string();
  }

  #int(wt: number, field: string, at: number): number {
    this.#expect(wt, WIRE.varint, field, at);
    return this.r.varint();
  }

  /** A repeated varint field, packed or not; records whether packing differed from `schemaPacked`. */
  #ints(wt: number, field: string, at: number, out: number[], repacked: number[], num: number, schemaPacked: boolean): void {
    if (wt === WIRE.varint) {
      out.push(this.r.varint());
      if (schemaPacked) markOnce(repacked, num);
    } else if (wt === WIRE.bytes) {
      const len = this.r.length(); // read the length before taking pos: the prefix moves it
      const end = this.r.pos + len;
      while (this.r.pos < end) out.push(this.r.varint());
      if (this.r.pos !== end) this.r.fail(`packed field ${field} is malformed`);
      if (!schemaPacked) markOnce(repacked, num);
    } else this.r.fail(`field ${field} has wire type ${WIRE_NAMES[wt]}, expected varint`, at);
  }

  // ---- messages ----

  model(end: number): Model {
    const m = new Model({ graph: new Graph() });
    m.opsetImports = [];
    const unknown: PreservedField[] = [];
    const presence: number[] = [];
    let sawGraph = false;
    let sawIr = false;
    const f = F.model;
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case f.irVersion:
          m.irVersion = this.#int(wt, 'ir_version', at);
          sawIr = true;
          break;
        case f.producerName:
          m.producerName = this.#str(wt, 'producer_name', at);
          break;
        case f.producerVersion:
          m.producerVersion = this.#str(wt, 'producer_version', at);
          break;
        case f.domain:
          m.domain = this.#str(wt, 'domain', at);
          break;
        case f.modelVersion:
          m.modelVersion = this.#int(wt, 'model_version', at);
          break;
        case f.doc:
          m.doc = this.#str(wt, 'doc_string', at);
          break;
        case f.graph: {
          m.graph = this.#sub(wt, at, 'graph', (e) => this.graph(e));
          sawGraph = true;
          break;
        }
        case f.opsetImport: {
          m.opsetImports.push(this.#sub(wt, at, `opset_import[${m.opsetImports.length}]`, (e) => this.opset(e)));
          break;
        }
        case f.metadata:
          m.metadata.push(this.#pair(wt, 'metadata_props', at));
          break;
        case f.trainingInfo: {
          m.trainingInfo.push(this.#sub(wt, at, `training_info[${m.trainingInfo.length}]`, (e) => this.training(e)));
          break;
        }
        case f.functions: {
          m.functions.push(this.#sub(wt, at, `functions[${m.functions.length}]`, (e) => this.function(e)));
          break;
        }
        default:
          this.#unknown(unknown, field, wt, at);
      }
    });
    if (!sawIr) {
      m.irVersion = 0;
      presence.push(f.irVersion);
    }
    if (!sawGraph) presence.push(f.graph);
    const extra = this.#preserved(unknown, presence);
    if (extra) m.extra = extra;
    return m;
  }

  opset(end: number): OpsetImport {
    const o: OpsetImport = { domain: '', version: 0 };
    const unknown: PreservedField[] = [];
    const presence: number[] = [];
    this.#fields(end, (field, wt, at) => {
      if (field === F.opset.domain) {
        o.domain = this.#str(wt, 'domain', at);
        if (o.domain === '') presence.push(F.opset.domain);
      } else if (field === F.opset.version) o.version = this.#int(wt, 'version', at);
      else this.#unknown(unknown, field, wt, at);
    });
    const extra = this.#preserved(unknown, presence);
    if (extra) o.extra = extra;
    return o;
  }

  #pair(wt: number, field: string, at: number): readonly [string, string] {
    this.#expect(wt, WIRE.bytes, field, at);
    const end = this.#enter(field);
    let key = '';
    let value = '';
    this.#fields(end, (f2, wt2, at2) => {
      if (f2 === F.pair.key) key = this.#str(wt2, 'key', at2);
      else if (f2 === F.pair.value) value = this.#str(wt2, 'value', at2);
      else this.r.skipValue(wt2);
    });
    this.#leave();
    return [key, value];
  }

  graph(end: number): Graph {
    const g = new Graph();
    const f = F.graph;
    const unknown: PreservedField[] = [];
    const presence: number[] = [];
    const nodes: Node[] = [];
    const inputs: Value[] = [];
    const outputs: Value[] = [];
    const infos: Value[] = [];
    const inits: Tensor[] = [];
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case f.node: {
          nodes.push(this.#sub(wt, at, `node[${nodes.length}]`, (e) => this.node(e)));
          break;
        }
        case f.name:
          g.name = this.#str(wt, 'name', at);
          if (g.name === '') presence.push(f.name);
          break;
        case f.initializer: {
          inits.push(this.#sub(wt, at, `initializer[${inits.length}]`, (e) => this.tensor(e)));
          break;
        }
        case f.sparseInitializer: {
          g.sparseInitializers.push(this.#sub(wt, at, `sparse_initializer[${g.sparseInitializers.length}]`, (e) => this.sparse(e)));
          break;
        }
        case f.doc:
          g.doc = this.#str(wt, 'doc_string', at);
          break;
        case f.input:
        case f.output:
        case f.valueInfo: {
          const list = field === f.input ? inputs : field === f.output ? outputs : infos;
          const label = field === f.input ? 'input' : field === f.output ? 'output' : 'value_info';
          this.#expect(wt, WIRE.bytes, label, at);
          const e = this.#enter(`${label}[${list.length}]`);
          list.push(this.valueInfo(e));
          this.#leave();
          break;
        }
        case f.quantAnnotation: {
          g.quantizationAnnotations.push(this.#sub(wt, at, `quantization_annotation[${g.quantizationAnnotations.length}]`, (e) => this.annotation(e)));
          break;
        }
        case f.metadata:
          (g.metadata ??= []).push(this.#pair(wt, 'metadata_props', at));
          break;
        default:
          this.#unknown(unknown, field, wt, at);
      }
    });
    const extra = this.#preserved(unknown, presence);
    if (extra) g.extra = extra;
    // values: inputs, outputs, then value_info, in file order (the encoder writes them back in this order)
    for (const list of [inputs, outputs, infos]) {
      for (const v of list) {
        const existing = g.values.get(v.name);
        if (existing === undefined) g.values.set(v.name, v);
        else if (existing.type === undefined && v.type !== undefined) existing.type = v.type;
      }
    }
    g.setInputs(inputs.map((v) => v.name));
    g.setOutputs(outputs.map((v) => v.name));
    for (const t of inits) {
      if (g.isInitializer(t.name)) {
        throw new TandemError('GRAPH_INVALID', `${this.r.source.name}: graph ${quote(g.name)} has two initializers named ${quote(t.name)}; initializer names must be unique`);
      }
      g.setInitializer(t.name, t);
    }
    try {
      for (const n of nodes) g.addNode(n);
    } catch (e) {
      if (isTandemError(e)) throw new TandemError(e.code, `${this.r.source.name}: ${e.message}`, { cause: e });
      throw e;
    }
    return g;
  }

  node(end: number): Node {
    const f = F.node;
    const inputs: string[] = [];
    const outputs: string[] = [];
    const attrs: [string, Attribute][] = [];
    const unknown: PreservedField[] = [];
    const presence: number[] = [];
    let name = '';
    let op = '';
    let domain = '';
    let overload: string | undefined;
    let doc: string | undefined;
    let metadata: (readonly [string, string])[] | undefined;
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case f.input:
          inputs.push(this.#str(wt, 'input', at));
          break;
        case f.output:
          outputs.push(this.#str(wt, 'output', at));
          break;
        case f.name:
          name = this.#str(wt, 'name', at);
          if (name === '') presence.push(f.name);
          break;
        case f.opType:
          op = this.#str(wt, 'op_type', at);
          if (op === '') presence.push(f.opType);
          break;
        case f.domain:
          domain = this.#str(wt, 'domain', at);
          if (domain === '') presence.push(f.domain);
          break;
        case f.overload:
          overload = this.#str(wt, 'overload', at);
          break;
        case f.attribute: {
          attrs.push(this.#sub(wt, at, `attribute[${attrs.length}]`, (e) => this.attribute(e)));
          break;
        }
        case f.doc:
          doc = this.#str(wt, 'doc_string', at);
          break;
        case f.metadata:
          (metadata ??= []).push(this.#pair(wt, 'metadata_props', at));
          break;
        default:
          this.#unknown(unknown, field, wt, at);
      }
    });
    const node = new Node({ op, name, domain, inputs, outputs, attrs });
    if (overload !== undefined) node.overload = overload;
    if (doc !== undefined) node.doc = doc;
    if (metadata !== undefined) node.metadata = metadata;
    const extra = this.#preserved(unknown, presence);
    if (extra) node.extra = extra;
    return node;
  }

  attribute(end: number): [string, Attribute] {
    const f = F.attribute;
    const unknown: PreservedField[] = [];
    const repacked: number[] = [];
    const seen: Seen = [];
    let name = '';
    let typeCode: number | undefined;
    let doc: string | undefined;
    let refAttrName: string | undefined;
    const v: {
      f?: number; i?: number; s?: { text: string; raw?: Uint8Array }; t?: Tensor; g?: Graph; sparse?: SparseTensor; tp?: ValueType;
      floats: number[]; ints: number[]; strings: { text: string; raw?: Uint8Array }[]; tensors: Tensor[]; graphs: Graph[];
      sparses: SparseTensor[]; tps: ValueType[];
    } = { floats: [], ints: [], strings: [], tensors: [], graphs: [], sparses: [], tps: [] };
    this.#fields(end, (field, wt, at) => {
      seen.push(field);
      switch (field) {
        case f.name:
          name = this.#str(wt, 'name', at);
          this.#path[this.#path.length - 1] = `attribute(${name})`;
          break;
        case f.type:
          typeCode = this.#int(wt, 'type', at);
          break;
        case f.doc:
          doc = this.#str(wt, 'doc_string', at);
          break;
        case f.refAttrName:
          refAttrName = this.#str(wt, 'ref_attr_name', at);
          break;
        case f.f:
          this.#expect(wt, WIRE.fixed32, 'f', at);
          v.f = this.r.float();
          break;
        case f.i:
          v.i = this.#int(wt, 'i', at);
          break;
        case f.s:
          this.#expect(wt, WIRE.bytes, 's', at);
          v.s = this.r.stringOrBytes();
          break;
        case f.t:
          v.t = this.#sub(wt, at, 't', (e) => this.tensor(e));
          break;
        case f.g:
          v.g = this.#sub(wt, at, 'g', (e) => this.graph(e));
          break;
        case f.sparseTensor:
          v.sparse = this.#sub(wt, at, 'sparse_tensor', (e) => this.sparse(e));
          break;
        case f.tp:
          v.tp = this.#sub(wt, at, 'tp', (e) => this.type(e));
          break;
        case f.floats:
          if (wt === WIRE.fixed32) v.floats.push(this.r.float());
          else if (wt === WIRE.bytes) {
            const n = this.r.length();
            if (n % 4 !== 0) this.r.fail('packed floats length is not a multiple of 4');
            for (let k = 0; k < n / 4; k++) v.floats.push(this.r.float());
            markOnce(repacked, f.floats);
          } else this.#expect(wt, WIRE.fixed32, 'floats', at);
          break;
        case f.ints:
          this.#ints(wt, 'ints', at, v.ints, repacked, f.ints, false);
          break;
        case f.strings:
          this.#expect(wt, WIRE.bytes, 'strings', at);
          v.strings.push(this.r.stringOrBytes());
          break;
        case f.tensors:
          v.tensors.push(this.#sub(wt, at, `tensors[${v.tensors.length}]`, (e) => this.tensor(e)));
          break;
        case f.graphs:
          v.graphs.push(this.#sub(wt, at, `graphs[${v.graphs.length}]`, (e) => this.graph(e)));
          break;
        case f.sparseTensors:
          v.sparses.push(this.#sub(wt, at, `sparse_tensors[${v.sparses.length}]`, (e) => this.sparse(e)));
          break;
        case f.typeProtos:
          v.tps.push(this.#sub(wt, at, `type_protos[${v.tps.length}]`, (e) => this.type(e)));
          break;
        default:
          seen.pop();
          this.#unknown(unknown, field, wt, at);
      }
    });
    const type = typeCode !== undefined ? attributeTypeOf(typeCode) : guessAttributeType(seen);
    if (type === undefined) {
      throw new TandemError('ONNX_UNSUPPORTED', `${this.r.source.name}: attribute ${quote(name)} has unknown type code ${typeCode} (at ${this.#path.join('.')}); tandem knows AttributeProto types up to TYPE_PROTOS (14)`);
    }
    const presence: number[] = [];
    if (typeCode === undefined) presence.push(f.type);
    const valueField = SINGLE_VALUE_FIELD[type];
    if (valueField !== undefined) {
      const expectWritten = refAttrName === undefined;
      if (seen.includes(valueField) !== expectWritten) presence.push(valueField);
    }
    let value: Attribute['value'];
    let rawStrings: Uint8Array[] | undefined;
    switch (type) {
      case 'float': value = v.f ?? 0; break;
      case 'int': value = v.i ?? 0; break;
      case 'string':
        value = v.s?.text ?? '';
        if (v.s?.raw) rawStrings = [v.s.raw];
        break;
      case 'tensor': value = v.t ?? new Tensor('float32', [], new Float32Array(1)); break;
      case 'graph': value = v.g ?? new Graph(); break;
      case 'sparseTensor': value = v.sparse ?? emptySparse(); break;
      case 'typeProto': value = v.tp ?? { kind: 'unset' }; break;
      case 'floats': value = v.floats; break;
      case 'ints': value = v.ints; break;
      case 'strings':
        value = v.strings.map((s) => s.text);
        if (v.strings.some((s) => s.raw)) rawStrings = v.strings.map((s) => s.raw ?? Buffer.from(s.text, 'utf8'));
        break;
      case 'tensors': value = v.tensors; break;
      case 'graphs': value = v.graphs; break;
      case 'sparseTensors': value = v.sparses; break;
      case 'typeProtos': value = v.tps; break;
    }
    const a = { type, value } as Attribute;
    if (doc !== undefined) a.doc = doc;
    if (refAttrName !== undefined) a.refAttrName = refAttrName;
    if (rawStrings !== undefined) a.rawStrings = rawStrings;
    const extra = this.#preserved(unknown, presence, repacked);
    if (extra) a.extra = extra;
    return [name, a];
  }

  /** Decodes a nested message field: checks its wire type, enters it (path, depth), decodes, leaves. */
  #sub<T>(wt: number, at: number, segment: string, fn: (end: number) => T): T {
    this.#expect(wt, WIRE.bytes, segment.replace(/[[(].*$/, ''), at);
    const end = this.#enter(segment);
    const out = fn(end);
    this.#leave();
    return out;
  }

  tensor(end: number): Tensor {
    const f = F.tensor;
    const r = this.r;
    const start = r.pos;
    const unknown: PreservedField[] = [];
    const presence: number[] = [];
    const repacked: number[] = [];
    const dims: number[] = [];
    let code = 0;
    let name = '';
    let doc: string | undefined;
    let segment: { begin: number; end: number } | undefined;
    let raw: Uint8Array | TensorSource | undefined;
    let location = 0;
    let sawLocation = false;
    let metadata: (readonly [string, string])[] | undefined;
    const external: [string, string][] = [];
    const typed = new TypedCollector();
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case f.dims:
          this.#ints(wt, 'dims', at, dims, repacked, f.dims, false);
          break;
        case f.dataType:
          code = this.#int(wt, 'data_type', at);
          break;
        case f.segment: {
          this.#expect(wt, WIRE.bytes, 'segment', at);
          const e = this.#enter('segment');
          const s = { begin: 0, end: 0 };
          this.#fields(e, (f2, wt2, at2) => {
            if (f2 === F.segment.begin) s.begin = this.#int(wt2, 'begin', at2);
            else if (f2 === F.segment.end) s.end = this.#int(wt2, 'end', at2);
            else r.skipValue(wt2);
          });
          this.#leave();
          segment = s;
          break;
        }
        case f.floatData:
          typed.fixed(this, wt, at, 'float_data', 4, f.floatData, repacked);
          break;
        case f.doubleData:
          typed.fixed(this, wt, at, 'double_data', 8, f.doubleData, repacked);
          break;
        case f.int32Data:
          typed.varints(this, wt, at, 'int32_data', f.int32Data, repacked);
          break;
        case f.int64Data:
          typed.varints(this, wt, at, 'int64_data', f.int64Data, repacked);
          break;
        case f.uint64Data:
          typed.varints(this, wt, at, 'uint64_data', f.uint64Data, repacked);
          break;
        case f.stringData:
          this.#expect(wt, WIRE.bytes, 'string_data', at);
          typed.strings.push(new Uint8Array(r.bytes()));
          break;
        case f.name:
          name = this.#str(wt, 'name', at);
          if (name === '') presence.push(f.name);
          this.#path[this.#path.length - 1] += `(${name})`;
          break;
        case f.rawData: {
          this.#expect(wt, WIRE.bytes, 'raw_data', at);
          raw = this.#blob(r.length());
          break;
        }
        case f.doc:
          doc = this.#str(wt, 'doc_string', at);
          break;
        case f.externalData:
          external.push([...this.#pair(wt, 'external_data', at)]);
          break;
        case f.dataLocation:
          location = this.#int(wt, 'data_location', at);
          sawLocation = true;
          break;
        case f.metadata:
          (metadata ??= []).push(this.#pair(wt, 'metadata_props', at));
          break;
        default:
          this.#unknown(unknown, field, wt, at);
      }
    });
    const dtype = dataTypeFromCode(code);
    if (dtype === undefined) {
      throw new TandemError('ONNX_UNSUPPORTED', `${r.source.name}: tensor ${quote(name)} has data type code ${code}, which tandem does not know (at byte ${start}, field ${this.#path.join('.')}); supported codes are 1..26`);
    }
    const isExternal = location === DATA_LOCATION_EXTERNAL;
    if (sawLocation && !isExternal) presence.push(f.dataLocation);
    if (isExternal && external.length === 0) r.fail(`tensor ${quote(name)} says its data is external but has no external_data entries`, start);
    if (!isExternal && raw === undefined && dtype !== 'string' && elementCount(dims) > 0 && typed.count === 0) {
      r.fail(`tensor ${quote(name)} declares shape [${dims}] but holds no data`, start);
    }
    let tensor: Tensor;
    try {
      if (isExternal) tensor = this.#externalTensor(dtype, dims, name, external);
      else if (raw !== undefined) {
        if (dtype === 'string') r.fail(`string tensor ${quote(name)} uses raw_data, which the spec forbids`, start);
        tensor = new Tensor(dtype, dims, raw instanceof Uint8Array ? rawView(dtype, dims, raw, name) : raw, { name, storage: 'raw' });
      } else tensor = new Tensor(dtype, dims, typed.build(dtype, dims, name), { name, storage: 'typed' });
    } catch (e) {
      if (isTandemError(e, 'TENSOR_DATA')) r.fail(e.message, start);
      throw e;
    }
    if (doc !== undefined) tensor.doc = doc;
    if (segment !== undefined) tensor.segment = segment;
    if (metadata !== undefined) tensor.metadata = metadata;
    if (!isExternal && external.length > 0) {
      // external_data entries on an inline tensor: keep them verbatim
      for (const [k, v] of external) unknown.push({ field: f.externalData, bytes: encodePair(k, v) });
    }
    const extra = this.#preserved(unknown, presence, repacked);
    if (extra) tensor.extra = extra;
    return tensor;
  }

  #externalTensor(dtype: DataType, dims: number[], name: string, entries: [string, string][]): Tensor {
    const get = (k: string): string | undefined => entries.find(([key]) => key === k)?.[1];
    const location = get('location');
    if (location === undefined) this.r.fail(`tensor ${quote(name)} has external data without a "location" entry`);
    checkExternalLocation(location, name);
    const offset = parseExternalNumber(get('offset'), 'offset', name) ?? 0;
    const length = parseExternalNumber(get('length'), 'length', name);
    if (dtype === 'string') this.r.fail(`string tensor ${quote(name)} cannot be stored as external data`);
    const expected = byteSize(dtype, elementCount(dims));
    if (length !== undefined && length !== expected) {
      throw new TandemError(
        'EXTERNAL_DATA',
        `tensor ${quote(name)}: external data length ${length} does not match its shape [${dims}] of ${dtype} (${expected} bytes); the model is corrupt`,
      );
    }
    const info: ExternalDataInfo = { location, offset, length, entries };
    const baseDir = this.#baseDir;
    const source: TensorSource =
      baseDir === undefined
        ? {
            byteLength: expected,
            description: `external file ${quote(location)}`,
            read: () => {
              throw new TandemError('EXTERNAL_DATA', `tensor ${quote(name)} is stored in external file ${quote(location)}, but the model was decoded from memory; load it with loadModel(path) or pass baseDir`);
            },
          }
        : new ExternalDataSource(baseDir, info, expected, name);
    const t = new Tensor(dtype, dims, source, { name, storage: 'external' });
    t.external = info;
    if (!this.#lazy && baseDir !== undefined) void t.data;
    return t;
  }

  /** A raw payload: a view in memory, a separate aligned read from a file, or a lazy region. */
  #blob(n: number): Uint8Array | TensorSource {
    const r = this.r;
    const pos = r.pos;
    const source = r.source;
    if (source.inMemory || n < this.#threshold) {
      const out = source.slice(pos, n);
      r.skip(n);
      return out;
    }
    r.skip(n);
    if (this.#lazy && this.#filePath !== undefined) return new FileRegionSource(this.#filePath, pos, n);
    // Not zero-filled (every byte is read over) and aligned at 0: a fresh allocation of its own.
    const buf = Buffer.allocUnsafeSlow(n);
    const out = new Uint8Array(buf.buffer, buf.byteOffset, n);
    (source as FileSource).readInto(out, pos);
    return out;
  }

  sparse(end: number): SparseTensor {
    const s: Partial<SparseTensor> & { dims: number[] } = { dims: [] };
    const unknown: PreservedField[] = [];
    const repacked: number[] = [];
    this.#fields(end, (field, wt, at) => {
      if (field === F.sparse.values || field === F.sparse.indices) {
        this.#expect(wt, WIRE.bytes, field === 1 ? 'values' : 'indices', at);
        const e = this.#enter(field === 1 ? 'values' : 'indices');
        const t = this.tensor(e);
        this.#leave();
        if (field === 1) s.values = t;
        else s.indices = t;
      } else if (field === F.sparse.dims) this.#ints(wt, 'dims', at, s.dims, repacked, F.sparse.dims, false);
      else this.#unknown(unknown, field, wt, at);
    });
    const out: SparseTensor = {
      values: s.values ?? new Tensor('float32', [0], new Float32Array(0)),
      indices: s.indices ?? new Tensor('int64', [0], new BigInt64Array(0)),
      dims: s.dims,
    };
    const extra = this.#preserved(unknown, [], repacked);
    if (extra) out.extra = extra;
    return out;
  }

  valueInfo(end: number): Value {
    let name = '';
    let type: ValueType | undefined;
    let doc: string | undefined;
    let metadata: (readonly [string, string])[] | undefined;
    const unknown: PreservedField[] = [];
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case F.valueInfo.name:
          name = this.#str(wt, 'name', at);
          break;
        case F.valueInfo.type: {
          type = this.#sub(wt, at, 'type', (e) => this.type(e));
          break;
        }
        case F.valueInfo.doc:
          doc = this.#str(wt, 'doc_string', at);
          break;
        case F.valueInfo.metadata:
          (metadata ??= []).push(this.#pair(wt, 'metadata_props', at));
          break;
        default:
          this.#unknown(unknown, field, wt, at);
      }
    });
    const v: Value = { name };
    if (type !== undefined) v.type = type;
    if (doc !== undefined) v.doc = doc;
    if (metadata !== undefined) v.metadata = metadata;
    // a bare name still needs listing on write: mark it
    v.extra = this.#preserved(unknown) ?? { unknown: [] };
    return v;
  }

  /** TypeProto; kept verbatim alongside the decoded form so nested quirks survive a round trip. */
  type(end: number): ValueType {
    const start = this.r.pos;
    let t: ValueType = { kind: 'unset' };
    let denotation: string | undefined;
    let hasUnknown = false;
    const tf = F.type;
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case tf.tensor:
        case tf.sparseTensor: {
          this.#expect(wt, WIRE.bytes, 'tensor_type', at);
          const e = this.#enter(field === tf.tensor ? 'tensor_type' : 'sparse_tensor_type');
          const inner = this.#tensorTypeBody(e);
          hasUnknown ||= inner.hasUnknown;
          this.#leave();
          const tt: TensorType | SparseTensorType = { kind: field === tf.tensor ? 'tensor' : 'sparseTensor', dtype: inner.dtype, shape: inner.shape };
          if (inner.dimDenotations) tt.dimDenotations = inner.dimDenotations;
          t = tt;
          break;
        }
        case tf.sequence:
        case tf.optional: {
          this.#expect(wt, WIRE.bytes, 'elem_type', at);
          const e = this.#enter(field === tf.sequence ? 'sequence_type' : 'optional_type');
          let elem: ValueType | undefined;
          this.#fields(e, (f2, wt2, at2) => {
            if (f2 === 1) {
              elem = this.#sub(wt2, at2, 'elem_type', (e) => this.type(e));
            } else {
              hasUnknown = true;
              this.r.skipValue(wt2);
            }
          });
          this.#leave();
          t = field === tf.sequence ? { kind: 'sequence', elem } : { kind: 'optional', elem };
          break;
        }
        case tf.map: {
          this.#expect(wt, WIRE.bytes, 'map_type', at);
          const e = this.#enter('map_type');
          let keyType: DataType | undefined;
          let valueType: ValueType | undefined;
          this.#fields(e, (f2, wt2, at2) => {
            if (f2 === 1) keyType = dataTypeFromCode(this.#int(wt2, 'key_type', at2));
            else if (f2 === 2) {
              valueType = this.#sub(wt2, at2, 'value_type', (e) => this.type(e));
            } else {
              hasUnknown = true;
              this.r.skipValue(wt2);
            }
          });
          this.#leave();
          t = { kind: 'map', keyType, valueType };
          break;
        }
        case tf.opaque: {
          this.#expect(wt, WIRE.bytes, 'opaque_type', at);
          const e = this.#enter('opaque_type');
          let domain: string | undefined;
          let name: string | undefined;
          this.#fields(e, (f2, wt2, at2) => {
            if (f2 === 1) domain = this.#str(wt2, 'domain', at2);
            else if (f2 === 2) name = this.#str(wt2, 'name', at2);
            else {
              hasUnknown = true;
              this.r.skipValue(wt2);
            }
          });
          this.#leave();
          t = { kind: 'opaque', domain, name };
          break;
        }
        case tf.denotation:
          denotation = this.#str(wt, 'denotation', at);
          break;
        default:
          hasUnknown = true;
          this.r.skipValue(wt);
      }
    });
    if (denotation !== undefined) t.denotation = denotation;
    // Keep the exact bytes; the encoder reuses them while the decoded content is unchanged. This covers
    // unknown fields at any depth inside the type, unusual field order and presence quirks alike.
    const bytes = new Uint8Array(this.r.source.slice(start, end - start));
    t.extra = { unknown: [], verbatim: { bytes, key: typeKey(t) } };
    void hasUnknown;
    return t;
  }

  #tensorTypeBody(end: number): { dtype: DataType | undefined; shape: Dim[] | undefined; dimDenotations?: (string | undefined)[]; hasUnknown: boolean } {
    let dtype: DataType | undefined;
    let shape: Dim[] | undefined;
    let dimDenotations: (string | undefined)[] | undefined;
    let hasUnknown = false;
    this.#fields(end, (field, wt, at) => {
      if (field === F.tensorTypeMsg.elemType) {
        const code = this.#int(wt, 'elem_type', at);
        dtype = dataTypeFromCode(code);
        if (dtype === undefined && code !== 0) {
          throw new TandemError('ONNX_UNSUPPORTED', `${this.r.source.name}: element type code ${code} at ${this.#path.join('.')} is not a type tandem knows`);
        }
      } else if (field === F.tensorTypeMsg.shape) {
        this.#expect(wt, WIRE.bytes, 'shape', at);
        const e = this.#enter('shape');
        shape = [];
        const dims = shape;
        this.#fields(e, (f2, wt2, at2) => {
          if (f2 !== F.shape.dim) {
            hasUnknown = true;
            this.r.skipValue(wt2);
            return;
          }
          this.#expect(wt2, WIRE.bytes, 'dim', at2);
          const de = this.#enter(`dim[${dims.length}]`);
          let d: Dim = null;
          let den: string | undefined;
          this.#fields(de, (f3, wt3, at3) => {
            if (f3 === F.dim.value) d = this.#int(wt3, 'dim_value', at3);
            else if (f3 === F.dim.param) d = this.#str(wt3, 'dim_param', at3);
            else if (f3 === F.dim.denotation) den = this.#str(wt3, 'denotation', at3);
            else {
              hasUnknown = true;
              this.r.skipValue(wt3);
            }
          });
          this.#leave();
          if (den !== undefined) {
            dimDenotations ??= [];
            dimDenotations[dims.length] = den;
          }
          dims.push(d);
        });
        this.#leave();
      } else {
        hasUnknown = true;
        this.r.skipValue(wt);
      }
    });
    return dimDenotations ? { dtype, shape, dimDenotations, hasUnknown } : { dtype, shape, hasUnknown };
  }

  annotation(end: number): QuantizationAnnotation {
    const a: QuantizationAnnotation = { tensorName: '', quantParameterTensorNames: [] };
    const unknown: PreservedField[] = [];
    this.#fields(end, (field, wt, at) => {
      if (field === F.annotation.tensorName) a.tensorName = this.#str(wt, 'tensor_name', at);
      else if (field === F.annotation.quantParams) a.quantParameterTensorNames.push(this.#pair(wt, 'quant_parameter_tensor_names', at));
      else this.#unknown(unknown, field, wt, at);
    });
    const extra = this.#preserved(unknown);
    if (extra) a.extra = extra;
    return a;
  }

  training(end: number): TrainingInfo {
    const t: TrainingInfo = { initializationBinding: [], updateBinding: [] };
    const unknown: PreservedField[] = [];
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case F.training.initialization:
        case F.training.algorithm: {
          const label = field === F.training.initialization ? 'initialization' : 'algorithm';
          this.#expect(wt, WIRE.bytes, label, at);
          const e = this.#enter(label);
          const g = this.graph(e);
          this.#leave();
          if (field === F.training.initialization) t.initialization = g;
          else t.algorithm = g;
          break;
        }
        case F.training.initializationBinding:
          t.initializationBinding.push(this.#pair(wt, 'initialization_binding', at));
          break;
        case F.training.updateBinding:
          t.updateBinding.push(this.#pair(wt, 'update_binding', at));
          break;
        default:
          this.#unknown(unknown, field, wt, at);
      }
    });
    const extra = this.#preserved(unknown);
    if (extra) t.extra = extra;
    return t;
  }

  function(end: number): FunctionDef {
    const f = F.function;
    const body = new Graph();
    const fn: FunctionDef = { name: '', domain: '', attributes: [], attributeDefaults: [], body, opsetImports: [] };
    const inputs: string[] = [];
    const outputs: string[] = [];
    const nodes: Node[] = [];
    const unknown: PreservedField[] = [];
    const presence: number[] = [];
    this.#fields(end, (field, wt, at) => {
      switch (field) {
        case f.name:
          fn.name = this.#str(wt, 'name', at);
          break;
        case f.domain:
          fn.domain = this.#str(wt, 'domain', at);
          if (fn.domain === '') presence.push(f.domain);
          break;
        case f.overload:
          fn.overload = this.#str(wt, 'overload', at);
          break;
        case f.input:
          inputs.push(this.#str(wt, 'input', at));
          break;
        case f.output:
          outputs.push(this.#str(wt, 'output', at));
          break;
        case f.attribute:
          fn.attributes.push(this.#str(wt, 'attribute', at));
          break;
        case f.attributeProto: {
          fn.attributeDefaults.push(this.#sub(wt, at, `attribute_proto[${fn.attributeDefaults.length}]`, (e) => this.attribute(e)));
          break;
        }
        case f.node: {
          nodes.push(this.#sub(wt, at, `node[${nodes.length}]`, (e) => this.node(e)));
          break;
        }
        case f.doc:
          fn.doc = this.#str(wt, 'doc_string', at);
          break;
        case f.opsetImport: {
          fn.opsetImports.push(this.#sub(wt, at, `opset_import[${fn.opsetImports.length}]`, (e) => this.opset(e)));
          break;
        }
        case f.valueInfo: {
          const v = this.#sub(wt, at, 'value_info', (e) => this.valueInfo(e));
          body.values.set(v.name, v);
          break;
        }
        case f.metadata:
          (fn.metadata ??= []).push(this.#pair(wt, 'metadata_props', at));
          break;
        default:
          this.#unknown(unknown, field, wt, at);
      }
    });
    body.name = fn.name;
    body.setInputs(inputs);
    body.setOutputs(outputs);
    for (const n of nodes) body.addNode(n);
    const extra = this.#preserved(unknown, presence);
    if (extra) fn.extra = extra;
    return fn;
  }
}

/** The value field a singular attribute type is stored in. */
const SINGLE_VALUE_FIELD: Partial<Record<AttributeType, number>> = {
  float: F.attribute.f,
  int: F.attribute.i,
  string: F.attribute.s,
  tensor: F.attribute.t,
  graph: F.attribute.g,
  sparseTensor: F.attribute.sparseTensor,
  typeProto: F.attribute.tp,
};

const TYPE_BY_CODE = new Map<number, AttributeType>(Object.entries(ATTRIBUTE_TYPE_CODES).map(([k, v]) => [v, k as AttributeType]));

function attributeTypeOf(code: number): AttributeType | undefined {
  return TYPE_BY_CODE.get(code);
}

/** IR version 1 files have no type field: infer it from the value field present. */
function guessAttributeType(seen: Seen): AttributeType | undefined {
  const a = F.attribute;
  const order: [number, AttributeType][] = [
    [a.f, 'float'], [a.i, 'int'], [a.s, 'string'], [a.t, 'tensor'], [a.g, 'graph'], [a.sparseTensor, 'sparseTensor'], [a.tp, 'typeProto'],
    [a.floats, 'floats'], [a.ints, 'ints'], [a.strings, 'strings'], [a.tensors, 'tensors'], [a.graphs, 'graphs'],
    [a.sparseTensors, 'sparseTensors'], [a.typeProtos, 'typeProtos'],
  ];
  for (const [field, type] of order) if (seen.includes(field)) return type;
  return 'ints';
}

function markOnce(list: number[], n: number): void {
  if (!list.includes(n)) list.push(n);
}

function emptySparse(): SparseTensor {
  return { values: new Tensor('float32', [0], new Float32Array(0)), indices: new Tensor('int64', [0], new BigInt64Array(0)), dims: [0] };
}

/** raw_data bytes as the type's array: the size is checked against the dims first (no allocation by dims). */
function rawView(dtype: DataType, dims: number[], bytes: Uint8Array, name: string): TensorData {
  const expected = byteSize(dtype, elementCount(dims));
  if (bytes.length !== expected) {
    throw new TandemError('TENSOR_DATA', `tensor ${quote(name)} of shape [${dims}] and type ${dtype} needs ${expected} bytes of raw_data, found ${bytes.length}`);
  }
  const Ctor = DATA_TYPES[dtype].array!;
  const width = Ctor.BYTES_PER_ELEMENT;
  const src = bytes.byteOffset % width === 0 ? bytes : new Uint8Array(bytes); // a copy (Buffer.slice would be a view)
  return new Ctor(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength / width) as TensorData;
}

function encodePair(key: string, value: string): Uint8Array {
  const k = Buffer.from(key, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const body = Buffer.concat([Buffer.from([0x0a]), varintBytes(k.length), k, Buffer.from([0x12]), varintBytes(v.length), v]);
  return Buffer.concat([Buffer.from([F.tensor.externalData * 8 + 2]), varintBytes(body.length), body]);
}

function varintBytes(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/**
 * Collects the typed data fields of a TensorProto (float_data, int32_data, ...), packed or not, and
 * converts them to the in-memory array of the tensor's type once the type is known.
 */
class TypedCollector {
  fixedChunks: { width: 4 | 8; bytes: Uint8Array }[] = [];
  varintChunks: { field: string; values: (number | bigint)[] }[] = [];
  strings: Uint8Array[] = [];
  count = 0;

  fixed(d: Decoder, wt: number, at: number, field: string, width: 4 | 8, num: number, repacked: number[]): void {
    const r = d.r;
    if (wt === WIRE.bytes) {
      const n = r.length();
      if (n % width !== 0) r.fail(`packed ${field} length ${n} is not a multiple of ${width}`, at);
      this.fixedChunks.push({ width, bytes: new Uint8Array(r.source.slice(r.pos, n)) });
      r.skip(n);
      this.count += n / width;
    } else if (wt === (width === 4 ? WIRE.fixed32 : WIRE.fixed64)) {
      const b = new Uint8Array(r.source.slice(r.pos, width));
      r.skip(width);
      this.fixedChunks.push({ width, bytes: b });
      this.count++;
      markOnce(repacked, num);
    } else r.fail(`field ${field} has wire type ${WIRE_NAMES[wt]}`, at);
  }

  varints(d: Decoder, wt: number, at: number, field: string, num: number, repacked: number[]): void {
    const r = d.r;
    const big = field !== 'int32_data';
    const signed = field !== 'uint64_data';
    const values: (number | bigint)[] = [];
    if (wt === WIRE.bytes) {
      const len = r.length(); // read the length before taking pos: the prefix moves it
      const end = r.pos + len;
      while (r.pos < end) values.push(big ? r.varintBig(signed) : r.varint());
      if (r.pos !== end) r.fail(`packed ${field} is malformed`, at);
    } else if (wt === WIRE.varint) {
      values.push(big ? r.varintBig(signed) : r.varint());
      markOnce(repacked, num);
    } else r.fail(`field ${field} has wire type ${WIRE_NAMES[wt]}`, at);
    this.count += values.length;
    // append in a loop: push(...values) puts every value on the stack and overflows on long packed runs
    const last = this.varintChunks[this.varintChunks.length - 1];
    if (last && last.field === field) for (const v of values) last.values.push(v);
    else this.varintChunks.push({ field, values });
  }

  build(dtype: DataType, dims: number[], name: string): TensorData {
    const n = elementCount(dims);
    const info = DATA_TYPES[dtype];
    if (dtype === 'string') {
      if (this.strings.length !== n) throw new TandemError('TENSOR_DATA', `string tensor ${quote(name)} of shape [${dims}] holds ${this.strings.length} strings`);
      return this.strings;
    }
    const expected = info.bits >= 8 ? n * info.lanes : Math.ceil((n * info.bits) / 8);
    const fail = (found: number, field: string): never => {
      throw new TandemError('TENSOR_DATA', `tensor ${quote(name)} of shape [${dims}] and type ${dtype} needs ${expected} values in ${field}, found ${found}`);
    };
    switch (dtype) {
      case 'float32':
      case 'complex64':
      case 'float64':
      case 'complex128': {
        const width = dtype === 'float32' || dtype === 'complex64' ? 4 : 8;
        const total = this.fixedChunks.filter((c) => c.width === width).reduce((s, c) => s + c.bytes.length, 0);
        if (total !== expected * width) fail(total / width, width === 4 ? 'float_data' : 'double_data');
        const bytes = new Uint8Array(total);
        let o = 0;
        for (const c of this.fixedChunks) if (c.width === width) {
          bytes.set(c.bytes, o);
          o += c.bytes.length;
        }
        return width === 4 ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
      }
      case 'int64':
      case 'uint64':
      case 'uint32': {
        const field = dtype === 'int64' ? 'int64_data' : 'uint64_data';
        const values = this.varintChunks.filter((c) => c.field === field).flatMap((c) => c.values) as bigint[];
        if (values.length !== expected) fail(values.length, field);
        if (dtype === 'int64') return BigInt64Array.from(values);
        if (dtype === 'uint64') return BigUint64Array.from(values);
        return Uint32Array.from(values, (v) => Number(v));
      }
      default: {
        // everything else lives in int32_data; 4-bit and 2-bit types hold one packed byte per value
        const values = this.varintChunks.filter((c) => c.field === 'int32_data').flatMap((c) => c.values) as number[];
        if (values.length !== expected) fail(values.length, 'int32_data');
        const Ctor = info.array!;
        return (Ctor as Int32ArrayConstructor).from(values) as TensorData;
      }
    }
  }
}
