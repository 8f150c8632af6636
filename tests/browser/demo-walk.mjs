#!/usr/bin/env node
// Walks the local demo page (GET /demo) in headless Debian Chromium, as a person would:
// connect a Sandbox account (Allow), place a market order and watch it fill, see a field error for
// qty 0, and decline a connection (Deny). Screenshots go to a temp dir (their paths are printed).
//
//   node tests/browser/demo-walk.mjs <serverUrl> [--screenshots <dir>] [--headed]
//
// The last line printed is JSON: {"ok":true,"steps":[...],"screenshots":[...]} or {"ok":false,"error":...}.
// Exit code 0 only when every step passed. Needs: apt-get install chromium; npm ci (playwright-core).

import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 15_000;
const FILL_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 100_000;

function usage(message) {
  console.error(message);
  console.error('usage: node tests/browser/demo-walk.mjs <serverUrl> [--screenshots <dir>] [--headed]');
  process.exit(2);
}

const args = process.argv.slice(2);
let serverUrl = null;
let shotsDir = null;
let headed = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--screenshots') shotsDir = args[++i];
  else if (args[i] === '--headed') headed = true;
  else if (!serverUrl) serverUrl = args[i];
  else usage(`unexpected argument: ${args[i]}`);
}
if (!serverUrl) usage('missing <serverUrl>');
let base;
try {
  base = new URL(serverUrl);
} catch {
  usage(`not a URL: ${serverUrl}`);
}
const demoUrl = new URL('/demo', base).href;
if (shotsDir) mkdirSync(shotsDir, { recursive: true });
else shotsDir = mkdtempSync(join(tmpdir(), 'alpaca-demo-walk-'));

const steps = [];
const screenshots = [];
const pageErrors = [];
const run = Date.now().toString(36);

function log(message) {
  console.log(`[demo-walk] ${message}`);
}

async function step(name, action) {
  const started = Date.now();
  log(`step: ${name}`);
  try {
    const detail = await action();
    steps.push({ name, ok: true, ms: Date.now() - started, ...(detail ? { detail } : {}) });
  } catch (err) {
    steps.push({ name, ok: false, ms: Date.now() - started, error: String(err && err.message || err) });
    throw new Error(`step "${name}" failed: ${err && err.message || err}`);
  }
}

async function shot(page, name) {
  const path = join(shotsDir, `${String(screenshots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  screenshots.push(path);
  log(`screenshot: ${path}`);
  return path;
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** From the demo page: enter a user id, click Connect, and decide on the Sandbox's consent page. */
async function consent(page, userId, decision) {
  await page.goto(demoUrl, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: STEP_TIMEOUT_MS });
  await page.fill('#user-id', userId);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/oauth/authorize', { timeout: STEP_TIMEOUT_MS }),
    page.click('#connect'),
  ]);
  await page.waitForSelector(`#${decision}`, { timeout: STEP_TIMEOUT_MS });
  // The simulated Alpaca user behind this app user.
  await page.fill('#username', `${userId}-alpaca`);
  const consentShot = await shot(page, `consent-${decision}`);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/demo', { timeout: STEP_TIMEOUT_MS }),
    page.click(`#${decision}`),
  ]);
  await page.waitForSelector('#connection-status:not([hidden])', { timeout: STEP_TIMEOUT_MS });
  return consentShot;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: !headed,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err && err.message || err)));
    page.on('console', (msg) => {
      // 404 (webhooks not built yet) and 422 (the invalid order) are expected resource errors.
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) log(`console error: ${msg.text()}`);
    });

    const allowUser = `walk-${run}-allow`;
    const denyUser = `walk-${run}-deny`;

    await step('open /demo', async () => {
      const response = await page.goto(demoUrl, { waitUntil: 'load' });
      assert(response && response.status() === 200, `GET /demo answered ${response && response.status()}`);
      await page.waitForSelector('body[data-ready="true"]');
      const heading = await page.textContent('h1');
      assert(/Alpaca Connect Functions/.test(heading), `unexpected heading: ${heading}`);
      // The webhook panel settles on something (not tested further: that API is not built yet).
      await page.waitForFunction(() => !/Loading/.test(document.getElementById('webhooks').textContent));
      await shot(page, 'demo-start');
      return { status: response.status() };
    });

    await step('connect (Allow)', async () => {
      await consent(page, allowUser, 'allow');
      const status = (await page.textContent('#connection-status')).trim();
      assert(/connected/i.test(status) && !/not connected/i.test(status), `expected "connected", saw: ${status}`);
      assert(await page.getAttribute('#connection-status', 'data-result') === 'connected', 'data-result is not "connected"');
      assert(!new URL(page.url()).searchParams.has('alpaca_connect'), 'the result parameters were left in the URL');
      assert(await page.inputValue('#user-id') === allowUser, 'the user id was not kept across the consent round trip');
      return { user: allowUser, status };
    });

    await step('connections list shows the active paper connection', async () => {
      await page.waitForSelector('#connections-table tr[data-env="paper"][data-status="active"]');
      const row = (await page.textContent('#connections-table tbody tr')).replace(/\s+/g, ' ').trim();
      assert(/trading/.test(row), `the connection has no trading scope: ${row}`);
      await shot(page, 'connected');
      return { row };
    });

    await step('market order AAPL qty 1 fills', async () => {
      await page.fill('#symbol', 'AAPL');
      await page.selectOption('#side', 'buy');
      await page.selectOption('#type', 'market');
      await page.selectOption('#time-in-force', 'day');
      await page.fill('#qty', '1');
      await page.fill('#notional', '');
      await page.fill('#limit-price', '');
      await page.fill('#stop-price', '');
      await page.click('#place-order');
      await page.waitForSelector('#trade-details:not([hidden])');
      const id = (await page.textContent('#trade-id')).trim();
      assert(id.startsWith(`${allowUser}~`), `unexpected trade id: ${id}`);
      await page.waitForFunction(() => document.getElementById('trade-status').textContent.trim() === 'filled'
        || ['rejected', 'failed', 'canceled', 'expired'].includes(document.getElementById('trade-status').textContent.trim()),
      null, { timeout: FILL_TIMEOUT_MS, polling: 200 });
      const status = (await page.textContent('#trade-status')).trim();
      const reason = (await page.textContent('#trade-reason')).trim();
      assert(status === 'filled', `the trade ended ${status} (reason: ${reason}), not filled`);
      const history = await page.$$eval('#trade-history li', (items) => items.map((li) => li.dataset.status));
      assert(history[0] === 'accepted' && history.at(-1) === 'filled', `unexpected history: ${history.join(' > ')}`);
      const fill = (await page.textContent('#trade-fill')).trim();
      assert(/^1 @ /.test(fill), `unexpected fill: ${fill}`);
      assert(await page.isHidden('#errors'), 'an error was shown for a valid order');
      await shot(page, 'trade-filled');
      return { id, status, history, fill };
    });

    await step('invalid order (qty 0) shows the field error', async () => {
      await page.fill('#qty', '0');
      await page.click('#place-order');
      await page.waitForSelector('#errors:not([hidden])');
      await page.waitForSelector('#qty-error:not([hidden])');
      const fieldError = (await page.textContent('#qty-error')).trim();
      assert(/greater than zero/i.test(fieldError), `unexpected qty error: ${fieldError}`);
      const summary = (await page.textContent('#errors')).replace(/\s+/g, ' ').trim();
      assert(/not valid/i.test(summary) && /order\.qty/.test(summary) && /422/.test(summary), `unexpected error summary: ${summary}`);
      assert(await page.getAttribute('#qty', 'aria-invalid') === 'true', '#qty is not marked invalid');
      await page.locator('#order-card').scrollIntoViewIfNeeded();
      await shot(page, 'invalid-order');
      return { fieldError, summary };
    });

    await step('connect (Deny) shows the declined message', async () => {
      await consent(page, denyUser, 'deny');
      const status = (await page.textContent('#connection-status')).replace(/\s+/g, ' ').trim();
      assert(/You declined/.test(status), `expected "You declined...", saw: ${status}`);
      assert(await page.getAttribute('#connection-status', 'data-reason') === 'access_denied', 'data-reason is not access_denied');
      await page.waitForSelector('#no-connections');
      await shot(page, 'declined');
      return { user: denyUser, status };
    });

    assert(pageErrors.length === 0, `the page threw: ${pageErrors.join(' | ')}`);
  } finally {
    await browser.close();
  }
}

const watchdog = setTimeout(() => {
  finish(false, `the walk took longer than ${TOTAL_TIMEOUT_MS / 1000}s`);
}, TOTAL_TIMEOUT_MS);

function finish(ok, error) {
  clearTimeout(watchdog);
  for (const path of screenshots) console.log(`screenshot ${path}`);
  if (!ok) console.error(`[demo-walk] FAILED: ${error}`);
  console.log(JSON.stringify(ok ? { ok, steps, screenshots } : { ok, error, steps, screenshots }));
  process.exit(ok ? 0 : 1);
}

main().then(() => finish(true), (err) => finish(false, String(err && err.message || err)));
