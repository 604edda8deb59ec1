import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, type ReportInputs } from '../../src/report/index.js';
import type { AnalysisFile } from '../../src/report/schemas.js';

const summary = {
  nodes: { total: 0, onTarget: 0, fallback: 0, build: 0 },
  flops: { total: 0, onTarget: 0, fallback: 0, unknownNodes: 0 },
  regions: 1,
  crossings: 1,
  crossingBytes: { int8: 64, fp16: 128 },
  warnings: [],
  basis: 'modelled from the rules',
};

function inputsWith(a: AnalysisFile): ReportInputs {
  return { analyses: [{ file: '/x/analysis.json', label: 'analysis.json', data: a }], prepares: [], stages: [], scales: [], quantizes: [], benches: [], traces: [], costs: [], searches: [], evals: [], imports: [], manifests: [], scripts: [], pictures: [], ignored: [] };
}

function graphData(html: string): { nodes: { name: string; placement: string }[]; groups: number[][] } {
  return JSON.parse(/id="graph-0-data">(.*?)<\/script>/s.exec(html)![1]!) as { nodes: { name: string; placement: string }[]; groups: number[][] };
}

describe('placement graph', () => {
  it('collapses a linear chain on one engine into one box, and breaks it at an engine change, a fork or a join', () => {
    // conv1 → relu1 → conv2 (R1) → gather (GPU) → conv3 (R2); conv2 also feeds add (R2) with conv3 (join)
    const node = (name: string, op: string, inputs: string[], placement: 'target' | 'fallback', region?: string) => ({
      name,
      op,
      inputs,
      outputs: [name],
      ok: placement === 'target',
      placement,
      ...(region ? { region } : { rule: 'op.no-dla', reason: 'Gather has no DLA path' }),
    });
    const a: AnalysisFile = {
      target: 'orin-dla',
      precision: 'int8',
      nodes: [
        node('conv1', 'Conv', ['x', 'w1'], 'target', 'R1'),
        node('relu1', 'Relu', ['conv1'], 'target', 'R1'),
        node('conv2', 'Conv', ['relu1', 'w2'], 'target', 'R1'),
        node('gather', 'Gather', ['conv2', 'idx'], 'fallback'),
        node('conv3', 'Conv', ['gather', 'w3'], 'target', 'R2'),
        node('add', 'Add', ['conv3', 'conv2'], 'target', 'R2'),
        { name: 'shape', op: 'Shape', inputs: ['x'], outputs: ['shape'], ok: true, placement: 'build' },
      ],
      regions: [
        { id: 'R1', nodes: ['conv1', 'relu1', 'conv2'], flops: 10, inputs: ['x'], outputs: ['conv2'] },
        { id: 'R2', nodes: ['conv3', 'add'], flops: 5, inputs: ['gather', 'conv2'], outputs: ['add'] },
      ],
      crossings: [{ tensor: 'gather', from: 'gpu', to: 'R2', shape: [1, 16, 2, 2], bytes: { int8: 64, fp16: 128 }, format: 'int8:chw32' }],
      diagnostics: [],
      summary,
    };
    const html = buildReport(inputsWith(a), { date: new Date(0) });
    const data = graphData(html);
    assert.deepEqual(data.nodes.map((n) => n.name), ['conv1', 'relu1', 'conv2', 'gather', 'conv3', 'add']);
    // conv1 → relu1 → conv2: one box (each link: one consumer, one producer, one region). conv2 forks, so
    // gather starts a new box (and is on the GPU anyway); add joins two producers, so it starts its own.
    assert.deepEqual(data.groups, [[0, 1, 2], [3], [4], [5]]);
    assert.match(html, /<g class="xtag"[^>]*><title>crossing gather: gpu → R2, 64 B at INT8, 128 B at FP16, I\/O format int8:chw32<\/title>/);
    assert.match(html, /1 nodes folded or removed at build time are not drawn/);
  });

  it('draws no graph past the box limit, but keeps the tables', () => {
    const nodes = Array.from({ length: 9000 }, (_, i) => ({ name: `n${i}`, op: i % 2 ? 'Relu' : 'Gather', inputs: [i === 0 ? 'x' : `n${i - 1}`], outputs: [`n${i}`], ok: i % 2 === 1, placement: (i % 2 ? 'target' : 'fallback') as 'target' | 'fallback', ...(i % 2 ? { region: `R${i}` } : { rule: 'op.no-dla', reason: 'no DLA path' }) }));
    const html = buildReport(inputsWith({ target: 'orin-dla', precision: 'int8', nodes, regions: [], crossings: [], diagnostics: [], summary }), { date: new Date(0) });
    assert.doesNotMatch(html, /id="graph-0"/);
    assert.match(html, /9000 boxes \(9000 nodes\) are more than the 4000 the page draws/);
    assert.match(html, /fallbacks by rule \(0 nodes\)/);
  });
});
