import { TandemError } from '../../util/errors.js';
import { param, type ClockScale, type LatencyParams, type PowerMode } from './params.js';
import type { WorkLayer, Workload } from './workload.js';
import { unknownNameError } from '../../util/registry.js';

/**
 * The per-stage latency model (modelled, never measured). Per layer a roofline: compute time = MACs /
 * (peak × efficiency of its class × clock scale), GPU kernels losing efficiency on small outputs
 * (occupancy); memory time = bytes / (DRAM bandwidth × the engine's efficiency); a layer takes the larger
 * of the two plus a per-layer overhead, unless it is fused into the kernel before it. A DLA stage adds a
 * submission cost per loadable (region), runs the nodes the DLA cannot on the GPU, and pays a reformat
 * on the GPU for every tensor crossing between the two. Batch: the GPU runs the batch in each kernel;
 * the DLA runs it item by item.
 */

/** The kind of Orin engine a stage is costed on. */
export type CostEngineKind = 'gpu' | 'dla';
/** The precision a stage is costed at. */
export type CostPrecision = 'int8' | 'fp16';

export interface CostSettings {
  readonly params: LatencyParams;
  /** @default 1 */
  readonly batch?: number;
  /** @default 'maxn' */
  readonly power?: PowerMode;
  /** A platform of the parameter file. @default 'agx-orin-64gb' */
  readonly platform?: string;
}

interface Resolved {
  readonly p: LatencyParams;
  readonly batch: number;
  readonly scale: { gpu: number; dla: number; dram: number };
}

/** Per-engine load of a stage in ms, split into the part DRAM contention stretches and the rest. */
export interface EngineLoad {
  readonly ms: number;
  /** Time of memory-bound layers (stretched when other engines load DRAM). */
  readonly memoryBoundMs: number;
  /** Bytes moved through DRAM. */
  readonly bytes: number;
}

/** What one stage costs on one engine, alone on the SoC. All figures modelled. */
export interface StageLatency {
  readonly engine: CostEngineKind;
  readonly precision: CostPrecision;
  readonly batch: number;
  /** Stage latency alone on the SoC (ms): the DLA part, GPU fallback and reformats in sequence. */
  readonly latencyMs: number;
  readonly breakdown: {
    /** Layers limited by their MACs. */
    readonly computeMs: number;
    /** Layers limited by DRAM traffic. */
    readonly memoryMs: number;
    /** Per-layer overheads. */
    readonly overheadMs: number;
    /** DLA loadable submissions. */
    readonly submissionMs: number;
    /** GPU time of the nodes that fall back from the DLA. */
    readonly fallbackMs: number;
    /** Reformats / copies of the tensors crossing between GPU and DLA inside the stage. */
    readonly crossingMs: number;
  };
  readonly load: { readonly gpu: EngineLoad; readonly dla: EngineLoad };
  readonly counts: { readonly layers: number; readonly kernels: number; readonly fallbackLayers: number; readonly loadables: number; readonly crossings: number };
}

function resolve(s: CostSettings): Resolved {
  const batch = s.batch ?? 1;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new TandemError('USAGE', `batch must be a positive integer, got ${batch}`);
  const mode = s.power ?? 'maxn';
  const power: ClockScale | undefined = Object.hasOwn(s.params.power, mode) ? s.params.power[mode] : undefined;
  if (power === undefined) throw unknownNameError('power mode', mode, Object.keys(s.params.power), 'the latency parameters define these');
  const platformName = s.platform ?? 'agx-orin-64gb';
  const platform = Object.hasOwn(s.params.platforms, platformName) ? s.params.platforms[platformName] : undefined;
  if (platform === undefined) throw unknownNameError('platform', platformName, Object.keys(s.params.platforms), 'the latency parameters define these');
  return { p: s.params, batch, scale: { gpu: power.gpu * platform.gpu, dla: power.dla * platform.dla, dram: power.dram * platform.dram } };
}

const BYTES: Readonly<Record<CostPrecision, number>> = { int8: 1, fp16: 2 };

interface LayerTime {
  ms: number;
  computeMs: number;
  memoryMs: number;
  overheadMs: number;
  bytes: number;
  memoryBound: boolean;
}

/** DRAM bytes per µs. */
function bandwidth(r: Resolved, engine: CostEngineKind): number {
  const eff = param(r.p, engine === 'gpu' ? 'gpuBwEff' : 'dlaBwEff');
  return param(r.p, 'dramGBs') * 1e3 * eff * r.scale.dram;
}

/** MACs per µs at 100% efficiency. */
function peakMacs(r: Resolved, engine: CostEngineKind, precision: CostPrecision): number {
  if (engine === 'gpu') {
    const tops = precision === 'int8' ? param(r.p, 'gpuInt8DenseTops') : param(r.p, 'gpuFp16DenseTflops');
    return (tops * 1e6) / 2 * r.scale.gpu;
  }
  const tops = param(r.p, 'dlaInt8DenseTops') * (precision === 'int8' ? 1 : param(r.p, 'dlaFp16Ratio'));
  return (tops * 1e6) / 2 * r.scale.dla;
}

function efficiency(r: Resolved, engine: CostEngineKind, precision: CostPrecision, l: WorkLayer): number {
  if (engine === 'dla') return param(r.p, 'dlaConvEff');
  return param(r.p, l.cls === 'matmul' ? 'gpuMatmulEff' : 'gpuConvEff');
}

function layerTime(r: Resolved, engine: CostEngineKind, precision: CostPrecision, l: WorkLayer): LayerTime {
  const bpe = BYTES[precision];
  const fused = engine === 'gpu' ? l.fusedGpu : l.fusedDla;
  // the GPU runs the whole batch in one kernel; the DLA loops over it
  const items = engine === 'gpu' ? r.batch : 1;
  let actElems = l.outElems;
  for (const [, n] of l.inputs) actElems += n;
  // a fused pointwise layer reads only its extra operands (a residual) and writes nothing of its own
  if (fused) actElems = l.inputs.slice(1).reduce((s, [, n]) => s + n, 0);
  const bytes = actElems * items * bpe + (fused ? 0 : l.weightElems * bpe);
  const memoryMs = bytes / bandwidth(r, engine) / 1e3;
  let computeMs = 0;
  if ((l.cls === 'conv' || l.cls === 'matmul') && l.macs > 0) {
    let rate = peakMacs(r, engine, precision) * efficiency(r, engine, precision, l);
    if (l.sparse === true) rate *= param(r.p, 'sparseGain');
    if (engine === 'gpu') {
      const work = l.outElems * items;
      rate *= work / (work + param(r.p, 'gpuSatElems'));
    }
    computeMs = (l.macs * items) / rate / 1e3;
  }
  // the DLA's Resize runs far below its bandwidth (fitted on the webinar's heads)
  if (engine === 'dla' && l.cls === 'resize') computeMs = (l.outElems * items) / (param(r.p, 'dlaResizeGElems') * 1e6 * r.scale.dla);
  const overheadMs = fused ? 0 : param(r.p, engine === 'gpu' ? 'gpuLayerUs' : 'dlaLayerUs') / 1e3;
  const perItem = engine === 'gpu' ? 1 : r.batch;
  return {
    ms: (Math.max(computeMs, memoryMs) + overheadMs) * perItem,
    computeMs: (memoryMs >= computeMs ? 0 : computeMs) * perItem,
    memoryMs: (memoryMs >= computeMs ? memoryMs : 0) * perItem,
    overheadMs: overheadMs * perItem,
    bytes: bytes * perItem,
    memoryBound: memoryMs >= computeMs,
  };
}

/** The layers of a workload, all or a subset (indices in the workload). */
export type LayerSet = readonly number[] | undefined;

/**
 * Modelled cost of running `layers` of a workload as one stage on an engine kind at a precision, alone
 * on the SoC. On a DLA, layers analyze keeps off the DLA run on the GPU (at the stage's precision) and
 * each tensor crossing between the two pays a GPU reformat (read at one width, written at the other).
 */
export function stageLatency(w: Workload, layers: LayerSet, engine: CostEngineKind, precision: CostPrecision, settings: CostSettings): StageLatency {
  const r = resolve(settings);
  const set = layers ?? w.layers.map((_, i) => i);
  const member = new Set(set);
  const onDla = (i: number): boolean => engine === 'dla' && w.layers[i]!.dla;
  const acc = { compute: 0, memory: 0, overhead: 0, fallback: 0, crossing: 0 };
  const gpu = { ms: 0, mem: 0, bytes: 0 };
  const dla = { ms: 0, mem: 0, bytes: 0 };
  // loadables: connected groups of DLA layers inside the stage (TensorRT builds one per region)
  const parent = new Map<number, number>();
  const find = (i: number): number => {
    let x = i;
    while (parent.get(x) !== x) x = parent.get(x)!;
    parent.set(i, x);
    return x;
  };
  let kernels = 0;
  let fallbackLayers = 0;
  const crossed = new Set<string>();
  for (const i of set) {
    const l = w.layers[i]!;
    const here: CostEngineKind = onDla(i) ? 'dla' : 'gpu';
    const t = layerTime(r, here, precision, l);
    if (!(here === 'gpu' ? l.fusedGpu : l.fusedDla)) kernels++;
    const e = here === 'gpu' ? gpu : dla;
    e.ms += t.ms;
    e.bytes += t.bytes;
    if (t.memoryBound) e.mem += t.ms;
    if (engine === 'dla' && here === 'gpu') {
      acc.fallback += t.ms;
      fallbackLayers++;
    } else {
      acc.compute += t.computeMs;
      acc.memory += t.memoryMs;
      acc.overhead += t.overheadMs;
    }
    if (here === 'dla') {
      if (!parent.has(i)) parent.set(i, i);
      for (const [from] of l.inputs) if (from >= 0 && member.has(from) && onDla(from)) {
        if (!parent.has(from)) parent.set(from, from);
        parent.set(find(from), find(i));
      }
    }
    if (engine !== 'dla') continue;
    // a tensor crossing between the DLA and the GPU inside the stage: one GPU reformat per tensor
    for (const [from, n] of l.inputs) {
      if (from < 0 || !member.has(from)) continue;
      if (onDla(from) === (here === 'dla')) continue;
      const key = `${from}>${here}`;
      if (crossed.has(key)) continue;
      crossed.add(key);
      const bytes = n * r.batch * (BYTES[precision] + BYTES[precision]);
      const ms = bytes / bandwidth(r, 'gpu') / 1e3 + param(r.p, 'gpuLayerUs') / 1e3;
      acc.crossing += ms;
      gpu.ms += ms;
      gpu.mem += ms;
      gpu.bytes += bytes;
    }
  }
  const loadables = new Set([...parent.keys()].map(find)).size;
  const submission = engine === 'dla' ? (loadables * param(r.p, 'dlaLoadableUs') * r.batch) / 1e3 : 0;
  dla.ms += submission;
  return {
    engine,
    precision,
    batch: r.batch,
    latencyMs: gpu.ms + dla.ms,
    breakdown: { computeMs: acc.compute, memoryMs: acc.memory, overheadMs: acc.overhead, submissionMs: submission, fallbackMs: acc.fallback, crossingMs: acc.crossing },
    load: { gpu: { ms: gpu.ms, memoryBoundMs: gpu.mem, bytes: gpu.bytes }, dla: { ms: dla.ms, memoryBoundMs: dla.mem, bytes: dla.bytes } },
    counts: { layers: set.length, kernels, fallbackLayers, loadables, crossings: crossed.size },
  };
}
