import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The layers of DESIGN.md, bottom to top. A folder may import only from folders of a lower rank (and
 * itself); folders of equal rank do not see each other. cli/ is the only top; report/ reads results,
 * never live engines.
 */
const RANK: Readonly<Record<string, number>> = {
  util: 0,
  ir: 1,
  onnx: 2,
  io: 3,
  ops: 3,
  models: 4,
  inspect: 4,
  targets: 5,
  passes: 6,
  quant: 7,
  plan: 8,
  runtime: 9,
  eval: 10,
  report: 11,
  cli: 12,
};
const FORBIDDEN: readonly [string, string][] = [['report', 'runtime']];

const src = fileURLToPath(new URL('../../src/', import.meta.url));

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

function folderOf(path: string): string {
  const rel = relative(src, path);
  return rel.includes(sep) ? rel.split(sep)[0]! : '(root)';
}

describe('layering', () => {
  it('every import points down the layers', () => {
    const problems: string[] = [];
    for (const file of files(src)) {
      const from = folderOf(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = resolve(join(file, '..'), m[1]!);
        const to = folderOf(target);
        if (to === from) continue;
        const where = `${relative(src, file)} imports ${m[1]}`;
        if (from === '(root)') {
          if (to === 'cli') problems.push(`${where}: the public entry must not export the CLI`);
          continue;
        }
        if (RANK[from] === undefined) problems.push(`${where}: folder ${from}/ has no layer; add it to DESIGN's list and this test`);
        else if (RANK[to] === undefined || RANK[to]! >= RANK[from]!) problems.push(`${where}: ${from}/ may not depend on ${to}/`);
        if (FORBIDDEN.some(([a, b]) => a === from && b === to)) problems.push(`${where}: ${from}/ must not use ${to}/`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('nothing below cli/ writes to the terminal or exits the process', () => {
    const problems: string[] = [];
    for (const file of files(src)) {
      if (folderOf(file) === 'cli') continue;
      // Code only: doc comments may show a caller printing (`@example ... console.log(...)`).
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const pattern of [/console\.(log|error|warn|info)\(/, /process\.exit\(/, /process\.(stdout|stderr)\.write\(/]) {
        if (pattern.test(text)) problems.push(`${relative(src, file)}: ${pattern.source}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
