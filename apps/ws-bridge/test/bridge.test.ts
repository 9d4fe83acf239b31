import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
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
  let redis: Redis;
  let orchestrator: Orchestrator;
  let bridge: WsBridge;
  let registry: Registry;
  let port = 0;

  beforeAll(async () => {
    stack = await startFakeStack();
    const config = loadConfig({ cwd: '/nonexistent', env: stack.env({ ORCH_ALLOWED_ORIGINS: 'http://good.example' }) });
    const logger = createLogger({ service: 'test', stream: new PassThrough(), level: 'error' });
    redis = new Redis(stack.redis.url);
    orchestrator = new Orchestrator({ config, redis, logger });
    registry = new Registry();
    bridge = createWsBridge({ orchestrator, logger, apiKeys: [], allowedOrigins: config.gateway.allowedOrigins, limits: config.ws, registry, isReady: async () => true });
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

  it('on shutdown tells clients to go away (1001) so they reconnect elsewhere', async () => {
    const ws = await open();
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    await bridge.close();
    expect(await code).toBe(1001);
  });
});
