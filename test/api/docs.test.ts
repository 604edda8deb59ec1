import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { publicDeclarations } from './public-declarations.js';

/**
 * Every declaration `'tandem'` exports carries a doc comment right above it; every field of an options
 * object is documented, and an optional one says its default (`@default`, also where the default is
 * "none"; callbacks and abort signals excepted); the main verbs carry an `@example` (the consumer test
 * typechecks each example against the built package).
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

const MAIN_VERBS = [
  'loadModel', 'saveModel', 'inspectModel', 'analyze', 'prepareModel', 'splitModel', 'quantize', 'convertToFloat16',
  'translateQdq', 'getEngine', 'planDeployment', 'openPipeline', 'benchPipeline', 'evaluate', 'writeReport', 'costModel',
];

const decls = publicDeclarations(SRC);

describe('public API documentation', () => {
  it('every exported declaration has a doc comment', () => {
    assert.deepEqual(decls.filter((d) => d.doc === undefined).map((d) => `${d.name} (${d.kind} in ${d.file})`), []);
  });

  it('every field of an exported options object is documented, optional ones with @default', () => {
    const problems: string[] = [];
    for (const d of decls.filter((x) => x.kind === 'interface' && /Options$/.test(x.name))) {
      for (const m of d.members) {
        if (m.doc === undefined) problems.push(`${d.name}.${m.name} (${d.file}): no doc comment`);
        else if (m.optional && !/^on[A-Z]|^signal$/.test(m.name) && !m.doc.includes('@default')) problems.push(`${d.name}.${m.name} (${d.file}): no @default`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('the main verbs have an @example', () => {
    const byName = new Map(decls.map((d) => [d.name, d]));
    assert.deepEqual(MAIN_VERBS.filter((v) => (byName.get(v)?.examples.length ?? 0) === 0), []);
  });
});
