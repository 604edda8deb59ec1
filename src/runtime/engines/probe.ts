import { spawn } from 'node:child_process';
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

/**
 * The child (a separate process, not this library's output): opens the model (base64 in argv) on the
 * provider and reports on its stdout pipe to the parent, "ok" or the error; it sets an exit code and lets
 * its event loop end (the parent ends it once it has the answer, or at the timeout).
 */
const CHILD = `
const ort = require(process.argv[1]);
const fs = require('node:fs');
ort.env.logLevel = 'fatal';
ort.InferenceSession.create(Buffer.from(process.argv[3], 'base64'), { executionProviders: [process.argv[2]], logSeverityLevel: 3 })
  .then((s) => { fs.writeSync(1, 'ok\\n'); return s.release(); })
  .catch((e) => { fs.writeSync(1, String((e && e.message) || e)); process.exitCode = 3; });
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
    // stderr is ignored: that is where Dawn's warning goes.
    const child = spawn(process.execPath, ['-e', CHILD, ortPath, PROVIDER[name], model], { stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
    let out = '';
    let settled = false;
    const finish = (result: TandemError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill();
      done(result);
    };
    const timer = setTimeout(() => finish(new TandemError('ENGINE_UNAVAILABLE', `engine ${name} did not start within ${Math.round(timeoutMs / 1000)} s on this machine (probe timed out); use --engine cpu, or check the GPU driver`)), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk.slice(0, 1 << 16);
      if (out.startsWith('ok\n')) finish(undefined);
    });
    child.on('error', (e) => finish(new TandemError('ENGINE_UNAVAILABLE', `engine ${name} cannot be probed: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      if (out.startsWith('ok\n')) return finish(undefined);
      if (code === 3 && out.length > 0) return finish(ortEngineError(name, new Error(out)));
      finish(new TandemError('ENGINE_UNAVAILABLE', `engine ${name} cannot start on this machine: its probe ${signal ? `was killed by ${signal}` : `exited with ${String(code)}`}${out ? ` (${out.split('\n')[0]})` : ''}; use --engine cpu elsewhere`));
    });
  });
}
