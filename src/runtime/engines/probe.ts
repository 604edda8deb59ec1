import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { GraphBuilder, buildModel } from '../../ir/builder.js';
import { encodeModel } from '../../onnx/encode.js';
import { TandemError } from '../../util/errors.js';
import { ortEngineError } from './ort-engine.js';
import type { EngineName } from './types.js';

/**
 * Whether an engine starts on this machine: a one-node model is opened on it in a child process.
 *
 * Why a child: onnxruntime's WebGPU provider is Dawn, and Dawn writes its own warning to the process's
 * stderr when it looks for a GPU and finds no Vulkan loader ("Warning: Couldn't load Vulkan:
 * libvulkan.so.1: cannot open shared object file", with a source line of Dawn's build). No onnxruntime
 * setting reaches it (`env.logLevel` and the session's `logSeverityLevel` govern onnxruntime's logger, not
 * Dawn's), and Node cannot redirect its own stderr around a native call. Probed in a child, the warning
 * goes to the child's stderr, which is dropped; where the engine does start, this process opens it later
 * and nothing was printed either way. Each engine is probed once per process (the answer is kept).
 */
export function probeEngine(name: EngineName, options: { timeoutMs?: number } = {}): Promise<TandemError | undefined> {
  let p = probes.get(name);
  if (p === undefined) {
    p = runProbe(name, options.timeoutMs ?? 60_000);
    probes.set(name, p);
  }
  return p;
}

const probes = new Map<EngineName, Promise<TandemError | undefined>>();

/** onnxruntime's execution provider for each engine, as the child names it. */
const PROVIDER: Record<EngineName, string> = { cpu: 'cpu', 'dla-emulated': 'cpu', webgpu: 'webgpu', cuda: 'cuda', tensorrt: 'tensorrt' };

/** The child: open the model (base64 in argv) on the provider; exit 0, or print the error and exit 3. */
const CHILD = `
const ort = require(process.argv[1]);
ort.env.logLevel = 'fatal';
ort.InferenceSession.create(Buffer.from(process.argv[3], 'base64'), { executionProviders: [process.argv[2]], logSeverityLevel: 3 })
  .then((s) => s.release())
  .then(() => process.exit(0), (e) => { process.stdout.write(String((e && e.message) || e)); process.exit(3); });
`;

function runProbe(name: EngineName, timeoutMs: number): Promise<TandemError | undefined> {
  const b = new GraphBuilder('probe', { opset: 17 });
  b.output(b.relu(b.input('x', 'float32', [1, 4])), 'float32', [1, 4]);
  const model = Buffer.from(encodeModel(buildModel(b))).toString('base64');
  let ortPath: string;
  try {
    ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch (e) {
    return Promise.resolve(new TandemError('ENGINE_UNAVAILABLE', `engine ${name} cannot start on this machine: onnxruntime-node is not installed (${(e as Error).message}); reinstall it (npm ci)`, { cause: e }));
  }
  return new Promise((done) => {
    execFile(process.execPath, ['-e', CHILD, ortPath, PROVIDER[name], model], { timeout: timeoutMs, maxBuffer: 1 << 20, windowsHide: true }, (error, stdout) => {
      if (error === null) return done(undefined);
      const e = error as Error & { killed?: boolean; signal?: NodeJS.Signals | null; code?: number | string | null };
      if (e.killed) return done(new TandemError('ENGINE_UNAVAILABLE', `engine ${name} did not start within ${Math.round(timeoutMs / 1000)} s on this machine (probe timed out); use --engine cpu, or check the GPU driver`));
      if (e.code === 3 && stdout.length > 0) return done(ortEngineError(name, new Error(stdout)));
      return done(new TandemError('ENGINE_UNAVAILABLE', `engine ${name} cannot start on this machine: its probe ${e.signal ? `was killed by ${e.signal}` : `exited with ${String(e.code)}`}${stdout ? ` (${stdout.split('\n')[0]})` : ''}; use --engine cpu elsewhere`));
    });
  });
}
