import type { PlanStage } from '../../io/stage-file/index.js';
import type { CostReport } from '../cost-report.js';
import type { TrtexecFlags } from './trtexec-flags.js';

/** What build.sh, bench.sh and the README need of one stage. */
export interface StageBuild {
  readonly stage: PlanStage;
  readonly dlaCore: number | null;
  readonly onnx: string;
  readonly engineFile: string;
  /** A DLA loadable built with --buildDLAStandalone (cuDLA), where the stage runs 100% on the DLA. */
  readonly loadable: string | null;
  readonly calib: string | null;
  /** The cache holds only the INT8 hand-off scales of an FP16 GPU stage. */
  readonly boundaryOnly: boolean;
  readonly inputFormats: readonly string[];
  readonly outputFormats: readonly string[];
  readonly fp16Layers: readonly string[];
  /** Convs whose weights already follow 2:4 (built with sparse kernels: --sparsity=enable). */
  readonly sparseConvs: number;
  /** Modelled latency in the pipeline (other engines busy). */
  readonly predictedMs: number;
  /** Modelled latency alone on the SoC. */
  readonly predictedAloneMs: number;
  readonly predictedFps: number;
}

/** Single-quotes a word for bash (file names come from the plan; they are file-name safe, this is belt and braces). */
function q(s: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function lines(args: readonly string[]): string {
  return `"$TRTEXEC" \\\n  ${args.map(q).join(' \\\n  ')}`;
}

const HEADER = `#!/usr/bin/env bash
# Written by tandem export. Runs on the Orin (JetPack / DRIVE OS with TensorRT); TRTEXEC overrides the binary.
set -euo pipefail
cd "$(dirname "$0")"
TRTEXEC="\${TRTEXEC:-trtexec}"
if ! command -v "$TRTEXEC" >/dev/null 2>&1; then
  echo "trtexec not found: put it on PATH (e.g. /usr/src/tensorrt/bin) or set TRTEXEC=/path/to/trtexec" >&2
  exit 1
fi
`;

/** trtexec arguments that build one stage's engine (or DLA loadable). */
export function buildArgs(b: StageBuild, f: TrtexecFlags, sparsity: boolean, standalone: boolean): string[] {
  const a = [`--onnx=${b.onnx}`, `--saveEngine=${standalone ? b.loadable! : b.engineFile}`, '--skipInference'];
  const p = b.stage.precision;
  if (f.precisionFlags) {
    if (p === 'fp16') a.push('--fp16');
    if (p === 'int8') a.push('--int8', '--fp16');
    if (b.calib !== null) {
      if (b.boundaryOnly) a.push('--int8');
      a.push(`--calib=${b.calib}`);
    }
  }
  if (b.dlaCore !== null) {
    a.push(`--useDLACore=${b.dlaCore}`);
    a.push(standalone ? '--buildDLAStandalone' : '--allowGPUFallback');
  }
  a.push(`--inputIOFormats=${b.inputFormats.join(',')}`, `--outputIOFormats=${b.outputFormats.join(',')}`);
  if (f.layerPrecisions) {
    // layers without an INT8 scale stay FP16; an FP16 GPU stage handing INT8 out keeps all its layers FP16
    const keep = b.boundaryOnly ? ['*'] : b.fp16Layers;
    if (keep.length > 0) a.push(`--layerPrecisions=${keep.map((n) => `${n}:fp16`).join(',')}`, '--precisionConstraints=prefer');
  }
  if (sparsity) a.push('--sparsity=force');
  else if (b.sparseConvs > 0) a.push('--sparsity=enable');
  return a;
}

/** build.sh: one trtexec line per stage (two for a 100%-DLA stage: the engine bench.sh loads, and the cuDLA loadable). */
export function buildScript(builds: readonly StageBuild[], f: TrtexecFlags, sparsity: boolean): string {
  const out = [HEADER, 'mkdir -p engines results', ''];
  for (const b of builds) {
    out.push(`# ${b.stage.name}: ${b.stage.engine} ${b.stage.precision.toUpperCase()} (modelled ${b.predictedAloneMs.toFixed(2)} ms alone)`);
    out.push(`${lines(buildArgs(b, f, sparsity, false))} \\\n  2>&1 | tee ${q(`results/build-${b.stage.name}.log`)}`);
    if (b.loadable !== null) {
      out.push(`# ${b.stage.name} runs 100% on the DLA: also a standalone loadable for cuDLA`);
      out.push(`${lines(buildArgs(b, f, sparsity, true))} \\\n  2>&1 | tee ${q(`results/build-${b.stage.name}-standalone.log`)}`);
    }
    out.push('');
  }
  out.push('echo "engines written to engines/; next: bash bench.sh"', '');
  return out.join('\n');
}

function benchArgs(b: StageBuild, f: TrtexecFlags, tag: string, seconds: number): string[] {
  const a = [`--loadEngine=${b.engineFile}`];
  if (b.dlaCore !== null) a.push(`--useDLACore=${b.dlaCore}`);
  a.push('--warmUp=2000', `--duration=${seconds}`, `--exportTimes=results/${b.stage.name}.${tag}.times.json`);
  if (tag === 'alone') a.push('--separateProfileRun', `--exportProfile=results/${b.stage.name}.${tag}.profile.json`);
  if (f.useSpinWait) a.push('--useSpinWait');
  return a;
}

/**
 * bench.sh: each engine alone, then all at once (the jetson_benchmarks method: tandem import keeps only
 * the window in which every engine was running). Launch times are recorded so import can align them.
 */
export function benchScript(builds: readonly StageBuild[], f: TrtexecFlags): string {
  const out = [HEADER, 'mkdir -p results', 'echo "power mode: $(nvpmodel -q 2>/dev/null | head -n 1 || echo unknown)" > results/environment.txt', ''];
  out.push('# 1. each engine alone');
  for (const b of builds) out.push(`${lines(benchArgs(b, f, 'alone', 10))} \\\n  > ${q(`results/${b.stage.name}.alone.log`)} 2>&1`);
  out.push('', '# 2. all engines at once; each launch time is recorded (ns since the epoch)', 'pids=()');
  for (const b of builds) {
    out.push(`date +%s%N > ${q(`results/${b.stage.name}.concurrent.start`)}`);
    out.push(`${lines(benchArgs(b, f, 'concurrent', 20))} \\\n  > ${q(`results/${b.stage.name}.concurrent.log`)} 2>&1 &`);
    out.push('pids+=("$!")');
  }
  out.push('status=0', 'for pid in "${pids[@]}"; do wait "$pid" || status=1; done', 'if [ "$status" -ne 0 ]; then echo "a concurrent run failed: see results/*.concurrent.log" >&2; exit 1; fi');
  out.push('echo "results in results/; bring the folder back and run: tandem import results/"', '');
  return out.join('\n');
}

export function bundleReadme(builds: readonly StageBuild[], f: TrtexecFlags, report: CostReport): string {
  const rows = builds.map(
    (b) => `| ${b.stage.name} | ${b.stage.engine} | ${b.stage.precision.toUpperCase()} | ${b.onnx} | ${b.calib ?? (f.quantization === 'typed-qdq' && b.stage.precision === 'int8' ? '(typed Q/DQ in the ONNX)' : '–')} | ${b.inputFormats.join(', ')} → ${b.outputFormats.join(', ')} | ${b.predictedAloneMs.toFixed(2)} ms |`,
  );
  return `# tandem bundle for NVIDIA Orin, TensorRT ${f.version}

Target profile: \`${f.target}\`. INT8 reaches the engines through ${f.quantization === 'calibration-cache' ? 'calibration caches (implicit quantization; the cache headers are written for this TensorRT version)' : 'typed Q/DQ models (strongly typed networks; no calibration cache, no --int8/--fp16)'}.

## What to run, in order

1. Copy this folder to the Orin. Set the power mode the numbers are for and lock the clocks:
   \`sudo nvpmodel -m 0 && sudo jetson_clocks\` (MAXN on Jetson AGX Orin).
2. \`bash build.sh\` — one trtexec build per stage (engines/); a stage that runs 100% on a DLA also gets a
   standalone DLA loadable (\`--buildDLAStandalone\`) for cuDLA.
3. \`bash bench.sh\` — every engine alone, then all of them at once (20 s); logs, \`--exportTimes\` and
   \`--exportProfile\` JSON go to results/.
4. Bring results/ back and run \`tandem import results/\` (add \`--refit\` to refit the latency model on
   your measurements; it writes a new parameter file).

## Stages

| stage | engine | precision | model | INT8 scales | I/O formats | modelled alone |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Predicted pipeline (modelled by tandem's latency model, not measured): ${report.pipeline.fps.toFixed(1)} fps,
${report.pipeline.latencyMs.toFixed(1)} ms per frame, power mode ${report.power}. manifest.json lists every file with its
sha256 and the modelled numbers per stage.

Flags used for TensorRT ${f.version}: ${f.sources.join('; ')}.
${f.quantization === 'typed-qdq' ? '\nStrongly typed INT8 stages: layers outside Q/DQ pairs keep the model\'s type (FP32 in a Q/DQ model); the DLA has no FP32, so give them FP16 types (e.g. ModelOpt AutoCast) if trtexec reports GPU fallback.\n' : ''}`;
}
