import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { getReferenceModel } from '../../src/models/index.js';
import { loadModel, saveModel } from '../../src/onnx/index.js';
import { tempDir } from '../helpers/fixtures.js';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

const multitask = getReferenceModel('multitask');

describe('tandem prepare / split (CLI)', () => {
  const { dir, cleanup } = tempDir();
  const model = join(dir, 'multitask.onnx');
  saveModel(multitask.build({ ...multitask.smallOptions }), model);
  const prepared = join(dir, 'prepared.onnx');

  it('prepare --json: coverage before/after, what each pass did, the verification, the file', async () => {
    const r = await cli(['prepare', model, '--target', 'orin-dla', '-o', prepared, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & {
      before: { nodes: { fallback: number } };
      after: { nodes: { fallback: number } };
      passes: { pass: string; kind: string; applied: { summary: string }[]; rejected: { reason: string }[] }[];
      verification: { tolerance: number; outputs: { name: string; relL2: number }[] };
    };
    assert.deepEqual(Object.keys(out).sort(), ['after', 'basis', 'before', 'bytes', 'input', 'output', 'passes', 'precision', 'rounds', 'target', 'verification'].sort());
    assert.equal(out['target'], 'orin-dla');
    assert.ok(out.after.nodes.fallback < out.before.nodes.fallback);
    assert.ok(out.passes.some((p) => p.pass === 'convert-matmul-to-conv' && p.applied.length === 4));
    assert.deepEqual(out.verification.outputs.map((o) => o.name).sort(), ['depth', 'segmentation']);
    assert.ok(out.verification.outputs.every((o) => o.relL2 <= 1e-5));
    assert.equal(loadModel(prepared).graph.outputs.length, 2);
  });
  it('prepare prints coverage before → after in text', async () => {
    const r = await cli(['prepare', model, '-o', join(dir, 'p2.onnx'), '--passes', 'fuse-conv-batchnorm', '--no-verify']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /coverage {3}nodes on target: \d+\/414 \(.*\) → \d+\/413/);
    assert.match(r.stdout, /fuse-conv-batchnorm\s+1 rewrite/);
    assert.match(r.stdout, /not measured/);
  });
  it('prepare refuses to write over its input and names unknown passes', async () => {
    const r = await cli(['prepare', model, '-o', model]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /never writes over its input.*\[FILE_EXISTS\]/);
    const u = await cli(['prepare', model, '-o', join(dir, 'x.onnx'), '--passes', 'fuse-everything']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown pass "fuse-everything"; known: remove-no-ops, .*fuse-conv-batchnorm.* \[UNKNOWN_NAME\]/);
    assert.equal(existsSync(join(dir, 'x.onnx')), false);
  });
  it('split --auto --json: split.json with stages {name, file, inputs, outputs} and the tensors between them', async () => {
    const stages = join(dir, 'stages');
    const r = await cli(['split', prepared, '--auto', '-o', stages, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { version: number; stages: { name: string; file: string; inputs: string[]; outputs: string[] }[]; tensors: { name: string }[]; files: string[] };
    assert.equal(out.version, 2);
    assert.deepEqual(out.stages.map((s) => s.name), ['backbone', 'head-segmentation', 'head-depth']);
    assert.deepEqual(JSON.parse(readFileSync(join(stages, 'split.json'), 'utf8')).stages, out.stages);
    for (const s of out.stages) assert.ok(existsSync(join(stages, s.file)));
    assert.deepEqual(out.tensors.map((t) => t.name), ['image', 'c1', 'c2', 'c3', 'c4', 'segmentation', 'depth']);
  });
  it('split refuses to write over its input, and a cut that does not separate', async () => {
    const stages = join(dir, 'stages');
    const r = await cli(['split', join(stages, 'backbone.onnx'), '--at', 'c1,c2,c3,c4', '-o', stages]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\[FILE_EXISTS\]/);
    const leak = await cli(['split', model, '--at', 'c4', '-o', join(dir, 'leak')]);
    assert.equal(leak.code, 2);
    assert.match(leak.stderr, /does not separate the heads: they also read "c1", "c2", "c3".*\[USAGE\]/);
  });
  it('cleans up', () => cleanup());
});
