import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Tensor } from '../../src/ir/tensor.js';
import { saveModel } from '../../src/onnx/load-save.js';
import { benchPipeline, createFunctionPipeline } from '../../src/runtime/index.js';
import { summarize } from '../../src/runtime/pipeline/stats.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { smallConvNet } from '../quant/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = tempDir('tandem-export-times-');
after(tmp.cleanup);

/** Two stages on two streams, 4 and 2 ms. */
function twoStreams() {
  return createFunctionPipeline<Tensor>(
    [
      { name: 'a', stream: 's0', inputs: ['x'], outputs: ['y'] },
      { name: 'b', stream: 's1', inputs: ['y'], outputs: ['z'] },
    ],
    ['z'],
    async (stage, feeds) => {
      await sleep(stage.name === 'a' ? 4 : 2);
      return { [stage.outputs[0]!]: feeds.x ?? feeds.y! };
    },
    { inputs: [{ name: 'x', dtype: 'float32', dims: [1] }] },
  );
}

interface TimesFile {
  what: string;
  modes: { mode: string; frames: { frame: number; startMs: number; endMs: number; latencyMs: number }[] }[];
}

describe('bench frame times (--export-times)', () => {
  it('one entry per measured frame, in order, whose latencies are the statistics\' sample', async () => {
    const r = await benchPipeline(twoStreams(), { iterations: 9, warmupS: 0.02, frameTimes: true });
    for (const m of r.modes) {
      const times = m.frameTimes!;
      assert.equal(times.length, m.frames);
      assert.deepEqual(times.map((t) => t.frame), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
      for (const [i, t] of times.entries()) {
        assert.ok(t.startMs >= 0 && t.endMs > t.startMs, `${m.mode} frame ${i}: ${t.startMs}..${t.endMs}`);
        assert.ok(Math.abs(t.endMs - t.startMs - t.latencyMs) < 1e-6);
        if (i > 0) assert.ok(t.startMs >= times[i - 1]!.startMs, 'admitted in frame order');
      }
      const s = summarize(times.map((t) => t.latencyMs));
      assert.equal(s.median, m.latencyMs.median);
      assert.equal(s.p99, m.latencyMs.p99);
      assert.equal(s.mean, m.latencyMs.mean);
      // the last frame ends within the measured wall time
      assert.ok(times.at(-1)!.endMs <= m.wallS * 1000 + 1e-6);
    }
    const plain = await benchPipeline(twoStreams(), { iterations: 2, warmupS: 0, modes: ['pipelined'] });
    assert.equal(plain.modes[0]!.frameTimes, undefined);
  });

  it('CLI: the file per mode, the --json result without it; an --export-times on the model is refused', async () => {
    const model = join(tmp.dir, 'net.onnx');
    saveModel(smallConvNet(), model);
    const file = join(tmp.dir, 'times.json');
    const r = await cli('bench', model, '--iterations', '6', '--warmup', '0', '--threads', '1', '--export-times', file, '--json');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { modes: { mode: string; frames: number; latencyMs: { median: number }; frameTimes?: unknown }[] };
    const times = JSON.parse(readFileSync(file, 'utf8')) as TimesFile;
    assert.match(times.what, /measured on this machine/);
    assert.deepEqual(times.modes.map((m) => [m.mode, m.frames.length]), [['sequential', 6], ['pipelined', 6]]);
    for (const [i, m] of times.modes.entries()) {
      assert.equal(summarize(m.frames.map((f) => f.latencyMs)).median, doc.modes[i]!.latencyMs.median);
      assert.equal(doc.modes[i]!.frameTimes, undefined, '--json stays small');
    }
    const before = readFileSync(model);
    const bad = await cli('bench', model, '--iterations', '1', '--export-times', model);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /would overwrite the input .*net\.onnx.*\[FILE_EXISTS\]/);
    assert.ok(readFileSync(model).equals(before));
    const dir = await cli('bench', model, '--iterations', '1', '--export-times', tmp.dir);
    assert.match(dir.stderr, /--export-times .* is an existing folder.*\[OUTPUT_PATH\]/);
  });
});
