import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { join } from 'node:path';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { encodeNpy } from '../../src/io/npy.js';
import { Tensor } from '../../src/ir/tensor.js';
import { loadModel } from '../../src/onnx/load-save.js';
import { isTandemError } from '../../src/util/errors.js';
import { sniffFileKind } from '../../src/util/file-kind.js';
import { cli } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/fixtures.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const file = (name: string, bytes: string | Uint8Array): string => {
  const p = join(tmp.dir, name);
  writeFileSync(p, bytes);
  return p;
};

describe('a wrong kind of file where a model is expected', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a split.json', () => file('split.json', JSON.stringify({ version: 1, kind: 'split', stages: [] }, null, 2)), /is a split manifest \(split\.json from tandem split\), not an ONNX model; .*tandem plan .* -o plan\//],
    ['a plan.json', () => file('plan.json', '{\n  "version": 1,\n  "kind": "plan"\n}'), /is a deployment plan \(plan\.json from tandem plan\), not an ONNX model/],
    ['other JSON', () => file('x.json', '{"a": 1}'), /is a JSON file, not an ONNX model/],
    ['an .npy array', () => file('x.npy', encodeNpy(new Tensor('float32', [2], new Float32Array(2)))), /is a NumPy array \(\.npy\), not an ONNX model; .*--input <name>=/],
    ['an .npz archive', () => file('x.npz', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0])), /is a zip archive \(an \.npz of arrays\?\), not an ONNX model/],
    ['a PNG', () => file('x.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), /is a PNG image, not an ONNX model; images are calibration or evaluation data/],
    ['a README.md', () => file('README.md', '# tandem\n\nDeploy one network — on several accelerators.\n'), /is a text file, not an ONNX model/],
    ['text named .onnx', () => file('x.onnx', 'hello, this is text'), /is a text file, not an ONNX model/],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: one line naming the kind, FILE_KIND, exit 2`, async () => {
      const path = make();
      assert.throws(() => loadModel(path), (e) => isTandemError(e, 'FILE_KIND') && message.test(e.message));
      const r = await cli('inspect', path);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /\[FILE_KIND\]\n$/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    });
  }

  it('real models are not mistaken for another kind', () => {
    assert.ok(loadModel(fixture('pytorch', 'tiny_cnn_legacy.onnx')).graph.nodes.length > 0);
    copyFileSync(fixture('pytorch', 'tiny_cnn_legacy.onnx'), join(tmp.dir, 'legacy.onnx'));
    assert.ok(loadModel(join(tmp.dir, 'legacy.onnx')).graph.nodes.length > 0);
    for (const f of readdirSync(fixture(), { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.onnx'))) {
      assert.equal(sniffFileKind(readFileSync(fixture(f)).subarray(0, 4096)), 'onnx-or-unknown', f);
    }
    assert.equal(sniffFileKind(new Uint8Array([0x08, 0x07, 0x12, 0x05])), 'onnx-or-unknown');
    assert.equal(sniffFileKind(new Uint8Array([0x3a, 0x0a, 0x0a, 0x12])), 'onnx-or-unknown');
  });
});

describe("onnxruntime's input-shape errors", () => {
  it('name the input, the expected and the given shape', async () => {
    const model = fixture('pytorch', 'tiny_cnn_legacy.onnx');
    const declared = loadModel(model).graph;
    const input = declared.runtimeInputs[0]!;
    const type = declared.value(input)!.type!;
    assert.equal(type.kind, 'tensor');
    const npy = file('wrong.npy', encodeNpy(new Tensor('float32', [1, 3, 5, 5], new Float32Array(75))));
    const r = await cli('run', model, '--input', `${input}=${npy}`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`input "${input}": expected shape \\[[0-9,?a-z]+\\], given \\[1,3,5,5\\].*\\[INPUT_MISMATCH\\]`));
    const f64 = file('f64.npy', encodeNpy(new Tensor('float64', [1, 3, 32, 32], new Float64Array(3072))));
    const r64 = await cli('run', model, '--input', `${input}=${f64}`);
    assert.equal(r64.code, 2, r64.stderr);
    assert.match(r64.stderr, new RegExp(`input "${input}": expected float32, given float64 \\[1,3,32,32\\].*\\[INPUT_MISMATCH\\]`));
  });
});
