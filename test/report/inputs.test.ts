import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { getReferenceModel } from '../../src/models/index.js';
import { kindOf, loadReportInputs } from '../../src/report/index.js';
import { analyze } from '../../src/targets/index.js';
import { isTandemError } from '../../src/util/errors.js';

const made: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-report-in-'));
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function throwsCode(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isTandemError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

describe('report inputs', () => {
  it('recognises each result by its content', () => {
    assert.equal(kindOf({ target: 'orin-dla', nodes: [], regions: [], crossings: [], summary: {} }), 'analysis');
    assert.equal(kindOf({ before: {}, after: {}, passes: [] }), 'prepare');
    assert.equal(kindOf({ version: 2, kind: 'plan', stages: [], tensors: [] }), 'stages');
    assert.equal(kindOf({ version: 1, cut: [], stages: [], tensors: [] }), 'stages');
    assert.equal(kindOf({ tool: 'tandem', activations: {}, scheme: 's' }), 'scales');
    assert.equal(kindOf({ calibration: {}, artifacts: [] }), 'quantize');
    assert.equal(kindOf({ modes: [] }), 'bench');
    assert.equal(kindOf({ traceEvents: [] }), 'trace');
    assert.equal(kindOf([{ ph: 'X', ts: 0 }]), 'trace');
    assert.equal(kindOf({ stages: [], pipeline: {} }), 'cost');
    assert.equal(kindOf({ dataset: 'x', metrics: {} }), 'eval');
    assert.equal(kindOf({ version: 1, placement: 'trt', activations: [] }), undefined);
    assert.equal(kindOf(42), undefined);
  });

  it('reads an analysis written by analyze, edges included', () => {
    const dir = tmp();
    const a = analyze(getReferenceModel('resnet50').build({ height: 64, width: 64 }), { target: 'orin-dla' });
    writeFileSync(join(dir, 'analysis.json'), JSON.stringify(a));
    const inputs = loadReportInputs([join(dir, 'analysis.json')]);
    assert.equal(inputs.analyses.length, 1);
    const conv = inputs.analyses[0]!.data.nodes.find((n) => n.op === 'Conv')!;
    assert.ok(conv.inputs!.length >= 2 && conv.outputs!.length === 1);
  });

  it('refuses a missing path, a file that is no tandem result, and a result that breaks its format', () => {
    const dir = tmp();
    throwsCode(() => loadReportInputs([join(dir, 'nope.json')]), 'FILE_NOT_FOUND', /nope\.json does not exist/);
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
    throwsCode(() => loadReportInputs([join(dir, 'other.json')]), 'REPORT_INPUT', /other\.json: not a result tandem writes/);
    writeFileSync(join(dir, 'broken.json'), '{"nodes": [');
    throwsCode(() => loadReportInputs([join(dir, 'broken.json')]), 'REPORT_INPUT', /not valid JSON/);
    writeFileSync(join(dir, 'bad-analysis.json'), JSON.stringify({ target: 'orin-dla', precision: 'int8', nodes: [{ name: 'a' }], regions: [], crossings: [], diagnostics: [], summary: {} }));
    throwsCode(() => loadReportInputs([join(dir, 'bad-analysis.json')]), 'REPORT_INPUT', /looks like analysis output but does not match its format: nodes\.0\.op: .*tandem analyze model\.onnx --json/);
    writeFileSync(join(dir, 'bad-plan.json'), JSON.stringify({ version: 2, kind: 'plan', stages: [{}], tensors: [] }));
    throwsCode(() => loadReportInputs([join(dir, 'bad-plan.json')]), 'REPORT_INPUT', /bad-plan\.json looks like a split\.json or plan\.json but does not match the stage-file schema/);
    throwsCode(() => loadReportInputs([]), 'USAGE', /at least one result file/);
  });

  it('in a folder, lists what it ignores instead of failing', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'other.json'), '{"hello": 1}');
    writeFileSync(join(dir, 'notes.sh'), 'echo hi\n');
    writeFileSync(join(dir, 'build.sh'), 'trtexec --onnx=a.onnx \\\n  --fp16\n');
    const inputs = loadReportInputs([dir]);
    assert.deepEqual(inputs.ignored.map((x) => x.label).sort(), ['notes.sh', join('sub', 'other.json')]);
    assert.equal(inputs.scripts.length, 1);
  });
});
