#!/usr/bin/env node
// pnpm run test:browser — what a person sees in a browser, with headless Chromium (Debian's
// `chromium`, driven by puppeteer-core) against `pnpm start`'s offline demo:
//   1. /docs lists the API's operations, and the page asks for nothing beyond the bridge (any
//      request elsewhere is refused and counted: the machine may have no network);
//   2. the browser example (examples/browser, served as a user would serve it) connects to the
//      WebSocket bridge as it is, makes a call and shows its answer;
//   3. bull-board at /admin/queues, behind the admin key;
//   4. the spend dashboard at /dashboard, behind the admin key, offline: a call made here shows up
//      with its cost within 2 s of finishing.
// CI runs it (.ci/run); it installs nothing itself: CHROMIUM_BIN or `chromium` on the PATH.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { freePort, waitFor } = createRequire(import.meta.url)(join(root, 'packages/testing/dist/index.js'));
const chromium = process.env.CHROMIUM_BIN || execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser || true']).toString().trim();
if (!chromium) {
  console.error('test:browser: no chromium (Debian/Ubuntu: apt-get install -y chromium), or set CHROMIUM_BIN');
  process.exit(1);
}

// The stack, as `pnpm start` runs it after its build: the offline demo on free ports (and the admin pages on).
const ADMIN_KEY = 'browser-admin-key-0123456789';
const [rest, ws, mcp, worker, workerOpenai, redisPort, pagePort, otherPort] = await Promise.all(Array.from({ length: 8 }, freePort));
const dataDir = mkdtempSync(join(tmpdir(), 'orch-browser-'));
const stack = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
  env: { PATH: process.env.PATH, REST_PORT: String(rest), WS_PORT: String(ws), MCP_HTTP_PORT: String(mcp), WORKER_METRICS_PORT: String(worker), ORCH_OPENAI_WORKER_METRICS_PORT: String(workerOpenai), ORCH_LOCAL_REDIS_PORT: String(redisPort), ORCH_DATA_DIR: dataDir, ORCH_ADMIN_KEY: ADMIN_KEY, ORCH_ALLOWED_ORIGINS: `http://127.0.0.1:${pagePort}` },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stackOut = '';
stack.stdout.on('data', (c) => (stackOut += c));
stack.stderr.on('data', (c) => (stackOut += c));

// The example page, served from its folder as its comment says (any static server will do).
const pages = createServer((req, res) => {
  if (req.url !== '/' && req.url !== '/index.html') return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  createReadStream(join(root, 'examples/browser/index.html')).pipe(res);
});
await new Promise((r) => pages.listen(pagePort, '127.0.0.1', r));
// Any other local page (another dev server, a page a site opened on localhost): not listed.
const other = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>another local page</title>'));
await new Promise((r) => other.listen(otherPort, '127.0.0.1', r));

const failures = [];
const check = (name, ok, detail = '') => {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `: ${detail}`}\n`);
  if (!ok) failures.push(name);
};

let browser;
try {
  await waitFor(() => stackOut.includes('is running') || stack.exitCode !== null, { timeoutMs: 90_000, what: 'the stack to start' });
  if (stack.exitCode !== null) throw new Error(`pnpm start exited: ${stackOut.slice(-2000)}`);
  browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });

  // 1. /docs, offline: every request must stay on 127.0.0.1.
  const docs = await browser.newPage();
  const outside = await offline(docs);
  await docs.goto(`http://127.0.0.1:${rest}/docs`, { waitUntil: 'networkidle0', timeout: 60_000 });
  const ops = await waitFor(async () => {
    const n = await docs.$$eval('.opblock-summary-path, .opblock-summary-path__deprecated', (els) => els.map((e) => e.textContent?.trim() ?? ''));
    return n.length ? n : undefined;
  }, { timeoutMs: 30_000, what: 'the operations listed' }).catch(() => []);
  check(`/docs lists the operations (${ops.length} found)`, ops.length >= 20 && ops.some((p) => p.includes('/mcp/query_specific_model')), ops.slice(0, 5).join(', '));
  check('/docs asks for nothing beyond the bridge', outside.length === 0, outside.slice(0, 3).join(', '));

  // 2. The browser example against the WebSocket bridge, as it is.
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`http://127.0.0.1:${pagePort}/`, { waitUntil: 'load' });
  await page.$eval('#url', (el, v) => (el.value = v), `ws://127.0.0.1:${ws}`);
  await page.click('#connect');
  await page.waitForFunction(() => !document.querySelector('#send').disabled, { timeout: 20_000 }).catch(() => undefined);
  const connected = await page.$eval('#send', (el) => !el.disabled);
  check('the example connects to the WebSocket bridge', connected, (await page.$eval('body', (b) => b.innerText)).slice(-300));
  if (connected) {
    await page.$eval('#params', (el) => (el.value = JSON.stringify({ model: 'gemini_pro', description: 'Hello from the browser example' })));
    await page.click('#send');
    const answer = await page
      .waitForFunction(() => document.querySelector('#answer').textContent.includes('Hello from the browser example') && document.querySelector('#answer').textContent, { timeout: 30_000 })
      .then((h) => h.jsonValue())
      .catch(() => '');
    check('the example makes a call and shows its answer', String(answer).includes('Hello from the browser example'), String(answer).slice(0, 200));
  }
  check('no script errors on the example page', consoleErrors.length === 0, consoleErrors.join('; '));

  // 2b. A page on another localhost port, not in ORCH_ALLOWED_ORIGINS, reaches neither keyless door.
  const stranger = await browser.newPage();
  await stranger.goto(`http://127.0.0.1:${otherPort}/`, { waitUntil: 'load' });
  const reached = await stranger.evaluate(async (restUrl, wsUrl) => {
    const viaFetch = await fetch(`${restUrl}/mcp/list_models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => `status ${r.status}`, () => 'blocked');
    const viaWs = await new Promise((resolve) => {
      const sock = new WebSocket(wsUrl);
      sock.onmessage = () => resolve('welcomed');
      sock.onerror = () => resolve('blocked');
      setTimeout(() => resolve('no answer'), 5000);
    });
    return { viaFetch, viaWs };
  }, `http://127.0.0.1:${rest}`, `ws://127.0.0.1:${ws}`);
  check('a page on another localhost port is refused by the REST and WebSocket doors', reached.viaFetch === 'blocked' && reached.viaWs === 'blocked', JSON.stringify(reached));

  // 3. bull-board at /admin/queues: the browser is asked for the admin key (Basic), then the board
  // renders the queues from its own assets, with nothing fetched beyond the bridge.
  const board = await browser.newPage();
  const boardErrors = [];
  board.on('pageerror', (e) => boardErrors.push(String(e)));
  const boardOutside = await offline(board);
  const refused = await fetch(`http://127.0.0.1:${rest}/admin/queues`);
  check('/admin/queues asks a browser without the admin key for it (401, Basic)', refused.status === 401 && /^Basic/.test(refused.headers.get('www-authenticate') ?? ''));
  await board.authenticate({ username: 'ops', password: ADMIN_KEY });
  await board.goto(`http://127.0.0.1:${rest}/admin/queues`, { waitUntil: 'networkidle0', timeout: 60_000 });
  const listed = await board.waitForFunction(() => ['{openrouter}', '{openai}', '{requests}'].every((q) => document.body.innerText.includes(q)), { timeout: 30_000 }).then(() => true, () => false);
  check('bull-board lists the provider and request queues', listed, (await board.$eval('body', (b) => b.innerText)).slice(0, 300));
  check('bull-board asks for nothing beyond the bridge, and has no script errors', boardOutside.length === 0 && boardErrors.length === 0, [...boardOutside, ...boardErrors].slice(0, 3).join('; '));

  // 4. The spend dashboard: refused without the admin key; with it, it loads offline, and a call
  // made now appears in "latest requests" with its cost within 2 s of the call's answer.
  const noKey = await fetch(`http://127.0.0.1:${rest}/dashboard`);
  const noEvents = await fetch(`http://127.0.0.1:${rest}/dashboard/events`, { headers: { authorization: 'Bearer wrong-key' } });
  check('/dashboard and its events refuse a caller without the admin key (401)', noKey.status === 401 && noEvents.status === 401, `${noKey.status} ${noEvents.status}`);
  const dash = await browser.newPage();
  const dashErrors = [];
  dash.on('pageerror', (e) => dashErrors.push(String(e)));
  const dashOutside = await offline(dash);
  await dash.authenticate({ username: 'ops', password: ADMIN_KEY });
  await dash.goto(`http://127.0.0.1:${rest}/dashboard`, { waitUntil: 'load', timeout: 60_000 });
  const live = await dash.waitForFunction(() => document.body.dataset.snapshot && document.querySelector('#status').textContent === 'live', { timeout: 20_000 }).then(() => true, () => false);
  const drawn = await dash.evaluate(() => ({ chart: Number(document.body.dataset.chart) >= 28, limit: document.querySelector('#today-spent').textContent.includes(' of $') }));
  check('/dashboard loads offline: live, the limit shown, the chart drawn by chart.js from the bridge', live && drawn.chart && drawn.limit, `${JSON.stringify(drawn)} ${(await dash.$eval('body', (b) => b.innerText)).slice(0, 200)}`);
  const marker = `dashboard call ${Date.now()}`;
  const res = await fetch(`http://127.0.0.1:${rest}/mcp/query_specific_model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: marker }) });
  const answered = performance.now();
  const { result } = await res.json();
  const shown = await dash
    .waitForFunction((id, cost) => [...document.querySelectorAll('#latest tr')].some((tr) => tr.textContent.includes(id) && tr.textContent.includes(cost)), { timeout: 10_000, polling: 50 }, String(result?.request_id).slice(-10), `$${Number(result?.totals?.cost_usd ?? -1).toFixed(4)}`)
    .then(() => (performance.now() - answered) / 1000, () => undefined);
  check(`/dashboard shows the call with its cost within 2 s of its answer (${shown === undefined ? 'not shown' : `${shown.toFixed(2)} s`})`, shown !== undefined && shown <= 2, (await dash.$eval('#latest', (b) => b.innerText)).slice(0, 300));
  check('/dashboard asks for nothing beyond the bridge, and has no script errors', dashOutside.length === 0 && dashErrors.length === 0, [...dashOutside, ...dashErrors].slice(0, 3).join('; '));
} catch (err) {
  failures.push(String(err));
  console.error(`test:browser: ${err.stack ?? err}`);
} finally {
  await browser?.close();
  pages.close();
  other.close();
  stack.kill('SIGINT');
  await new Promise((r) => (stack.exitCode !== null ? r() : stack.once('exit', r)));
  rmSync(dataDir, { recursive: true, force: true });
}
process.stdout.write(`browser (${chromium}): ${failures.length ? `${failures.length} failed` : 'all passed'}\n`);
process.exit(failures.length ? 1 : 0);

/** Lets a page fetch from 127.0.0.1 only: every other request is refused and listed (no network here). */
async function offline(page) {
  const outside = [];
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    const host = new URL(r.url()).hostname;
    if (host === '127.0.0.1' || r.url().startsWith('data:')) return void r.continue();
    outside.push(r.url());
    void r.abort();
  });
  return outside;
}
