import { request as httpRequest } from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import WebSocket from 'ws';
import { Registry } from 'prom-client';
import { loadConfig } from '@orch/config';
import { createLogger } from '@orch/logging';
import { Orchestrator } from '@orch/orchestration';
import { startFakeStack, waitFor, type FakeStack } from '@orch/testing';
import { createWsBridge, type WsBridge } from '../src/bridge';

/** The bridge in-process over a real redis-server: its HTTP side, Origin checks, metrics and shutdown. */
describe('WebSocket bridge server', () => {
  let stack: FakeStack;
  let redis: Redis | Cluster;
  let orchestrator: Orchestrator;
  let bridge: WsBridge;
  let registry: Registry;
  let port = 0;

  beforeAll(async () => {
    stack = await startFakeStack();
    const config = loadConfig({ cwd: '/nonexistent', env: stack.env({ ORCH_ALLOWED_ORIGINS: 'http://good.example' }) });
    const logger = createLogger({ service: 'test', stream: new PassThrough(), level: 'error' });
    redis = stack.client();
    orchestrator = new Orchestrator({ config, redis, logger });
    registry = new Registry();
    bridge = createWsBridge({ orchestrator, logger, allowedOrigins: config.gateway.allowedOrigins, allowedHosts: [], limits: config.ws, registry, isReady: async () => true });
    await new Promise<void>((r) => bridge.server.listen(0, '127.0.0.1', () => r()));
    port = (bridge.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await orchestrator.close();
    redis.disconnect();
    await stack.stop();
  });

  const open = (headers: Record<string, string> = {}) =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { headers });
      ws.once('message', () => resolve(ws));
      ws.once('unexpected-response', (_q, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });

  it('serves health, readiness and metrics over plain HTTP, and 426 for anything else', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(426);
    const ws = await open();
    await waitFor(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).includes('ws_connections 1'));
    ws.close();
    await waitFor(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).includes('ws_connections 0'));
  });

  it('refuses browser Origins that are not allowed, at the upgrade', async () => {
    await expect(open({ origin: 'http://evil.example' })).rejects.toMatchObject({ status: 403 });
    const ws = await open({ origin: 'http://good.example' });
    ws.close();
  });

  it('without keys every socket is the local caller and authenticated at once', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const welcome = await new Promise<Record<string, unknown>>((r) => ws.once('message', (d) => r(JSON.parse(String(d)) as Record<string, unknown>)));
    expect(welcome).toMatchObject({ type: 'welcome', authenticated: true, methods: expect.arrayContaining(['orchestrate_task', 'subscribe', 'cancel']) });
    ws.close();
  });

  describe('hostile input (issue 12)', () => {
    /** Sends messages and collects replies (parsed) on one socket. */
    const client = async () => {
      const ws = await open();
      const replies: Array<{ type: string; id?: unknown; error?: { code: string; message: string } }> = [];
      ws.on('message', (d) => replies.push(JSON.parse(String(d)) as (typeof replies)[number]));
      const send = (msg: unknown) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
      const reply = (id: string) => waitFor(() => replies.find((r) => r.id === id), { timeoutMs: 5000, what: `reply ${id}` });
      return { ws, replies, send, reply };
    };

    it('prototype-key methods are unknown, deep JSON and bad event ids are invalid_arguments; never internal (12.1, 12.4)', async () => {
      const c = await client();
      for (const method of ['constructor', '__proto__', 'toString', 'valueOf']) {
        c.send({ id: method, method, params: {} });
        expect((await c.reply(method)).error?.code).toBe('unknown_tool');
      }
      c.send({ id: 'sub', method: 'subscribe', params: { request_id: 'whatever', after: '99999999999999999999' } });
      expect(await c.reply('sub')).toMatchObject({ type: 'error', error: { code: 'invalid_arguments' } });
      c.send(`{"id":"deep","method":"ping","params":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
      await waitFor(() => c.replies.some((r) => r.error?.message.includes('deeper than 64')), { timeoutMs: 5000 });
      c.send({ id: 'alive', method: 'ping' });
      expect((await c.reply('alive')).type).toBe('result');
      expect(c.replies.some((r) => r.error?.code === 'internal')).toBe(false);
      c.ws.close();
    });

    it('refuses a foreign Host at the upgrade and on HTTP, but not on the probes (12.3)', async () => {
      await expect(open({ host: 'attacker.example' })).rejects.toMatchObject({ status: 403 });
      const get = (path: string, host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      const refused = await get('/metrics', 'attacker.example');
      expect(refused.status).toBe(403);
      // 403 is `forbidden` in the code table; `unauthorized` is 401's (no key, or a wrong one).
      expect(JSON.parse(refused.body)).toMatchObject({ success: false, error: { code: 'forbidden' } });
      expect((await get('/healthz', 'attacker.example')).status).toBe(200);
    });

    it('a message flood from one socket is cut to its rate and does not starve another socket (12.5)', async () => {
      const flooder = await client();
      const other = await client();
      const payload = JSON.stringify({ method: 'ping' });
      for (let i = 0; i < 20_000; i++) flooder.ws.send(payload);
      other.send({ id: 'during', method: 'ping' });
      expect((await other.reply('during')).type).toBe('result');
      // The per-second message limit, not the in-flight cap (which the old code already had).
      await waitFor(() => flooder.replies.some((r) => r.error?.code === 'rate_limited' && /messages per second/.test(r.error.message)), { timeoutMs: 10_000 });
      // Far fewer answers than messages: the rest were dropped while the socket was paused.
      const answered = flooder.replies.filter((r) => r.type === 'result').length;
      expect(answered).toBeLessThan(5_000);
      flooder.ws.close();
      other.ws.close();
    });
  });

  it('on shutdown tells clients to go away (1001) so they reconnect elsewhere', async () => {
    const ws = await open();
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    await bridge.close();
    expect(await code).toBe(1001);
  });
});
