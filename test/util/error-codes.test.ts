import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ERROR_DOCS, errorDocs, parseErrorCodes } from '../../scripts/gen-error-docs.js';
import { assert as invariant, isTandemError, TandemError, type ErrorCode } from '../../src/util/errors.js';

/** The error codes: one documented table, in sync with the ErrorCode union; internal invariants through assert. */

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('error codes', () => {
  it('docs/errors.md is generated from src/util/errors.ts and current (npm run gen:error-docs)', () => {
    assert.equal(readFileSync(ERROR_DOCS, 'utf8'), errorDocs());
  });

  it('every code has one line of meaning, and no code is listed twice', () => {
    const codes = parseErrorCodes(readFileSync(join(root, 'src/util/errors.ts'), 'utf8'));
    assert.ok(codes.length >= 30);
    assert.equal(new Set(codes.map((c) => c.code)).size, codes.length);
    for (const c of ['USAGE', 'SESSION_CLOSED', 'RUN_IN_PROGRESS', 'DYNAMIC_SHAPE', 'PLAN_TARGET', 'MODEL_UNSUITABLE', 'MODEL_METADATA'] satisfies ErrorCode[]) {
      assert.ok(codes.some((d) => d.code === c), c);
    }
    assert.match(codes.find((c) => c.code === 'USAGE')!.meaning, /flags or option values/);
  });

  it('the parser refuses a code without a meaning', () => {
    assert.throws(() => parseErrorCodes("export type ErrorCode =\n  | 'A' // a\n  | 'B';\n"), /B has no comment/);
    assert.deepEqual(parseErrorCodes("export type ErrorCode =\n  | 'A' // a\n  | 'B'; // b\n"), [
      { code: 'A', meaning: 'a' },
      { code: 'B', meaning: 'b' },
    ]);
  });

  it('README links the table', () => {
    assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /\]\(docs\/errors\.md\)/);
  });

  it('internal invariants go through assert: no hand-written "tandem internal error" outside util/errors.ts', () => {
    const offenders = sources(join(root, 'src'))
      .filter((f) => !f.endsWith(join('util', 'errors.ts')))
      .filter((f) => readFileSync(f, 'utf8').includes('tandem internal error'));
    assert.deepEqual(offenders, []);
  });

  it('assert throws an internal error (not a TandemError), building a lazy message only on failure', () => {
    let built = 0;
    invariant(true, () => `never ${++built}`);
    assert.equal(built, 0);
    assert.throws(
      () => invariant(false, () => `broken ${++built}`),
      (e) => e instanceof Error && !(e instanceof TandemError) && !isTandemError(e) && e.message === 'tandem internal error: broken 1',
    );
  });
});
