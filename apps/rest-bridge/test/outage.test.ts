import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnApp, startRedis, waitFor, type RedisServerHandle, type ServiceProcess } from '@orch/testing';

/** Issue 13.3: while Redis is away, callers hear so at once; when it returns, the door serves again. */
describe('REST bridge during a Redis outage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-outage-'));
  let redis: RedisServerHandle;
  let rest: ServiceProcess;
  let base = '';

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true, dir });
    const port = await freePort();
    rest = await spawnApp('rest-bridge', { REDIS_URL: redis.url, OPENROUTER_API_KEY: 'unused', OPENAI_API_KEY: 'unused', REST_PORT: String(port) });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await rest.kill();
    await redis.stop();
  });

  it('answers 503 unavailable (retryable, Retry-After) while Redis is down, and serves again once it is back', async () => {
    expect((await fetch(`${base}/requests`)).status).toBe(200);
    redis.process.kill('SIGKILL');
    await new Promise((r) => redis.process.once('exit', r));
    const down = await waitFor(
      async () => {
        const res = await fetch(`${base}/requests`, { signal: AbortSignal.timeout(10_000) });
        return res.status === 503 ? res : undefined;
      },
      { timeoutMs: 10_000, what: 'a 503 while Redis is down' },
    );
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await down.json()).toMatchObject({ success: false, error: { code: 'unavailable', retryable: true } });
    const call = await fetch(`${base}/mcp/list_models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(call.status).toBe(503);
    // Back on the same port and data: the door serves again without a restart.
    redis = await startRedis({ appendOnly: true, dir, port: redis.port });
    await waitFor(async () => (await fetch(`${base}/requests`)).status === 200, { timeoutMs: 10_000, what: 'the REST bridge serving again' });
  });
});
