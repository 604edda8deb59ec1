import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync, readdirSync } from 'node:fs';
import { parseReferenceKey, referenceKeyModule } from '../../scripts/reference-key.js';
import { REFERENCE_KEY } from '../../src/targets/reference-key.js';
import { TARGETS, checkTable, explainReference, referenceTags, ruleTable, targetDocs } from '../../src/targets/index.js';
import { cli } from '../helpers/cli.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

describe('docs/targets: the support tables ship in the repo, generated from the rules', () => {
  it('src/targets/reference-key.ts is up to date with docs/dla-support-reference.md (npm run docs:targets)', () => {
    assert.equal(read('src/targets/reference-key.ts'), referenceKeyModule(parseReferenceKey(read('docs/dla-support-reference.md'))));
  });

  it('docs/targets/*.md are what the generator writes (npm run docs:targets)', () => {
    const docs = targetDocs();
    assert.deepEqual(readdirSync(new URL('docs/targets/', root)).sort(), Object.keys(docs).sort());
    for (const [file, text] of Object.entries(docs)) assert.equal(read(`docs/targets/${file}`), text, `docs/targets/${file} is stale: run npm run docs:targets`);
  });

  it('every reference a rule of any target cites is explained', () => {
    for (const p of TARGETS.values()) {
      const { op, graph } = checkTable(p);
      for (const r of [...ruleTable(p), ...op, ...graph]) {
        for (const { tag, text } of explainReference(r.ref)) assert.ok(text !== undefined, `${p.name} ${r.id}: reference ${JSON.stringify(tag)} (from ${JSON.stringify(r.ref)}) is not in the key`);
      }
    }
  });

  it('reads the tags out of a reference', () => {
    assert.deepEqual(referenceTags('L-RESIZE Z2, Z3'), ['L-RESIZE Z2', 'L-RESIZE Z3']);
    assert.deepEqual(referenceTags('MaxPool row (P86)'), ['MaxPool row', 'P86']);
    assert.deepEqual(referenceTags('2c RECON rows, 3'), ['2c', '3']);
    assert.deepEqual(referenceTags('L-CONV C9, G13'), ['L-CONV C9', 'G13']);
    assert.match(REFERENCE_KEY['G6']!, /^Static shapes: No dynamic dims on DLA/);
  });

  it('tandem targets <name> --markdown prints the page', async () => {
    const r = await cli('targets', 'xavier-dla', '--markdown');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, read('docs/targets/xavier-dla.md'));
  });
});
