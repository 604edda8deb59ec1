import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { REPORT_SECTIONS, loadReportInputs, timelineData } from '../../src/report/index.js';
import { cli } from '../helpers/cli.js';
import { addFormatFixtures, makeResults } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of each section land here (git-ignored) for people to look at. */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/report/', import.meta.url));

let dir = '';
let html = '';
let reportPath = '';

/** Pattern checks on the page that print the pattern, not the 400 kB page, when they fail. */
function has(pattern: RegExp): void {
  assert.ok(pattern.test(html), `the report has no match for ${pattern}`);
}
function hasNot(pattern: RegExp): void {
  assert.ok(!pattern.test(html), `the report matches ${pattern}`);
}

before(async () => {
  dir = await makeResults();
  await addFormatFixtures(dir);
  reportPath = join(dir, 'report.html');
  const r = await cli('report', dir, '-o', reportPath);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sections {3}Summary, Placement, Coverage, Plan, Bench, Timeline, INT8, Pictures, Export/);
  html = readFileSync(reportPath, 'utf8');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('report from real tandem results of the small multi-task model', () => {
  it('has every section with data, none marked missing', () => {
    for (const [id] of REPORT_SECTIONS) has(new RegExp(`<section id="${id}"`));
    hasNot(/class="missing"/);
  });

  it('is self-contained: no external URL, script or style; pictures as data URIs', () => {
    hasNot(/(src|href)="(https?:)?\/\//);
    hasNot(/<link /);
    hasNot(/<script src/);
    assert.equal((html.match(/<img [^>]*src="data:image\/png;base64,/g) ?? []).length, 4);
    assert.ok(statSync(reportPath).size < 5 * 2 ** 20);
  });

  it('draws each node of the analysis with its verdict, and the crossings with size and format', () => {
    const inputs = loadReportInputs([join(dir, 'analysis.json')]);
    const a = inputs.analyses[0]!.data;
    const drawn = a.nodes.filter((n) => n.placement !== 'build');
    const data = JSON.parse(/<script type="application\/json" id="graph-0-data">(.*?)<\/script>/s.exec(html)![1]!) as { nodes: { name: string; rule?: string }[]; groups: number[][] };
    assert.equal(data.nodes.length, drawn.length);
    assert.deepEqual(data.groups.flat().sort((x, y) => x - y), drawn.map((_, i) => i));
    assert.ok(data.groups.length < drawn.length, 'linear chains are collapsed');
    const fallback = drawn.find((n) => n.placement === 'fallback')!;
    assert.equal(data.nodes.find((n) => n.name === fallback.name)?.rule, fallback.rule);
    has(/class="xtag"/);
    has(/int8:chw32/);
  });

  it('shows the predicted numbers and the placement search as modelled', () => {
    has(/cost\.json: predicted for Jetson AGX Orin 64GB, maxn, batch 1 <span class="badge modelled"/);
    has(/search\.json: placement search <span class="badge modelled"/);
    has(/chosen by the search<\/td><td class="num"><b>36\.0<\/b>/);
    has(/measured on the target, TensorRT 8\.6 <span class="badge measured"[^>]*>measured<\/span> beside <span class="badge modelled">/);
  });

  it('shows eval beside its reference, and the layers kept in FP16 with their sensitivity ranking', () => {
    has(/eval\/eval\.json: eval of plan\.json on synthetic:7,16, 16 frames/);
    has(/<td>segmentation\.mIoU<\/td><td class="num">61\.2<\/td><td class="num">61\.6<\/td>/);
    has(/head-depth: absrel FP32 0\.1160 → full INT8 0\.1210 \(loss 0\.0430\) → 1 tensor kept in FP16: 0\.1170 \(loss 0\.00900\) — within the budget, 3 bisection steps/);
    has(/--layerPrecisions=\/depth_head\/up3\/Conv:fp16/);
  });

  it('shows bench --profile: where each stage\'s frame goes per op type, GPU time where the engine has timestamps', () => {
    has(/where the frame goes: backbone alone on webgpu \(onnxruntime's profiler, 20 frames; [^)]*\)/);
    has(/GPU busy 7\.10? ms per frame in 283 dispatches/);
    has(/<td>Transpose<\/td><td class="num">1\.06 ms<\/td><td class="num">14\.9%<\/td>/);
    has(/where the frame goes: head-depth alone on cpu/);
    has(/<td>Conv<\/td><td class="num">8(\.00?)? ms<\/td><td class="num">80\.0%<\/td>/);
  });

  it('gives the timeline one track per stream, with queue waits', () => {
    const inputs = loadReportInputs([join(dir, 'trace.json')]);
    const { data } = timelineData(inputs.traces[0]!.data);
    assert.deepEqual(data.tracks, ['stream webgpu', 'stream cpu', 'stream dla-emulated']);
    assert.equal(data.slices.filter((s) => s[4] === 1).length, 16);
    assert.equal(data.flows.length, 16);
  });

  it('refuses to write over an input', async () => {
    const r = await cli('report', join(dir, 'analysis.json'), '-o', join(dir, 'analysis.json'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /never writes over its input/);
  });
});

describe('report in a real browser (Chromium, network blocked)', () => {
  const have = existsSync(CHROMIUM);
  let browser: import('playwright-core').Browser | undefined;
  after(async () => browser?.close());

  it('opens with no console error and no network request; every section present; a click shows a verdict; one track per stream', { skip: have ? false : `no ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)` }, async (t) => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>', '--host-resolver-rules=MAP * ~NOTFOUND'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, offline: true });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) requests.push(r.url());
    });
    const t0 = Date.now();
    await page.goto(`file://${reportPath}`);
    await page.waitForSelector('html[data-ready]', { timeout: 10_000 });
    const ready = await page.evaluate('document.documentElement.dataset.ready');
    t.diagnostic(`page script done ${ready} ms after navigation start (${Date.now() - t0} ms wall incl. browser) for ${(statSync(reportPath).size / 1024).toFixed(0)} KiB`);
    // The sticky header would cover the top of each section's screenshot.
    await page.addStyleTag({ content: 'header { position: static !important; }' });

    for (const [id] of REPORT_SECTIONS) assert.equal(await page.locator(`section#${id}`).count(), 1, id);
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const [id] of REPORT_SECTIONS) {
      const s = page.locator(`section#${id}`);
      await s.scrollIntoViewIfNeeded();
      await s.screenshot({ path: join(ARTIFACTS, `${id}.png`) });
    }

    const node = page.locator('svg.graph g.node.gpu').first();
    await node.scrollIntoViewIfNeeded();
    await node.click();
    const details = page.locator('#details-0');
    await assert.doesNotReject(details.locator('.verdict.fallback').first().waitFor({ timeout: 2000 }));
    const text = await details.innerText();
    assert.match(text, /falls back to the GPU/);
    assert.match(text, /rule/);
    await page.locator('.graph-wrap').first().screenshot({ path: join(ARTIFACTS, 'placement-verdict.png') });
    await page.locator('.zoom-bar[data-for="graph-0"] button[data-zoom="fit"]').click();
    await page.locator('.graph-wrap').first().screenshot({ path: join(ARTIFACTS, 'placement-overview.png') });

    assert.equal(await page.locator('#timeline-0 g.track').count(), 3);
    const timeline = page.locator('#timeline-0');
    await timeline.scrollIntoViewIfNeeded();
    const box = (await timeline.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.wheel(0, -600);
    await page.waitForTimeout(100);
    await timeline.screenshot({ path: join(ARTIFACTS, 'timeline-zoomed.png') });
    assert.equal(await page.locator('#timeline-0 g.track').count(), 3);

    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  });
});
