// Time to the explorer's first view in headless Chromium: navigation start to the Network view
// drawn (its numbers in the page), each run in a fresh profile (nothing cached).
// Usage: node first-view.mjs BASE_URL [RUNS]   prints one line per run and the median, in ms.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2];
const runs = Number(process.argv[3] || 5);
const times = [];
for (let i = 0; i < runs; i++) {
  const profile = mkdtempSync(join(tmpdir(), 'popw-first-view-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  await page.goto(`${base}/explorer/`, { waitUntil: 'commit' });
  await page.waitForSelector('[data-page=network] [data-field=accepted]', { timeout: 30000 });
  const ms = await page.evaluate(() => performance.now());
  times.push(ms);
  console.log(`run ${i + 1}: ${ms.toFixed(0)} ms`);
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
times.sort((a, b) => a - b);
console.log(`median ${times[Math.floor(times.length / 2)].toFixed(0)} ms over ${runs} runs (navigation start to the Network view drawn)`);
