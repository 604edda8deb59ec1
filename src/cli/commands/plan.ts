import { quote } from '../../util/text.js';
import { checkOutputDir } from '../../util/fs.js';
import type { Plan } from '../../io/stage-file/types.js';
import type { Model } from '../../ir/model.js';
import { loadModel } from '../../onnx/load-save.js';
import { planDeployment, type Deployment, type HostEngines, type PlanSource } from '../../plan/index.js';
import { CALIBRATION_METHODS, isCalibrationMethod, isSplitManifestPath, type CalibrationMethod } from '../../quant/index.js';
import { readSplit } from '../../io/stage-file/index.js';
import { getEngine } from '../../runtime/engines/registry.js';
import { INPUT_ENCODINGS, OUTPUT_FORMS, type InputEncoding, type OutputForm } from '../../io/stage-file/types.js';
import { detectHostEngines, semanticsOpener } from '../../runtime/host-engines.js';
import { TandemError } from '../../util/errors.js';
import { unknownNameError } from '../../util/registry.js';
import type { CliContext } from '../context.js';
import { progressBars } from '../progress-events.js';
import { withDims } from '../dims.js';
import { collect, dimSizes, finiteNumber, list, nonNegativeInt, oneOf, positiveInt } from '../parse.js';
import { searchPins } from './plan-search.js';
import { plural } from '../format.js';
import type { CliCommand } from './types.js';

interface PlanFlags {
  target: 'orin' | 'host';
  out: string;
  split?: string;
  calib?: string;
  engine: string[];
  method: string;
  trtVersion: string;
  samples: number;
  iterations: number;
  verify: boolean;
  json?: boolean;
  search?: boolean;
  objective?: 'throughput' | 'latency';
  maxLatency?: number;
  dims?: Record<string, number>;
  gpuPrecision: 'fp32' | 'fp16';
  input: InputEncoding;
  outputs: string;
  candidates: number;
  measureSeconds: number;
}

export const planCommand: CliCommand = {
  name: 'plan',
  examples: [
    'tandem plan multitask.onnx --target orin --calib images/ -o plan-orin/',
    'tandem plan stages/split.json --target host -o plan-host/',
    'tandem plan multitask.onnx --target host --split c1,c2,c3,c4 --engine head-depth=cpu -o plan-host/',
    'tandem plan multitask.onnx --target host --gpu-precision fp16 --input rgba-uint32 --outputs compact -o plan-host/',
  ],
  writes: true,
  readsModel: true,
  register(program, ctx) {
    program
      .command('plan')
      .description('choose an engine and precision per stage for a target, write the stage models (INT8 quantized, FP16 converted) and plan.json')
      .argument('<model|split.json>', 'an ONNX model (split here) or the split.json of tandem split')
      .requiredOption('--target <target>', 'orin: the webinar layout on DRIVE Orin (GPU + 2 DLAs, modelled); host: engines timed on this machine', oneOf(['orin', 'host'] as const))
      .requiredOption('-o, --out <dir>', 'folder for the stage models and plan.json (never over an input)')
      .option('--split <auto|t1,t2>', 'where to cut a model: auto (the shared trunk) or cut tensors (default: auto)')
      .option('--calib <dir>', 'calibration data for the INT8 stages: a folder of images, .npz or .npy (default: generated inputs, with a warning)')
      .option('--engine <stage=engine>', 'pin a stage to an engine (repeatable): host cpu|webgpu|cuda|tensorrt|dla-emulated, orin gpu|dla0|dla1', collect, [])
      .option('--method <method>', `calibration method: ${CALIBRATION_METHODS.join(', ')}`, 'entropy')
      .option('--trt-version <x.y.z>', 'TensorRT version that reads the INT8 stages\' calibration caches: 8.6.1 (DRIVE OS 6.0 / JetPack 6.0), 10.3.0 (JetPack 6.1+); another major version ignores the cache', '8.6.1')
      .option('--samples <n>', 'generated calibration inputs when --calib is not given', positiveInt, 8)
      .option('--iterations <n>', 'host: timed runs per stage and engine (median kept)', positiveInt, 5)
      .option('--no-verify', 'skip the numerical checks of the INT8 hand-offs and of pixel input / compact outputs')
      .option('--dims <name=size,...>', 'sizes for symbolic input dims of a model (a split.json: tandem split --dims fixes them in the stages)', dimSizes)
      .option('--gpu-precision <p>', 'host: precision of webgpu stages, timed and deployed in it: fp32 or fp16', oneOf(['fp32', 'fp16'] as const), 'fp32')
      .option('--input <encoding>', `how the image arrives: ${INPUT_ENCODINGS.join(', ')} (pixels normalised in the first stage; rgba-uint32 for webgpu, which has no uint8 kernels)`, oneOf(INPUT_ENCODINGS), 'float')
      .option('--outputs <forms>', 'how outputs leave: float, compact (segmentation as int32 class ids at the input size, as float16 logits when smaller; other float outputs as float16), or name=argmax|fp16|float,...', 'float')
      .option('--candidates <n>', 'host: how many best-ranked engine assignments (plus the all-one-engine ones) to run pipelined before choosing; 0 chooses from the stage times alone', nonNegativeInt, 3)
      .option('--measure-seconds <s>', 'host: how long each candidate runs pipelined (after a quarter of it as warm-up)', finiteNumber, 2)
      .option('--json', 'print the plan, the timings and the checks as JSON')
      .option('--search', 'orin: search cut points, engines and precisions with the latency model (prints the Pareto set; the plan takes the best engines for its stages)')
      .option('--objective <o>', 'with --search: throughput or latency', oneOf(['throughput', 'latency'] as const), 'throughput')
      .option('--max-latency <ms>', 'with --search: only choose placements at or under this modelled latency', finiteNumber)
      .action(async (input: string, flags: PlanFlags) => {
        checkOutputDir(flags.out);
        if (!isCalibrationMethod(flags.method)) throw unknownNameError('calibration method', flags.method, CALIBRATION_METHODS);
        let pins: Record<string, string> = parsePins(flags.engine);
        const split = isSplitManifestPath(input);
        if (split && flags.dims) throw new TandemError('USAGE', `--dims sizes a model's symbolic input dims; ${input} is a split manifest, whose stages have their own shapes (tandem split --dims fixes them when splitting)`);
        const source: PlanSource & { model?: Model } = split ? { splitPath: input } : { model: withDims(loadModel(input), flags.dims, ctx.note), path: input };
        if (flags.search) {
          if (flags.target !== 'orin' || !('model' in source)) throw new TandemError('USAGE', '--search plans a model (not a split.json) for --target orin');
          pins = { ...searchPins(source.model.clone(), flags, ctx, flags.json ?? false), ...pins };
        }
        const cut = flags.split === undefined || flags.split === 'auto' ? flags.split : list(flags.split);
        const calib = flags.calib;
        const progress = progressBars(ctx);
        const stages = split ? readSplit(input, { models: false }).stages.map((s) => s.name) : undefined;
        // webgpu matters unless every stage is pinned to another engine (a model source: the stages are not known yet).
        const webgpu = stages === undefined || stages.some((s) => pins[s] === undefined || pins[s] === 'webgpu');
        const engines = flags.target === 'host' ? await hostEngines(ctx, { webgpu, ...(flags.candidates > 0 ? { measureS: flags.measureSeconds } : {}) }) : undefined;
        const d = await planDeployment(source, {
          target: flags.target,
          out: flags.out,
          ...(cut !== undefined ? { split: cut as 'auto' | string[] } : {}),
          ...(calib !== undefined ? { calibration: { dir: calib } } : {}),
          generatedSamples: flags.samples,
          method: flags.method as CalibrationMethod,
          trtVersion: flags.trtVersion,
          opener: getEngine('cpu'),
          verifyOpener: semanticsOpener,
          ...(engines !== undefined ? { engines } : {}),
          timing: { iterations: flags.iterations },
          gpuPrecision: flags.gpuPrecision,
          input: flags.input,
          outputs: parseOutputs(flags.outputs),
          candidates: Math.max(1, flags.candidates),
          pins,
          verify: flags.verify,
          protect: [input],
          onProgress: progress.onProgress,
        });
        progress.stop();
        if (flags.json) {
          const { dir, ...plan } = d.plan;
          ctx.printJson({
            plan,
            dir,
            files: d.files,
            timings: d.timings.map((t) => ({ ...t, what: `measured: ${t.engine}, this machine, median of ${t.runs} runs` })),
            ...(d.assignment ? { assignment: d.assignment } : {}),
            ...(d.boundary ? { boundary: { ...d.boundary, what: 'INT8 hand-off vs the unsplit Q/DQ path, onnxruntime cpu with graph optimizations off, fresh random inputs' } } : {}),
            notes: d.notes,
          });
          return;
        }
        for (const line of formatDeployment(d)) ctx.print(line);
        for (const n of d.notes) ctx.note(`note: ${n}`);
      });
  },
};

/** --outputs: float, compact, or name=form,... */
function parseOutputs(value: string): 'float' | 'compact' | Record<string, OutputForm> {
  if (value === 'float' || value === 'compact') return value;
  const forms: Record<string, OutputForm> = {};
  for (const e of list(value)) {
    const m = /^([^=]+)=([^=]+)$/.exec(e);
    if (!m || !OUTPUT_FORMS.includes(m[2] as OutputForm)) throw new TandemError('USAGE', `--outputs expects float, compact or name=form with form ${OUTPUT_FORMS.join('|')} (e.g. segmentation=argmax,depth=fp16), got ${quote(e)}`);
    forms[m[1]!] = m[2] as OutputForm;
  }
  return forms;
}

function parsePins(entries: readonly string[]): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const e of entries) {
    const m = /^([^=]+)=([^=]+)$/.exec(e);
    if (!m) throw new TandemError('USAGE', `--engine expects stage=engine (e.g. head-depth=cpu), got ${quote(e)}`);
    if (pins[m[1]!] !== undefined) throw new TandemError('USAGE', `--engine pins stage ${quote(m[1]!)} twice`);
    pins[m[1]!] = m[2]!;
  }
  return pins;
}

/** detectHostEngines, its notes on stderr. */
export async function hostEngines(ctx: CliContext, needed: { webgpu?: boolean; measureS?: number } = {}): Promise<HostEngines> {
  const { engines, notes } = await detectHostEngines(needed);
  for (const n of notes) ctx.note(n);
  return engines;
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

/** What plan prints: the stages with engine, precision and why; the timing table; the hand-offs. */
export function formatDeployment(d: Deployment): string[] {
  const p: Plan = d.plan;
  const lines = [`plan for ${p.target}: ${plural(p.stages.length, 'stage')} → ${d.files.at(-1)}`];
  const w = Math.max(5, ...p.stages.map((s) => s.name.length));
  const ew = Math.max(6, ...p.stages.map((s) => s.engine.length));
  lines.push(`  ${'stage'.padEnd(w)}  ${'engine'.padEnd(ew)}  prec  why (${p.target === 'orin' ? 'modelled: op cost table + DLA rules, no Orin ran' : 'measured on this machine'})`);
  for (const s of p.stages) lines.push(`  ${s.name.padEnd(w)}  ${s.engine.padEnd(ew)}  ${s.precision.padEnd(4)}  ${s.choice.reason}`);
  if (d.timings.length > 0) {
    const engines = [...new Set(d.timings.map((t) => t.engine))];
    const runs = [...new Set(d.timings.map((t) => t.runs))].join('/');
    lines.push('', `stage times, ms (measured: each engine on this machine, median of ${runs} runs; * = chosen)`);
    lines.push(`  ${'stage'.padEnd(w)}  ${engines.map((e) => e.padStart(13)).join('')}`);
    for (const s of p.stages) {
      const cells = engines.map((e) => {
        const t = d.timings.find((x) => x.stage === s.name && x.engine === e);
        return (t === undefined ? '—' : `${fmt(t.medianMs)}${s.engine === e ? '*' : ' '}`).padStart(13);
      });
      lines.push(`  ${s.name.padEnd(w)}  ${cells.join('')}`);
    }
    if (d.assignment) {
      const a = d.assignment;
      lines.push(`  streams per frame: ${Object.entries(a.streams).map(([k, v]) => `${k} ${fmt(v)} ms`).join(', ')}; bottleneck ${a.bottleneck} → ${fmt(a.predictedFps)} fps predicted from the stage times`);
    }
    const sel = d.selection;
    if (sel?.how === 'pipelined') {
      lines.push('', `candidates (fps: predicted from the stage times; measured: run pipelined on this machine; * = chosen)`);
      for (const [i, c] of sel.candidates.entries()) {
        const engines = p.stages.map((s) => c.engines[s.name]).join(' / ');
        lines.push(`  ${i === sel.chosen ? '*' : ' '} ${engines.padEnd(40)} predicted ${fmt(c.predictedFps).padStart(6)}  measured ${c.measuredFps !== undefined ? fmt(c.measuredFps).padStart(6) : `— (${c.error ?? 'not run'})`}`);
      }
    }
  } else if (p.target === 'orin') {
    lines.push('', 'modelled ms per frame (the Orin latency model of tandem cost; not measured, no Orin here):');
    for (const s of p.stages) lines.push(`  ${s.name.padEnd(w)}  ${Object.entries(s.choice.timingsMs ?? {}).map(([k, v]) => `${k} ${fmt(v)}`).join('  ')}`);
  }
  if (p.io !== undefined) {
    if (p.io.input) lines.push('', `input ${p.io.input.name}: ${p.io.input.encoding} pixels, normalised in the first stage (mean ${p.io.input.mean.map((x) => x.toFixed(3)).join('/')}, std ${p.io.input.std.map((x) => x.toFixed(3)).join('/')}, scale ${p.io.input.scale.toPrecision(4)})`);
    if (p.io.outputs) lines.push(`outputs: ${Object.entries(p.io.outputs).map(([k, v]) => `${k} as ${v === 'argmax' ? 'int32 class ids' : 'float16'}`).join(', ')}`);
    for (const c of d.frameIo ?? []) lines.push(`  checked ${c.stage}: ${c.outputs.map((o) => `${o.name} ${o.form === 'argmax' ? `${o.mismatches} ids differ` : `max |difference| ${o.maxAbsDiff.toPrecision(2)} of ${o.maxAbsRef.toPrecision(3)}`}`).join(', ')} (vs the float stage, onnxruntime cpu, ${c.samples} random inputs)`);
  }
  const cached = p.stages.filter((s) => s.calibrationCache !== undefined);
  if (cached.length > 0) lines.push('', `INT8 stages' TensorRT calibration caches and scales: ${cached.map((s) => `${s.name}: ${s.calibrationCache}, ${s.scales}`).join('; ')}`);
  const q = p.tensors.filter((t) => t.quantization !== undefined);
  if (q.length > 0) {
    lines.push('', `INT8 hand-offs (quantized in the producer, a quarter of the FP32 bytes): ${q.map((t) => `${t.name} ${t.from} → ${t.to.join(', ')} (scale ${t.quantization!.scale.toPrecision(4)})`).join('; ')}`);
    if (d.boundary) lines.push(`  checked: max |difference| ${d.boundary.maxAbsDiff === 0 ? '0 (identical)' : d.boundary.maxAbsDiff.toPrecision(3)} against the unsplit Q/DQ path on ${d.boundary.samples} fresh random inputs (onnxruntime cpu, graph optimizations off: ONNX semantics)`);
  }
  return lines;
}
