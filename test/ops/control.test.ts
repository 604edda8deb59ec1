import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphBuilder, buildModel } from '../../src/ir/builder.js';
import { Graph } from '../../src/ir/graph.js';
import { Node } from '../../src/ir/node.js';
import { tensorFromValues } from '../../src/ir/tensor-values.js';
import type { TensorType } from '../../src/ir/types.js';
import { inferShapes } from '../../src/ops/index.js';
import { compareWithOrt } from './ort-compare.js';

/** A subgraph written node by node (its nodes may read names of the enclosing graph). */
function body(name: string, inputs: [string, TensorType | undefined][], nodes: Node[], outputs: string[], initializers: [string, ReturnType<typeof tensorFromValues>][] = []): Graph {
  const g = new Graph(name);
  for (const [n, t] of inputs) g.addInput(n, t);
  for (const [n, t] of initializers) g.setInitializer(n, t);
  for (const n of nodes) g.addNode(n);
  for (const o of outputs) g.addOutput(o);
  return g;
}

const i64 = (shape: TensorType['shape']): TensorType => ({ kind: 'tensor', dtype: 'int64', shape });
const f32 = (shape: TensorType['shape']): TensorType => ({ kind: 'tensor', dtype: 'float32', shape });
const bool: TensorType = { kind: 'tensor', dtype: 'bool', shape: [] };

describe('If, Loop and Scan', () => {
  it('If: branch outputs join to what both agree on; bodies see outer-scope types', async () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 8]);
    const c = b.input('c', 'bool', []);
    const thenG = body('then', [], [new Node({ op: 'Relu', inputs: [x], outputs: ['t_out'] }), new Node({ op: 'Slice', inputs: [x, 's0', 'e4', 'a1'], outputs: ['t_half'] })], ['t_out', 't_half'], [
      ['s0', tensorFromValues('int64', [1], [0])],
      ['e4', tensorFromValues('int64', [1], [4])],
      ['a1', tensorFromValues('int64', [1], [1])],
    ]);
    const elseG = body('else', [], [new Node({ op: 'Neg', inputs: [x], outputs: ['e_out'] }), new Node({ op: 'Identity', inputs: [x], outputs: ['e_all'] })], ['e_out', 'e_all']);
    const [same, differs] = b.opMulti('If', [c], { then_branch: thenG, else_branch: elseG }, { outputs: ['same', 'differs'] });
    const model = buildModel(b);
    await compareWithOrt(model, { N: 2 }, [differs!]);
    assert.deepEqual(model.graph.tensorType(same!)?.shape, ['N', 8]);
    assert.deepEqual(model.graph.tensorType(differs!)?.shape, ['N', null]);
    assert.deepEqual(thenG.tensorType('t_half')?.shape, ['N', 4]);
  });

  it('If on a constant condition takes its branch', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2, 8]);
    const c = b.constant('c', 'bool', [], [0]);
    const thenG = body('then', [], [new Node({ op: 'Transpose', inputs: [x], outputs: ['t'] })], ['t']);
    const elseG = body('else', [], [new Node({ op: 'Identity', inputs: [x], outputs: ['e'] })], ['e']);
    const out = b.op('If', [c], { then_branch: thenG, else_branch: elseG });
    const model = buildModel(b);
    inferShapes(model);
    assert.deepEqual(model.graph.tensorType(out)?.shape, [2, 8]);
  });

  it('If on a constant condition: shape errors in the branch that never runs do not fail strict inference', () => {
    const make = (cond: 'const' | 'input'): { model: ReturnType<typeof buildModel>; out: string } => {
      const b = new GraphBuilder('g', { opset: 17 });
      const x = b.input('x', 'float32', [2, 8]);
      const c = cond === 'const' ? b.constant('c', 'bool', [], [1]) : b.input('c', 'bool', []);
      const thenG = body('then', [], [new Node({ op: 'Identity', inputs: [x], outputs: ['t'] })], ['t']);
      // as in ONNX's affine_grid_*_expanded tests: a Split that cannot split this input, in the branch not taken
      const elseG = body('else', [], [new Node({ op: 'Split', inputs: [x, 'sizes'], outputs: ['e', 'e2'], attrs: { axis: 1 } })], ['e'], [['sizes', tensorFromValues('int64', [2], [3, 7])]]);
      const out = b.op('If', [c], { then_branch: thenG, else_branch: elseG });
      return { model: buildModel(b), out };
    };
    const taken = make('const');
    const report = inferShapes(taken.model);
    assert.deepEqual([report.issues, report.unresolved], [[], []]);
    assert.deepEqual(taken.model.graph.tensorType(taken.out)?.shape, [2, 8]);
    // with a condition known only at run time, either branch may run: the error is the model's
    assert.throws(() => inferShapes(make('input').model), (e: Error) => /Split/.test(e.message) && /3, 7|sum/.test(e.message));
  });

  it('Loop: stable carried values keep their shape, growing ones become unknown, scan outputs stack', async () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', [2, 3]);
    const m = b.constant('M', 'int64', [], [4]);
    const acc0 = b.constant('acc0', 'float32', [1], [0]);
    const loopBody = body(
      'body',
      [['i', i64([])], ['cond', bool], ['count', i64([])], ['acc', f32([null])]],
      [
        new Node({ op: 'Identity', inputs: ['cond'], outputs: ['cond_out'] }),
        new Node({ op: 'Add', inputs: ['count', 'one'], outputs: ['count_out'] }),
        new Node({ op: 'Concat', inputs: ['acc', 'one_f'], outputs: ['acc_out'], attrs: { axis: 0 } }),
        new Node({ op: 'Mul', inputs: [x, 'two'], outputs: ['scan_out'] }),
      ],
      ['cond_out', 'count_out', 'acc_out', 'scan_out'],
      [
        ['one', tensorFromValues('int64', [], [1])],
        ['one_f', tensorFromValues('float32', [1], [1])],
        ['two', tensorFromValues('float32', [], [2])],
      ],
    );
    const outs = b.opMulti('Loop', [m, undefined, b.constant('count0', 'int64', [], [0]), acc0], { body: loopBody }, { outputs: ['count_final', 'acc_final', 'scanned'] });
    const model = buildModel(b);
    await compareWithOrt(model, {}, [outs[1]!]);
    assert.deepEqual(model.graph.tensorType(outs[0]!)?.shape, []);
    assert.deepEqual(model.graph.tensorType(outs[1]!)?.shape, [null]);
    assert.deepEqual(model.graph.tensorType(outs[2]!)?.shape, [4, 2, 3]);
  });

  it('Loop body inputs without declared types get them from the Loop', () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const x = b.input('x', 'float32', ['N', 3]);
    const loopBody = body(
      'body',
      [['i', undefined], ['cond', undefined], ['v', undefined]],
      [new Node({ op: 'Identity', inputs: ['cond'], outputs: ['c2'] }), new Node({ op: 'Relu', inputs: ['v'], outputs: ['v2'] }), new Node({ op: 'Unsqueeze', inputs: ['i', 'ax'], outputs: ['i1'] })],
      ['c2', 'v2', 'i1'],
      [['ax', tensorFromValues('int64', [1], [0])]],
    );
    const outs = b.opMulti('Loop', [undefined, b.input('go', 'bool', []), x], { body: loopBody }, { outputs: 2 });
    const model = buildModel(b);
    const report = inferShapes(model);
    assert.deepEqual(model.graph.tensorType(outs[0]!)?.shape, ['N', 3]);
    assert.deepEqual(model.graph.tensorType(outs[1]!), { kind: 'tensor', dtype: 'int64', shape: [null, 1] });
    assert.deepEqual(loopBody.tensorType('v2')?.shape, ['N', 3]);
    assert.deepEqual(report.unresolved, []);
  });

  it('Scan: states and per-step outputs', async () => {
    const b = new GraphBuilder('g', { opset: 17 });
    const seq = b.input('seq', 'float32', [5, 'B', 4]);
    const scanBody = body(
      'body',
      [['state', f32(['B', 4])], ['step', f32(['B', 4])]],
      [new Node({ op: 'Add', inputs: ['state', 'step'], outputs: ['next'] }), new Node({ op: 'ReduceSum', inputs: ['next'], outputs: ['total'], attrs: { keepdims: 0 } })],
      ['next', 'total'],
    );
    const outs = b.opMulti('Scan', [b.input('init', 'float32', ['B', 4]), seq], { body: scanBody, num_scan_inputs: 1 }, { outputs: 2 });
    const model = buildModel(b);
    await compareWithOrt(model, { B: 3 });
    assert.deepEqual(model.graph.tensorType(outs[0]!)?.shape, ['B', 4]);
    assert.deepEqual(model.graph.tensorType(outs[1]!)?.shape, [5]);
  });
});
