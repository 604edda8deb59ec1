import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

/** open() leaves onnxruntime's process-wide log level alone; the session option keeps its messages quiet. */

const CHILD = fileURLToPath(new URL('./ort-log-child.ts', import.meta.url));

function child(mode: 'quiet' | 'verbose'): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, mode], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('onnxruntime logging', () => {
  it('opening a session does not change the process-wide log level, and onnxruntime prints nothing by default', () => {
    const r = child('quiet');
    assert.equal(r.stdout, 'warning warning\n');
    assert.equal(r.stderr, '');
  });

  it('verbose lets this session print onnxruntime warnings and errors (through the session option, not the process-wide level)', () => {
    const r = child('verbose');
    assert.equal(r.stdout, 'warning warning\n');
    assert.match(r.stderr, /Removing initializer 'unused'/);
    assert.match(r.stderr, /Non-zero status code returned while running Add node/);
  });
});
