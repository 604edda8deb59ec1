import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getReferenceModel } from '../../src/models/index.js';
import { analyze, type Analysis, type NodeVerdict } from '../../src/targets/index.js';

/**
 * Golden results of the reference models on orin-dla (INT8). The golden files pin every node's verdict
 * (region, or the first failing rule), the regions and the summary; the assertions below are the
 * verdicts checked by hand against the rows of the DLA support reference. UPDATE_GOLDEN=1 rewrites the files.
 */

const DIR = fileURLToPath(new URL('./golden/', import.meta.url));

interface Golden {
  target: string;
  precision: string;
  summary: { nodes: Analysis['summary']['nodes']; flops: Analysis['summary']['flops']; regions: number; crossings: number; crossingBytes: Analysis['summary']['crossingBytes'] };
  regions: { id: string; nodes: number; first: string; last: string; flops: number }[];
  fallbacksByRule: Record<string, number>;
  diagnostics: string[];
  /** [name, op, region id | 'build' | first failing rule] */
  nodes: [string, string, string][];
}

function goldenOf(a: Analysis): Golden {
  const byRule: Record<string, number> = {};
  for (const n of a.nodes) if (n.rule !== undefined) byRule[n.rule] = (byRule[n.rule] ?? 0) + 1;
  return {
    target: a.target,
    precision: a.precision,
    summary: { nodes: a.summary.nodes, flops: a.summary.flops, regions: a.summary.regions, crossings: a.summary.crossings, crossingBytes: a.summary.crossingBytes },
    regions: a.regions.map((r) => ({ id: r.id, nodes: r.nodes.length, first: r.nodes[0]!, last: r.nodes[r.nodes.length - 1]!, flops: r.flops })),
    fallbacksByRule: Object.fromEntries(Object.entries(byRule).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))),
    diagnostics: a.diagnostics.map((d) => d.rule),
    nodes: a.nodes.map((n): [string, string, string] => [n.name, n.op, n.region ?? (n.placement === 'build' ? 'build' : (n.rule ?? '?'))]),
  };
}

function compareGolden(name: string, a: Analysis): void {
  const file = `${DIR}${name}.json`;
  const actual = goldenOf(a);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) {
    if (process.env['UPDATE_GOLDEN'] !== '1') assert.fail(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 and check it by hand`);
    mkdirSync(DIR, { recursive: true });
    // one node per line: [name, op, where]
    const text = JSON.stringify(actual, null, 1).replace(/\[\n\s+("(?:[^"\\]|\\.)*"),\n\s+("(?:[^"\\]|\\.)*"),\n\s+("(?:[^"\\]|\\.)*")\n\s+\]/g, '[$1, $2, $3]');
    writeFileSync(file, `${text}\n`);
  }
  assert.deepEqual(actual, JSON.parse(readFileSync(file, 'utf8')) as Golden);
}

const ops = (a: Analysis, op: string): NodeVerdict[] => a.nodes.filter((n) => n.op === op);
const named = (a: Analysis, pattern: RegExp): NodeVerdict[] => a.nodes.filter((n) => pattern.test(n.name));
const rulesOf = (n: NodeVerdict): string[] => (n.problems ?? []).map((p) => p.rule);

describe('golden: resnet50 on orin-dla', () => {
  const a = analyze(getReferenceModel('resnet50').build(), { target: 'orin-dla' });

  it('matches the golden file', () => compareGolden('resnet50.orin-dla', a));

  it('runs every Conv, Relu, Add and the MaxPool on the DLA in one region (L-CONV, L-ACT, L-ELT, L-POOL)', () => {
    for (const op of ['Conv', 'Relu', 'Add', 'MaxPool']) {
      const list = ops(a, op);
      assert.ok(list.length > 0, op);
      for (const n of list) assert.equal(n.region, 'R1', `${n.name}: ${n.reason ?? ''}`);
    }
    assert.equal(ops(a, 'Conv').length, 53);
  });

  it('falls back at the head: GlobalAveragePool (GPU row, R-GAP 7x7) and Flatten (RFE row, R-FC)', () => {
    const [gap] = ops(a, 'GlobalAveragePool');
    assert.equal(gap?.rule, 'op.no-dla');
    assert.equal(gap?.fix?.text, 'R-GAP: AveragePool 7x7 (window ≤ 8)');
    const [flatten] = ops(a, 'Flatten');
    assert.equal(flatten?.rule, 'op.no-dla');
    assert.equal(flatten?.fix?.recipe, 'R-FC');
  });

  it('runs the classifier Gemm (constant B, 1000 ≤ 8192 outputs) as a second, small region', () => {
    const [gemm] = ops(a, 'Gemm');
    assert.equal(gemm?.region, 'R2');
    assert.ok(gemm?.notes?.some((n) => n.startsWith('matmul.layout')));
    assert.deepEqual(a.diagnostics.find((d) => d.rule === 'region.small')?.regions, ['R2']);
    assert.deepEqual(a.summary.nodes, { total: 175, onTarget: 173, fallback: 2, build: 0 });
  });
});

describe('golden: multitask on orin-dla', () => {
  const a = analyze(getReferenceModel('multitask').build(), { target: 'orin-dla' });

  it('matches the golden file', () => compareGolden('multitask.orin-dla', a));

  it('LayerNormalization falls back everywhere (GPU row: INormalizationLayer not exposed)', () => {
    const ln = ops(a, 'LayerNormalization');
    assert.equal(ln.length, 30, '4 patch embeddings + 2·2·4 block norms + 4 stage norms + 6 sequence-reduction norms (stages 1–3)');
    for (const n of ln) assert.equal(n.rule, 'op.no-dla');
  });

  it('attention MatMuls with an activation as B fall back (L-MATMUL); projections with constant B run where shapes allow', () => {
    const attention = named(a, /attn\/MatMul(_1)?$/);
    assert.equal(attention.length, 16);
    for (const n of attention) assert.ok(rulesOf(n).includes('matmul.constant-b'), n.name);
    for (const n of named(a, /block[234]\.\d\/(attn\/(q|kv|proj)|mlp\/fc[12])\/MatMul$/)) assert.ok(n.region !== undefined, `${n.name}: ${n.reason ?? ''}`);
    for (const n of named(a, /block1\.\d\/(attn\/(q|proj)|mlp\/fc[12])\/MatMul$/)) assert.ok(rulesOf(n).includes('tensor.dims'), `${n.name}: 32768 tokens > 8192 (G5)`);
  });

  it('Softmax: stage 1 falls back (32768 > 8192, G5); stages 2–4 run (axis W, 512 ≤ 1024 approximate mode, X4)', () => {
    for (const n of named(a, /block1\.\d\/attn\/Softmax$/)) assert.equal(n.rule, 'tensor.dims');
    const later = named(a, /block[234]\.\d\/attn\/Softmax$/);
    assert.equal(later.length, 6);
    for (const n of later) {
      assert.ok(n.region !== undefined, n.name);
      assert.ok(n.notes?.some((x) => x.startsWith('softmax.axis-length: axis length 512 runs in the DLA\'s approximate Softmax mode')));
    }
  });

  it('token-layout Reshape/Transpose and 3-D elementwise ops fall back (SH2, E1); 4-D ones run', () => {
    for (const n of named(a, /patch_embed\d\/(Reshape|Transpose)$/)) assert.ok(rulesOf(n).includes('shuffle.rank'), n.name);
    for (const n of named(a, /block\d\.\d\/Add(_1)?$/)) assert.ok(rulesOf(n).includes('eltwise.rank'), n.name);
    for (const n of named(a, /block[234]\.\d\/attn\/Transpose$/)) assert.ok(n.region !== undefined, `${n.name} is 4-D → 4-D with perm[0] = 0`);
  });

  it('GELU: Div on TensorRT 8.6.2 falls back with the reciprocal rewrite; Erf has no DLA path', () => {
    for (const n of named(a, /mlp\/act\/Div$/)) {
      assert.equal(n.rule, 'op.trt-version');
      assert.equal(n.fix?.kind, 'rewrite');
    }
    for (const n of named(a, /mlp\/act\/Erf$/)) assert.equal(n.rule, 'op.no-dla');
  });

  it('k/v Gathers need a rewrite that does not apply (axis 0 of a 5-D tensor)', () => {
    const gathers = ops(a, 'Gather');
    assert.equal(gathers.length, 16);
    for (const n of gathers) {
      assert.equal(n.rule, 'op.needs-rewrite');
      assert.match(n.reason ?? '', /R-GATHER does not apply/);
    }
  });

  it('every conv (patch embeddings, reductions, depthwise, heads) runs on the DLA (L-CONV, C9)', () => {
    for (const n of ops(a, 'Conv')) assert.ok(n.region !== undefined, `${n.name}: ${n.reason ?? ''}`);
  });

  it('the SegFormer head resizes by sizes (Z1): R-RESIZE-SCALES, and a ×8 linear would still break Z3', () => {
    const resizes = named(a, /^\/seg_head\/Resize/);
    assert.equal(resizes.length, 3);
    for (const n of resizes) assert.equal(n.rule, 'resize.scales-static');
    assert.ok(resizes.some((n) => /\[1,1,8,8\] \(then scale 8 \(linear\)/.test(n.fix?.text ?? '')));
  });

  it('the depth decoder runs on the DLA in one region with the last encoder Transpose', () => {
    const depth = named(a, /^\/depth_head\//);
    assert.ok(depth.length > 10);
    const regions = new Set(depth.map((n) => n.region));
    assert.equal(regions.size, 1);
    assert.ok(!regions.has(undefined));
  });

  it('makes more regions than one DLA core holds (G9)', () => {
    assert.ok(a.regions.length > 16);
    assert.ok(a.diagnostics.some((d) => d.rule === 'region.count'));
  });
});
