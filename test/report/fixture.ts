import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { REFERENCE_MODELS } from '../../src/models/index.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { randomInputs } from '../../src/runtime/verify.js';
import { cli } from '../helpers/cli.js';

/**
 * Real tandem outputs of the small (64x128) built-in multi-task model, written by the CLI in-process:
 * analyze --json of the prepared model, prepare --json, split --auto, quantize of the heads with two
 * calibrators and --compare --json. Returns the folder (what `tandem report <dir>` reads).
 */
export async function makeResults(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-report-'));
  const ref = REFERENCE_MODELS.multitask;
  const model = ref.build(ref.smallOptions);
  const modelPath = join(dir, 'multitask.onnx');
  saveModel(model, modelPath);
  const run = async (file: string | undefined, ...argv: string[]): Promise<void> => {
    const r = await cli(...argv);
    assert.equal(r.code, 0, `tandem ${argv.join(' ')}: ${r.stderr}`);
    if (file !== undefined) writeFileSync(join(dir, file), r.stdout);
  };
  const prepared = join(dir, 'multitask.prepared.onnx');
  await run('prepare.json', 'prepare', modelPath, '-o', prepared, '--json');
  await run('analysis.json', 'analyze', prepared, '--json');
  await run(undefined, 'split', prepared, '--auto', '-o', join(dir, 'stages'));
  const calib = join(dir, 'calib');
  mkdirSync(calib);
  for (let i = 0; i < 6; i++) {
    const feeds = randomInputs(model, { seed: 100 + i });
    const [t] = Object.values(feeds);
    writeFileSync(join(calib, `${String(i).padStart(3, '0')}.npy`), encodeNpy(t!));
  }
  await run('quantize.json', 'quantize', join(dir, 'stages', 'split.json'), '--calib', calib, '--trt-version', '8.6.1', '--method', 'entropy,max', '--stages', 'head-segmentation,head-depth', '--compare', '--holdout', '2', '-o', join(dir, 'int8'), '--json');
  return dir;
}
