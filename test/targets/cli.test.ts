import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatAnalysis } from '../../src/cli/commands/analyze.js';
import { analyzeStep } from '../../src/cli/demo-steps/analyze-step.js';
import { createContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { saveModel } from '../../src/onnx/load-save.js';
import type { Analysis } from '../../src/targets/index.js';
import { tempDir } from '../helpers/fixtures.js';
import { build, filled } from './helpers.js';

/** `tandem analyze` and `tandem targets`: output, JSON, errors (one line, exit 2), help with examples. */

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

function sample(): ReturnType<typeof build> {
  return build((b) => {
    const x = b.input('image', 'float32', [1, 3, 32, 32]);
    const y = b.op('Relu', [b.op('Conv', [x, b.initializer('w', filled([8, 3, 3, 3]))], { pads: [1, 1, 1, 1] }, { name: 'conv' })], {}, { name: 'relu' });
    const g = b.op('GlobalAveragePool', [y], {}, { name: 'gap' });
    return b.op('Erf', [g], {}, { name: 'erf' });
  });
}

describe('tandem analyze', () => {
  const tmp = tempDir();
  const file = join(tmp.dir, 'sample.onnx');
  before(() => saveModel(sample(), file));
  after(() => tmp.cleanup());

  it('prints coverage, regions, crossings and fallbacks grouped by rule, saying the figures are modelled', async () => {
    const r = await cli('analyze', file, '--target', 'orin-dla');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.match(lines[0]!, /^.*sample\.onnx on orin-dla \(NVIDIA Orin DLA \(2nd gen\): TensorRT 8\.6\.2 \/ DLA 3\.14\.1 \(JetPack 6\)\), INT8$/);
    assert.match(r.out, /not measured: no DLA ran/);
    assert.match(r.out, /coverage {3}nodes: 2 of 4 on the DLA \(50\.0%\), 2 fall back to the GPU, 0 folded\/removed at build time/);
    assert.match(r.out, /regions {4}1 DLA region \(one loadable each; a DLA core holds 16\)/);
    assert.match(r.out, /crossings {2}2 tensors, 11\.0 KiB per inference at INT8 \(22\.0 KiB at FP16\)/);
    assert.match(r.out, /--inputIOFormats=int8:dla_hwc4/);
    assert.match(r.out, /op\.no-dla ×2: gap, erf/);
    assert.match(r.out, /fix: R-GAP: a chain of AveragePools with windows 8x8, 4x4/);
    assert.doesNotMatch(r.out, /^nodes$/m);
  });

  it('--nodes adds every node, --precision fp16 changes the build precision', async () => {
    const r = await cli('analyze', file, '--nodes', '--precision', 'fp16');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /FP16\n/);
    assert.match(r.out, /^nodes$/m);
    assert.match(r.out, /^ {2}R1 {6}Conv {15}conv/m);
    assert.match(r.out, /✗ op\.no-dla: Erf has no DLA path/);
    assert.match(r.out, /precision\.fp16-orin/);
  });

  it('--json prints the Analysis structure', async () => {
    const r = await cli('analyze', file, '--json');
    assert.equal(r.code, 0, r.err);
    const a = JSON.parse(r.out) as Analysis;
    assert.equal(a.target, 'orin-dla');
    assert.deepEqual(
      a.nodes.map((n) => [n.name, n.op, n.ok, n.rule]),
      [
        ['conv', 'Conv', true, undefined],
        ['relu', 'Relu', true, undefined],
        ['gap', 'GlobalAveragePool', false, 'op.no-dla'],
        ['erf', 'Erf', false, 'op.no-dla'],
      ],
    );
    assert.equal(a.regions.length, 1);
    assert.equal(a.summary.nodes.total, 4);
  });

  it('an unknown target is one line and exit 2', async () => {
    const r = await cli('analyze', file, '--target', 'orin');
    assert.equal(r.code, 2);
    assert.equal(r.err, 'tandem: unknown target "orin"; known: orin-dla, orin-dla-trt10, orin-dla-trt11, xavier-dla, gpu, cpu (did you mean "orin-dla"?); `tandem targets` describes each [UNKNOWN_NAME]\n');
  });

  it('a missing model file is exit 2', async () => {
    const r = await cli('analyze', join(tmp.dir, 'nope.onnx'));
    assert.equal(r.code, 2);
    assert.equal(r.err.split('\n').length, 2);
  });

  it('--help shows an example', async () => {
    const r = await cli('analyze', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Examples:\n {2}tandem analyze model\.onnx --target orin-dla --precision int8/);
  });
});

describe('tandem targets', () => {
  it('lists every target', async () => {
    const r = await cli('targets');
    assert.equal(r.code, 0, r.err);
    for (const name of ['orin-dla', 'orin-dla-trt10', 'orin-dla-trt11', 'xavier-dla', 'gpu', 'cpu']) assert.match(r.out, new RegExp(`^${name} `, 'm'));
  });

  it('lists one target\'s rules with their numbers and its op support', async () => {
    const r = await cli('targets', 'orin-dla');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /conv\.kernel-size +CONF +L-CONV C2 +kernel 1\.\.32 per spatial dim/);
    assert.match(r.out, /falls back \(op\.trt-version\) \(9\): Atanh, Cos, Div, GlobalMaxPool \[R-GMP\], Greater, Less, Sin, Pow, ReduceMax/);
    const x = await cli('targets', 'xavier-dla');
    assert.match(x.out, /pool\.count-include-pad +CONF +L-POOL P7 +AveragePool count_include_pad = 1/);
  });

  it('--markdown prints the tables the README shows; --json the data', async () => {
    const md = await cli('targets', 'orin-dla', '--markdown');
    assert.match(md.out, /^\| `conv\.cbuf` \| L-CONV C9, G13 \| CONF \|/m);
    assert.match(md.out, /^\| GlobalAveragePool \| falls back \| `op\.no-dla` \| R-GAP: GlobalAveragePool → AveragePool with window H×W \|$/m);
    const json = await cli('targets', 'gpu', '--json');
    const [gpu] = JSON.parse(json.out) as { name: string; ops: { op: string; placement: string }[] }[];
    assert.equal(gpu?.name, 'gpu');
    assert.equal(gpu?.ops.find((o) => o.op === 'Mish')?.placement, 'fallback');
  });

  it('an unknown target is exit 2', async () => {
    const r = await cli('targets', 'tpu');
    assert.equal(r.code, 2);
    assert.match(r.err, /^tandem: unknown target "tpu"/);
  });
});

describe('demo step', () => {
  it('prints the summary of an analysis for orin-dla without per-crossing detail', async () => {
    let out = '';
    const ctx = createContext({ stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } });
    const a = await analyzeStep(sample(), ctx);
    assert.equal(a.target, 'orin-dla');
    assert.match(out, /^── analyze: which node runs on the Orin DLA, and why not\n/);
    assert.match(out, /coverage {3}nodes: 2 of 4 on the DLA/);
    assert.doesNotMatch(out, /input → R1/);
    assert.deepEqual(out.split('\n').slice(1, -1), formatAnalysis(a, 'multi-task model', { details: false, namesPerRule: 4 }));
  });
});
