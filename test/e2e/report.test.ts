// report.html in a real browser (Debian's chromium, driven by playwright-core): a small experiment
// with learning curves, run through the command line, opened from disk as a reader would. The page
// loads offline without errors, fits a laptop and a phone without sideways scrolling, hides an agent
// from a legend entry and shows a tooltip on hover. `npm run test:e2e`; chromium is required (the
// test fails, never skips, without it: .ci/run installs it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'slatelab-e2e-'));

/** Small experiments, seconds each: bandits with learning curves, and the feed (daily charts, wide tables). */
const EXPERIMENTS = {
  // Three bandits that learn much the same (their lines lie on one another), a linear one and random.
  bandits: [
    'name: e2e-bandits',
    'world: { preset: bandit, params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } }',
    'seeds: 3',
    'agents:',
    '  - { name: random, kind: random }',
    '  - { name: eps, kind: epsilon-greedy }',
    '  - { name: ucb, kind: ucb1 }',
    '  - { name: ts, kind: thompson }',
    '  - { name: lin, kind: linucb }',
    'baseline: eps',
    'training: { steps: 3000, batchSize: 16, evalEvery: 1000, evalEpisodes: 20 }',
    'evaluation: { episodes: 100 }',
  ],
  feed: [
    'name: e2e-feed',
    'world: { preset: feed, params: { horizonDays: 5 } }',
    'seeds: 2',
    'agents:',
    '  - { name: random, kind: random }',
    '  - { name: popular, kind: popular }',
    '  - { name: oracle-quality, kind: oracle-quality }',
    'evaluation: { episodes: 20 }',
  ],
};
type Experiment = keyof typeof EXPERIMENTS;
const reportOf = (name: Experiment) => join(scratch, name, 'report.html');

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: these tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it)`,
    );
  }
  for (const [name, lines] of Object.entries(EXPERIMENTS)) {
    const config = join(scratch, `${name}.yaml`);
    writeFileSync(config, `${lines.join('\n')}\n`);
    const args = [join(root, 'bin/slatelab.js'), 'run', config, '--out', join(scratch, name)];
    const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 180_000 });
    expect(run.status, run.stderr).toBe(0);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
});

/** report.html in a fresh context at this size, with everything the page logs or asks for. */
async function open(
  name: Experiment,
  width: number,
  height: number,
  phone = false,
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height }, isMobile: phone, hasTouch: phone });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) problems.push(`request: ${request.url()}`);
  });
  await page.goto(pathToFileURL(reportOf(name)).href);
  // Every chart drawn (vega renders after load).
  await page.waitForFunction(() =>
    [...document.querySelectorAll('figure[data-chart] .chart')].every((box) => box.querySelector('svg')),
  );
  return { page, problems };
}

const overflow = (page: Page) =>
  page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));

describe('report.html in chromium', () => {
  it('is one offline file under 1 MB', () => {
    for (const name of Object.keys(EXPERIMENTS) as Experiment[])
      expect(statSync(reportOf(name)).size).toBeLessThan(1_000_000);
    expect(readFileSync(reportOf('bandits'), 'utf8')).toContain('Paired differences against eps');
  });

  for (const name of Object.keys(EXPERIMENTS) as Experiment[]) {
    it(`${name}: loads with no console error nor request beyond the file, and fits 1280 x 800`, async () => {
      const { page, problems } = await open(name, 1280, 800);
      expect(await page.locator('figure[data-chart]').count()).toBeGreaterThanOrEqual(3);
      const { scroll, client } = await overflow(page);
      expect(client).toBe(1280);
      expect(scroll).toBeLessThanOrEqual(client);
      expect(problems).toEqual([]);
      await page.context().close();
    });

    it(`${name}: fits a 390 x 844 phone, laid out at its width, wide tables scrolling in their own box`, async () => {
      const { page, problems } = await open(name, 390, 844, true);
      const { scroll, client } = await overflow(page);
      expect(client).toBe(390);
      expect(scroll).toBeLessThanOrEqual(client);
      // The results table is wider than the phone: its box scrolls, the page does not.
      const table = await page
        .locator('.scroll')
        .first()
        .evaluate((box) => ({ scroll: box.scrollWidth, client: box.clientWidth }));
      expect(table.scroll).toBeGreaterThan(table.client);
      // The charts fit too.
      const rights = await page
        .locator('figure[data-chart] svg.marks')
        .evaluateAll((svgs) => svgs.map((svg) => svg.getBoundingClientRect().right));
      expect(rights.length).toBeGreaterThanOrEqual(3);
      for (const right of rights) expect(right).toBeLessThanOrEqual(390);
      // Names in the tables stay whole (a name broken a few letters a line is unreadable): each of
      // the agents' table's first cells is one line.
      const lines = await page.locator('table.text td:first-child').evaluateAll((cells) =>
        cells.map((cell) => {
          const range = document.createRange();
          range.selectNodeContents(cell);
          return range.getClientRects().length;
        }),
      );
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.filter((count) => count !== 1)).toEqual([]);
      expect(problems).toEqual([]);
      await page.context().close();
    });
  }

  it('feed: its metric tables (results, run metrics and the paired differences of both) show every column at 1280 x 800, none behind a scroll', async () => {
    const { page } = await open('feed', 1280, 800);
    // The feed's twelve episode metrics come in two tables of six (at most nine metrics a table).
    const boxes = await page.locator('.scroll').evaluateAll((all) =>
      all
        .map((box) => ({
          label: box.getAttribute('aria-label') ?? '',
          scroll: box.scrollWidth,
          client: box.clientWidth,
        }))
        .filter((box) => /^(results by agent|run metrics by agent|paired differences)/.test(box.label)),
    );
    expect(boxes.map((box) => box.label)).toEqual([
      'results by agent (1 of 2)',
      'results by agent (2 of 2)',
      'run metrics by agent',
      'paired differences against random (1 of 2)',
      'paired differences against random (2 of 2)',
      'paired differences of the run metrics against random',
    ]);
    for (const box of boxes) expect(box.scroll, box.label).toBeLessThanOrEqual(box.client);
    await page.context().close();
  });

  it('hides an agent from every chart when its legend entry is clicked, and shows it again', async () => {
    const { page, problems } = await open('bandits', 1280, 800);
    const lines = page.locator('#learning-return .mark-line path');
    const before = await lines.count();
    expect(before).toBe(5);
    const entry = page.locator('#learning-return .legend button', { hasText: 'ucb' });
    await entry.click();
    await expect.poll(() => lines.count()).toBe(before - 1);
    expect(await entry.getAttribute('aria-pressed')).toBe('false');
    // The same agent in the other line charts, and its point in the comparisons.
    expect(await page.locator('#online-regret .legend button', { hasText: 'ucb' }).getAttribute('aria-pressed')).toBe(
      'false',
    );
    await expect.poll(() => page.locator('#compare-return .mark-symbol path').count()).toBe(4);
    await entry.click();
    await expect.poll(() => lines.count()).toBe(before);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a tooltip with the agent, mean, interval and seeds on hover', async () => {
    const { page, problems } = await open('bandits', 1280, 800);
    const tooltip = page.locator('.tooltip');
    expect(await tooltip.isVisible()).toBe(false);
    const point = page.locator('#learning-return .mark-symbol path').nth(3);
    await point.scrollIntoViewIfNeeded();
    // Hovered again at each poll (off the point, then on it): on a loaded machine the first move can
    // arrive before the chart listens, and a tooltip shows on a pointer move, not on a pointer at rest.
    await expect
      .poll(
        async () => {
          const box = (await point.boundingBox())!;
          await page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2 + 20);
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
          return tooltip.isVisible();
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    // biome-ignore lint/performance/useDomNodeTextContent: a playwright locator, not a DOM node (the text as rendered)
    const text = await tooltip.innerText();
    for (const row of ['agent', 'training steps', 'mean', '95% CI', 'seeds']) expect(text).toContain(row);
    expect(text).toContain('(n = 3)');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
