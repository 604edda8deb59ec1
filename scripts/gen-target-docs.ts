/**
 * `npm run docs:targets`: writes src/targets/reference-key.ts from docs/dla-support-reference.md, then
 * docs/targets/<target>.md for every target (what `tandem targets <target> --markdown` prints) and the
 * index docs/targets/README.md. test/targets/docs.test.ts fails when any of them is out of date.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseReferenceKey, referenceKeyModule } from './reference-key.js';

const root = new URL('..', import.meta.url).pathname;
const key = parseReferenceKey(readFileSync(join(root, 'docs', 'dla-support-reference.md'), 'utf8'));
writeFileSync(join(root, 'src', 'targets', 'reference-key.ts'), referenceKeyModule(key));
const { targetDocs } = await import('../src/targets/index.js');
mkdirSync(join(root, 'docs', 'targets'), { recursive: true });
for (const [file, text] of Object.entries(targetDocs())) writeFileSync(join(root, 'docs', 'targets', file), text);
console.log(`wrote src/targets/reference-key.ts (${Object.keys(key).length} tags) and docs/targets/ (${Object.keys(targetDocs()).length} files)`);
