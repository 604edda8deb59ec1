import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median, percentile, summarize } from '../../src/runtime/index.js';

describe('bench statistics (hand-computed)', () => {
  it('summarizes 1..10', () => {
    const s = summarize([7, 3, 10, 1, 5, 2, 9, 4, 8, 6]);
    assert.equal(s.count, 10);
    assert.equal(s.min, 1);
    assert.equal(s.max, 10);
    assert.equal(s.mean, 5.5);
    assert.equal(s.median, 5.5); // (5 + 6) / 2
    assert.equal(s.p90, 9); // ceil(0.9·10) = 9th value
    assert.equal(s.p95, 10); // ceil(9.5) = 10th
    assert.equal(s.p99, 10);
    // population variance of 1..10 = (10² − 1) / 12 = 8.25
    assert.ok(Math.abs(s.stdev - Math.sqrt(8.25)) < 1e-12);
    assert.ok(Math.abs(s.cv - Math.sqrt(8.25) / 5.5) < 1e-12);
  });

  it('odd sizes, constants, one value, empty', () => {
    assert.equal(median([1, 2, 100]), 2);
    const c = summarize([4, 4, 4, 4]);
    assert.deepEqual([c.min, c.mean, c.median, c.p99, c.max, c.stdev, c.cv], [4, 4, 4, 4, 4, 0, 0]);
    const one = summarize([2.5]);
    assert.deepEqual([one.p90, one.median, one.cv], [2.5, 2.5, 0]);
    assert.ok(Number.isNaN(summarize([]).mean));
  });

  it('percentiles by nearest rank on 100 values are the values themselves', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 90), 90);
    assert.equal(percentile(sorted, 99), 99);
    assert.equal(percentile(sorted, 100), 100);
    assert.equal(percentile(sorted, 0), 1);
    // 2 values, mean 2, deviations ±1 → stdev 1, CV 0.5
    assert.equal(summarize([1, 3]).cv, 0.5);
  });
});
