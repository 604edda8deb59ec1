import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createContext } from '../../src/cli/context.js';
import { progressReporter } from '../../src/cli/progress.js';

function fakeIo(isTTY: boolean): { io: Parameters<typeof createContext>[0]; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY } }, out: () => out, err: () => err };
}

describe('progress when stderr is not a terminal', () => {
  it('a line every few seconds: what, how far, ETA; a closing line; nothing on stdout', () => {
    let now = 0;
    const { io, out, err } = fakeIo(false);
    const ctx = createContext(io, () => now);
    const p = ctx.progress('calibrate: ranges', 16, { unit: 'samples' });
    for (let i = 1; i <= 16; i++) {
      now += 1000;
      p.update(i);
    }
    p.stop();
    const lines = err().trim().split('\n');
    assert.deepEqual(lines, [
      'calibrate: ranges: 5/16 samples (31%), 5.0 s so far, ETA 11 s',
      'calibrate: ranges: 10/16 samples (62%), 10 s so far, ETA 6.0 s',
      'calibrate: ranges: 15/16 samples (93%), 15 s so far, ETA 1.0 s',
      'calibrate: ranges: 16/16 samples in 16 s',
    ]);
    assert.equal(out(), '');
  });

  it('short work stays silent', () => {
    let now = 0;
    const { io, err } = fakeIo(false);
    const p = createContext(io, () => now).progress('compare', 4);
    for (let i = 1; i <= 4; i++) {
      now += 100;
      p.update(i);
    }
    p.stop();
    assert.equal(err(), '');
  });

  it('uncounted work says what runs now, at most every few seconds', () => {
    let now = 0;
    const { io, err } = fakeIo(false);
    const r = progressReporter(createContext(io, () => now));
    for (const pass of ['fold-constants', 'fuse-conv-batchnorm', 'reconstruct-gather', 'convert-matmul-to-conv']) {
      now += 2600;
      r.step('prepare', pass);
    }
    r.stop();
    assert.deepEqual(err().trim().split('\n'), ['prepare: reconstruct-gather (5.2 s so far)']);
  });

  it('a terminal gets no plain lines from activity', () => {
    let now = 0;
    const { io, err } = fakeIo(true);
    const a = createContext(io, () => now).activity('prepare');
    now += 60_000;
    a.step('fold-constants');
    assert.equal(err(), '');
  });
});
