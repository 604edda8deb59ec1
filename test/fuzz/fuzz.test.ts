/**
 * The fuzz suite, seeded and small enough for every `npm test`: each reader and the CLI get a few
 * hundred mutated inputs (the CLI a few dozen argvs). Any outcome other than ok, skipped or a
 * TandemError fails, with fast-check's seed and counterexample in the message and the input saved
 * under fuzz-failures/. FUZZ_SEED and FUZZ_RUNS (a multiplier) change the budget; `npm run fuzz`
 * runs the same targets for minutes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { cliArbitrary, mutantArbitrary } from '../../bench/fuzz/arbitraries.js';
import { buildSandbox, type Sandbox } from '../../bench/fuzz/corpus.js';
import { makeTargets, type FuzzTarget } from '../../bench/fuzz/targets.js';
import { tempDir } from '../helpers/fixtures.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
/** Runs per target: the whole suite stays within ~20 s on a 2-core machine. */
const RUNS: Readonly<Record<string, number>> = { 'onnx-decode': 400, 'onnx-file': 150, npy: 400, npz: 300, 'calibration-cache': 400, 'stage-file': 60, cli: 14 };

const tmp = tempDir('tandem-fuzz-');
let sandbox: Sandbox;
let targets: FuzzTarget[];
before(async () => {
  sandbox = await buildSandbox(tmp.dir);
  targets = makeTargets(sandbox);
});
after(tmp.cleanup);

function saveReproducer(target: string, input: Uint8Array, reason: string): string {
  const dir = join(process.cwd(), 'fuzz-failures');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${target}-${createHash('sha1').update(input).digest('hex').slice(0, 12)}`);
  writeFileSync(`${file}.bin`, input);
  writeFileSync(`${file}.txt`, `${reason}\n`);
  return `${file}.bin`;
}

describe(`fuzz (seed ${SEED})`, () => {
  for (const name of Object.keys(RUNS)) {
    it(`${name}: every outcome is ok or a TandemError`, async () => {
      const target = targets.find((t) => t.name === name)!;
      const seeds = sandbox.seeds[target.seeds];
      const inputs = target.kind === 'command' ? cliArbitrary(seeds) : mutantArbitrary(seeds, target.format);
      let failure = '';
      try {
        await fc.assert(
          fc.asyncProperty(inputs, async (input) => {
            const outcome = await target.run(input);
            if (outcome.class === 'failure') {
              const file = saveReproducer(name, input, `${outcome.reason}\n${outcome.detail}`);
              failure = `${name}: ${outcome.reason} (input saved to ${file})\n${outcome.detail}`;
              throw new Error(failure);
            }
          }),
          { seed: SEED, numRuns: Math.max(1, Math.round(RUNS[name]! * SCALE)), endOnFailure: true },
        );
      } catch (e) {
        // fast-check's message carries the seed and the counterexample; add what went wrong.
        throw new Error(`${(e as Error).message}\n${failure}`);
      }
    });
  }
});
