import { quote } from '../util/text.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { newPlanDocument, readSplit, runOrder, writePlan } from '../io/stage-file/index.js';
import { HOST_ENGINES, STAGE_FILE_VERSION, TARGET_ENGINES, type HostEngine, type InputEncoding, type OutputForm, type Plan, type PlanEngine, type PlanSelection, type PlanStage, type PlanTarget, type PlanTensor, type SplitDocument, type TargetEngine } from '../io/stage-file/types.js';
import type { Model } from '../ir/model.js';
import { loadModel, saveModel, savedModelFiles } from '../onnx/load-save.js';
import { splitDocument, splitModel } from '../passes/index.js';
import { PREPROCESS_METADATA_KEY, arraySource, artifactPaths, convertToFloat16, modelInputSpecs, openCalibrationFolder, preprocessFromMetadata, quantize, type CalibrationMethod, type CalibrationSource, type SessionOpener, type StageArtifacts } from '../quant/index.js';
import { trtVersionNumber } from '../quant/calibration-cache.js';
import { analyze } from '../targets/index.js';
import { TandemError, isTandemError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { assertOutputsFree, checkOutputDir, writeFileAtomic, writeFolder } from '../util/fs.js';
import { dequantizeStageInputs, inputQuantScale, quantizeStageOutputs, verifyBoundaryQuantization, type BoundaryCheck, type BoundaryTensor } from './boundary-quantization.js';
import { ORIN_PARAMS } from './cost/orin.js';
import { stageLatency } from './cost/latency.js';
import { modelWorkload } from './cost/workload.js';
import { inferShapes } from '../ops/index.js';
import { hostStream, rankHostAssignments, timeStage, type HostAssignment, type HostEngines, type StageTiming, type TimingOptions } from './host-choice.js';
import { rewritePlanEnds, type FrameIoCheck, type PlanEndsRewrite } from './frame-io.js';
import { orinLayout, type OrinStageFacts, type StageAssignment } from './orin-layout.js';
import { randomFeeds } from './random-feeds.js';

/** What to plan: a whole model (split here) or the split.json of `tandem split`. */
export type PlanSource = { readonly model: Model; readonly path?: string } | { readonly splitPath: string };

/** Options of `planDeployment`. */
export interface PlanOptions {
  /** What the plan is for: this machine's engines (`'host'`) or an Orin's GPU and DLAs (`'orin'`). */
  target: PlanTarget;
  /** Folder for the stage models and plan.json (created; never over an input). */
  out: string;
  /** How to cut a model source: the shared trunk ('auto') or these tensors. Refused for a split source. @default 'auto' */
  split?: 'auto' | readonly string[];
  /**
   * Calibration samples for the INT8 stages, keyed by the model's inputs (or made from the entry stage,
   * the one that reads the model's inputs), or a folder of them (`{ dir }`: images are preprocessed as
   * the entry stage's or the source model's metadata states, `tandem.preprocess`). @default generated
   * inputs (and a note saying so)
   */
  calibration?: CalibrationSource | ((entry: Model) => CalibrationSource) | { readonly dir: string };
  /** How many inputs to generate when no calibration is given. @default 8 */
  generatedSamples?: number;
  /** @default 'entropy' (TensorRT's default calibrator) */
  method?: CalibrationMethod;
  /**
   * The TensorRT version that reads the INT8 stages' calibration caches ("8.6.1": DRIVE OS 6.0 / JetPack
   * 6.0; "10.3.0": JetPack 6.1+); TensorRT ignores a cache of another major version. @default '8.6.1'
   */
  trtVersion?: string;
  /** onnxruntime on the CPU: calibration and the numerical check of boundary quantization run on it. */
  opener: SessionOpener;
  /** host: the engines of this machine to time stages on. Required for target 'host'. @default none (required for host) */
  engines?: HostEngines;
  /** How each stage is timed on each engine (host). @default { warmup: 1, iterations: 5, budgetMs: 3000 } */
  timing?: TimingOptions;
  /** Stage name → engine, fixed whatever the layout or the timings say. @default {} */
  pins?: Readonly<Record<string, string>>;
  /** Check numerically that the INT8 hand-off equals the unsplit Q/DQ path. @default true */
  verify?: boolean;
  /**
   * onnxruntime for that check, best with graph optimizations off so that it compares ONNX semantics:
   * at level 'all' the producer's float kernels (NCHWc layouts, fusions) change with where its graph
   * ends, and a last-bit change that crosses a rounding boundary of the quantizer moves a hand-off value
   * by one INT8 step (seen on the prepared multi-task model: 0.016 on outputs up to 2.3). @default opener
   */
  verifyOpener?: SessionOpener;
  /** host: the precision of webgpu stages, timed and deployed in it (FP16: convertToFloat16, float32 I/O kept). @default 'fp32' */
  gpuPrecision?: 'fp32' | 'fp16';
  /**
   * How the model's image input arrives: float as the model takes it, or pixels normalised inside the
   * entry stage (frame-io.ts; `rgba-uint32` for webgpu, which has no uint8 kernels). @default 'float'
   */
  input?: InputEncoding;
  /**
   * How model outputs leave: as computed, `compact` (outputs named like seg/logits/class as int32 class
   * ids where they have the input's size, as float16 where they are smaller — an argmax before the
   * upsampling loses thin classes —, other float outputs as float16), or a form per output name. @default 'float'
   */
  outputs?: 'float' | 'compact' | Readonly<Record<string, OutputForm>>;
  /** host: how many best-ranked assignments to run as pipelines where engines.measure is given (all-one-engine ones are added). @default 3 */
  candidates?: number;
  /** Paths never to write over (the inputs). The source's files are protected always. @default [] */
  protect?: readonly string[];
  /** Told as calibration (`calibration`), host timing (`timing`) and the boundary check (`verify`) go. */
  onProgress?: ProgressCallback;
}

/** What `planDeployment` made: the plan as written, the files, the timings and notes. */
export interface Deployment {
  /** The plan as written (plan.json in `out`). */
  readonly plan: Plan;
  /** Every file written: the stage models, the INT8 stages' calibration caches and scales.json, then plan.json. */
  readonly files: readonly string[];
  /** host: every stage timed on every engine that could run it (measured here). */
  readonly timings: readonly StageTiming[];
  readonly assignment?: HostAssignment;
  /** The numerical check of the INT8 hand-offs; absent where no tensor crosses as INT8 or verify is off. */
  readonly boundary?: BoundaryCheck;
  /** host: the candidates ranked and (with engines.measure) measured pipelined, and which was kept. */
  readonly selection?: PlanSelection;
  /** The checks of pixel input and compact outputs against the float stages, per rewritten stage. */
  readonly frameIo?: readonly (FrameIoCheck & { readonly stage: string })[];
  /** Things the user should know (generated calibration data, engines that failed on a stage). */
  readonly notes: readonly string[];
}

interface Staged {
  readonly doc: SplitDocument;
  readonly models: ReadonlyMap<string, Model>;
  readonly inputs: readonly string[];
}

/**
 * Plans a deployment: splits the model (or reads the split), chooses each stage's engine and precision
 * for the target (orin: the webinar layout, modelled; host: timed here), quantizes the INT8 stages
 * (placement 'dla'), converts GPU stages to FP16 on orin, moves the QuantizeLinear of INT8 hand-offs
 * into the producer (checked numerically), writes the stage models and plan.json into `out`.
 *
 * @example
 * ```ts
 * const model = loadModel('model.onnx');
 * // for an Orin: backbone on the GPU in FP16, heads on the DLAs in INT8 (calibrated on `calibration`)
 * const orin = await planDeployment({ model, path: 'model.onnx' }, { target: 'orin', out: 'out/orin', opener: getEngine('cpu') });
 * console.log(orin.plan.stages.map((s) => `${s.name}: ${s.engine} ${s.precision}`), orin.notes);
 * // for this machine: each stage timed on each engine found here
 * const { engines } = await detectHostEngines();
 * const host = await planDeployment({ model }, { target: 'host', out: 'out/host', opener: getEngine('cpu'), engines });
 * ```
 */
export async function planDeployment(source: PlanSource, options: PlanOptions): Promise<Deployment> {
  const staged = loadStages(source, options);
  const doc = staged.doc;
  const order = runOrder(doc.stages);
  const pins = resolvePins(options.target, doc, options.pins ?? {});
  const out = resolve(options.out);
  const protect = [...staged.inputs, ...(options.protect ?? [])];
  const trtVersion = options.trtVersion ?? '8.6.1';
  trtVersionNumber(trtVersion);
  // Outputs checked before any work: a folder (or one that can be made), no output over an input (a
  // stage model's external data, the caches and scales.json any INT8 stage may get included).
  checkOutputDir(options.out);
  const int8Files = (stage: string): string[] => Object.values(int8Artifacts(stage));
  assertOutputsFree([...order.flatMap((s) => [...savedModelFiles(join(out, `${s.name}.onnx`)), ...int8Files(s.name).map((f) => join(out, f))]), join(out, 'plan.json')], protect);
  const notes: string[] = [];
  const heads = new Set(doc.stages.filter((s) => s.kind === 'head').map((s) => s.name));

  // 1. Engines (orin: the layout) and which stages need INT8 models.
  let assignments: StageAssignment[] | undefined;
  let toQuantize: Set<string>;
  if (options.target === 'orin') {
    assignments = orinLayout(order.map((s) => orinFacts(s.name, s.kind, staged.models.get(s.name)!)), pins as Record<string, TargetEngine>);
    toQuantize = new Set(assignments.filter((a) => a.precision === 'int8').map((a) => a.name));
  } else {
    if (options.engines === undefined) throw new TandemError('USAGE', 'a host plan times stages on this machine: pass the engines (options.engines)');
    toQuantize = options.engines.available.includes('dla-emulated') ? new Set(heads) : new Set();
  }

  // 2. INT8 models (Q/DQ at every activation: the DLA needs a scale on every tensor).
  const qdq = new Map<string, Model>();
  const artifacts = new Map<string, StageArtifacts>();
  if (toQuantize.size > 0) {
    const entry = order.find((s) => s.inputs.every((i) => doc.tensors.find((t) => t.name === i)?.from === null)) ?? order[0]!;
    const given = options.calibration;
    const entryModel = staged.models.get(entry.name)!;
    let calibration = typeof given === 'function' ? given(entryModel) : given !== undefined && 'dir' in given ? calibrationFolder(given.dir, entryModel, source, doc, notes) : given;
    if (calibration === undefined) {
      const n = options.generatedSamples ?? 8;
      calibration = arraySource(Array.from({ length: n }, (_, i) => randomFeeds(staged.models.get(entry.name)!, 1000 + i)), `${n} generated inputs (seeded uniform noise in [-1, 1])`);
      notes.push(`INT8 scales come from ${n} generated inputs (seeded noise), not real data: give calibration data (--calib) before deploying`);
    }
    const result = await quantize(
      order.map((s) => ({ name: s.name, model: staged.models.get(s.name)!, quantize: toQuantize.has(s.name) })),
      calibration,
      options.opener,
      { methods: [options.method ?? 'entropy'], placement: 'dla', trtVersion, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
    );
    for (const a of result.artifacts) {
      qdq.set(a.stage, a.qdqModel);
      artifacts.set(a.stage, a);
    }
  }

  // 3. host: time each stage on each engine that can run it, rank the assignments, measure the best pipelined.
  const timings: StageTiming[] = [];
  let assignment: HostAssignment | undefined;
  let selection: PlanSelection | undefined;
  const gpuPrecision = options.gpuPrecision ?? 'fp32';
  const fp16Models = new Map<string, Model>();
  const modelFor = (stage: string, engine: HostEngine): Model => {
    if (engine === 'dla-emulated') return qdq.get(stage)!;
    const m = staged.models.get(stage)!;
    if (engine !== 'webgpu' || gpuPrecision !== 'fp16') return m;
    if (!fp16Models.has(stage)) fp16Models.set(stage, convertToFloat16(m).model);
    return fp16Models.get(stage)!;
  };
  if (options.target === 'host') {
    const engines = options.engines!;
    const candidates = order.flatMap((s) => engines.available.filter((e) => (e === 'dla-emulated' ? qdq.has(s.name) : true)).map((engine) => ({ stage: s.name, engine })));
    let done = 0;
    for (const c of candidates) {
      options.onProgress?.({ kind: 'timing', stage: c.stage, engine: c.engine, done: done++, total: candidates.length });
      const model = modelFor(c.stage, c.engine);
      try {
        timings.push(await timeStage(engines, c.engine, c.stage, model, options.timing));
      } catch (e) {
        if (!isTandemError(e, 'ENGINE_RUN') && !isTandemError(e, 'ENGINE_UNAVAILABLE')) throw e;
        notes.push(`${c.engine} could not run stage ${quote(c.stage)}: ${e.message.split('\n')[0]}`);
      }
    }
    const ranked = rankHostAssignments(order.map((s) => s.name), timings, { pins: pins as Record<string, HostEngine>, limit: options.candidates ?? 3 });
    if (engines.measure !== undefined && ranked.length > 1) {
      // candidates run with the plan's ends (pixels in, compact out) when asked: the I/O is part of the frame
      const ends = (models: Map<string, Model>): Promise<PlanEndsRewrite> => rewritePlanEnds(doc, order, models, { ...(options.input ? { input: options.input } : {}), ...(options.outputs ? { outputs: options.outputs } : {}), verify: false, opener: options.opener }, () => sourceMetadata(source, doc));
      selection = await measureCandidates(ranked, doc, modelFor, gpuPrecision, engines.measure, options.onProgress, ends);
    } else {
      selection = { how: 'stage-times', candidates: ranked.slice(0, 1).map((a) => ({ engines: a.engines, predictedFps: finite(a.predictedFps) })), chosen: 0 };
    }
    assignment = ranked[selection.chosen]!;
    assignments = order.map((s) => hostChoice(s.name, assignment!, timings, pins[s.name] !== undefined, gpuPrecision, selection!));
  }
  const byName = new Map(assignments!.map((a) => [a.name, a]));

  // 4. The model each stage runs: INT8 Q/DQ, FP16 (orin GPU stages), or as split.
  const deployed = new Map<string, Model>();
  for (const s of order) {
    const a = byName.get(s.name)!;
    const m = staged.models.get(s.name)!;
    deployed.set(s.name, a.precision === 'int8' ? qdq.get(s.name)! : a.precision === 'fp16' ? (fp16Models.get(s.name) ?? convertToFloat16(m).model) : m);
  }

  // 5. Boundary quantization: a float stage feeding only INT8 stages quantizes the hand-off itself.
  const boundary = boundaryTensors(doc, byName, deployed);
  let check: BoundaryCheck | undefined;
  if (boundary.size > 0) {
    const before = order.map((s) => ({ name: s.name, model: deployed.get(s.name)! }));
    for (const s of order) {
      const outs = [...boundary.values()].filter((b) => b.from === s.name).map((b) => b.tensor);
      const ins = [...boundary.values()].filter((b) => b.to.includes(s.name)).map((b) => b.tensor);
      let m = deployed.get(s.name)!;
      if (outs.length > 0) m = quantizeStageOutputs(m, outs);
      if (ins.length > 0) m = dequantizeStageInputs(m, ins);
      deployed.set(s.name, m);
    }
    if (options.verify !== false) {
      options.onProgress?.({ kind: 'verify' });
      check = await verifyBoundaryQuantization(before, order.map((s) => ({ name: s.name, model: deployed.get(s.name)! })), options.verifyOpener ?? options.opener);
      if (!check.ok) {
        throw new TandemError('VERIFY_FAILED', `the INT8 hand-off of ${[...boundary.keys()].join(', ')} changes the outputs: max |difference| ${check.maxAbsDiff} against outputs up to ${check.maxAbsRef} (onnxruntime, ${check.samples} fresh random inputs); report this with the model, or plan with --no-verify (verify: false) to inspect it`);
      }
    }
  }

  // 5b. The plan's ends: pixels in, compact outputs out, each rewritten stage checked against its float form.
  const frame = await rewritePlanEnds(doc, order, deployed, options, () => sourceMetadata(source, doc));

  // 6. Write the stage models and plan.json.
  const tensors: PlanTensor[] = doc.tensors.map((t) => {
    const b = boundary.get(t.name);
    const retyped = frame.tensors.get(t.name);
    if (retyped !== undefined) return { ...t, ...retyped };
    return b === undefined ? t : { ...t, dtype: 'int8', quantization: { dtype: 'int8', scale: b.tensor.scale, zeroPoint: 0 } };
  });
  const stages: PlanStage[] = order.map((s) => {
    const a = byName.get(s.name)!;
    const stream = options.target === 'host' ? hostStream(a.engine as HostEngine) : undefined;
    const int8 = a.precision === 'int8' ? int8Artifacts(s.name) : undefined;
    return {
      name: s.name,
      file: `${s.name}.onnx`,
      kind: s.kind,
      inputs: s.inputs,
      outputs: s.outputs,
      engine: a.engine,
      precision: a.precision,
      ...(stream !== undefined && stream !== a.engine ? { engineOptions: { stream } } : {}),
      choice: a.choice,
      ...(int8 !== undefined ? { calibrationCache: int8.calibrationCache, scales: int8.scales } : {}),
    };
  });
  const planDoc = newPlanDocument({ target: options.target, ...(doc.source !== undefined ? { source: doc.source } : {}), cut: doc.cut, stages, tensors, ...(frame.io !== undefined ? { io: frame.io } : {}), ...(selection !== undefined ? { selection } : {}) });
  // The set is written into a staging folder and renamed at the end: a failure leaves no final-named file.
  const written: string[] = [];
  writeFolder(options.out, (staged) => {
    for (const s of stages) {
      saveModel(deployed.get(s.name)!, staged.at(s.file));
      written.push(join(out, s.file));
      if (s.calibrationCache === undefined || s.scales === undefined) continue;
      // The cache and scales.json as tandem quantize writes them (the cache: every float tensor of the stage).
      const a = artifacts.get(s.name)!;
      writeFileAtomic(staged.at(s.calibrationCache), a.cache);
      writeFileAtomic(staged.at(s.scales), `${JSON.stringify(a.scalesDocument, null, 2)}\n`);
      written.push(join(out, s.calibrationCache), join(out, s.scales));
    }
    writePlan(planDoc, staged.staging, { protect });
    written.push(join(out, 'plan.json'));
  });
  return {
    plan: { ...planDoc, dir: out },
    files: written,
    timings,
    ...(assignment !== undefined ? { assignment } : {}),
    ...(check !== undefined ? { boundary: check } : {}),
    ...(selection !== undefined ? { selection } : {}),
    ...(frame.checks.length > 0 ? { frameIo: frame.checks } : {}),
    notes: [...notes, ...frame.notes],
  };
}

const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

/**
 * Runs each ranked candidate briefly as a pipeline through `measure` (stage models written to a
 * temporary folder: float or FP16 per the engine, the INT8 Q/DQ model for dla-emulated, with the plan's
 * ends applied by `ends`; hand-offs float) and keeps the fastest measured. A candidate that fails to run
 * is recorded with its error.
 */
async function measureCandidates(ranked: readonly HostAssignment[], doc: SplitDocument, modelFor: (stage: string, engine: HostEngine) => Model, gpuPrecision: 'fp32' | 'fp16', measure: (plan: Plan) => Promise<number>, onProgress: PlanOptions['onProgress'], ends: (models: Map<string, Model>) => Promise<PlanEndsRewrite>): Promise<PlanSelection> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-plan-candidates-'));
  try {
    const files = new Set<string>();
    const candidates: PlanSelection['candidates'][number][] = [];
    for (const [i, a] of ranked.entries()) {
      onProgress?.({ kind: 'candidate', done: i, total: ranked.length });
      const models = new Map(doc.stages.map((s) => [s.name, modelFor(s.name, a.engines[s.name]!)]));
      const rewritten = await ends(models);
      const stages: PlanStage[] = doc.stages.map((s) => {
        const engine = a.engines[s.name]!;
        // a stage's model depends only on its engine (and the ends, the same for every candidate)
        const key = `${s.name}.${engine}.onnx`;
        if (!files.has(key)) {
          saveModel(models.get(s.name)!, join(dir, key));
          files.add(key);
        }
        const stream = hostStream(engine);
        return { ...s, file: key, engine, precision: engine === 'dla-emulated' ? 'int8' : engine === 'webgpu' ? gpuPrecision : 'fp32', ...(stream !== engine ? { engineOptions: { stream } } : {}), choice: { how: 'measured', reason: 'candidate' } };
      });
      const tensors = doc.tensors.map((t) => ({ ...t, ...rewritten.tensors.get(t.name) }));
      const plan: Plan = { version: STAGE_FILE_VERSION, kind: 'plan', target: 'host', cut: doc.cut, stages, tensors, dir, ...(rewritten.io !== undefined ? { io: rewritten.io } : {}) };
      try {
        candidates.push({ engines: a.engines, predictedFps: finite(a.predictedFps), measuredFps: await measure(plan) });
      } catch (e) {
        if (!isTandemError(e)) throw e;
        candidates.push({ engines: a.engines, predictedFps: finite(a.predictedFps), error: e.message.split('\n')[0]! });
      }
    }
    let chosen = 0;
    for (const [i, c] of candidates.entries()) if ((c.measuredFps ?? -1) > (candidates[chosen]!.measuredFps ?? -1)) chosen = i;
    return { how: 'pipelined', candidates, chosen };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The names of an INT8 stage's calibration cache and scales.json in the plan's folder (those of tandem quantize). */
function int8Artifacts(stage: string): { calibrationCache: string; scales: string } {
  const p = artifactPaths('', stage);
  return { calibrationCache: p.cache, scales: p.scales };
}

/** A folder of calibration samples for the entry stage; images preprocessed as its or the source model's metadata states. */
function calibrationFolder(dir: string, entry: Model, source: PlanSource, doc: SplitDocument, notes: string[]): CalibrationSource {
  const image = preprocessFromMetadata(entry.metadata) ?? preprocessFromMetadata(sourceMetadata(source, doc));
  const c = openCalibrationFolder(dir, modelInputSpecs(entry), image !== undefined ? { image } : {});
  if (image !== undefined && c.description.includes(' images in ')) notes.push(`calibration images preprocessed as the model's metadata (${PREPROCESS_METADATA_KEY}) states: ${c.description}`);
  return c;
}

/**
 * The metadata of the model a plan starts from: the model itself, or the one split.json was made from (its
 * `source`, relative to the split's folder or to here); none where it is not there or not readable.
 */
function sourceMetadata(source: PlanSource, doc: SplitDocument): readonly (readonly [string, string])[] {
  if ('model' in source) return source.model.metadata;
  if (doc.source === undefined) return [];
  const path = [resolve(dirname(source.splitPath), doc.source), resolve(doc.source)].find((p) => existsSync(p));
  if (path === undefined) return [];
  try {
    return loadModel(path, { weights: 'lazy' }).metadata;
  } catch (e) {
    if (isTandemError(e)) return [];
    throw e;
  }
}

function loadStages(source: PlanSource, options: PlanOptions): Staged {
  if ('splitPath' in source) {
    if (options.split !== undefined) throw new TandemError('USAGE', `${source.splitPath} is already split; --split applies to a model`);
    const split = readSplit(source.splitPath);
    const models = new Map(split.stages.map((s) => [s.name, loadModel(join(split.dir, s.file))]));
    const { dir: _dir, ...doc } = split;
    return { doc, models, inputs: [source.splitPath, ...split.stages.map((s) => join(split.dir, s.file))] };
  }
  const how = options.split ?? 'auto';
  const plan = splitModel(source.model, how === 'auto' ? { auto: true } : { at: how });
  return { doc: splitDocument(plan, source.path), models: new Map(plan.stages.map((s) => [s.name, s.model])), inputs: source.path === undefined ? [] : [source.path] };
}

function resolvePins(target: PlanTarget, doc: SplitDocument, pins: Readonly<Record<string, string>>): Record<string, PlanEngine> {
  const allowed: readonly string[] = target === 'orin' ? TARGET_ENGINES : HOST_ENGINES;
  const out: Record<string, PlanEngine> = {};
  for (const [stage, engine] of Object.entries(pins)) {
    const s = doc.stages.find((x) => x.name === stage);
    if (s === undefined) throw new TandemError('UNKNOWN_NAME', `--engine names stage ${quote(stage)}, which the split does not have; stages: ${doc.stages.map((x) => x.name).join(', ')}`);
    if (!allowed.includes(engine)) throw new TandemError('UNKNOWN_NAME', `--engine ${stage}=${engine}: ${quote(engine)} is not an engine of target ${target}; engines: ${allowed.join(', ')}`);
    if (engine === 'dla-emulated' && s.kind !== 'head') throw new TandemError('USAGE', `--engine ${stage}=dla-emulated: the DLA emulation runs INT8 heads; ${quote(stage)} is the ${s.kind}`);
    if ((engine === 'dla0' || engine === 'dla1') && s.kind === 'postprocess') throw new TandemError('USAGE', `--engine ${stage}=${engine}: post-processing (TopK, ArgMax, NMS) has no DLA layers; keep it on gpu`);
    out[stage] = engine as PlanEngine;
  }
  return out;
}

/** What the orin layout needs of a stage: its modelled times (the Orin latency model, defaults: AGX Orin 64GB, MAXN) and, for a head, how much of it the DLA runs. */
function orinFacts(name: string, kind: OrinStageFacts['kind'], model: Model): OrinStageFacts {
  const shaped = model.clone();
  inferShapes(shaped, { strict: false });
  const a = analyze(shaped, { target: 'orin-dla', precision: 'int8' });
  const w = modelWorkload(shaped, { name, analysis: a });
  const settings = { params: ORIN_PARAMS };
  const modelledMs = { gpuFp16: stageLatency(w, undefined, 'gpu', 'fp16', settings).latencyMs, dlaInt8: stageLatency(w, undefined, 'dla', 'int8', settings).latencyMs };
  const f = a.summary.flops;
  if (kind !== 'head') return { name, kind, flops: f.total, modelledMs, dlaFlopShare: 0, fallbackNodes: 0, fallbackRules: [] };
  const rules = new Map<string, number>();
  for (const n of a.nodes) if (n.placement === 'fallback' && n.rule !== undefined) rules.set(n.rule, (rules.get(n.rule) ?? 0) + 1);
  return {
    name,
    kind,
    flops: f.total,
    modelledMs,
    dlaFlopShare: f.total > 0 ? f.onTarget / f.total : 0,
    fallbackNodes: a.summary.nodes.fallback,
    fallbackRules: [...rules].sort((x, y) => y[1] - x[1]).map(([r, n]) => `${r} ×${n}`),
  };
}

function hostChoice(stage: string, assignment: HostAssignment, timings: readonly StageTiming[], pinned: boolean, gpuPrecision: 'fp32' | 'fp16', selection: PlanSelection): StageAssignment {
  const engine = assignment.engines[stage]!;
  const mine = timings.filter((t) => t.stage === stage);
  const fmt = (x: number): string => (x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const others = mine.filter((t) => t.engine !== engine).map((t) => `${t.engine} ${fmt(t.medianMs)} ms`).join(', ');
  const here = mine.find((t) => t.engine === engine)!;
  const streams = Object.entries(assignment.streams).map(([k, v]) => `${k} ${fmt(v)} ms`).join(', ');
  const kept = selection.candidates[selection.chosen]!;
  const why = selection.how === 'pipelined'
    ? `part of the candidate that ran fastest pipelined (${fmt(kept.measuredFps ?? 0)} fps measured; ${selection.candidates.length} candidates run, predicted ${fmt(kept.predictedFps)} fps from the stage times)`
    : 'part of the assignment with the highest pipelined throughput predicted from the stage times (the busiest stream least busy)';
  const reason = `${pinned ? 'pinned (--engine)' : why}: ${fmt(here.medianMs)} ms here on ${engine}${others ? ` (${others})` : ''}; streams per frame ${streams}, bottleneck ${assignment.bottleneck} (measured, median of ${here.runs} runs, this machine)`;
  return {
    name: stage,
    engine,
    precision: engine === 'dla-emulated' ? 'int8' : engine === 'webgpu' && gpuPrecision === 'fp16' ? 'fp16' : 'fp32',
    choice: { how: pinned ? 'pinned' : 'measured', reason, timingsMs: Object.fromEntries(mine.map((t) => [t.engine, t.medianMs])) },
  };
}

interface Boundary {
  readonly tensor: BoundaryTensor;
  readonly from: string;
  readonly to: readonly string[];
}

/** The hand-offs that can cross as INT8: a non-INT8 producer, only INT8 readers that all quantize the tensor with one scale. */
function boundaryTensors(doc: SplitDocument, byName: ReadonlyMap<string, StageAssignment>, deployed: ReadonlyMap<string, Model>): Map<string, Boundary> {
  const out = new Map<string, Boundary>();
  for (const t of doc.tensors) {
    if (t.from === null || t.to.length === 0 || t.modelOutput || t.dtype !== 'float32') continue;
    if (byName.get(t.from)!.precision === 'int8') continue;
    if (!t.to.every((c) => byName.get(c)!.precision === 'int8')) continue;
    const scales = t.to.map((c) => inputQuantScale(deployed.get(c)!, t.name));
    const scale = scales[0];
    if (scale === undefined || !scales.every((s) => s === scale)) continue;
    out.set(t.name, { tensor: { name: t.name, scale }, from: t.from, to: t.to });
  }
  return out;
}
