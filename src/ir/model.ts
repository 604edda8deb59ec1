import type { Attribute } from './attribute.js';
import { Graph } from './graph.js';
import type { Preserved } from './preserved.js';

/** An operator set the model imports (ModelProto.opset_import). */
export interface OpsetImport {
  /** '' is the default ai.onnx domain. */
  domain: string;
  version: number;
  extra?: Preserved;
}

/** FunctionProto: a model-local function. Its body is a graph whose inputs/outputs carry no types. */
export interface FunctionDef {
  name: string;
  domain: string;
  overload?: string;
  /** Names of the attributes the function takes (FunctionProto.attribute). */
  attributes: string[];
  /** Attributes with default values (FunctionProto.attribute_proto). */
  attributeDefaults: (readonly [string, Attribute])[];
  body: Graph;
  opsetImports: OpsetImport[];
  doc?: string;
  metadata?: (readonly [string, string])[];
  extra?: Preserved;
}

/** TrainingInfoProto. */
export interface TrainingInfo {
  initialization?: Graph;
  algorithm?: Graph;
  initializationBinding: (readonly [string, string])[];
  updateBinding: (readonly [string, string])[];
  extra?: Preserved;
}

/** Options of `new Model(init)`; `graph` defaults to an empty graph named main. */
export interface ModelInit {
  graph?: Graph;
  irVersion?: number;
  opsetImports?: OpsetImport[];
  producerName?: string;
  producerVersion?: string;
}

/** The default IR version tandem writes: 10 (ONNX 1.16), which onnxruntime 1.17+ reads. */
export const DEFAULT_IR_VERSION = 10;

/** ModelProto: a graph with its opset imports, metadata, functions and training info. */
export class Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  doc?: string;
  metadata: (readonly [string, string])[] = [];
  graph: Graph;
  functions: FunctionDef[] = [];
  trainingInfo: TrainingInfo[] = [];
  extra?: Preserved;
  /** Folder of the file the model was read from; external data resolves against it. */
  baseDir?: string;

  constructor(init: ModelInit = {}) {
    this.graph = init.graph ?? new Graph('main');
    this.irVersion = init.irVersion ?? DEFAULT_IR_VERSION;
    this.opsetImports = init.opsetImports ?? [{ domain: '', version: 17 }];
    if (init.producerName !== undefined) this.producerName = init.producerName;
    if (init.producerVersion !== undefined) this.producerVersion = init.producerVersion;
  }

  /** The imported version of an operator set ('' and 'ai.onnx' are the same). */
  opset(domain = ''): number | undefined {
    const d = normalizeDomain(domain);
    return this.opsetImports.find((o) => normalizeDomain(o.domain) === d)?.version;
  }

  setOpset(domain: string, version: number): void {
    const d = normalizeDomain(domain);
    const found = this.opsetImports.find((o) => normalizeDomain(o.domain) === d);
    if (found) found.version = version;
    else this.opsetImports.push({ domain, version });
  }

  /** Every graph of the model: the main graph, subgraphs, function bodies, training graphs. */
  *graphs(): Generator<Graph> {
    yield* this.graph.walk();
    for (const f of this.functions) yield* f.body.walk();
    for (const t of this.trainingInfo) {
      if (t.initialization) yield* t.initialization.walk();
      if (t.algorithm) yield* t.algorithm.walk();
    }
  }

  /** A copy with a deep-copied main graph (tensor data shared); functions and training info shared. */
  clone(): Model {
    const m = new Model({ graph: this.graph.clone(), irVersion: this.irVersion, opsetImports: this.opsetImports.map((o) => ({ ...o })) });
    const { producerName, producerVersion, domain, modelVersion, doc, extra, baseDir } = this;
    Object.assign(m, { producerName, producerVersion, domain, modelVersion, doc, extra, baseDir });
    for (const k of ['producerName', 'producerVersion', 'domain', 'modelVersion', 'doc', 'extra', 'baseDir'] as const) {
      if (m[k] === undefined) delete m[k];
    }
    m.metadata = [...this.metadata];
    m.functions = [...this.functions];
    m.trainingInfo = [...this.trainingInfo];
    return m;
  }
}

export function normalizeDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}
