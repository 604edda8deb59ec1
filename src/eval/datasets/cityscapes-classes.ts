/** One of Cityscapes' 19 evaluation classes: its train id, name and the palette colour of the benchmark. */
export interface CityscapesClass {
  readonly trainId: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
}

/** The 19 classes Cityscapes evaluates, by train id (cityscapesScripts' labels.py). */
export const CITYSCAPES_CLASSES: readonly CityscapesClass[] = [
  { trainId: 0, name: 'road', color: [128, 64, 128] },
  { trainId: 1, name: 'sidewalk', color: [244, 35, 232] },
  { trainId: 2, name: 'building', color: [70, 70, 70] },
  { trainId: 3, name: 'wall', color: [102, 102, 156] },
  { trainId: 4, name: 'fence', color: [190, 153, 153] },
  { trainId: 5, name: 'pole', color: [153, 153, 153] },
  { trainId: 6, name: 'traffic light', color: [250, 170, 30] },
  { trainId: 7, name: 'traffic sign', color: [220, 220, 0] },
  { trainId: 8, name: 'vegetation', color: [107, 142, 35] },
  { trainId: 9, name: 'terrain', color: [152, 251, 152] },
  { trainId: 10, name: 'sky', color: [70, 130, 180] },
  { trainId: 11, name: 'person', color: [220, 20, 60] },
  { trainId: 12, name: 'rider', color: [255, 0, 0] },
  { trainId: 13, name: 'car', color: [0, 0, 142] },
  { trainId: 14, name: 'truck', color: [0, 0, 70] },
  { trainId: 15, name: 'bus', color: [0, 60, 100] },
  { trainId: 16, name: 'train', color: [0, 80, 100] },
  { trainId: 17, name: 'motorcycle', color: [0, 0, 230] },
  { trainId: 18, name: 'bicycle', color: [119, 11, 32] },
];

/** The label value that metrics skip (Cityscapes' convention for unlabeled, ego vehicle, out of ROI, ...). */
export const IGNORE_INDEX = 255;

/** Train ids as named constants for the generator. */
export const TRAIN_ID = {
  road: 0,
  sidewalk: 1,
  building: 2,
  wall: 3,
  fence: 4,
  pole: 5,
  trafficLight: 6,
  trafficSign: 7,
  vegetation: 8,
  terrain: 9,
  sky: 10,
  person: 11,
  rider: 12,
  car: 13,
  truck: 14,
  bus: 15,
  train: 16,
  motorcycle: 17,
  bicycle: 18,
} as const;

/**
 * Cityscapes label id (0..33, the values of gtFine *_labelIds.png) → train id; 255 where the class is
 * not evaluated (unlabeled, ego vehicle, rectification border, out of roi, static, dynamic, ground,
 * parking, rail track, guard rail, bridge, tunnel, polegroup, caravan, trailer, license plate).
 */
export const LABEL_ID_TO_TRAIN_ID: readonly number[] = [
  255, 255, 255, 255, 255, 255, 255, 0, 1, 255, 255, 2, 3, 4, 255, 255, 255, 5, 255, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255, 255, 16, 17, 18,
];

/** A 256-entry lookup table from Cityscapes label ids to train ids (label ids past 33 and -1 map to 255). */
export function labelIdLookup(): Uint8Array {
  const lut = new Uint8Array(256).fill(IGNORE_INDEX);
  LABEL_ID_TO_TRAIN_ID.forEach((t, id) => {
    lut[id] = t;
  });
  return lut;
}
