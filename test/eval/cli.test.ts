import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';

const MODEL = fileURLToPath(new URL('../../assets/models/tandem-street.onnx', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tandem-eval-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('tandem scenes and tandem eval', () => {
  it('scenes writes image, label and depth PNGs', async () => {
    const r = await cli('scenes', '--count', '2', '--size', '24x48', '--seed', '4', '-o', join(tmp, 'sc'));
    assert.equal(r.code, 0, r.stderr);
    for (const sub of ['images', 'labels', 'depth']) assert.ok(existsSync(join(tmp, 'sc', sub, '4-1.png')), sub);
    assert.match(r.stdout, /wrote 2 frames/);
  });

  it('eval shards merge into one result; a shard twice is refused', async () => {
    for (const i of [0, 1]) {
      const r = await cli('eval', MODEL, '--dataset', 'synthetic:1000,2', '--shard', `${i}/2`, '-o', join(tmp, `p${i}.json`), '--threads', '2');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /PARTIAL: shards/);
    }
    const merged = await cli('eval', '--merge', join(tmp, 'p0.json'), join(tmp, 'p1.json'), '--json');
    assert.equal(merged.code, 0, merged.stderr);
    const s = JSON.parse(merged.stdout) as { frames: number; complete: boolean; metrics: { segmentation: { mIoU: number }; depth: { absRel: number } } };
    assert.equal(s.frames, 2);
    assert.equal(s.complete, true);
    assert.ok(s.metrics.segmentation.mIoU > 30 && s.metrics.depth.absRel < 0.3);
    const twice = await cli('eval', '--merge', join(tmp, 'p0.json'), join(tmp, 'p0.json'));
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /shard 0 is in more than one part/);
  });

  it('eval refuses an unknown dataset kind in one line', async () => {
    const r = await cli('eval', MODEL, '--dataset', 'kitti:/x');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown dataset kind "kitti"/);
  });
});
