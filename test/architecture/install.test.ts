import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

describe('install: npm 10 and 11 without downloads', () => {
  it('.npmrc tells npm 10 (Node 20\'s own npm) to skip onnxruntime-node\'s download, so `npm ci` alone works there', () => {
    assert.match(read('.npmrc'), /^onnxruntime-node-install=skip$/m);
    assert.match(read('README.md'), /Unknown project config/);
  });

  it('package.json allowScripts decides on every dependency with an install script (npm 11), denying onnxruntime-node\'s download', () => {
    const pkg = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    assert.ok(withScripts.includes('onnxruntime-node'));
    for (const name of withScripts) assert.equal(typeof pkg.allowScripts?.[name], 'boolean', `allowScripts has no entry for ${name}`);
    assert.equal(pkg.allowScripts?.['onnxruntime-node'], false);
  });

  it('CI (npm 10 or 11) tells onnxruntime-node\'s install script to skip, as README says', () => {
    assert.match(read('.ci/run'), /^export ONNXRUNTIME_NODE_INSTALL=skip$/m);
    assert.match(read('README.md'), /ONNXRUNTIME_NODE_INSTALL=skip/);
  });
});
