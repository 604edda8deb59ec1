import { TandemError } from '../../util/errors.js';

/** One op type's share of a profiled session's frame. */
export interface OpTypeProfile {
  /** ONNX op type (or the kernel's program name where no node maps to it). */
  readonly op: string;
  /** Nodes of this op type that ran (per frame). */
  readonly nodes: number;
  /** CPU time inside the kernels of those nodes, ms per frame: the compute on a CPU engine, the encoding of GPU work on webgpu. */
  readonly cpuMs: number;
  /** GPU time of their dispatches, ms per frame (from GPU timestamps); absent where the engine has none. */
  readonly gpuMs?: number;
  /** GPU dispatches per frame; absent where the engine has no GPU timestamps. */
  readonly dispatches?: number;
}

/** Where a session's frame time goes, per op type, from onnxruntime's profiler (measured). */
export interface OpProfile {
  /** Frames the numbers are averaged over (after the warm-up frames, which are left out). */
  readonly frames: number;
  /** CPU time inside all kernels, ms per frame. */
  readonly kernelCpuMs: number;
  /** GPU busy time (sum of dispatch durations) and dispatches per frame, where the engine has GPU timestamps. */
  readonly gpu?: { readonly busyMs: number; readonly dispatches: number };
  /** Op types, most expensive first (GPU time where measured, else CPU time). */
  readonly ops: readonly OpTypeProfile[];
}

/** An event of onnxruntime's profile file (Chrome trace format). */
interface OrtProfileEvent {
  readonly cat?: unknown;
  readonly name?: unknown;
  readonly ts?: unknown;
  readonly dur?: unknown;
  readonly args?: { readonly op_name?: unknown };
}

const KERNEL_SUFFIX = '_kernel_time';

/**
 * Summarises onnxruntime's profile (the JSON array its profiler writes) of `runs` session runs, the first
 * `warmup` of which are left out: CPU kernel events (cat `Node`, `<node>_kernel_time`, with the op type)
 * after the first measured run started, and GPU dispatch events (cat `Api`, the WebGPU EP's timestamp
 * queries, named `<node>&<program>`), the last `runs − warmup` runs' share of them in time order.
 */
export function summarizeOrtProfile(json: string, runs: number, warmup: number): OpProfile {
  let events: unknown;
  try {
    events = JSON.parse(json);
  } catch (e) {
    throw new TandemError('ENGINE_RUN', `onnxruntime's profile is not JSON (${(e as Error).message}); it may have been cut short`, { cause: e });
  }
  if (!Array.isArray(events)) throw new TandemError('ENGINE_RUN', "onnxruntime's profile is not a JSON array of trace events");
  const frames = runs - warmup;
  if (!(frames > 0)) throw new TandemError('USAGE', `profiling needs more runs (${runs}) than warm-up runs (${warmup})`);
  const evs = events as OrtProfileEvent[];
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  // the measured runs start at the (warmup+1)-th model_run
  const starts = evs.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => num(e.ts)).sort((a, b) => a - b);
  const cutoff = starts.length >= runs ? starts[warmup]! : -Infinity;
  const opOf = new Map<string, string>();
  const by = new Map<string, { nodes: number; cpuUs: number; gpuUs: number; dispatches: number }>();
  const entry = (op: string) => {
    let e = by.get(op);
    if (e === undefined) by.set(op, (e = { nodes: 0, cpuUs: 0, gpuUs: 0, dispatches: 0 }));
    return e;
  };
  let kernelCpuUs = 0;
  for (const e of evs) {
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith(KERNEL_SUFFIX)) continue;
    const op = typeof e.args?.op_name === 'string' ? e.args.op_name : '?';
    opOf.set(e.name.slice(0, -KERNEL_SUFFIX.length), op);
    if (num(e.ts) < cutoff) continue;
    const x = entry(op);
    x.nodes++;
    x.cpuUs += num(e.dur);
    kernelCpuUs += num(e.dur);
  }
  const gpuAll = evs.filter((e) => e.cat === 'Api' && typeof e.name === 'string').sort((a, b) => num(a.ts) - num(b.ts));
  const gpu = gpuAll.slice(gpuAll.length - Math.round((gpuAll.length * frames) / runs));
  let busyUs = 0;
  for (const e of gpu) {
    const [node = '', program = ''] = (e.name as string).split(/[&|]/);
    const x = entry(opOf.get(node) ?? program ?? node);
    x.gpuUs += num(e.dur);
    x.dispatches++;
    busyUs += num(e.dur);
  }
  const hasGpu = gpu.length > 0;
  const ms = (us: number): number => us / frames / 1000;
  const ops = [...by]
    .map(([op, x]): OpTypeProfile => ({ op, nodes: x.nodes / frames, cpuMs: ms(x.cpuUs), ...(hasGpu ? { gpuMs: ms(x.gpuUs), dispatches: x.dispatches / frames } : {}) }))
    .sort((a, b) => (hasGpu ? (b.gpuMs ?? 0) - (a.gpuMs ?? 0) : 0) || b.cpuMs - a.cpuMs);
  return { frames, kernelCpuMs: ms(kernelCpuUs), ...(hasGpu ? { gpu: { busyMs: ms(busyUs), dispatches: gpu.length / frames } } : {}), ops };
}
