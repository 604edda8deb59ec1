import type { Model } from '../../ir/model.js';
import type { Precision } from '../../io/stage-file/types.js';
import { inferShapes, modelCost } from '../../ops/index.js';

/**
 * A roofline latency model of DRIVE Orin's engines: a stage takes the longer of its FLOPs at the
 * engine's peak rate and its bytes at the shared DRAM bandwidth. Figures are modelled, never measured;
 * they rank and balance stages (the two DLA cores are identical, so balancing depends only on each
 * stage's FLOPs and bytes), they do not predict trtexec.
 */
export const ORIN_ROOFLINE = {
  /** INT8 ops/s of one DLA core: the webinar's "2 DLAs deliver up to 87 TOPS", halved. */
  dlaInt8Ops: 87e12 / 2,
  /** INT8 ops/s of the GPU: the webinar's 254 TOPS for the SoC less the 87 of the DLAs. */
  gpuInt8Ops: (254 - 87) * 1e12,
  /** DRAM bandwidth shared by GPU and DLAs (Jetson AGX Orin 64GB: LPDDR5, 204.8 GB/s). */
  dramBytesPerS: 204.8e9,
  source: "peak figures (the webinar's TOPS, the Jetson AGX Orin datasheet's bandwidth); FP16 at half the INT8 rate",
} as const;

export type OrinEngineKind = 'gpu' | 'dla';

export interface StageCost {
  /** FLOPs from the op cost table (nodes whose cost is unknown count 0). */
  readonly flops: number;
  /** Bytes read and written by the nodes at FP32, from the op cost table. */
  readonly bytesFp32: number;
  /** Nodes whose cost the table could not compute. */
  readonly unknownNodes: number;
}

/** FLOPs and bytes of a stage model (shape inference runs on a copy). */
export function stageCost(model: Model): StageCost {
  const m = model.clone();
  inferShapes(m, { strict: false });
  const c = modelCost(m);
  return { flops: c.totals.flops, bytesFp32: c.totals.bytesRead + c.totals.bytesWritten, unknownNodes: c.unknownNodes.length };
}

const BYTES_PER_ELEMENT: Readonly<Record<Precision, number>> = { fp32: 4, fp16: 2, int8: 1 };

/** Modelled milliseconds of a stage on an Orin engine at a precision (see ORIN_ROOFLINE). */
export function modelledMs(cost: StageCost, engine: OrinEngineKind, precision: Precision): number {
  const int8Rate = engine === 'dla' ? ORIN_ROOFLINE.dlaInt8Ops : ORIN_ROOFLINE.gpuInt8Ops;
  const rate = precision === 'int8' ? int8Rate : precision === 'fp16' ? int8Rate / 2 : int8Rate / 4;
  const bytes = (cost.bytesFp32 * BYTES_PER_ELEMENT[precision]) / 4;
  return 1000 * Math.max(cost.flops / rate, bytes / ORIN_ROOFLINE.dramBytesPerS);
}
