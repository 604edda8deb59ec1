import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DLA_MIN_FLOP_SHARE, orinLayout, type OrinStageFacts } from '../../src/plan/index.js';

const stage = (name: string, kind: OrinStageFacts['kind'], gflops: number, dlaFlopShare = 1, fallbackRules: string[] = []): OrinStageFacts => ({
  name,
  kind,
  flops: gflops * 1e9,
  // stand-in modelled times, proportional to the FLOPs (the layout only compares them)
  modelledMs: { gpuFp16: gflops / 20, dlaInt8: gflops / 5 },
  dlaFlopShare,
  fallbackNodes: fallbackRules.length,
  fallbackRules,
});

describe('orinLayout', () => {
  it('balances the DLA heads by modelled cost, largest first onto the less loaded core', () => {
    const a = orinLayout([stage('trunk', 'backbone', 50), stage('h1', 'head', 8), stage('h2', 'head', 5), stage('h3', 'head', 4), stage('post', 'postprocess', 0.01)]);
    assert.deepEqual(a.map((x) => [x.name, x.engine, x.precision]), [
      ['trunk', 'gpu', 'fp16'],
      ['h1', 'dla0', 'int8'],
      ['h2', 'dla1', 'int8'],
      ['h3', 'dla1', 'int8'],
      ['post', 'gpu', 'fp32'],
    ]);
    assert.match(a[1]!.choice.reason, /dla0 [\d.]+ ms, dla1 [\d.]+ ms per frame, modelled/);
    assert.ok(a.every((x) => x.choice.timingsMs!.gpu! > 0));
  });
  it('a head with most of its FLOPs falling back runs FP16 on the GPU, and says why', () => {
    const [, h] = orinLayout([stage('trunk', 'backbone', 50), stage('h', 'head', 8, 0.3, ['resize.scale ×2', 'shuffle.rank ×1'])]);
    assert.deepEqual([h!.engine, h!.precision, h!.choice.how], ['gpu', 'fp16', 'layout']);
    assert.match(h!.choice.reason, /^FP16 on the GPU: only 30% of its FLOPs run on the DLA \(2 nodes fall back: resize.scale ×2, shuffle.rank ×1\); a head stays on a DLA only if more than 50% of its FLOPs run there$/);
    assert.equal(DLA_MIN_FLOP_SHARE, 0.5);
  });
  it('pins win over the layout', () => {
    const a = orinLayout([stage('trunk', 'backbone', 50), stage('h', 'head', 8, 0.9)], { h: 'gpu', trunk: 'dla1' });
    assert.deepEqual(a.map((x) => [x.engine, x.precision, x.choice.how]), [['dla1', 'int8', 'pinned'], ['gpu', 'fp16', 'pinned']]);
  });
});
