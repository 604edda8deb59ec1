/**
 * Prints the latency model's error per published row with the shipped Orin parameters
 * (src/plan/cost/orin-params.json): predicted (modelled) vs published, and the rms log error.
 * Run: npm run build && npm run bench:orin-fit. Numbers are modelled, not measured.
 */
import { ORIN_PARAMS } from '../src/plan/cost/index.js';
import { PUBLISHED_ROWS } from '../src/plan/cost/published.js';

const t0 = performance.now();
let sq = 0;
console.log('row                                      published        modelled   error   (all predictions modelled; published = measured by NVIDIA)');
for (const row of PUBLISHED_ROWS) {
  const p = row.predict(ORIN_PARAMS);
  const err = (100 * (p - row.value)) / row.value;
  sq += Math.log(p / row.value) ** 2;
  console.log(`${row.id.padEnd(40)} ${row.value.toFixed(2).padStart(9)} ${row.unit.padEnd(3)}  ${p.toFixed(2).padStart(9)} ${row.unit.padEnd(3)}  ${err >= 0 ? '+' : ''}${err.toFixed(1)}%`);
}
console.log(`rms log error ${Math.sqrt(sq / PUBLISHED_ROWS.length).toFixed(3)} over ${PUBLISHED_ROWS.length} rows (${ORIN_PARAMS.fit.method}); ${(performance.now() - t0).toFixed(0)} ms`);
