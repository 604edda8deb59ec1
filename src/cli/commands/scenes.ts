import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Option } from 'commander';
import { SCENE_FORMATS, offsetDataset, syntheticDataset, writeScenes, type SceneFormat } from '../../eval/index.js';
import { nonNegativeInt, parseSize, positiveInt } from '../parse.js';
import { plural } from '../format.js';
import type { CliCommand } from './types.js';

interface ScenesFlags {
  count: number;
  size: { height: number; width: number };
  seed: number;
  offset: number;
  out: string;
  format: SceneFormat;
  json?: boolean;
}

export const scenesCommand: CliCommand = {
  name: 'scenes',
  examples: [
    'tandem scenes --count 100 --size 256x512 --seed 7 -o scenes/',
    'tandem scenes --count 4000 --size 128x256 --format npy -o /tmp/train',
  ],
  writes: true,
  readsModel: false,
  register(program, ctx) {
    program
      .command('scenes')
      .description('generate synthetic street scenes with exact ground truth: RGB image, Cityscapes train-id labels (255 = ignore), metric depth (pinhole camera)')
      .requiredOption('-o, --out <dir>', 'output folder (images/, labels/, depth/ for png; images.npy, labels.npy, depth.npy for npy)')
      .option('--count <n>', 'frames', positiveInt, 16)
      .option('--size <HxW>', 'frame size', parseSize, { height: 256, width: 512 })
      .option('--seed <n>', 'scene seed (frame i of seed s is always the same picture)', nonNegativeInt, 0)
      .option('--offset <n>', 'first frame index (to generate a range in parallel processes)', nonNegativeInt, 0)
      .option('--json', 'print { dir, frames, format, dataset, seconds } as JSON')
      .addOption(new Option('--format <format>', 'png: one image + label + 16-bit depth PNG (metres × 256) per frame; npy: three stacked arrays').choices(SCENE_FORMATS).default('png'))
      .action(async (flags: ScenesFlags) => {
        const t0 = performance.now();
        const base = syntheticDataset({ seed: flags.seed, count: flags.offset + flags.count, height: flags.size.height, width: flags.size.width });
        const dataset = offsetDataset(base, flags.offset);
        const bar = ctx.progress('scenes', dataset.size);
        const out = resolve(flags.out);
        const result = await writeScenes(dataset, out, { format: flags.format, onProgress: (e) => e.kind === 'frame' && bar.update(e.done) });
        bar.stop();
        const s = (performance.now() - t0) / 1000;
        if (flags.json) {
          ctx.printJson({ dir: out, frames: result.frames, format: flags.format, dataset: dataset.description, offset: flags.offset, seconds: s, measured: 'wall time on this machine' });
          return;
        }
        ctx.print(`wrote ${plural(result.frames, 'frame')} (${dataset.description}, from index ${flags.offset}) to ${out} as ${flags.format} in ${s.toFixed(1)} s (measured on this machine)`);
      });
  },
};
