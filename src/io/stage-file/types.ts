import type { DataType } from '../../ir/dtype.js';
import type { Dim } from '../../ir/types.js';

/**
 * The one schema of tandem's stage files: split.json (stages before engines are chosen) and
 * plan.json (the same stages, each with an engine and a precision). Written by split and plan, read
 * by quantize, plan, run, bench, cost, export and report. Every path in a document is relative to the
 * document's folder and must stay inside it.
 */

/** Current layout version. split.json files of version 1 (tandem split before plans existed) still load. */
export const STAGE_FILE_VERSION = 2;

/**
 * What part of the model a stage is: the shared backbone, a task head, or post-processing cut off to the GPU.
 */
export type StageKind = 'backbone' | 'head' | 'postprocess';

/** Numeric precision a stage runs at. */
export type Precision = 'fp32' | 'fp16' | 'int8';

/** Engines on this machine (runtime/engines): a host plan's stages run on these. */
export const HOST_ENGINES = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dla-emulated'] as const;
/** An engine of this machine a host plan can name (`HOST_ENGINES`). */
export type HostEngine = (typeof HOST_ENGINES)[number];

/** Engines of a target SoC (Orin: one GPU, two DLA cores): an orin plan's stages name these. */
export const TARGET_ENGINES = ['gpu', 'dla0', 'dla1'] as const;
/** An engine of the target SoC an orin plan can name (`TARGET_ENGINES`). */
export type TargetEngine = (typeof TARGET_ENGINES)[number];

/** Any engine a plan stage can name. */
export type PlanEngine = HostEngine | TargetEngine;

/** What a plan is for: run here (`host`) or build on an Orin (`orin`). */
export type PlanTarget = 'host' | 'orin';

/** One stage: a model file and the tensors it reads and writes. */
export interface StageEntry {
  /** File-name safe: letters, digits, '.', '_' and '-', not starting with '.'. Unique in the document. */
  readonly name: string;
  /** The stage's ONNX model, relative to the document's folder. */
  readonly file: string;
  readonly kind: StageKind;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** A tensor at a stage boundary (a model input, a hand-off between stages, or a model output). */
export interface TensorEntry {
  readonly name: string;
  /** null where shape inference could not tell. */
  readonly dtype: DataType | null;
  readonly shape: readonly Dim[] | null;
  /** The producing stage; null for an input of the whole model. */
  readonly from: string | null;
  /** The consuming stages. */
  readonly to: readonly string[];
  readonly modelOutput: boolean;
}

/** split.json: stages in an order that runs, and the tensors between them. */
export interface SplitDocument {
  readonly version: number;
  readonly kind: 'split';
  /** The model that was split, as given. */
  readonly source?: string;
  /** The tensors the backbone hands to the rest. */
  readonly cut: readonly string[];
  readonly stages: readonly StageEntry[];
  readonly tensors: readonly TensorEntry[];
}

/** How a stage's engine was chosen, for people reading the plan. */
export interface EngineChoice {
  /**
   * `layout`: a fixed layout (orin: trunk on the GPU, heads on the DLAs); `measured`: timed on this
   * machine; `modelled`: predicted by a latency model; `pinned`: the user said so.
   */
  readonly how: 'layout' | 'measured' | 'modelled' | 'pinned';
  /** One sentence: why this engine ("72% of its FLOPs fall back to the GPU", "fastest measured"). */
  readonly reason: string;
  /** Per candidate engine, the time measured (host) or modelled (target) for this stage, in ms. */
  readonly timingsMs?: Readonly<Record<string, number>>;
}

/** A stage of a plan: a stage entry with its engine and precision. */
export interface PlanStage extends StageEntry {
  readonly engine: PlanEngine;
  readonly precision: Precision;
  /** Options for the engine's session (threads, graph optimisation level, ...). */
  readonly engineOptions?: Readonly<Record<string, string | number | boolean>>;
  readonly choice: EngineChoice;
  /**
   * INT8 stages: the TensorRT calibration cache of the stage's float tensors (as `tandem quantize`
   * writes it, `<stage>.cache`), relative to the plan's folder and inside it like `file`.
   */
  readonly calibrationCache?: string;
  /** INT8 stages: the stage's scales.json (quant/ ScalesDocument, `<stage>.scales.json`), relative and inside like `file`. */
  readonly scales?: string;
}

/** INT8 hand-off: the producer quantizes with this scale; the consumers start at the matching DequantizeLinear. */
export interface TensorQuantization {
  readonly dtype: 'int8';
  readonly scale: number;
  /** Symmetric: TensorRT and the DLA take zero points of 0 only. */
  readonly zeroPoint: 0;
}

/** A tensor between plan stages, with its INT8 quantization where it crosses as INT8. */
export interface PlanTensor extends TensorEntry {
  /** Present where the tensor crosses into INT8 stages as INT8 (a quarter of the FP32 bytes). */
  readonly quantization?: TensorQuantization;
}

/** How the model's input arrives: float (as the model takes it) or pixels normalised in the entry stage. */
export const INPUT_ENCODINGS = ['float', 'uint8-hwc', 'uint8-chw', 'rgba-uint32'] as const;
export type InputEncoding = (typeof INPUT_ENCODINGS)[number];
/** How a model output leaves: as computed, as class ids (ArgMax over channels, int32), or as float16. */
export const OUTPUT_FORMS = ['float', 'argmax', 'fp16'] as const;
export type OutputForm = (typeof OUTPUT_FORMS)[number];

/** The ends of a plan where they differ from the model's (pixels in, compact outputs). */
export interface PlanFrameIo {
  /** The model input fed as pixels and the normalisation the entry stage applies: value = pixel·scale/std − mean/std. */
  readonly input?: { readonly name: string; readonly encoding: Exclude<InputEncoding, 'float'>; readonly mean: readonly number[]; readonly std: readonly number[]; readonly scale: number };
  /** Output name → its form, for outputs not left as float. */
  readonly outputs?: Readonly<Record<string, Exclude<OutputForm, 'float'>>>;
}

/** How a host plan's assignment of engines was chosen among candidates. */
export interface PlanSelection {
  /** `pipelined`: the best-ranked candidates ran as pipelines here and the fastest was kept; `stage-times`: ranked on per-stage times alone. */
  readonly how: 'pipelined' | 'stage-times';
  /** Each candidate: stage → engine, fps predicted from the stage times, fps measured pipelined (where it ran). */
  readonly candidates: readonly { readonly engines: Readonly<Record<string, string>>; readonly predictedFps: number; readonly measuredFps?: number; readonly error?: string }[];
  /** Index of the candidate the plan uses. */
  readonly chosen: number;
}

/** plan.json: stages with engines and precisions, and the tensors between them. */
export interface PlanDocument {
  readonly version: number;
  readonly kind: 'plan';
  readonly target: PlanTarget;
  readonly source?: string;
  readonly cut: readonly string[];
  readonly stages: readonly PlanStage[];
  readonly tensors: readonly PlanTensor[];
  readonly io?: PlanFrameIo;
  readonly selection?: PlanSelection;
}

/** A plan read from disk: the document plus the absolute folder its files are relative to. */
export interface Plan extends PlanDocument {
  readonly dir: string;
}

/** Either kind of stage file. */
export type StageDocument = SplitDocument | PlanDocument;
