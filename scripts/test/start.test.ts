import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, startRedis, waitFor } from '@orch/testing';

const START = join(__dirname, '..', 'start.mjs');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  ports: { rest: number; ws: number; mcp: number; worker: number; workerOpenai: number };
  dataDir: string;
}

/** Runs scripts/start.mjs as `pnpm start` does after its build, on free ports and a private data folder. */
async function start(env: Record<string, string> = {}, path = process.env.PATH ?? ''): Promise<Started> {
  const [rest, ws, mcp, worker, workerOpenai, redis] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-start-'));
  const child = spawn(process.execPath, [START], {
    env: { PATH: path, REST_PORT: String(rest), WS_PORT: String(ws), MCP_HTTP_PORT: String(mcp), WORKER_METRICS_PORT: String(worker), ORCH_OPENAI_WORKER_METRICS_PORT: String(workerOpenai), ORCH_LOCAL_REDIS_PORT: String(redis), ORCH_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited, ports: { rest, ws, mcp, worker, workerOpenai }, dataDir };
}

const healthy = async (url: string) => (await fetch(url).catch(() => undefined))?.status === 200;

describe('local start (scripts/start.mjs, run by `pnpm start`)', () => {
  const started: Started[] = [];
  afterAll(async () => {
    for (const s of started) {
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  });

  it('with no keys and no REDIS_URL: private redis-server (AOF on), offline demo, all five apps; Ctrl-C stops everything', async () => {
    const s = await start();
    started.push(s);
    await waitFor(() => s.output().includes('is running') || s.child.exitCode !== null, { timeoutMs: 60_000, what: 'the stack to start' });
    expect(s.output()).toContain('OFFLINE DEMO MODE');
    expect(s.output()).toContain('private redis-server');
    const { rest, ws, mcp, worker, workerOpenai } = s.ports;
    for (const url of [`http://127.0.0.1:${rest}/healthz`, `http://127.0.0.1:${ws}/healthz`, `http://127.0.0.1:${mcp}/healthz`, `http://127.0.0.1:${worker}/healthz`, `http://127.0.0.1:${workerOpenai}/healthz`]) {
      expect({ url, ok: await healthy(url) }).toEqual({ url, ok: true });
    }
    const res = await fetch(`http://127.0.0.1:${rest}/mcp/query_specific_model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'Hello from the demo' }) });
    const body = (await res.json()) as { result: { answers: Array<{ text: string }> } };
    expect(body.result.answers[0]!.text).toContain('echo: Hello from the demo');
    // The demo keeps its data apart from real use (issue 15.4).
    expect(readdirSync(join(s.dataDir, 'demo-redis'))).toContain('appendonlydir');
    expect(existsSync(join(s.dataDir, 'redis'))).toBe(false);

    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
    expect(s.output()).toContain('stopped.');
    for (const port of [rest, ws, mcp]) expect(await healthy(`http://127.0.0.1:${port}/healthz`)).toBe(false);
  }, 120_000);

  it('uses REDIS_URL when set (and leaves that Redis running)', async () => {
    const redis = await startRedis();
    try {
      const s = await start({ REDIS_URL: redis.url });
      started.push(s);
      await waitFor(() => s.output().includes('is running') || s.child.exitCode !== null, { timeoutMs: 60_000 });
      expect(s.output()).toContain(`${redis.url} (from REDIS_URL)`);
      expect(existsSync(join(s.dataDir, 'redis'))).toBe(false);
      // A demo call's spend lands under the demo's own ledger keys, not the real ones in that Redis.
      const res = await fetch(`http://127.0.0.1:${s.ports.rest}/mcp/query_specific_model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'Demo spend' }) });
      expect(res.status).toBe(200);
      const conn = new Redis(redis.url);
      const demoKeys = await conn.keys('{ledger-demo}:*');
      const realKeys = await conn.keys('{ledger}:*');
      conn.disconnect();
      expect(demoKeys.length).toBeGreaterThan(0);
      expect(realKeys).toEqual([]);
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      const again = await fetch(`http://127.0.0.1:${s.ports.rest}/healthz`).catch(() => undefined);
      expect(again).toBeUndefined();
    } finally {
      await redis.stop();
    }
  }, 120_000);

  it('without Redis anywhere it says exactly how to get one and exits 1', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'orch-nopath-'));
    const s = await start({}, empty);
    started.push(s);
    expect(await s.exited).toBe(1);
    expect(s.output()).toContain('no Redis');
    expect(s.output()).toContain('apt-get install -y redis-server');
    expect(s.output()).toContain('brew install redis');
    rmSync(empty, { recursive: true, force: true });
  });
});
