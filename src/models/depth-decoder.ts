import { assert } from '../util/errors.js';
import type { FeatureMap } from './mit-encoder.js';
import type { ModuleWriter } from './module-writer.js';

export interface DepthDecoderSpec {
  /** Module path, e.g. 'depth_head'. */
  readonly path: string;
  /** Output channels of the up-blocks, deepest first; one up-block per x2 step back to the input size. */
  readonly channels: readonly number[];
  /** Add the encoder feature of the same resolution after each up-block where the widths match. */
  readonly skips: boolean;
  /** Name of the depth tensor. */
  readonly output: string;
}

/**
 * Up-block widths for MiT-B0 features (1/32 → 1/1): the first three equal the encoder widths at 1/16,
 * 1/8 and 1/4 (160, 64, 32), so a skip is a plain Add with no projection; then 16 and 16 at 1/2 and 1/1.
 */
export const DEPTH_DECODER_CHANNELS: readonly number[] = [160, 64, 32, 16, 16];

/**
 * A progressive depth decoder: it starts at the deepest feature (1/32) and repeats "upsample x2 (nearest),
 * 3x3 conv + ReLU, add the encoder feature of that resolution" until the input size, then a 3x3 conv to one
 * channel and a Sigmoid (a normalised inverse depth in (0, 1)). Skips are added, not concatenated, for
 * the webinar's reason (DLA-friendly, cheaper); nearest upsampling and ReLU keep every layer on the DLA.
 */
export function writeDepthDecoder(m: ModuleWriter, features: readonly FeatureMap[], spec: DepthDecoderSpec): string {
  const { path } = spec;
  const deepest = features[features.length - 1];
  assert(deepest !== undefined, 'the depth decoder needs at least one feature map');
  let x = deepest.name;
  let channels = deepest.channels;
  let height = deepest.height;
  let width = deepest.width;
  spec.channels.forEach((out, k) => {
    const block = `${path}.up${k + 1}`;
    x = m.upsampleNearest2x(path, x);
    height *= 2;
    width *= 2;
    x = m.relu(`${block}.relu`, m.conv2d(`${block}.conv`, x, { inChannels: channels, outChannels: out, kernel: 3, padding: 1 }));
    channels = out;
    const skip = features.find((f) => f.height === height && f.width === width);
    if (spec.skips && skip !== undefined && skip.channels === out) x = m.add(path, x, skip.name);
  });
  x = m.conv2d(`${path}.head`, x, { inChannels: channels, outChannels: 1, kernel: 3, padding: 1, gain: 1 });
  return m.sigmoid(`${path}.sigmoid`, x, spec.output);
}
