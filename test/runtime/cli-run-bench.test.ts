import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { writePlan } from '../../src/io/stage-file/index.js';
import { readNpy } from '../../src/io/npy.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { smallMultitaskPlan, withSmallPlan } from './plan-helpers.js';
import { pipelineStep } from '../../src/cli/demo-steps/pipeline-step.js';
import { createContext } from '../../src/cli/context.js';

describe('tandem run <plan> and tandem bench', () => {
  it('runs synthetic frames through a plan: .npy outputs, colour-mapped PNGs, frames in order', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const { plan } = smallMultitaskPlan(dir, {}, { backbone: 'cpu-a' });
      const { dir: _d, ...doc } = plan;
      const planFile = writePlan(doc, dir);
      // outside the plan's folder: an --out inside it is refused (FILE_EXISTS)
      const out = join(dir, '..', `${basename(dir)}-out`);
      const r = await cli('run', planFile, '--input', 'synthetic:3', '--out', out);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /3 frames pipelined/);
      assert.match(r.stderr, /2 streams \(cpu-a: backbone; cpu: /);
      for (const f of ['synthetic-0', 'synthetic-1', 'synthetic-2']) {
        assert.deepEqual(readNpy(join(out, f, 'segmentation.npy')).dims, [1, 19, 8, 16]);
        const png = await sharp(readFileSync(join(out, f, 'depth.png'))).metadata();
        assert.deepEqual([png.width, png.height, png.channels], [64, 32, 3]);
        // the class map is made at stride 4 (8x16); its picture is drawn at the 32x64 input, upsampled as eval scores it
        const seg = await sharp(readFileSync(join(out, f, 'segmentation.png'))).metadata();
        assert.deepEqual([seg.width, seg.height], [64, 32]);
      }
    } finally {
      rmSync(join(dir, '..', `${basename(dir)}-out`), { recursive: true, force: true });
      cleanup();
    }
  });

  it('benches both modes: JSON per mode, speed-up, efficiency, trace file', async () => {
    await withSmallPlan(async ({ dir, plan }) => {
      const { dir: _d, ...doc } = plan;
      const planFile = writePlan(doc, dir);
      const trace = join(dir, 'trace.json');
      const r = await cli('bench', planFile, '--iterations', '4', '--warmup', '0', '--json', '--trace', trace);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.deepEqual(j.modes.map((m: { mode: string; frames: number }) => [m.mode, m.frames]), [['sequential', 4], ['pipelined', 4]]);
      for (const m of j.modes) {
        assert.ok(m.throughputFps > 0);
        assert.deepEqual(Object.keys(m.latencyMs), ['min', 'mean', 'median', 'p90', 'p95', 'p99', 'max']);
        assert.equal(m.stages.length, 3);
      }
      assert.ok(j.efficiency > 0 && j.speedup > 0);
      const t = JSON.parse(readFileSync(trace, 'utf8'));
      assert.equal(t.traceEvents.filter((e: { ph: string }) => e.ph === 'X').length, 12);
      const text = await cli('bench', planFile, '--iterations', '2', '--warmup', '0', '--mode', 'pipelined');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /pipelined\s+2 /);
      assert.doesNotMatch(text.stdout, /efficiency/);
    }, {}, { backbone: 'cpu-a' });
  });

  it('a model runs as a one-stage plan; a split.json is refused with what to do', async () => {
    await withSmallPlan(async ({ dir, plan }) => {
      const r = await cli('bench', join(dir, `${plan.stages[0]!.name}.onnx`), '--iterations', '2', '--warmup', '0', '--mode', 'sequential');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /1 stage on 1 stream \(cpu: model\)/);
      const bad = await cli('run', join(dir, 'split.json'), '--input', 'synthetic:1');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /not a plan; make a plan from it with tandem plan/);
      const noN = await cli('run', join(dir, 'split.json').replace('split.json', 'plan.json'), '--input', 'synthetic:x');
      assert.equal(noN.code, 2);
    });
  });

  it('demo step: benches the host plan, writes the trace, bench.json and colour-mapped outputs', async () => {
    await withSmallPlan(async ({ dir, plan }) => {
      let out = '';
      const ctx = createContext({ stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true, isTTY: false } });
      const r = await pipelineStep(plan, ctx, { workDir: join(dir, 'demo'), durationS: 0.3, frames: 2 });
      assert.match(out, /speed-up pipelined ÷ sequential/);
      assert.ok(r.bench.efficiency! > 0);
      for (const f of ['bench/trace.json', 'bench/bench.json', 'outputs/synthetic-1/depth.png', 'outputs/synthetic-1/segmentation.npy']) assert.ok(existsSync(join(dir, 'demo', f)), f);
      assert.ok(r.files.length >= 2 + 2 * 4);
    }, {}, { backbone: 'cpu-a' });
  });
});
