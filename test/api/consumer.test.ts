import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/fixtures.js';
import { publicDeclarations } from './public-declarations.js';

/**
 * The package as a user installs it: tandem's declarations and JavaScript emitted by the project's own
 * `tsc` (TypeScript 7, the native compiler) into `<tmp>/node_modules/tandem/dist`, next to a copy of
 * package.json (so its "exports" map decides what resolves), and a consumer project beside it that
 * imports only from 'tandem'. The consumer is typechecked with `strict` and `skipLibCheck: false` (so
 * every .d.ts it reaches, tandem's and its dependencies', is checked) and then run.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

const CONSUMER = `import { analyze, buildMultitask, getEngine, isTandemError, splitModel, Tensor, type Analysis, type Session } from 'tandem';

const model = buildMultitask({ height: 64, width: 128 });
const analysis: Analysis = analyze(model, { target: 'orin-dla' });
const split = splitModel(model, { auto: true });
const backbone = split.stages.find((s) => s.kind === 'backbone');
if (backbone === undefined) throw new Error('no backbone stage');
const input = backbone.inputs[0]!;
const type = backbone.model.graph.tensorType(input);
const dims = (type?.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
const image = new Tensor('float32', dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5));
const session: Session = await getEngine('cpu').open(backbone.model);
try {
  const outputs = await session.run({ [input]: image });
  const shapes = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, t.dims]));
  const finite = Object.values(outputs).every((t) => Array.from(t.data as Float32Array).every(Number.isFinite));
  let code = '';
  try { getEngine('no-such-engine'); } catch (e) { if (isTandemError(e)) code = e.code; }
  console.log(JSON.stringify({ nodes: analysis.summary.nodes.total, stages: split.stages.map((s) => s.name), cut: split.cut, shapes, finite, code }));
} finally {
  await session.close();
}
`;

/** What a consumer must not reach: internals by name, and files behind the "exports" map. */
const FORBIDDEN = `import { assert, writeFileAtomic } from 'tandem';
import { toOrtTensor } from 'tandem/dist/src/runtime/engines/convert.js';
export { assert, writeFileAtomic, toOrtTensor };
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    outDir: 'out',
  },
  include: ['consumer.ts', 'forbidden.ts', 'examples/*.ts'],
};

let dir = '';
let exampleCount = 0;
let typecheck = '';
let cleanup = (): void => {};

describe('the published package, as a strict TypeScript consumer meets it', () => {
  before(() => {
    ({ dir, cleanup } = tempDir('tandem-consumer-'));
    const pkg = join(dir, 'node_modules', 'tandem');
    mkdirSync(pkg, { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    // tandem's own dependencies (onnxruntime-node, zod, ...) and the consumer's @types/node
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    symlinkSync(join(ROOT, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');
    // the build's settings (stripInternal included), for src/ only: bench/ is not published
    const build = { extends: join(ROOT, 'tsconfig.build.json'), compilerOptions: { rootDir: ROOT, outDir: join(pkg, 'dist'), sourceMap: false }, include: [join(ROOT, 'src')], exclude: [join(ROOT, 'src', 'report', 'page')] };
    writeFileSync(join(dir, 'tsconfig.build.json'), JSON.stringify(build));
    execFileSync(TSC, ['-p', join(dir, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER);
    writeFileSync(join(dir, 'forbidden.ts'), FORBIDDEN);
    // every @example of the public declarations, typechecked (not run) with every public name in scope
    const decls = publicDeclarations(join(ROOT, 'src'));
    const names = decls.map((d) => (d.kind === 'type' || d.kind === 'interface' ? `type ${d.name}` : d.name));
    mkdirSync(join(dir, 'examples'));
    for (const d of decls) {
      d.examples.forEach((code, i) => {
        writeFileSync(join(dir, 'examples', `${d.name}-${i}.ts`), `import { ${names.join(', ')} } from 'tandem';\n${code}\nexport {};\n`);
      });
    }
    exampleCount = decls.reduce((n, d) => n + d.examples.length, 0);
    // and the examples users meet first: the package's own doc comment and README's Library section
    const fence = (text: string): string => /```ts\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    const packageDoc = fence(readFileSync(join(ROOT, 'src', 'index.ts'), 'utf8').split('@packageDocumentation')[0]!.replace(/^ \* ?/gm, ''));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const library = fence(readme.slice(readme.indexOf('## Library')));
    assert.ok(packageDoc.includes("from 'tandem'") && library.includes("from 'tandem'"), 'the package doc and README each show an example importing from tandem');
    writeFileSync(join(dir, 'examples', 'package-doc.ts'), packageDoc);
    writeFileSync(join(dir, 'examples', 'readme-library.ts'), library);
    // one tsc run: typechecks everything and emits out/consumer.js (tsc emits despite forbidden.ts's errors)
    const r = spawnSync(TSC, ['-p', dir], { cwd: dir, encoding: 'utf8' });
    typecheck = `${r.stdout}${r.stderr}`;
  });
  after(() => cleanup());

  it('typechecks with strict and skipLibCheck false (every @example too): the only errors are the internals it must not reach', () => {
    assert.ok(exampleCount >= 16, `${exampleCount} @example blocks found`);
    const errors = typecheck.split('\n').filter((l) => l.includes('error TS')).map((l) => l.replace(/\(\d+,\d+\)/, ''));
    assert.deepEqual(errors, [
      `forbidden.ts: error TS2305: Module '"tandem"' has no exported member 'assert'.`,
      `forbidden.ts: error TS2305: Module '"tandem"' has no exported member 'writeFileAtomic'.`,
      `forbidden.ts: error TS2307: Cannot find module 'tandem/dist/src/runtime/engines/convert.js' or its corresponding type declarations.`,
    ]);
  });

  it('runs: loads a builder model, analyzes, splits and runs the backbone on the cpu engine', () => {
    const out = execFileSync(process.execPath, [join(dir, 'out', 'consumer.js')], { cwd: dir, encoding: 'utf8' });
    const result = JSON.parse(out) as { nodes: number; stages: string[]; cut: string[]; shapes: Record<string, number[]>; finite: boolean; code: string };
    assert.ok(result.nodes > 100, `analysis saw ${result.nodes} nodes`);
    assert.deepEqual(result.stages.slice().sort(), ['backbone', 'head-depth', 'head-segmentation']);
    assert.deepEqual(Object.keys(result.shapes).sort(), result.cut.slice().sort());
    assert.deepEqual(result.shapes['c1'], [1, 32, 16, 32]);
    assert.equal(result.finite, true);
    assert.equal(result.code, 'UNKNOWN_NAME');
  });
});
