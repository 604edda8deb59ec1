/**
 * Fuzz targets: each takes one input (bytes; for the CLI a JSON argv array) and reports an outcome of
 * one class — `ok`, `error` (a TandemError, with its code: the refusal tandem promises), `skipped`
 * (an input the target does not apply to), or `failure`: anything else (another exception, an internal
 * error exit, a multi-line user error, a write outside the output folder).
 */
import { cpSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { checkGraph } from '../../src/ir/check.js';
import { decodeNpy, decodeNpz } from '../../src/io/npy.js';
import { readStageFile } from '../../src/io/stage-file/index.js';
import { allTensors, decodeModel, encodeModel, loadModel } from '../../src/onnx/index.js';
import { readCalibrationCache } from '../../src/quant/calibration-cache.js';
import { isTandemError } from '../../src/util/errors.js';
import type { Sandbox, SeedKind } from './corpus.js';
import type { Format } from './mutate.js';

export type Outcome = { readonly class: 'ok' } | { readonly class: 'skipped' } | { readonly class: 'error'; readonly code: string } | { readonly class: 'failure'; readonly reason: string; readonly detail: string };

export interface FuzzTarget {
  readonly name: string;
  readonly kind: 'reader' | 'command';
  readonly format: Format;
  readonly seeds: SeedKind;
  run(input: Uint8Array): Promise<Outcome>;
}

const OK: Outcome = { class: 'ok' };

/** The class of what a call threw. */
export function classify(e: unknown): Outcome {
  if (isTandemError(e)) return { class: 'error', code: e.code };
  const err = e as Error;
  return { class: 'failure', reason: `${err?.name ?? typeof e}: ${String(err?.message ?? e).split('\n')[0]!.slice(0, 200)}`, detail: String(err?.stack ?? e) };
}

async function outcomeOf(f: () => unknown): Promise<Outcome> {
  try {
    await f();
    return OK;
  } catch (e) {
    return classify(e);
  }
}

/** Reads each tensor's data up to 1 MiB (lazy and external ones too), as a command that uses the weights would. */
function touchWeights(model: ReturnType<typeof loadModel>): void {
  for (const t of allTensors(model)) if (t.byteLength <= 1 << 20) void t.data;
}

function readerTargets(sb: Sandbox): FuzzTarget[] {
  const text = new TextDecoder();
  return [
    {
      name: 'onnx-decode',
      kind: 'reader',
      format: 'binary',
      seeds: 'onnx',
      run: (b) =>
        outcomeOf(() => {
          const m = decodeModel(b);
          checkGraph(m.graph);
          encodeModel(m);
        }),
    },
    {
      name: 'onnx-file',
      kind: 'reader',
      format: 'binary',
      seeds: 'onnx',
      // A model file next to external data files: loadModel (lazy), then every weight read.
      run: (b) =>
        outcomeOf(() => {
          const path = join(sb.corpusDir, 'fuzz-input.onnx');
          writeFileSync(path, b);
          touchWeights(loadModel(path, { weights: 'lazy' }));
        }),
    },
    { name: 'npy', kind: 'reader', format: 'binary', seeds: 'npy', run: (b) => outcomeOf(() => decodeNpy(b)) },
    { name: 'npz', kind: 'reader', format: 'binary', seeds: 'npz', run: (b) => outcomeOf(() => decodeNpz(b)) },
    { name: 'calibration-cache', kind: 'reader', format: 'lines', seeds: 'cache', run: (b) => outcomeOf(() => readCalibrationCache(text.decode(b))) },
    {
      name: 'stage-file',
      kind: 'reader',
      format: 'json',
      seeds: 'split',
      // split.json / plan.json next to real stage files: read and validated (stage models' inputs and outputs included).
      run: (b) =>
        outcomeOf(() => {
          const path = join(sb.splitDir, 'fuzz-stage.json');
          writeFileSync(path, b);
          readStageFile(path);
        }),
    },
  ];
}

interface Entry {
  readonly key: string;
  readonly dir: boolean;
}

/** Every file and folder under `root` with what identifies its content (size, mtime, inode). */
function snapshot(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      out.set(p, { key: `${st.size}:${st.mtimeMs}:${st.ino}:${st.mode}`, dir: st.isDirectory() });
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

const OUTPUT_FLAGS = ['-o', '--out'];

/** The output paths an argv names (resolved against `cwd`). */
function outputPaths(argv: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (OUTPUT_FLAGS.includes(a) && argv[i + 1] !== undefined) out.push(resolve(cwd, argv[i + 1]!));
    const eq = /^(--out|-o)=(.*)$/.exec(a);
    if (eq) out.push(resolve(cwd, eq[2]!));
    if (/^-o./.test(a) && !a.startsWith('-o=')) out.push(resolve(cwd, a.slice(2)));
  });
  return out;
}

/** A path that an output may touch: the output itself, anything under it, its temporary and staging names. */
function allowed(path: string, outputs: readonly string[]): boolean {
  return outputs.some((o) => {
    // The output itself, what is under it, and the folders made to hold it.
    if (path === o || path.startsWith(o + sep) || o.startsWith(path + sep)) return true;
    const dir = dirname(o);
    const rel = relative(dir, path);
    if (rel.startsWith('..') || rel.includes(sep)) return path.startsWith(dir + sep + `.${o.slice(dir.length + 1)}.tandem-tmp-`);
    const base = o.slice(dir.length + 1);
    return rel === `${base}.data` || rel.startsWith(`${base}.tmp-`) || rel.startsWith(`${base}.data.tmp-`) || rel.startsWith(`.${base}.tandem-tmp-`);
  });
}

/** Paths with more `..` segments than the sandbox is deep, and absolute paths, would leave it. */
function leavesSandbox(arg: string): boolean {
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg;
  return value.startsWith('/') || value.startsWith('~') || value.split(/[\\/]/).filter((s) => s === '..').length > 2;
}

/**
 * The CLI target: an argv array (JSON) run in the sandbox's CLI folder. Exit 0 is ok; exit 2 with one
 * line ending in `[CODE]` (or commander's flag error) is an error of that code; anything else fails, as
 * does any change under the sandbox outside the output paths the argv names. The sandbox is restored
 * after every run.
 */
function cliTarget(sb: Sandbox): FuzzTarget {
  // Watched: two levels above the CLI's folder, as far as the `..` an argv may hold reaches.
  const watched = resolve(sb.cliDir, '..', '..');
  const pristine = join(sb.root, 'pristine');
  cpSync(watched, pristine, { recursive: true, verbatimSymlinks: true, filter: (src) => !lstatSync(src).isFIFO() });
  let before: ReturnType<typeof snapshot>;
  return {
    name: 'cli',
    kind: 'command',
    format: 'json',
    seeds: 'cli',
    async run(b) {
      let argv: string[];
      try {
        const doc = JSON.parse(new TextDecoder().decode(b)) as unknown;
        if (!Array.isArray(doc) || doc.length === 0) return { class: 'skipped' };
        argv = doc.map((x) => (typeof x === 'string' ? x : JSON.stringify(x) ?? 'null'));
      } catch {
        return { class: 'skipped' };
      }
      // The demo writes a whole tandem-demo folder for minutes; paths that leave the sandbox are never run.
      if (argv[0] === 'demo' || argv.some(leavesSandbox)) return { class: 'skipped' };
      // Other targets write their scratch files into the same sandbox: compare against now, not the last run.
      before = snapshot(watched);
      let stderr = '';
      // Paths resolve against the CLI's folder (the long runner's worker threads cannot chdir: it is set for them).
      const here = process.cwd();
      const move = here !== sb.cliDir;
      if (move) process.chdir(sb.cliDir);
      let code: number;
      try {
        code = await runCli(argv, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s), isTTY: false } });
      } finally {
        if (move) process.chdir(here);
      }
      const outputs = outputPaths(argv, sb.cliDir);
      const after = snapshot(watched);
      const outside: string[] = [];
      for (const [p, e] of after) if (!allowed(p, outputs) && before.get(p)?.key !== e.key && !(e.dir && before.get(p)?.dir)) outside.push(relative(sb.cliDir, p));
      for (const p of before.keys()) if (!after.has(p) && !allowed(p, outputs)) outside.push(`${relative(sb.cliDir, p)} (removed)`);
      restore(watched, pristine, before, after);
      if (outside.length > 0) return { class: 'failure', reason: `wrote outside the output paths: ${outside.slice(0, 3).join(', ')}`, detail: `argv: ${JSON.stringify(argv)}\n${stderr}` };
      if (code === 0) return OK;
      const lines = stderr.trimEnd().split('\n');
      // A TandemError: "tandem: ..." ending in [CODE] (a stage file's problems may take a line each).
      const m = /\[([A-Z_]+)\]$/.exec(lines.at(-1)!);
      if (code === 2 && m && lines[0]!.startsWith('tandem: ')) return { class: 'error', code: m[1]! };
      // A flag error: one line.
      if (code === 2 && lines.length === 1 && /\(add --help for usage\)$/.test(lines[0]!)) return { class: 'error', code: 'FLAG' };
      return { class: 'failure', reason: code === 2 ? 'a user error that is not one tandem line with a code' : `exit ${code}: ${lines[0]?.slice(0, 160) ?? ''}`, detail: `argv: ${JSON.stringify(argv)}\n${stderr}` };
    },
  };
}

/** Puts the sandbox back: new entries removed, changed or removed ones copied back from the pristine copy. */
function restore(dir: string, pristine: string, before: Map<string, Entry>, after: Map<string, Entry>): boolean {
  let changed = false;
  for (const [p] of after) if (!before.has(p)) rmSync(p, { recursive: true, force: true });
  for (const [p, e] of before) {
    const now = after.get(p);
    if (now !== undefined && (now.key === e.key || e.dir)) continue;
    const src = join(pristine, relative(dir, p));
    changed = true;
    mkdirSync(dirname(p), { recursive: true });
    rmSync(p, { recursive: true, force: true });
    try {
      cpSync(src, p, { recursive: true, verbatimSymlinks: true });
    } catch {
      // a FIFO: not copied, and tandem never changes one
    }
  }
  return changed;
}

/** Every target over a sandbox. */
export function makeTargets(sb: Sandbox): FuzzTarget[] {
  return [...readerTargets(sb), cliTarget(sb)];
}
