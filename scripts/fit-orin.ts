/**
 * Refits the fitted parameters of src/plan/cost/orin-params.json on the published rows
 * (src/plan/cost/published.ts) and rewrites the file with the new values and the per-row errors.
 * Run: npm run fit:orin. Then bench:orin-fit prints the table for BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ORIN_PARAMS } from '../src/plan/cost/index.js';
import { fitLatencyParams } from '../src/plan/cost/fit.js';
import { PUBLISHED_ROWS } from '../src/plan/cost/published.js';

const out = fileURLToPath(new URL('../src/plan/cost/orin-params.json', import.meta.url));
const t0 = Date.now();
const r = fitLatencyParams(ORIN_PARAMS, PUBLISHED_ROWS, { on: 'published' });
writeFileSync(out, `${JSON.stringify(r.params, null, 2)}\n`);
for (const row of r.rows) console.log(`${row.id.padEnd(40)} published ${String(row.published).padStart(9)} ${row.unit.padEnd(3)} modelled ${row.predicted.toPrecision(4).padStart(9)}  ${row.errorPct >= 0 ? '+' : ''}${row.errorPct.toFixed(1)}%`);
console.log(`rms log error ${r.rmsLogError.toFixed(3)} after ${r.iterations} iterations, ${Date.now() - t0} ms`);
for (const [n, e] of Object.entries(r.params.parameters)) if (e.fit) console.log(`  ${n} = ${e.value} ${e.unit}`);
