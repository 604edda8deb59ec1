#!/usr/bin/env node
/**
 * `npm run docs`: the API reference of 'tandem' (src/index.ts) as HTML in docs/api/, by typedoc.
 * typedoc 0.28 supports TypeScript up to 6.0 and tandem builds with TypeScript 7, so typedoc and its
 * own TypeScript 5.9 live in this folder (package.json + package-lock.json here), installed here with
 * `npm ci` on first use or when the pinned versions change; the root package never sees them.
 * TypeScript 5.9 reads tandem's sources with tandem's own tsconfig (see tsconfig.json here).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function installed(name) {
  const pkg = join(here, 'node_modules', name, 'package.json');
  return existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : undefined;
}

const wanted = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).devDependencies;
if (Object.entries(wanted).some(([name, version]) => installed(name) !== version)) {
  process.stderr.write(`docs: installing ${Object.entries(wanted).map(([n, v]) => `${n}@${v}`).join(', ')} into tools/docs/node_modules\n`);
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write('docs: npm ci in tools/docs failed; the API reference needs typedoc from the npm registry\n');
    process.exit(r.status ?? 1);
  }
}

const r = spawnSync(process.execPath, [join(here, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--options', join(here, 'typedoc.json'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
