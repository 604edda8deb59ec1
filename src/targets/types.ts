import type { DataType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import type { Shape } from '../ir/types.js';
import type { DlaLimits } from './limits.js';

/** Build precision of a DLA target: INT8 (with FP16 allowed where INT8 is impossible) or FP16 only. */
export type Precision = 'int8' | 'fp16';

/** How sure the reference is of a rule: stated in a source, not found in one (a heuristic), or disputed. */
export type Confidence = 'CONF' | 'UNCONF' | 'CONFLICT';

/** Reconstruction recipes of the DLA support reference, section 3. */
export type RecipeId =
  | 'R-AND'
  | 'R-OR'
  | 'R-XOR'
  | 'R-NOT'
  | 'R-NEG'
  | 'R-D2S'
  | 'R-S2D'
  | 'R-GATHER'
  | 'R-SCATTER'
  | 'R-WHERE'
  | 'R-GRU'
  | 'R-CUMSUM'
  | 'R-ID'
  | 'R-RSUM'
  | 'R-RMEAN'
  | 'R-GAP'
  | 'R-GMP'
  | 'R-FC'
  | 'R-QDQ'
  | 'R-RESIZE-SCALES'
  | 'R-FUSE-CONV-AFFINE'
  | 'R-HFUSE'
  | 'R-PAD'
  | 'R-NORM';

/**
 * What to do about a fallback: apply a reconstruction recipe, rewrite the node (an equivalent op),
 * change an attribute, fix a dynamic dim, change an I/O format or precision, or cut the node off to
 * the GPU as post-processing.
 */
export type FixKind = 'recipe' | 'rewrite' | 'attribute' | 'static-shape' | 'format' | 'precision' | 'cut-to-gpu' | 'restructure';

/** How to make a failing node run on the target: a recipe, a rewrite, an attribute change, ... */
export interface Fix {
  readonly kind: FixKind;
  /** One sentence a person can act on. */
  readonly text: string;
  /** The reference recipe, where the fix is one. */
  readonly recipe?: RecipeId;
}

/** A rule's answer for one node: passes (optionally with a note), or fails with its id and the numbers. */
export type Verdict = { readonly ok: true; readonly note?: string } | Problem;

/** A failed rule: its stable id, the numbers, and a fix where one is known. */
export interface Problem {
  readonly ok: false;
  /** Stable rule id, e.g. `conv.kernel-size`. */
  readonly rule: string;
  /** The actual and the allowed values: "kernel 33x33; DLA allows 1..32 per dim (L-CONV C2)". */
  readonly reason: string;
  readonly fix?: Fix;
}

/** A failing rule as reported on a node: its id, the numbers, and the fix where one exists. */
export type Finding = Omit<Problem, 'ok'>;

/** What a rule sees besides the node: shapes, types and build-time constants of the analysed graph. */
export interface RuleContext {
  readonly graph: Graph;
  readonly profile: TargetProfile;
  /** DLA limits of the profile; undefined for targets that are not a DLA. */
  readonly limits: DlaLimits | undefined;
  readonly precision: Precision;
  /** The ai.onnx opset the model imports. */
  readonly opset: number;
  /** Inferred (else declared) shape of a tensor. */
  shape(name: string): Shape | undefined;
  dtype(name: string): DataType | undefined;
  /**
   * A build-time constant, the one notion every rule uses: an initializer, a Constant output, or the
   * output of a node TensorRT folds at build (findBuildFacts: every input a build-time constant, as
   * Identity, Cast, Reshape, DequantizeLinear or arithmetic of constants; Shape of a static shape).
   */
  isConstant(name: string): boolean;
  /** The constant's tensor, when known. */
  constant(name: string): Tensor | undefined;
  /** The constant's values as numbers (undefined when not constant, or when too large to read). */
  values(name: string): readonly number[] | undefined;
  /** Nodes that read a tensor at run time (nodes folded at build time excluded). */
  consumers(name: string): readonly Node[];
}

/** A named check: data (id, source row, confidence, a description with the profile's numbers) plus a predicate. */
export interface RuleDef {
  /** Stable id: `conv.kernel-size`. */
  readonly id: string;
  /** The reference row(s) it implements: 'L-CONV C2'. */
  readonly ref: string;
  readonly conf: Confidence;
  /** One line with the limits of a profile: "kernel 1..32 per spatial dim". */
  describe(profile: TargetProfile): string;
  check(node: Node, ctx: RuleContext): Verdict;
}

/** TensorRT status of an ONNX op on the DLA (reference section 2c). */
export type OpStatus =
  | 'native' // TensorRT maps it to DLA layer(s) when the listed rules hold
  | 'native-8.6.12' // as native, from TensorRT 8.6.12 (DRIVE OS 6.0.9) on
  | 'native-10' // listed in the TensorRT 10.x DLA documentation only
  | 'conflict' // sources disagree; treated as native and flagged "verify"
  | 'recon' // needs a graph rewrite (a recipe) before it can reach the DLA
  | 'build' // vanishes at build time (constant folding, static shapes)
  | 'removed' // removed by the parser at inference (Dropout): a wire
  | 'cast' // runs on the DLA only as the FP16/INT8 cast after a comparison
  | 'gpu'; // no DLA path through TensorRT

/**
 * What the reference's Xavier column says, and the choice made where it is unconfirmed:
 * `yes` documented for 1st-gen DLA; `likely` assumed to run (UNCONF); `gpu`; `recipe` (as `recon`);
 * `assume-gpu` unconfirmed and treated as GPU; `same` as Orin (build-time ops).
 */
export type XavierStatus = 'yes' | 'likely' | 'gpu' | 'recipe' | 'assume-gpu' | 'same';

/** One row of the ONNX operator table (reference section 2c): the typed data the checker and the docs share. */
export interface OpRow {
  readonly op: string;
  readonly status: OpStatus;
  /** TensorRT layer(s) the ONNX parser creates. */
  readonly layer: string;
  /** Rule ids checked when the op can run on the target. */
  readonly rules: readonly string[];
  /** General rules this op is exempt from (a comparison's BOOL output is checked by `compare.*`). */
  readonly exempt?: readonly string[];
  /** Why it does not run on the DLA as exported (for `gpu` and `recon`). */
  readonly why?: string;
  /** The reconstruction recipe that can bring it to the DLA. */
  readonly recipe?: RecipeId;
  /** What DLA SW itself supports (tells whether a later TensorRT may expose it). */
  readonly dlaSw: string;
  readonly xavier: XavierStatus;
  /** Where the row comes from: R-OPS (DLA SW operator list) or P86 (extra ops the TRT 8.6 parser imports). */
  readonly source: 'R-OPS' | 'P86';
  readonly conf: Confidence;
  /** A caveat shown with a passing verdict (UNCONF choices, precision upgrades). */
  readonly note?: string;
  /**
   * Build-time folding: `shape-only` folds when its input's shape is static (Shape, Size), whatever
   * the input's values; `never` does not fold even with constant inputs (random generators).
   */
  readonly fold?: 'shape-only' | 'never';
  /** False for an op the TensorRT 8.6 ONNX parser does not import at all (Mish). */
  readonly imported?: false;
  /** An equivalent rewrite into DLA ops (beyond the reference recipes), where one exists for this node. */
  readonly rewrite?: (node: Node, ctx: RuleContext) => Fix | undefined;
}

/** The kind of engine a target is. */
export type TargetKind = 'dla' | 'gpu' | 'cpu';

/** A capability profile: what one engine/software stack accepts, as data plus rule functions. */
export interface TargetProfile {
  /** Registry name: `orin-dla`. */
  readonly name: string;
  /** "NVIDIA Orin DLA (2nd gen), TensorRT 8.6.2 / DLA 3.14.1 (JetPack 6)". */
  readonly title: string;
  readonly kind: TargetKind;
  /** Where a node that fails goes: the GPU for a DLA (TensorRT GPU fallback); 'none' where nothing takes it. */
  readonly fallback: 'gpu' | 'cpu' | 'none';
  /** TensorRT version the rules describe, [major, minor, patch]; undefined for the CPU. */
  readonly trt: readonly [number, number, number] | undefined;
  /** DLA generation: 2 (Orin), 1 (Xavier); undefined for other targets. */
  readonly dlaGeneration: 1 | 2 | undefined;
  readonly defaultPrecision: Precision;
  readonly limits: DlaLimits | undefined;
  /** Rules every candidate node is checked against before the op's own rules (shapes known, types). */
  readonly generalRules: readonly RuleDef[];
  /** Size limits every candidate node is checked against after the op's own rules (batch, dims, volume). */
  readonly limitRules: readonly RuleDef[];
  /** Every rule of the profile, by id (general and per-op). */
  readonly rules: ReadonlyMap<string, RuleDef>;
  /** How the profile treats each ONNX op of the default domain. */
  readonly ops: ReadonlyMap<string, OpSupport>;
  /** What happens to an op the table does not list. */
  readonly unknownOp: OpSupport;
  /** Caveats of the whole profile (version notes). */
  readonly notes: readonly string[];
  /**
   * How INT8 reaches the engine: `implicit` (a calibration cache of per-tensor ranges, TensorRT ≤ 10.x on
   * the DLA) or `explicit` (Q/DQ nodes in a strongly typed network, TensorRT ≥ 11.4). @default implicit
   */
  readonly quantization?: 'implicit' | 'explicit';
}

/** An op as one profile treats it, resolved from its row. */
export type OpSupport =
  | { readonly placement: 'target'; readonly row: OpRow | undefined; readonly rules: readonly RuleDef[]; readonly note?: string }
  | { readonly placement: 'build' | 'removed'; readonly row: OpRow | undefined }
  | { readonly placement: 'fallback'; readonly row: OpRow | undefined; readonly rule: string; readonly reason: string; readonly recipe?: RecipeId };

/** Where a node ends up: on the target, on the fallback engine, or nowhere (folded or removed at build time). */
export type Placement = 'target' | 'fallback' | 'build';

/** The verdict for one node of the main graph. */
export interface NodeVerdict {
  /** Node name, or its first output's name where the node has none. */
  readonly name: string;
  readonly op: string;
  /** Tensor names the node reads ('' for an omitted optional input) and writes: the graph's edges, for drawing it. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** False when the node falls back; true when it runs on the target or vanishes at build time. */
  readonly ok: boolean;
  readonly placement: Placement;
  /** The first failing rule (all of them are in `problems`). */
  readonly rule?: string;
  readonly reason?: string;
  readonly fix?: Fix;
  /** Every failing rule, when the node falls back. */
  readonly problems?: readonly Finding[];
  /** Caveats of a passing verdict (UNCONF choices, precision upgrades, hints). */
  readonly notes?: readonly string[];
  /** The region (one DLA loadable) the node belongs to. */
  readonly region?: string;
  /** FLOPs from the op cost table (undefined where the cost is unknown). */
  readonly flops?: number;
}

/** Bytes of a tensor at the two DLA precisions (elements × 1 and × 2); null when its shape is not static. */
export interface Bytes {
  readonly int8: number | null;
  readonly fp16: number | null;
}

/** A maximal connected, convex group of target nodes: one DLA loadable in TensorRT. */
export interface Region {
  /** `R1`, `R2`, ... in order of their first node. */
  readonly id: string;
  readonly nodes: readonly string[];
  readonly flops: number;
  /** DLA batch of the region (product of all dims but the last three; reference G4, G8). */
  readonly batch: number | null;
  /** Tensors entering the region (from the GPU, the network input or another region). */
  readonly inputs: readonly string[];
  /** Tensors leaving the region (to the GPU, the network output or another region). */
  readonly outputs: readonly string[];
  /** Sum of the tensors produced and consumed inside the region (reference G10: must stay < 1 GiB). */
  readonly intermediateBytes: Bytes;
}

/** A tensor that moves between engines: a reformat/copy on the target, once per inference. */
export interface Crossing {
  readonly tensor: string;
  /** Region id, 'gpu' (a fallback node) or 'input' (a network input). */
  readonly from: string;
  /** Region id, 'gpu' or 'output' (a network output). */
  readonly to: string;
  readonly shape: Shape | undefined;
  readonly bytes: Bytes;
  /** A trtexec I/O format that lets TensorRT skip the reformat here (reference 4b, 4c), where one applies. */
  readonly format?: string;
}

/** A finding about the graph as a whole (regions, precision), with a stable id. */
export interface Diagnostic {
  readonly rule: string;
  readonly message: string;
  /** Region ids concerned, when any. */
  readonly regions?: readonly string[];
}

/** The counts of an `Analysis`: nodes and FLOPs on the target or falling back, DLA regions, crossings. */
export interface AnalysisSummary {
  /** total = onTarget + fallback + build (nodes folded or removed at build time). */
  readonly nodes: { readonly total: number; readonly onTarget: number; readonly fallback: number; readonly build: number };
  /** FLOPs from the op cost table; `unknownNodes` counts nodes whose cost is unknown (counted as 0). */
  readonly flops: { readonly total: number; readonly onTarget: number; readonly fallback: number; readonly unknownNodes: number };
  readonly regions: number;
  readonly crossings: number;
  /** Bytes crossing between engines per inference, summed over crossings with static shapes. */
  readonly crossingBytes: { readonly int8: number; readonly fp16: number };
  /** Diagnostics as lines: "region.count: ...". */
  readonly warnings: readonly string[];
  /** What the figures are: modelled from rules, not measured. */
  readonly basis: string;
}

/** The full result of `analyze` (what `tandem analyze --json` prints). */
export interface Analysis {
  readonly target: string;
  readonly precision: Precision;
  /** Every node of the main graph, in topological order. */
  readonly nodes: readonly NodeVerdict[];
  readonly regions: readonly Region[];
  readonly crossings: readonly Crossing[];
  readonly diagnostics: readonly Diagnostic[];
  readonly summary: AnalysisSummary;
}
