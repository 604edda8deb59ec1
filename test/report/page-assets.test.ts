import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { generatePageAssets } from '../../scripts/build-report-page.js';

describe('report page assets', () => {
  it('page-assets.ts is compiled from the current page/app.ts and style.css (else: npm run build:report-page)', () => {
    const current = readFileSync(new URL('../../src/report/page-assets.ts', import.meta.url), 'utf8');
    assert.ok(current === generatePageAssets(), 'src/report/page-assets.ts is out of date with src/report/page/: run npm run build:report-page');
  });
});
