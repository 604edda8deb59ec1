/**
 * npm run bench:report -- <result folder> [runs]
 *
 * Builds the HTML report from a folder of tandem results (e.g. tandem-demo/ after `npm run demo`),
 * timing the build, then opens it in Debian's Chromium (headless, offline) several times and reports
 * when the page's script is done (the page is usable) and when the DOM is interactive, measured on
 * this machine: min and median. Goal: usable within 1 s. Needs /usr/bin/chromium.
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { writeReport } from '../src/report/index.js';

const dir = process.argv[2];
const runs = Number(process.argv[3] ?? 7);
if (dir === undefined || !existsSync(dir)) {
  process.stderr.write('usage: npm run bench:report -- <folder of tandem results, e.g. tandem-demo> [runs]\n');
  process.exit(2);
}
const out = join(mkdtempSync(join(tmpdir(), 'tandem-bench-report-')), 'report.html');
const build: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  writeReport([dir], out);
  build.push(performance.now() - t0);
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (xs: number[]): number => Math.min(...xs);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--proxy-server=127.0.0.1:9', '--host-resolver-rules=MAP * ~NOTFOUND'] });
const version = browser.version();
const ready: number[] = [];
const interactive: number[] = [];
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, offline: true });
  for (let i = 0; i < runs + 1; i++) {
    const page = await context.newPage();
    await page.goto(`file://${resolve(out)}`);
    await page.waitForSelector('html[data-ready]');
    const t = JSON.parse((await page.evaluate(`JSON.stringify({ ready: Number(document.documentElement.dataset.ready), interactive: performance.getEntriesByType('navigation')[0].domInteractive })`)) as string) as { ready: number; interactive: number };
    if (i > 0) {
      ready.push(t.ready);
      interactive.push(t.interactive);
    }
    await page.close();
  }
} finally {
  await browser.close();
}
const f = (x: number): string => `${x.toFixed(0)} ms`;
process.stdout.write(
  [
    `report of ${resolve(dir)}: ${(statSync(out).size / 1024).toFixed(0)} KiB (measured on this machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'})`,
    `build (read, validate, lay out, write): min ${f(min(build))}, median ${f(med(build))} over ${runs} runs`,
    `Chromium ${version} headless, offline, after one warm-up load, ${runs} loads:`,
    `  DOM interactive: min ${f(min(interactive))}, median ${f(med(interactive))}`,
    `  page script done (usable): min ${f(min(ready))}, median ${f(med(ready))} (goal: under 1000 ms)`,
    '',
  ].join('\n'),
);
