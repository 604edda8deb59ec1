/**
 * Numeric DLA limits: the typed form of the machine-readable summary in the DLA support reference
 * (section 2b). Rules read their numbers from here, and `tandem targets` prints them from here.
 */

/** An inclusive range of allowed values. */
export type Range = readonly [min: number, max: number];

/** A DLA generation's numeric limits (batch, channels, kernel sizes, ...), with the reference's rule ids. */
export interface DlaLimits {
  readonly generation: 1 | 2;
  /** G4: DLA batch = product of all dims except the last three. */
  readonly maxBatch: number;
  /** G5: every non-batch (C, H, W) dim. */
  readonly maxNonBatchDim: number;
  /** G15: elements of any TensorRT tensor (< 2^31). */
  readonly maxTensorElements: number;
  /** G9: DLA loadables loaded at once per core. */
  readonly maxLoadablesPerCore: number;
  /** DLA cores of the SoC (Orin AGX, Xavier AGX). */
  readonly cores: number;
  /** G10: non-I/O tensors of one DLA subgraph, summed, must stay below this. */
  readonly maxIntermediateBytes: number;
  /** G12: managed SRAM per core (Orin: 1 MiB exclusive; Xavier: 4 MiB shared by 2 DLAs + 2 PVAs). */
  readonly sramBytes: number;
  readonly conv: {
    readonly spatialDims: number;
    readonly kernel: Range;
    readonly stride: Range;
    readonly pad: Range;
    readonly dilation: Range;
    readonly outChannels: Range;
    readonly groupsMax: number;
    readonly groupsMaxHwc4: number;
    /** C9: convolution buffer geometry. */
    readonly cbuf: { readonly banks: number; readonly bankBytes: number; readonly entriesPerBank: number; readonly entryBytes: number };
  };
  readonly deconv: {
    readonly kernel: Range;
    /** D2/D3: one dim may take these values when the other is 1. */
    readonly extra1D: readonly number[];
    readonly stride: Range;
    /** D4: square kernels and strides in this range are disabled. */
    readonly squareDisabled: Range;
    readonly channels: Range;
  };
  readonly pool: {
    readonly window: Range;
    readonly stride: Range;
    readonly pad: Range;
    /** P7: average pooling must count padding (Xavier only). */
    readonly avgMustIncludePad: boolean;
  };
  readonly activation: { readonly clipMax: Range };
  readonly lrn: { readonly windows: readonly number[] };
  readonly resize: { readonly nearestScale: Range; readonly linearScale: Range };
  readonly softmax: { readonly axisMaxExact: number; readonly axisMaxApprox: number };
  /** 4b: kDLA_HWC4 row alignment in bytes (Orin 64, Xavier 32). */
  readonly hwc4AlignBytes: number;
}

/** Orin, 2nd-gen DLA (reference 2b). */
export const ORIN_DLA_LIMITS: DlaLimits = {
  generation: 2,
  maxBatch: 4096,
  maxNonBatchDim: 8192,
  maxTensorElements: 2 ** 31 - 1,
  maxLoadablesPerCore: 16,
  cores: 2,
  maxIntermediateBytes: 2 ** 30,
  sramBytes: 2 ** 20,
  conv: {
    spatialDims: 2,
    kernel: [1, 32],
    stride: [1, 8],
    pad: [0, 31],
    dilation: [1, 32],
    outChannels: [1, 8192],
    groupsMax: 8192,
    groupsMaxHwc4: 4,
    cbuf: { banks: 16, bankBytes: 32768, entriesPerBank: 256, entryBytes: 128 },
  },
  deconv: { kernel: [1, 32], extra1D: [64, 96, 128], stride: [1, 32], squareDisabled: [23, 32], channels: [1, 8192] },
  pool: { window: [1, 8], stride: [1, 16], pad: [0, 7], avgMustIncludePad: false },
  activation: { clipMax: [1, 127] },
  lrn: { windows: [3, 5, 7, 9] },
  resize: { nearestScale: [1, 32], linearScale: [1, 4] },
  softmax: { axisMaxExact: 8192, axisMaxApprox: 1024 },
  hwc4AlignBytes: 64,
};

/**
 * Xavier, 1st-gen DLA: the same layer ranges (the TRT 8.2-era guide lists them for Xavier), with
 * exclusive-padding average pooling disallowed (P7) and 32-byte HWC4 rows. The historical
 * "batch 32 / 512 MB weights" limits of TRT 6/7 copies are not applied (not re-checked, reference G4).
 */
export const XAVIER_DLA_LIMITS: DlaLimits = {
  ...ORIN_DLA_LIMITS,
  generation: 1,
  sramBytes: 4 * 2 ** 20,
  pool: { ...ORIN_DLA_LIMITS.pool, avgMustIncludePad: true },
  hwc4AlignBytes: 32,
};

export function inRange(value: number, [min, max]: Range): boolean {
  return value >= min && value <= max;
}

export function formatRange([min, max]: Range): string {
  return `${min}..${max}`;
}
