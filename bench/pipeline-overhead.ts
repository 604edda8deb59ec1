/**
 * npm run bench:pipeline-overhead — the scheduler's own cost per stage-frame: a function pipeline whose
 * engines do nothing (each stage returns its input at once), the multi-task layout (backbone → two
 * heads, three streams) and a one-stream chain of three stages, pipelined and sequential. Per
 * stage-frame = wall time ÷ (frames × stages). Measured on this machine (Node, one thread).
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createFunctionPipeline, type FunctionStage } from '../src/runtime/index.js';

const FRAMES = Number(process.argv[2] ?? 200_000);

const layouts: Record<string, FunctionStage[]> = {
  'backbone → 2 heads, 3 streams': [
    { name: 'backbone', stream: 'gpu', inputs: ['image'], outputs: ['c'] },
    { name: 'seg', stream: 'dla0', inputs: ['c'], outputs: ['segmentation'] },
    { name: 'depth', stream: 'dla1', inputs: ['c'], outputs: ['depth'] },
  ],
  'chain of 3, 1 stream': [
    { name: 'a', stream: 'q', inputs: ['image'], outputs: ['x'] },
    { name: 'b', stream: 'q', inputs: ['x'], outputs: ['y'] },
    { name: 'c', stream: 'q', inputs: ['y'], outputs: ['depth'] },
  ],
};

async function measure(stages: FunctionStage[], mode: 'pipelined' | 'sequential', frames: number): Promise<number> {
  const outputs = stages.filter((s) => !stages.some((o) => o.inputs.includes(s.outputs[0]!))).map((s) => s.outputs[0]!);
  const pipeline = createFunctionPipeline<number>(stages, outputs, (stage, feeds) => Promise.resolve({ [stage.outputs[0]!]: Object.values(feeds)[0]! }));
  function* source(): Generator<Record<string, number>> {
    for (let i = 0; i < frames; i++) yield { image: i };
  }
  const t0 = performance.now();
  let n = 0;
  for await (const r of pipeline.run(source(), { mode, maxInFlight: 4 })) {
    if (r.frame !== n++) throw new Error(`frame ${r.frame} out of order`);
  }
  if (n !== frames) throw new Error(`${n} of ${frames} frames came back`);
  return ((performance.now() - t0) * 1000) / (frames * stages.length);
}

console.log(`bench:pipeline-overhead — measured on this machine (${cpus().length} × ${cpus()[0]?.model}; Node ${process.version}); ${FRAMES} frames per row, do-nothing engines; goal < 50 µs per stage-frame`);
for (const [name, stages] of Object.entries(layouts)) {
  for (const mode of ['pipelined', 'sequential'] as const) {
    await measure(stages, mode, Math.min(FRAMES, 5000)); // warm-up (JIT)
    const runs = [await measure(stages, mode, FRAMES), await measure(stages, mode, FRAMES), await measure(stages, mode, FRAMES)].sort((a, b) => a - b);
    console.log(`  ${name.padEnd(32)} ${mode.padEnd(10)} ${runs[1]!.toFixed(2)} µs per stage-frame (median of 3; min ${runs[0]!.toFixed(2)}, max ${runs[2]!.toFixed(2)})`);
  }
}
