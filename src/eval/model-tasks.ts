import { TandemError } from '../util/errors.js';
import type { Model } from '../ir/model.js';
import type { Shape } from '../ir/types.js';
import { preprocessFromMetadata, resolveImagePreprocess, type ImagePreprocessOptions, type ResolvedImagePreprocess } from '../quant/image-preprocess.js';
import { resolvePixelPreprocess, type PixelInput } from '../quant/image-pixels.js';
import { CITYSCAPES_CLASSES, IGNORE_INDEX } from './datasets/cityscapes-classes.js';

/** The metadata key under which a model states what its outputs mean (JSON, see readModelTasks). */
export const OUTPUTS_METADATA_KEY = 'tandem.outputs';

/** How a depth output becomes metres. */
export type DepthEncoding =
  /** depth = min · (max / min)^s, s in (0, 1) (tandem-street's Sigmoid output) */
  | 'log-sigmoid'
  /** depth = 1 / (1/max + s · (1/min − 1/max)) */
  | 'inverse-sigmoid'
  /** the output already is metres */
  | 'metres';

export const DEPTH_ENCODINGS: readonly DepthEncoding[] = ['log-sigmoid', 'inverse-sigmoid', 'metres'];

/** A segmentation output of a model: its name and class count. */
export interface SegmentationTask {
  readonly output: string;
  readonly classes: number;
  readonly classNames: readonly string[];
  readonly ignoreIndex: number;
}

/** A depth output of a model: its name and how its values encode metres. */
export interface DepthTask {
  readonly output: string;
  readonly encoding: DepthEncoding;
  readonly min: number;
  readonly max: number;
}

/** What a model's input wants and what its outputs mean, from its metadata or, failing that, from its output names. */
export interface ModelTasks {
  readonly input: string;
  readonly preprocess: ResolvedImagePreprocess;
  readonly segmentation?: SegmentationTask;
  readonly depth?: DepthTask;
  /** Where each part came from, for messages. */
  readonly source: 'metadata' | 'names';
}

function parseOutputs(model: Model): Record<string, Record<string, unknown>> | undefined {
  const raw = model.metadata.find(([k]) => k === OUTPUTS_METADATA_KEY)?.[1];
  if (raw === undefined) return undefined;
  try {
    const o = JSON.parse(raw) as unknown;
    if (typeof o !== 'object' || o === null) throw new Error('not an object');
    return o as Record<string, Record<string, unknown>>;
  } catch (e) {
    throw new TandemError('MODEL_METADATA', `the model's metadata "${OUTPUTS_METADATA_KEY}" is not a JSON object (${(e as Error).message}); fix it or remove it`, { cause: e });
  }
}

/**
 * Reads the tasks of a model: the image input and its preprocessing (`tandem.preprocess`, else ImageNet
 * defaults at the input's size), a segmentation output (`tandem.outputs` kind "segmentation-logits", else
 * an output named like "seg*" of shape [1, C, h, w]) and a depth output (kind "depth", else an output
 * named like "depth*"; without metadata it is taken as metres). `overrides` win over the metadata.
 * `overrides.pixels`: the input is a plan's pixel input (`plan.io.input`, its pixel shape), normalised by
 * the plan: size, resize and channel order as above, mean/std/scale the plan's (a different one asked for
 * is refused).
 */
export function readModelTasks(model: Model, overrides: { preprocess?: ImagePreprocessOptions; depth?: Partial<Omit<DepthTask, 'output'>>; pixels?: { readonly input: PixelInput; readonly shape: Shape | undefined } } = {}): ModelTasks {
  const g = model.graph;
  const input = g.runtimeInputs[0];
  if (input === undefined || g.runtimeInputs.length !== 1) throw new TandemError('MODEL_UNSUITABLE', `eval needs a model with one image input; this one has ${g.runtimeInputs.length}: ${g.runtimeInputs.join(', ')}`);
  const inType = g.value(input)?.type;
  const shape = inType?.kind === 'tensor' ? inType.shape : undefined;
  const pixels = overrides.pixels;
  if (pixels !== undefined && pixels.input.name !== input) throw new TandemError('MODEL_METADATA', `the plan takes pixels at input "${pixels.input.name}"; the model describing it has input "${input}"`);
  const options = { ...preprocessFromMetadata(model.metadata), ...overrides.preprocess };
  const preprocess = pixels !== undefined ? resolvePixelPreprocess(options, pixels.input, pixels.shape) : resolveImagePreprocess(options, shape, input);
  const meta = parseOutputs(model);
  let segmentation: SegmentationTask | undefined;
  let depth: DepthTask | undefined;
  const outShape = (name: string): readonly (number | string | null)[] | undefined => {
    const t = g.value(name)?.type;
    return t?.kind === 'tensor' ? t.shape : undefined;
  };
  if (meta !== undefined) {
    for (const [name, o] of Object.entries(meta)) {
      if (!g.outputs.includes(name)) throw new TandemError('MODEL_METADATA', `the model's metadata "${OUTPUTS_METADATA_KEY}" describes output "${name}", which the model does not have (outputs: ${g.outputs.join(', ')})`);
      if (o['kind'] === 'segmentation-logits') {
        const classes = Array.isArray(o['classes']) ? (o['classes'] as { trainId?: number; name?: string }[]) : [];
        const names: string[] = [];
        classes.forEach((c, i) => {
          names[typeof c.trainId === 'number' ? c.trainId : i] = String(c.name ?? `class ${i}`);
        });
        const n = names.length || Number(outShape(name)?.[1] ?? 0);
        segmentation = { output: name, classes: n, classNames: Array.from({ length: n }, (_, i) => names[i] ?? `class ${i}`), ignoreIndex: typeof o['ignoreIndex'] === 'number' ? o['ignoreIndex'] : IGNORE_INDEX };
      } else if (o['kind'] === 'depth') {
        const encoding = o['encoding'] as DepthEncoding;
        if (!DEPTH_ENCODINGS.includes(encoding)) throw new TandemError('MODEL_METADATA', `the model's metadata gives depth encoding ${JSON.stringify(o['encoding'])}; known: ${DEPTH_ENCODINGS.join(', ')}`);
        depth = { output: name, encoding, min: Number(o['min'] ?? 1e-3), max: Number(o['max'] ?? Infinity) };
      }
    }
  } else {
    const seg = g.outputs.find((o) => /seg/i.test(o) && outShape(o)?.length === 4);
    if (seg !== undefined) {
      const c = outShape(seg)![1];
      const n = typeof c === 'number' ? c : CITYSCAPES_CLASSES.length;
      segmentation = { output: seg, classes: n, classNames: Array.from({ length: n }, (_, i) => CITYSCAPES_CLASSES[i]?.name ?? `class ${i}`), ignoreIndex: IGNORE_INDEX };
    }
    const d = g.outputs.find((o) => /depth/i.test(o));
    if (d !== undefined) depth = { output: d, encoding: 'metres', min: 1e-3, max: Infinity };
  }
  if (depth !== undefined && overrides.depth !== undefined) depth = { ...depth, ...overrides.depth };
  if (segmentation === undefined && depth === undefined) {
    throw new TandemError('MODEL_UNSUITABLE', `found no segmentation or depth output to evaluate among ${g.outputs.join(', ')}; name them (segmentation*, depth*) or describe them in the model's "${OUTPUTS_METADATA_KEY}" metadata`);
  }
  return { input, preprocess, ...(segmentation ? { segmentation } : {}), ...(depth ? { depth } : {}), source: meta !== undefined ? 'metadata' : 'names' };
}

/**
 * The outputs of a model that hold class scores: those the `tandem.outputs` metadata calls
 * "segmentation-logits"; without metadata, classifier scores ([N, C]) and [N, C, H, W] outputs named like
 * segmentation, logits, class, score or prob (readModelTasks' "seg*" rule, widened). Argmax agreement
 * means something for these only: a feature map (a backbone's c1..c4) has channels, not classes.
 */
export function classMapOutputs(model: Model): string[] {
  const g = model.graph;
  const meta = parseOutputs(model);
  if (meta !== undefined) return Object.entries(meta).filter(([name, o]) => o['kind'] === 'segmentation-logits' && g.outputs.includes(name)).map(([name]) => name);
  return g.outputs.filter((o) => {
    const t = g.value(o)?.type;
    const rank = t?.kind === 'tensor' ? t.shape?.length : undefined;
    return rank === 2 || (rank === 4 && /seg|logit|class|score|prob/i.test(o));
  });
}

/** Decodes a depth output's values into metres, in place into `out`. */
export function decodeDepth(values: ArrayLike<number>, task: DepthTask, out: Float32Array): Float32Array {
  const { min, max } = task;
  if (task.encoding === 'metres') for (let i = 0; i < out.length; i++) out[i] = values[i]!;
  else if (task.encoding === 'log-sigmoid') {
    const k = Math.log(max / min);
    for (let i = 0; i < out.length; i++) out[i] = min * Math.exp(k * values[i]!);
  } else {
    const a = 1 / max;
    const b = 1 / min - 1 / max;
    for (let i = 0; i < out.length; i++) out[i] = 1 / (a + b * Math.max(0, values[i]!));
  }
  return out;
}
