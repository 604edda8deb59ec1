import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GraphBuilder, attr, buildModel, Node, Tensor, tensorValues } from '../../src/ir/index.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/index.js';
import { readNpz } from '../../src/io/index.js';
import { getEngine, compareTensors } from '../../src/runtime/index.js';
import { PYTORCH_FIXTURES, fixture, tempDir } from '../helpers/fixtures.js';
import { message, type Field } from '../helpers/proto.js';

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('round trip of real exporter output', () => {
  for (const name of PYTORCH_FIXTURES) {
    it(`${name}: decode → encode is byte-identical (memory, eager file, lazy file)`, () => {
      const path = fixture('pytorch', `${name}.onnx`);
      const bytes = readFileSync(path);
      assert.ok(same(encodeModel(decodeModel(bytes)), bytes), 'from memory');
      assert.ok(same(encodeModel(loadModel(path)), bytes), 'eager load');
      const lazy = loadModel(path, { weights: 'lazy' });
      assert.ok([...lazy.graph.initializers.values()].some((t) => !t.isLoaded), 'lazy leaves large weights unread');
      assert.ok(same(encodeModel(lazy), bytes), 'lazy load');
    });

    it(`${name}: the re-encoded model runs in onnxruntime and reproduces the exporter's outputs`, async () => {
      const model = loadModel(fixture('pytorch', `${name}.onnx`));
      const io = readNpz(fixture('pytorch', `${name}.io.npz`));
      await using session = await getEngine('cpu').open(encodeModel(model));
      const feeds = Object.fromEntries(session.inputNames.map((n) => [n, io.get(n)!]));
      const outputs = await session.run(feeds);
      for (const out of session.outputNames) {
        const c = compareTensors(out, io.get(out)!, outputs[out]!);
        assert.ok(c.shapeMatch && c.relL2 < 1e-6, `${out}: rel L2 ${c.relL2}`);
      }
    });
  }
});

describe('round trip of a model written by the onnx python package', () => {
  const path = fixture('onnx', 'kitchen_sink.onnx');
  const bytes = readFileSync(path);

  it('is byte-identical after decode → encode, eager and lazy', () => {
    assert.ok(same(encodeModel(decodeModel(bytes)), bytes));
    assert.ok(same(encodeModel(loadModel(path, { weights: 'lazy' })), bytes));
  });

  it('keeps functions, training info, sparse initializers, subgraphs, metadata and annotations', () => {
    const m = decodeModel(bytes);
    assert.equal(m.irVersion, 10);
    assert.equal(m.producerName, 'onnx-helper');
    assert.equal(m.modelVersion, 3);
    assert.equal(m.domain, 'org.tandem.test');
    assert.equal(m.doc, 'model doc');
    assert.deepEqual(m.metadata, [['author', 'tandem'], ['license', 'test']]);
    assert.equal(m.opset(''), 18);
    assert.equal(m.opset('com.example'), 1);
    assert.equal(m.functions.length, 1);
    assert.equal(m.functions[0]!.name, 'LocalDouble');
    assert.equal(m.functions[0]!.body.nodes[0]!.op, 'Add');
    assert.equal(m.trainingInfo.length, 1);
    assert.deepEqual(m.trainingInfo[0]!.updateBinding, [['f32_raw', 'f32_next']]);
    assert.deepEqual(m.trainingInfo[0]!.initializationBinding, []);
    assert.equal(m.trainingInfo[0]!.algorithm!.nodes[0]!.op, 'Add');
    const g = m.graph;
    assert.equal(g.doc, 'graph doc');
    assert.deepEqual(g.metadata, [['graph_meta', 'g']]);
    assert.equal(g.sparseInitializers.length, 1);
    assert.deepEqual(g.sparseInitializers[0]!.dims, [2, 5]);
    assert.deepEqual(tensorValues(g.sparseInitializers[0]!.values), [1, 2, 3]);
    assert.equal(g.quantizationAnnotations[0]!.tensorName, 'if_out');
    const ifNode = g.node('if_node')!;
    assert.equal(ifNode.doc, 'an If');
    assert.equal(ifNode.attrs.graph('then_branch')!.nodes[0]!.op, 'Identity');
    assert.equal(ifNode.attrs.graph('else_branch')!.parent, g);
    const loopBody = g.node('loop_node')!.attrs.graph('body')!;
    assert.deepEqual(loopBody.inputs, ['iter', 'cond_in', 'acc_in']);
    // the Loop body reads the outer "x": the Loop node consumes it implicitly
    assert.ok(g.consumers('x').includes(g.node('loop_node')!));
    const vi = g.value('if_out')!;
    assert.equal(vi.doc, 'vi doc');
    assert.equal(vi.type?.kind, 'tensor');
    assert.deepEqual(vi.type?.kind === 'tensor' ? vi.type.dimDenotations : undefined, ['DATA_BATCH']);
    assert.equal(g.value('seq')?.type?.kind, 'sequence');
    assert.deepEqual(g.value('y')?.type?.kind === 'tensor' ? g.value('y')!.type!.kind : undefined, 'tensor');
    const out = g.value('y')!.type!;
    assert.ok(out.kind === 'tensor' && out.shape?.[1] === null, 'an unknown, unnamed dim stays null');
  });

  it('reads every attribute type', () => {
    const c = decodeModel(bytes).graph.node('custom')!;
    assert.equal(c.domain, 'com.example');
    assert.equal(c.attrs.float('f'), 0.25);
    assert.equal(c.attrs.int('i'), -3);
    assert.equal(c.attrs.string('s'), 'mode');
    assert.deepEqual(tensorValues(c.attrs.tensor('t')!), [1, 2]);
    assert.equal(c.attrs.graph('g')!.nodes.length, 0);
    assert.deepEqual(c.attrs.floats('floats'), [1, 2.5]);
    assert.deepEqual(c.attrs.ints('ints'), [-1, 0, 9223372036854775807]);
    assert.deepEqual(c.attrs.strings('strings'), ['a', 'bc']);
    assert.equal(c.attrs.get('tensors')?.type, 'tensors');
    assert.equal(c.attrs.get('sparse_tensor')?.type, 'sparseTensor');
    const tp = c.attrs.get('tp');
    assert.ok(tp?.type === 'typeProto' && tp.value.kind === 'tensor');
    assert.deepEqual(tp.value.kind === 'tensor' ? tp.value.shape : undefined, ['D', 3]);
    assert.deepEqual(c.metadata, [['node_meta', '1']]);
  });

  it('writes a changed model that python-side structure still matches (edit one node, keep the rest)', () => {
    const m = decodeModel(bytes);
    m.graph.node('custom')!.attrs.set('i', attr.int(5));
    const again = decodeModel(encodeModel(m));
    assert.equal(again.graph.node('custom')!.attrs.int('i'), 5);
    assert.equal(again.functions.length, 1);
    assert.ok(same(encodeModel(again), encodeModel(m)));
  });
});

describe('fields the codec does not know', () => {
  // A model whose messages carry fields from a future ONNX version at several depths.
  const typeProto: Field[] = [{ n: 1, bytes: [{ n: 1, varint: 1 }, { n: 2, bytes: [{ n: 1, bytes: [{ n: 1, varint: 4 }, { n: 7, varint: 9 }] }] }, { n: 30, bytes: 'inner' }] }];
  const bytes = message([
    { n: 1, varint: 11 },
    { n: 2, bytes: 'future-exporter' },
    {
      n: 7,
      bytes: [
        {
          n: 1,
          bytes: [
            { n: 1, bytes: 'x' },
            { n: 2, bytes: 'y' },
            { n: 3, bytes: 'relu' },
            { n: 4, bytes: 'Relu' },
            { n: 5, bytes: [{ n: 1, bytes: 'hint' }, { n: 3, varint: 2 }, { n: 20, varint: 2 }, { n: 40, bytes: 'attr-future' }] },
            { n: 12, varint: 77 },
          ],
        },
        { n: 2, bytes: 'g' },
        { n: 5, bytes: [{ n: 1, varint: 1 }, { n: 2, varint: 1 }, { n: 8, bytes: 'w' }, { n: 9, bytes: new Uint8Array(4) }, { n: 17, bytes: 'tensor-future' }] },
        { n: 11, bytes: [{ n: 1, bytes: 'x' }, { n: 2, bytes: typeProto }, { n: 9, varint: 5 }] },
        { n: 12, bytes: [{ n: 1, bytes: 'y' }, { n: 2, bytes: typeProto }] },
        { n: 20, bytes: 'graph-future' },
      ],
    },
    { n: 8, bytes: [{ n: 1, bytes: '' }, { n: 2, varint: 17 }] },
    { n: 99, bytes: 'model-future' },
  ]);

  it('keeps them and writes them back in place', () => {
    const m = decodeModel(bytes);
    assert.equal(m.graph.node('relu')!.attrs.int('hint'), 2);
    assert.ok(same(encodeModel(m), bytes));
  });

  it('keeps them when other parts of the model change', () => {
    const m = decodeModel(bytes);
    m.graph.addNode(new Node({ op: 'Neg', name: 'neg', inputs: ['y'], outputs: ['z'] }));
    m.graph.setOutputs(['z']);
    m.graph.setValueType('z', { kind: 'tensor', dtype: 'float32', shape: [4] });
    const out = Buffer.from(encodeModel(m));
    for (const marker of ['model-future', 'graph-future', 'attr-future', 'tensor-future', 'inner']) {
      assert.ok(out.includes(Buffer.from(marker)), marker);
    }
  });
});

describe('models built here', () => {
  it('encode → decode → encode is stable and runs', async () => {
    const b = new GraphBuilder('built');
    const x = b.input('x', 'float32', ['batch', 3, 8, 8]);
    const w = new Tensor('float32', [4, 3, 3, 3], Float32Array.from({ length: 108 }, (_, i) => Math.sin(i)));
    const y = b.relu(b.conv(x, w, undefined, { pads: [1, 1, 1, 1] }));
    const z = b.op('LeakyRelu', [y], { alpha: attr.float(0.1) });
    const s = b.op('Slice', [z, b.ints('starts', [0]), b.ints('ends', [9223372036854775807]), b.ints('axes', [1])]);
    b.output(s, 'float32', ['batch', 4, 8, 8]);
    const model = buildModel(b);
    model.doc = 'built in a test';
    const bytes = encodeModel(model);
    assert.ok(same(encodeModel(decodeModel(bytes)), bytes));
    const { dir, cleanup } = tempDir();
    try {
      saveModel(model, join(dir, 'm.onnx'));
      assert.ok(same(readFileSync(join(dir, 'm.onnx')), bytes));
      await using session = await getEngine('cpu').open(join(dir, 'm.onnx'));
      const out = await session.run({ x: new Tensor('float32', [2, 3, 8, 8], new Float32Array(384).fill(0.5)) });
      assert.deepEqual(out[s]!.dims, [2, 4, 8, 8]);
    } finally {
      cleanup();
    }
  });
});
