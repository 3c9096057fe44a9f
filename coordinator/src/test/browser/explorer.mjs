// The explorer in headless Chromium (ExplorerBrowserIT starts the coordinator and writes the fixture):
// every view's numbers against the API, search, live updates, unknown ids, verify inclusion, a keyboard walk.
// Usage: node explorer.mjs FIXTURE.json   (prints "@@send" and waits for a line on stdin for the live check)
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const fx = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const base = fx.base;
const shots = fx.screenshots;
mkdirSync(shots, { recursive: true });
const stdin = createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => stdin.once('line', resolve));
const api = async (path) => {
  const r = await fetch(base + path);
  return { status: r.status, body: await r.json() };
};
const fmt = (n) => Number(n).toLocaleString('en-US');
const failures = [];
const started = Date.now();

function expect(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

const profile = mkdtempSync(join(tmpdir(), 'popw-explorer-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
});
const page = browser.pages()[0] || (await browser.newPage());
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
// A 404 or 400 answer (rewards not computed yet, the unknown-id checks) is logged by the browser; it is no script error.
page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text()); });
const text = async (sel) => (await page.locator(sel).first().innerText()).trim();
const open = async (hash, pageName) => {
  await page.goto('about:blank'); // a fresh load each time: the same URL again would not reload the view
  await page.goto(`${base}/explorer/?poll=500${hash}`);
  await page.waitForSelector(`[data-page=${pageName}]`, { timeout: 10000 });
};
const noStack = async (what) => {
  const body = await page.locator('body').innerText();
  expect(!/\bat [\w.$]+\(|Exception|TypeError|undefined|\bnull\b|NaN|\[object/.test(body), `${what}: no stack trace, exception, "undefined", "null" or "NaN" on the page`);
};

try {
  // ---------------------------------------------------------------- Network
  await open('#/', 'network');
  let net = (await api('/v1/network')).body;
  expect(await text('[data-field=accepted]') === fmt(net.envelopes.accepted), `network: accepted = API ${net.envelopes.accepted}`);
  expect(await text('[data-field=rejected]') === fmt(net.envelopes.rejected), `network: rejected = API ${net.envelopes.rejected}`);
  expect(await text('[data-field=devices-total]') === fmt(net.devices.total), `network: devices = API ${net.devices.total}`);
  expect(await text('[data-field=batches-total]') === fmt(net.batches.total), `network: batches = API ${net.batches.total}`);
  for (const k of ['SENSOR', 'COVERAGE', 'GPU']) {
    const want = fmt(net.devices.by_kind?.[k]?.ACTIVE ?? 0);
    expect(await text(`[data-field=kind-${k}-ACTIVE]`) === want, `network: ${k} active = API ${want}`);
  }
  const reasons = {};
  for (const h of net.hours) for (const [r, n] of Object.entries(h.by_reason)) reasons[r] = (reasons[r] || 0) + n;
  for (const [r, n] of Object.entries(reasons)) expect(await text(`[data-field="reason-${r}"]`) === fmt(n), `network: rejections ${r} = API ${n}`);
  expect(Object.keys(reasons).length > 0, 'network: the fixture has rejections by reason');
  expect(await page.locator('.chart svg rect.bar-ok').count() === 24, 'network: the chart has a bar per hour');
  expect(/^\d+:\d\d$/.test(await text('[data-field=epoch-countdown]')), 'network: the epoch countdown shows m:ss');
  expect(await page.locator('table a[href^="#/batch/"]').count() === Math.min(5, net.batches.total), 'network: the latest batches are listed');
  await noStack('network');
  await page.screenshot({ path: join(shots, 'network.png'), fullPage: true });

  // ---------------------------------------------------------------- Live updates (no reload)
  await page.evaluate(() => { window.__sameDocument = true; });
  const before = net.envelopes.accepted;
  console.log('@@send');
  await nextLine();
  net = (await api('/v1/network')).body;
  expect(net.envelopes.accepted === before + 3, `live: the API counts the 3 new envelopes (${before} -> ${net.envelopes.accepted})`);
  await page.waitForFunction((want) => document.querySelector('[data-field=accepted]')?.textContent === want, fmt(net.envelopes.accepted),
    { timeout: 10000 }).catch(() => {});
  expect(await text('[data-field=accepted]') === fmt(net.envelopes.accepted), `live: the page shows ${net.envelopes.accepted} without a reload`);
  expect(await page.evaluate(() => window.__sameDocument === true), 'live: same document (no reload)');

  // ---------------------------------------------------------------- Map
  await open('#/map', 'map');
  const hexes = (await api('/v1/map/hexes?resolution=7')).body;
  expect(await page.locator('polygon.hex').count() === hexes.items.length, `map: ${hexes.items.length} hexagons drawn, as the API`);
  const placed = hexes.items.reduce((s, c) => s + c.devices, 0);
  expect(placed === 3, 'map: the three devices with a place are on the map');
  expect((await text('[data-field=map-devices]')).startsWith(`${fmt(placed)} devices`), 'map: device count = API');
  await page.locator('polygon.hex').first().focus();
  await page.keyboard.press('Enter');
  const first = hexes.items.find((c) => c.cell === (hexes.items[0].cell));
  expect(await text('[data-field=cell-devices]') === fmt(first.devices), 'map: Enter on a hexagon shows its numbers');
  expect(await page.evaluate(() => performance.getEntriesByType('resource').every((e) => e.name.startsWith(location.origin))),
    'map: no request leaves the coordinator (no tile server)');
  expect(hexes.tile_url === null && await page.locator('[data-field=tiles]').count() === 0, 'map: no tile layer unless configured');
  await noStack('map');
  await page.screenshot({ path: join(shots, 'map.png'), fullPage: true });

  // An operator's tile layer (explorer.tile_url; ExplorerTilesTest checks the setting, the API field and the page's CSP):
  // the map answer is given one on this origin, and the tiles it asks for are answered here.
  const tileRequests = [];
  await page.route('**/v1/map/hexes*', async (r) => {
    const real = await (await fetch(r.request().url())).json();
    await r.fulfill({ status: 200, contentType: 'application/json',
      body: JSON.stringify({ ...real, tile_url: `${base}/tiles/{z}/{x}/{y}.png`, tile_attribution: '© test tiles' }) });
  });
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  await page.route('**/tiles/**', (r) => { tileRequests.push(r.request().url()); return r.fulfill({ status: 200, contentType: 'image/png', body: png }); });
  await open('#/', 'network');
  await open('#/map', 'map');
  await page.waitForFunction(() => document.querySelectorAll('[data-field=tiles] image').length > 0, null, { timeout: 5000 }).catch(() => {});
  const zoom = Number(await page.getAttribute('[data-field=tiles]', 'data-zoom'));
  const images = await page.locator('[data-field=tiles] image').count();
  expect(images > 0 && images <= 64 && zoom >= 0 && zoom <= 18, `map tiles: ${images} tiles at zoom ${zoom} under the hexagons`);
  // the tile under the first device's cell centre is among them (Web Mercator z/x/y computed here independently)
  const [clat, clng] = hexes.items[0].center;
  const n = 2 ** zoom;
  const want = `/tiles/${zoom}/${Math.floor(((clng + 180) / 360) * n)}/${Math.floor(((1 - Math.log(Math.tan(clat * Math.PI / 180)
    + 1 / Math.cos(clat * Math.PI / 180)) / Math.PI) / 2) * n)}.png`;
  await page.waitForFunction((w) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(w)), want, { timeout: 5000 }).catch(() => {});
  expect(tileRequests.some((u) => u.endsWith(want)), `map tiles: the tile ${want} under the first cell was loaded`);
  expect((await page.locator('[data-field=tiles] text').textContent()) === '© test tiles', 'map tiles: the attribution is shown');
  expect(await page.locator('polygon.hex').count() === hexes.items.length, 'map tiles: the hexagons are still drawn over the tiles');
  await page.unrouteAll();

  // ---------------------------------------------------------------- Device
  await open(`#/device/${encodeURIComponent(fx.sensor)}`, 'device');
  const dev = (await api(`/v1/devices/${encodeURIComponent(fx.sensor)}`)).body;
  expect(await text('[data-field=accepted]') === fmt(dev.accepted), `device: accepted = API ${dev.accepted}`);
  const rej = Object.values(dev.rejections).reduce((a, b) => a + b, 0);
  expect(await text('[data-field=rejected]') === fmt(rej), `device: rejected = API ${rej}`);
  expect(await text('[data-field=invalid]') === fmt(dev.verdicts.invalid), `device: invalid verdicts = API ${dev.verdicts.invalid}`);
  expect(await text('[data-field=key-type]') === dev.key_type, 'device: key type');
  expect(await text('[data-field=owner]') === dev.owner, 'device: owner');
  expect(await text('[data-field=h3-cell]') === dev.h3_cell, 'device: H3 cell');
  const hotRow = page.locator('tr', { has: page.locator(`a[href="#/envelope/${fx.hot}"]`) });
  const hotVerdict = (await api(`/v1/envelopes/${fx.hot}/verdict`)).body;
  expect((await hotRow.innerText()).includes(hotVerdict.reason) && (await hotRow.innerText()).includes(hotVerdict.explanation),
    `device: the hot reading's row shows ${hotVerdict.status} ${hotVerdict.reason} with its explanation`);
  for (const reason of Object.keys(dev.rejections)) {
    expect((await page.locator('main').innerText()).includes(reason), `device: rejection reason ${reason} shown`);
  }
  const drw = await api(`/v1/devices/${encodeURIComponent(fx.sensor)}/rewards`);
  expect(drw.status === 200, `device: the rewards engine answers for the device (${drw.status})`);
  const drwText = await text('[data-field=rewards]');
  expect(!drwText.includes('No rewards computed yet') && await page.locator('[data-field=rewards] tbody tr').count() === drw.body.epochs.length,
    `device: one rewards row per API row (${drw.body.epochs.length})`);
  for (const r of drw.body.epochs) {
    expect(drwText.includes(String(r.epoch)) && (r.zero_reason === null || drwText.includes(r.zero_reason)),
      `device: epoch ${r.epoch} ${r.pool} shows ${r.zero_reason ?? r.amount}`);
  }
  await noStack('device');
  await page.screenshot({ path: join(shots, 'device.png'), fullPage: true });
  await open(`#/device/${encodeURIComponent(fx.gpu)}`, 'device');
  expect((await page.locator('main').innerText()).includes('GPU challenges'), 'device: a GPU device shows its challenges');
  await open(`#/device/${encodeURIComponent(fx.coverage)}`, 'device');
  expect((await page.locator('main').innerText()).includes('Coverage beacons and witnesses'), 'device: a coverage device shows beacons and witnesses');

  // ---------------------------------------------------------------- Envelope, verify inclusion on the chain
  await open(`#/envelope/${fx.confirmed}`, 'envelope');
  const env = (await api(`/v1/envelopes/${fx.confirmed}`)).body;
  expect(await text('[data-field=status]') === 'ACCEPTED', 'envelope: ACCEPTED');
  expect(await text('[data-field=batch-status]') === env.batch.status, `envelope: batch status ${env.batch.status}`);
  expect(await text('[data-field=tx]') === env.batch.tx_hash, 'envelope: commit transaction = API');
  expect(await text('[data-field=block]') === String(env.batch.block_number), 'envelope: block = API');
  expect(await page.locator('[data-field=proof] li').count() === env.merkle_proof.length, 'envelope: the Merkle proof = API');
  expect(await text('[data-field=verdict]') === env.verdict.status, 'envelope: verdict = API');
  await page.click('#verify');
  await page.waitForSelector('[data-verified]', { timeout: 10000 });
  expect(await page.getAttribute('[data-verified]', 'data-verified') === 'true', 'envelope: the chain says it is included');
  await noStack('envelope');
  await page.screenshot({ path: join(shots, 'envelope.png'), fullPage: true });
  await open(`#/envelope/${fx.rejected}`, 'envelope');
  const rejEnv = (await api(`/v1/envelopes/${fx.rejected}`)).body;
  expect(await text('[data-field=status]') === 'REJECTED' && await text('[data-field=reason]') === rejEnv.reason,
    `envelope: a rejected one shows REJECTED ${rejEnv.reason}`);

  // ---------------------------------------------------------------- Owner
  await open(`#/owner/${fx.owner}`, 'owner');
  const own = (await api(`/v1/owners/${fx.owner}`)).body;
  expect(await text('[data-field=devices-total]') === fmt(own.devices.total), `owner: devices = API ${own.devices.total}`);
  expect(await page.locator('main a[href^="#/device/"]').count() - await page.locator('[data-field=rewards] a[href^="#/device/"]').count()
    === own.devices.total, 'owner: each device listed');
  const orw = await api(`/v1/owners/${fx.owner}/rewards`);
  expect(orw.status === 200, `owner: the rewards engine answers for the owner (${orw.status})`);
  expect((await text('[data-field=cumulative]')).includes(`(${orw.body.cumulative} wei)`), `owner: cumulative = API ${orw.body.cumulative}`);
  const orwText = await text('[data-field=rewards]');
  for (const e of orw.body.epochs) {
    for (const d of e.devices) {
      const linked = await page.locator(`[data-field=rewards] a[href="#/device/${encodeURIComponent(d.device_id)}"]`).count();
      expect(linked > 0 && (d.zero_reason === null || orwText.includes(d.zero_reason)),
        `owner: epoch ${e.epoch} lists ${d.device_id.slice(0, 16)}… ${d.zero_reason ?? d.amount}`);
    }
  }
  const b404 = await api('/v1/owners/0x000000000000000000000000000000000000dEaD/rewards');
  expect(b404.status === 404, 'an owner with no devices has no rewards (404)');
  await noStack('owner');
  await page.screenshot({ path: join(shots, 'owner.png'), fullPage: true });

  // ---------------------------------------------------------------- Rewards views against the announced shape
  // A claimable answer (the fixture's owners never consented, so theirs pay nothing), and one with
  // most fields missing, must render without errors: stubbed in the browser.
  const stub = {
    owner: fx.owner, cumulative: '1500000000000000000', claimed: '500000000000000000', claimable: '1000000000000000000', latest_epoch: 7,
    root: '0x' + '11'.repeat(32), proof: ['0x' + '22'.repeat(32)], claim: { to: '0x' + '33'.repeat(20), calldata: '0xabcdef' },
    epochs: [{ epoch: 7, amount: '1000000000000000000', cumulative: '1500000000000000000', devices: [{ device_id: fx.sensor, kind: 'sensor',
      pool: 'sensor', units: 1.5, amount: '0', zero_reason: 'NOT_STAKED', explanation: 'the owner has no stake' }] }],
  };
  await page.route('**/v1/owners/*/rewards', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(stub) }));
  await page.route('**/v1/devices/*/rewards', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ epochs: [{ epoch: 7 }] }) }));
  await open(`#/owner/${fx.owner}`, 'owner');
  expect((await text('[data-field=claimable]')).startsWith('1 POPW (1000000000000000000 wei)'), 'rewards (stubbed): the claimable amount');
  expect(await text('[data-field=calldata]') === '0xabcdef', 'rewards (stubbed): the claim calldata');
  expect((await text('[data-field=rewards]')).includes('NOT_STAKED'), 'rewards (stubbed): the reason for a zero');
  await noStack('owner with rewards');
  await open(`#/device/${encodeURIComponent(fx.sensor)}`, 'device');
  expect((await text('[data-field=rewards]')).includes('7'), 'rewards (stubbed): a device epoch with most fields missing renders');
  await noStack('device with sparse rewards');
  await page.unrouteAll();

  // ---------------------------------------------------------------- Search finds each kind of id
  const searches = [
    [fx.sensor, 'device', fx.sensor], [fx.confirmed, 'envelope', fx.confirmed], [fx.owner.toLowerCase(), 'owner', fx.owner],
    [String(fx.batch), 'batch', `Batch #${fx.batch}`], [fx.rejected, 'envelope', fx.rejected],
  ];
  await open('#/', 'network');
  for (const [q, kind, inTitle] of searches) {
    await page.fill('#q', q);
    await page.press('#q', 'Enter');
    await page.waitForSelector(`[data-page=${kind}]`, { timeout: 10000 });
    expect((await text('h1')).includes(inTitle), `search: "${q.slice(0, 20)}…" opens the ${kind} page`);
  }

  // ---------------------------------------------------------------- Unknown ids
  for (const [hash, what] of [[`#/device/${encodeURIComponent('did:key:z6MkUnknownDeviceThatIsNotRegistered')}`, 'device'],
    [`#/envelope/${'ab'.repeat(32)}`, 'envelope'], ['#/owner/0x000000000000000000000000000000000000dEaD', 'owner'],
    ['#/batch/999999', 'batch'], ['#/no-such-page', 'page'], [`#/envelope/not-a-hash`, 'malformed hash']]) {
    await open(hash, 'not-found');
    expect(await text('h1') === 'Not found', `unknown ${what}: a "Not found" page`);
    await noStack(`unknown ${what}`);
  }
  await page.screenshot({ path: join(shots, 'not-found.png'), fullPage: true });
  await open('#/', 'network');
  await page.fill('#q', 'did:key:z6MkNothing');
  await page.press('#q', 'Enter');
  await page.waitForSelector('[data-page=not-found]');
  expect((await page.locator('main').innerText()).includes('Nothing here by that name'), 'search: no match -> clear message');
  const raw = await fetch(`${base}/explorer/nope.js`);
  expect(raw.status === 404 && (await raw.text()).includes('Open the explorer'), 'an unknown asset is a plain 404 page');

  // ---------------------------------------------------------------- Keyboard only
  await page.goto('about:blank');
  await page.goto(`${base}/explorer/?poll=500#/`);
  await page.waitForSelector('[data-page=network]');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement.className) === 'skip', 'keyboard: the first Tab stop is "Skip to content"');
  const tabTo = async (test, what, max = 120) => {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(test)) return true;
    }
    expect(false, `keyboard: reached ${what}`);
    return false;
  };
  if (await tabTo(() => document.activeElement.getAttribute('href') === '#/map', 'the Map link')) {
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-page=map]');
    expect(true, 'keyboard: Network -> Map');
  }
  if (await tabTo(() => document.activeElement.matches('polygon.hex'), 'a hexagon')) {
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-field=cell-devices]');
    expect(true, 'keyboard: a hexagon selected with Enter');
  }
  await page.keyboard.press('Shift+Tab');
  if (await tabTo(() => document.activeElement.getAttribute('href') === '#/', 'the Network link', 200)) {
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-page=network]');
  }
  if (await tabTo(() => (document.activeElement.getAttribute('href') || '').startsWith('#/device/'), 'a device link')) {
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-page=device]');
    expect(true, 'keyboard: Network -> Device');
  }
  if (await tabTo(() => (document.activeElement.getAttribute('href') || '').startsWith('#/owner/'), 'the owner link')) {
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-page=owner]');
    expect(true, 'keyboard: Device -> Owner');
  }
  await page.evaluate(() => document.getElementById('main').focus());
  if (await tabTo(() => document.activeElement.id === 'q', 'the search box', 400)) {
    await page.keyboard.type(fx.confirmed);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-page=envelope]');
    expect(true, 'keyboard: search -> Envelope');
  }
  if (await tabTo(() => document.activeElement.id === 'verify', 'the Verify inclusion button')) {
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-verified]', { timeout: 10000 });
    expect(await page.getAttribute('[data-verified]', 'data-verified') === 'true', 'keyboard: Verify inclusion with Enter');
  }
  const labelled = await page.evaluate(() => [...document.querySelectorAll('input, select')].every((el) => el.labels && el.labels.length > 0));
  expect(labelled, 'every input and select has a label');
  expect(pageErrors.length === 0, `no script errors in the page${pageErrors.length ? ': ' + pageErrors.join(' | ') : ''}`);
} catch (e) {
  failures.push(`the script stopped: ${e && e.message ? e.message.split('\n')[0] : e}`);
  console.log(`FAIL the script stopped: ${e && e.stack ? e.stack : e}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
  stdin.close();
}
console.log(`${failures.length === 0 ? 'all explorer checks passed' : `${failures.length} explorer checks FAILED`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failures.length === 0 ? 0 : 1);
