import { quote } from '../util/text.js';
import type { EngineChoice, PlanEngine, Precision, StageKind, TargetEngine } from '../io/stage-file/types.js';
import { TandemError } from '../util/errors.js';

/** What the orin layout needs to know of a stage. */
export interface OrinStageFacts {
  readonly name: string;
  readonly kind: StageKind;
  /** The stage's FLOPs (op cost table; 0 where unknown). */
  readonly flops: number;
  /**
   * The stage alone on each engine it may run on, from the Orin latency model (src/plan/cost, the one
   * `tandem cost` uses; modelled, never measured): FP16 on the GPU, INT8 on one DLA core with its
   * fallbacks on the GPU and the reformats at their crossings.
   */
  readonly modelledMs: { readonly gpuFp16: number; readonly dlaInt8: number };
  /** From analyze for orin-dla at INT8: the share of the stage's FLOPs that run on the DLA (0..1). */
  readonly dlaFlopShare: number;
  /** Nodes that fall back to the GPU, and the rule ids that sent them there (most frequent first). */
  readonly fallbackNodes: number;
  readonly fallbackRules: readonly string[];
}

/** One stage's engine, precision and why. */
export interface StageAssignment {
  readonly name: string;
  readonly engine: PlanEngine;
  readonly precision: Precision;
  readonly choice: EngineChoice;
}

/** A head stays on a DLA only if more than this share of its FLOPs run there. */
export const DLA_MIN_FLOP_SHARE = 0.5;

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const ms = (x: number): string => (x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

/**
 * The webinar's layout for DRIVE Orin: the trunk FP16 on the GPU; each head INT8 on a DLA core if most
 * of its FLOPs run there (else FP16 on the GPU), the DLA heads spread over dla0/dla1 so that the
 * modelled load (the Orin latency model's) is balanced (largest first onto the less loaded core); post-processing on the GPU in
 * FP32. `pins` fix a stage's engine. Every choice says which rule applied, with the numbers.
 */
export function orinLayout(stages: readonly OrinStageFacts[], pins: Readonly<Record<string, TargetEngine>> = {}): StageAssignment[] {
  const out = new Map<string, StageAssignment>();
  const timings = (s: OrinStageFacts): Record<string, number> => ({ gpu: s.modelledMs.gpuFp16, dla: s.modelledMs.dlaInt8 });
  const load: Record<'dla0' | 'dla1', number> = { dla0: 0, dla1: 0 };
  const onDla: OrinStageFacts[] = [];

  for (const s of stages) {
    const pin = pins[s.name];
    if (pin !== undefined) {
      const precision: Precision = pin === 'gpu' ? (s.kind === 'postprocess' ? 'fp32' : 'fp16') : 'int8';
      if (pin !== 'gpu') load[pin] += s.modelledMs.dlaInt8;
      out.set(s.name, { name: s.name, engine: pin, precision, choice: { how: 'pinned', reason: `pinned to ${pin} (--engine); ${precision.toUpperCase()}${pin === 'gpu' ? '' : `, ${pct(s.dlaFlopShare)} of its FLOPs can run on the DLA`}`, timingsMs: timings(s) } });
      continue;
    }
    if (s.kind === 'backbone') {
      out.set(s.name, { name: s.name, engine: 'gpu', precision: 'fp16', choice: { how: 'layout', reason: 'the trunk runs FP16 on the GPU (the webinar layout: the heaviest stage, kept at FP16 for feature accuracy)', timingsMs: timings(s) } });
    } else if (s.kind === 'postprocess') {
      out.set(s.name, { name: s.name, engine: 'gpu', precision: 'fp32', choice: { how: 'layout', reason: 'post-processing runs on the GPU in FP32 (TopK/ArgMax: ties and order change in FP16; the DLA has no such layers)', timingsMs: timings(s) } });
    } else if (s.dlaFlopShare > DLA_MIN_FLOP_SHARE) {
      onDla.push(s);
    } else {
      const why = s.flops === 0 ? 'its FLOPs are unknown to the cost table' : `only ${pct(s.dlaFlopShare)} of its FLOPs run on the DLA (${s.fallbackNodes} node${s.fallbackNodes === 1 ? ' falls' : 's fall'} back: ${s.fallbackRules.slice(0, 3).join(', ') || 'see tandem analyze'})`;
      out.set(s.name, { name: s.name, engine: 'gpu', precision: 'fp16', choice: { how: 'layout', reason: `FP16 on the GPU: ${why}; a head stays on a DLA only if more than ${pct(DLA_MIN_FLOP_SHARE)} of its FLOPs run there`, timingsMs: timings(s) } });
    }
  }

  // Longest processing time first: each head goes to the DLA core with the smaller modelled load.
  const byCost = [...onDla].sort((a, b) => b.modelledMs.dlaInt8 - a.modelledMs.dlaInt8 || a.name.localeCompare(b.name));
  const placed: { s: OrinStageFacts; engine: 'dla0' | 'dla1' }[] = [];
  for (const s of byCost) {
    const engine = load.dla1 < load.dla0 ? 'dla1' : 'dla0';
    load[engine] += s.modelledMs.dlaInt8;
    placed.push({ s, engine });
  }
  for (const { s, engine } of placed) {
    const fallback = s.fallbackNodes === 0 ? 'no node falls back' : `${s.fallbackNodes} node${s.fallbackNodes === 1 ? ' falls' : 's fall'} back to the GPU (${s.fallbackRules.slice(0, 3).join(', ')})`;
    out.set(s.name, {
      name: s.name,
      engine,
      precision: 'int8',
      choice: {
        how: 'layout',
        reason: `INT8 on ${engine}: ${pct(s.dlaFlopShare)} of its FLOPs run on the DLA, ${fallback}; heads balanced over the DLA cores by modelled cost (dla0 ${ms(load.dla0)} ms, dla1 ${ms(load.dla1)} ms per frame, modelled)`,
        timingsMs: timings(s),
      },
    });
  }
  return stages.map((s) => {
    const a = out.get(s.name);
    if (a === undefined) throw new TandemError('GRAPH_INVALID', `orin layout left stage ${quote(s.name)} without an engine`);
    return a;
  });
}
