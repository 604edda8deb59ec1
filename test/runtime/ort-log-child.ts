/**
 * Child of ort-log-level.test.ts (run in its own process, since onnxruntime's logger is per process and
 * writes to fd 2): opens a model that makes onnxruntime warn (an unused initializer) and runs it with
 * feeds it refuses (an error), then prints onnxruntime's process-wide log level on stdout.
 * argv: 'quiet' | 'verbose'.
 */
import * as ort from 'onnxruntime-node';
import { GraphBuilder, buildModel, Tensor } from '../../src/ir/index.js';
import { getEngine } from '../../src/runtime/index.js';

const verbose = process.argv[2] === 'verbose';
const b = new GraphBuilder('g', { opset: 17 });
b.initializer('unused', new Tensor('float32', [4], new Float32Array(4)));
b.output(b.op('Add', [b.input('x', 'float32', ['n']), b.input('y', 'float32', ['m'])]), 'float32', ['k']);
const before = ort.env.logLevel;
const session = await getEngine('cpu').open(buildModel(b), { verbose });
try {
  await session.run({ x: new Tensor('float32', [3], new Float32Array(3)), y: new Tensor('float32', [4], new Float32Array(4)) });
} catch {
  // the failure itself is what the test makes onnxruntime log
}
await session.close();
process.stdout.write(`${before} ${ort.env.logLevel}\n`);
