import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { spawnApp, spawnFrontDoors, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'apps', 'mcp-gateway', 'dist', 'cli.js');
const ADMIN = 'admin-key-for-the-keys-test';

interface Answer {
  success?: boolean;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  [k: string]: unknown;
}
interface Alert {
  text: string;
  alert: { budget: string; percent: number; key?: string };
}

/**
 * Issue 16: caller keys as records. An operator creates, rotates and revokes keys (admin API and
 * CLI); every door refuses a revoked or rotated key at once; a key's model allow-list and rate limit
 * hold; a key's daily budget holds under a burst of concurrent calls while another key's calls go on,
 * and the global limit holds over both; each budget raises one webhook alert per threshold.
 */
describe('managed caller keys', () => {
  let stack: FakeStack;
  let receiver: Server;
  const procs: ServiceProcess[] = [];
  const alerts: Alert[] = [];
  const doors: Record<string, number> = {};
  const url = (door: string, path = '') => `http://127.0.0.1:${doors[door]}${path}`;

  beforeAll(async () => {
    stack = await startFakeStack();
    // About $0.0034 a call (300 output tokens at $10/M), $0.0044 reserved (400-token cap).
    stack.openrouter.setBehaviour({ completionTokens: 300 });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (alerts.push(JSON.parse(body)), res.writeHead(200).end('ok')));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const env = stack.env({
      ORCH_ADMIN_KEY: ADMIN,
      MCP_DAILY_LIMIT: '0.25',
      ORCH_RATE_LIMIT: '0',
      WORKER_CONCURRENCY: '16',
      ORCH_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    });
    Object.assign(doors, await spawnFrontDoors(env, procs));
    procs.push(await spawnApp('worker-openrouter', env));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    receiver.close();
    await stack.stop();
  });

  const admin = async (method: string, path: string, body?: unknown, key = ADMIN) => {
    const res = await fetch(url('rest-bridge', `/admin/keys${path}`), { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI, 'keys', ...args, '--url', url('rest-bridge')], { env: { ...process.env, ORCH_ADMIN_KEY: ADMIN } })).stdout;
  const rest = async (key: string, tool: string, args: Record<string, unknown> = {}) => {
    const res = await fetch(url('rest-bridge', `/mcp/${tool}`), { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(args) });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  const ask = (key: string) => rest(key, 'query_specific_model', { model: 'gemini_pro', description: 'A short answer, please.', parameters: { max_tokens: 400 } });
  const mcp = async (key: string) => {
    const body = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_models', arguments: {} } };
    const res = await fetch(url('mcp-gateway', '/mcp'), { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(body) });
    return res.status;
  };
  /** A socket opened with the key, and a function that makes one call on it. */
  const socket = async (key: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${doors['ws-bridge']}`, { headers: { authorization: `Bearer ${key}` } });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const messages: Array<{ id?: string; type: string; error?: { code: string } }> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (d) => (messages.push(JSON.parse(String(d))), waiters.splice(0).forEach((w) => w())));
    await new Promise<void>((resolve, reject) => (ws.on('open', () => resolve()), ws.on('error', reject)));
    let n = 0;
    const call = async () => {
      const id = `c${++n}`;
      ws.send(JSON.stringify({ id, method: 'list_models', params: {} }));
      return waitFor(() => messages.find((m) => m.id === id), { timeoutMs: 10_000, what: `the answer to ${id}` });
    };
    return { ws, call, closed };
  };
  const wsRefused = (key: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${doors['ws-bridge']}`, { headers: { authorization: `Bearer ${key}` } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => (ws.close(), resolve(101)));
      ws.on('error', () => undefined);
    });

  it('creates keys with the CLI and the admin API, shows each once, lists them without it; the doors need a key, the admin API the admin key', async () => {
    const out = await cli('create', '--name', 'cli made', '--daily-usd', '1.5', '--models', 'gemini_pro');
    const key = /^key: (orch_sk_\S+)$/m.exec(out)?.[1];
    expect(key).toBeDefined();
    expect(out).toMatch(/shown this once/);
    expect(out).toMatch(/cli made .*daily \$1\.5000 .*models gemini_pro/);
    const list = await cli('list');
    expect(list).toMatch(/cli made/);
    expect(list).not.toContain(key!);
    expect((await admin('GET', '')).body.keys).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'cli made', daily_usd: 1.5, spend: expect.objectContaining({ today_usd: 0 }) })]));
    expect(JSON.stringify((await admin('GET', '')).body)).not.toContain(key!.slice(12));
    // Bad settings name the field and the rule.
    const bad = await admin('POST', '', { name: 'x', daily_usd: -1, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/daily_usd: .*>0|daily_usd: Too small/);
    expect(bad.body.error?.message).toMatch(/colour: unknown argument/);
    // Doors: no key or the admin key is not a caller; the new key is.
    expect((await rest('nope', 'list_models')).status).toBe(401);
    expect((await rest(ADMIN, 'list_models')).status).toBe(401);
    expect((await rest(key!, 'list_models')).status).toBe(200);
    expect((await admin('GET', '', undefined, key!)).status).toBe(401);
    // list_models shows the price in use: OpenRouter's, read by the worker at its start.
    const listed = await waitFor(async () => {
      const models = ((await rest(key!, 'list_models')).body.result as { models: Array<{ key: string; price_source?: string; price_as_of?: string; price_per_million: unknown }> }).models;
      return models.find((m) => m.key === 'gemini_pro' && m.price_source === 'openrouter');
    }, { timeoutMs: 10_000, what: 'the live price in list_models' });
    expect(listed).toMatchObject({ price_per_million: { input: 1.25, output: 10 }, price_as_of: expect.any(String) });
  });

  it('refuses a rotated and a revoked key at once on all three doors, an open socket included', async () => {
    const created = await admin('POST', '', { name: 'doors' });
    expect(created.status).toBe(201);
    const { key: first, record } = created.body as { key: string; record: { id: string } };
    expect([(await rest(first, 'list_models')).status, await mcp(first)]).toEqual([200, 200]);
    const open = await socket(first);
    expect((await open.call()).type).toBe('result');

    const rotated = await admin('POST', `/${record.id}/rotate`);
    const second = (rotated.body as { key: string }).key;
    expect(second).not.toBe(first);
    expect([(await rest(first, 'list_models')).status, await mcp(first), await wsRefused(first)]).toEqual([401, 401, 401]);
    expect((await open.call()).error?.code).toBe('unauthorized');
    expect(await open.closed).toBe(4401);
    expect([(await rest(second, 'list_models')).status, await mcp(second), await wsRefused(second)]).toEqual([200, 200, 101]);

    const again = await socket(second);
    expect((await again.call()).type).toBe('result');
    await cli('revoke', record.id);
    expect([(await rest(second, 'list_models')).status, await mcp(second), await wsRefused(second)]).toEqual([401, 401, 401]);
    expect((await again.call()).error?.code).toBe('unauthorized');
    expect(await again.closed).toBe(4401);
    expect((await admin('GET', `/${record.id}`)).body).toMatchObject({ revoked_at: expect.any(String) });
  });

  it("holds a key to its model allow-list (a council's synthesis included) and to its own rate limit", async () => {
    const { key } = (await admin('POST', '', { name: 'gemini only', models: ['gemini_pro'], rate_limit: { points: 3, window_seconds: 60 } })).body as { key: string };
    const refused = await rest(key, 'query_specific_model', { model: 'o3_architect', description: 'hi' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'forbidden', details: { field: 'models', refused: ['o3_architect'] } });
    expect(refused.body.error?.message).toMatch(/key "gemini only" may call only gemini_pro; this call needs o3_architect/);
    const council = await rest(key, 'orchestrate_task', { description: 'hi', strategy: 'max_quality_council' });
    expect(council.status).toBe(403);
    expect(council.body.error?.details?.refused).toContain('o3_architect');
    expect((await ask(key)).status).toBe(200);
    // Three calls per minute for this key (the global limit is off): the fourth is refused.
    expect((await rest(key, 'list_models')).status).toBe(429);
  });

  it("per-key race: 40 concurrent calls on a $0.05 key never pass it, another key's 40 are unaffected, the global limit holds over both; one alert per threshold", async () => {
    const make = async (body: Record<string, unknown>) => (await admin('POST', '', body)).body as { key: string; record: { id: string } };
    const capped = await make({ name: 'capped', daily_usd: 0.05 });
    const free = await make({ name: 'free' });
    const burst = (key: string) => Promise.all(Array.from({ length: 40 }, () => ask(key)));
    const [a, b] = await Promise.all([burst(capped.key), burst(free.key)]);
    const refusedBy = (answers: Array<{ body: Answer }>) => answers.filter((x) => !x.body.success).map((x) => `${x.body.error?.code}:${String(x.body.error?.details?.limit)}`);
    expect(a.filter((x) => x.body.success).length).toBeGreaterThanOrEqual(8);
    expect(new Set(refusedBy(a))).toEqual(new Set(['budget_exceeded:key_daily']));
    expect(b.every((x) => x.status === 200 && x.body.success)).toBe(true);
    const spendOf = async (id: string) => ((await admin('GET', `/${id}`)).body as { spend: { today_usd: number; today_spent_usd: number } }).spend;
    await waitFor(async () => (await spendOf(capped.record.id)).today_usd === (await spendOf(capped.record.id)).today_spent_usd || undefined, { timeoutMs: 10_000, what: 'every reservation settled' });
    const cappedSpend = await spendOf(capped.record.id);
    expect(cappedSpend.today_spent_usd).toBeGreaterThan(0.03);
    expect(cappedSpend.today_spent_usd).toBeLessThanOrEqual(0.05);
    // The free key again, until the global limit ($0.25 a day) refuses it.
    const c = await burst(free.key);
    expect(new Set(refusedBy(c))).toEqual(new Set(['budget_exceeded:daily']));
    // The global figures are the admin's (GET /admin/spend); a key sees only its own (issue 31.9).
    const { result: spend } = (await (await fetch(url('rest-bridge', '/admin/spend'), { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { result: { scope: string; spent_usd: number; reserved_usd: number; by_request: Record<string, number> } };
    expect(spend.scope).toBe('global');
    expect(spend.spent_usd).toBeGreaterThan(0.2);
    expect(spend.spent_usd + spend.reserved_usd).toBeLessThanOrEqual(0.25);
    const own = async (key: string) => ((await (await fetch(url('rest-bridge', '/spend'), { headers: { authorization: `Bearer ${key}` } })).json()) as { result: { scope: string; spent_usd: number; by_request: Record<string, number> } }).result;
    const [freeOwn, cappedOwn] = await Promise.all([own(free.key), own(capped.key)]);
    expect(freeOwn.scope).toBe('caller');
    expect(freeOwn.spent_usd).toBeGreaterThan(0);
    expect(freeOwn.spent_usd + cappedOwn.spent_usd).toBeLessThanOrEqual(spend.spent_usd + 1e-9);
    expect(freeOwn.spent_usd).toBeLessThan(spend.spent_usd);
    expect(Object.keys(freeOwn.by_request).filter((id) => id in cappedOwn.by_request)).toEqual([]);
    expect(cappedOwn.spent_usd).toBe(cappedSpend.today_spent_usd);

    // One alert per threshold of each budget crossed: the capped key's and the global daily limit's.
    const seen = () => alerts.filter((x) => x.alert.budget === 'daily' || x.alert.key === `key:${capped.record.id}`).map((x) => `${x.alert.budget}:${x.alert.percent}`).sort();
    const expected = ['daily:100', 'daily:50', 'daily:80', 'key_daily:100', 'key_daily:50', 'key_daily:80'];
    await waitFor(() => seen().length >= expected.length || undefined, { timeoutMs: 15_000, what: 'six alerts' });
    expect(seen()).toEqual(expected);
    expect(alerts.find((x) => x.alert.budget === 'key_daily')?.text).toMatch(/the daily budget of key "capped"/);
  });
});
