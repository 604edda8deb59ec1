import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flops, limited, mib, names, plural, table } from '../../src/cli/format.js';
import { cli } from '../helpers/cli.js';

describe('cli/format: the shared helpers of text output', () => {
  it('plurals, units, tables', () => {
    assert.equal(plural(1, 'node'), '1 node');
    assert.equal(plural(2, 'rule'), '2 rules');
    assert.equal(plural(0, 'fix', 'fixes'), '0 fixes');
    assert.equal(plural(12345, 'tensor'), '12,345 tensors');
    assert.equal(flops(10142220288), '10.1 GFLOPs');
    assert.equal(flops(929_230_000), '929 MFLOPs');
    assert.equal(flops(0), '0 FLOPs');
    assert.equal(mib(8.26 * 2 ** 20), '8.26 MiB');
    assert.equal(mib(null), '?');
    assert.deepEqual(table(['a', 'n'], [['xy', '1'], ['z', '100']], [1]), ['a     n', '--  ---', 'xy    1', 'z   100']);
    assert.deepEqual(limited([1, 2, 3], 2, String, '--verbose'), ['1', '2', '… and 1 more (--verbose)']);
    assert.equal(names(['image']), 'image');
    assert.equal(names(['c1', 'c2', 'c3']), 'c1, c2, c3');
    assert.equal(names(['/backbone/Transpose_3_output_0', '/backbone/Transpose_2_output_0', 'x'], 40), '/backbone/Transpose_3_output_0 … (+2 more)');
  });
});

describe('tandem analyze text output', () => {
  const model = new URL('../../assets/models/tandem-street.onnx', import.meta.url).pathname;
  it('is short by default: tables with headers, the largest regions and crossings, no "1 nodes"', async () => {
    const r = await cli('analyze', model);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.length <= 70, `${lines.length} lines`);
    assert.match(r.stdout, /^ {2}region +nodes +FLOPs +first … last node$/m);
    assert.match(r.stdout, /^ {2}from +to +tensor +shape +INT8 +FP16 +I\/O format \(trtexec\)$/m);
    assert.match(r.stdout, /… and \d+ more \(--verbose\)/);
    assert.match(r.stdout, /docs\/targets\/orin-dla\.md/);
    assert.doesNotMatch(r.stdout, /\b1 nodes\b|\b1 rules\b|\b1 more fixes\b|\(s\)/);
    assert.doesNotMatch(r.stdout, /\d{7,}/, 'no raw 7+ digit counts');
    // kCHW32 is a format of 4-D tensors: a 3-D crossing gets none.
    for (const line of lines.filter((l) => /int8:chw32/.test(l))) assert.match(line, / \d+x\d+x\d+x\d+ /, line);
  });
  it('--verbose lists every crossing', async () => {
    const r = await cli('analyze', model, '--verbose');
    const n = Number(/crossings {2}(\d+) tensors/.exec(r.stdout)![1]);
    const rows = r.stdout.split('\n').filter((l) => /^ {2}(R\d+|gpu|input) +(R\d+|gpu|output) /.test(l));
    assert.equal(rows.length, n);
  });
});
