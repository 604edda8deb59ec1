/** One frame of a labelled dataset: an RGB image and, where the dataset has them, per-pixel ground truth. */
export interface LabeledFrame {
  /** Stable id: a file stem, or `<seed>-<index>` for generated scenes. */
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** RGB, row-major, 3 bytes a pixel (height · width · 3). */
  readonly image: Uint8Array;
  /** Cityscapes train id per pixel; 255 = ignore. */
  readonly labels?: Uint8Array;
  /** Metric z-depth in metres per pixel; 0 = no ground truth (sky, ego vehicle, missing). */
  readonly depth?: Float32Array;
}

/** A dataset read one frame at a time in a fixed order, so memory holds one frame, never the dataset. */
export interface FrameDataset {
  /** What it is, for messages: "synthetic scenes, seed 7, 64 frames at 128x256". */
  readonly description: string;
  readonly size: number;
  /** Frame `index` (0 ≤ index < size). */
  read(index: number): Promise<LabeledFrame>;
}
