import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '@orch/config';
import { ProviderQueues, RequestEvents } from '@orch/queue';
import { spawnService, startFakeProvider, startRedis, type FakeProvider, type RedisServerHandle, type ServiceProcess } from '@orch/testing';

describe('worker-openrouter process', () => {
  let redis: RedisServerHandle;
  let or: FakeProvider;
  let proc: ServiceProcess;

  beforeAll(async () => {
    redis = await startRedis();
    or = await startFakeProvider({ flavor: 'openrouter', apiKey: 'or-key' });
  });
  afterAll(async () => {
    await proc?.kill();
    await or.stop();
    await redis.stop();
  });

  it('runs a Gemini job from the openrouter queue and exits 0 after a graceful SIGTERM', async () => {
    const env = { REDIS_URL: redis.url, OPENROUTER_BASE_URL: or.baseURL, OPENROUTER_API_KEY: 'or-key', WORKER_METRICS_PORT: '0' };
    proc = await spawnService({ script: join(__dirname, '..', 'dist', 'main.js'), env, readyText: 'provider worker started' });
    // Logs are JSON lines and never contain the key.
    const started = JSON.parse(proc.output().stdout.trim().split('\n').pop()!);
    expect(started).toMatchObject({ service: 'worker-openrouter', queue: '{openrouter}', models: ['gemini_pro'] });

    const config = loadConfig({ cwd: '/nonexistent', env });
    const conn = new Redis(redis.url);
    const blocking = new Redis(redis.url);
    const queues = new ProviderQueues({ config, connection: conn });
    const events = new RequestEvents({ redis: conn, ttlSeconds: 60 });
    try {
      await queues.submit({ requestId: 'r1', model: 'gemini_pro', messages: [{ role: 'user', content: 'hello' }] }, events);
      let result;
      for await (const e of events.follow('r1', { blockingRedis: blocking, timeoutMs: 10_000 })) {
        if (e.type === 'result') {
          result = e.result;
          break;
        }
      }
      expect(result).toMatchObject({ model: 'gemini_pro', costSource: 'provider', worker: expect.stringMatching(new RegExp(`/${proc.pid}$`)) });
    } finally {
      await queues.close();
      conn.disconnect();
      blocking.disconnect();
    }
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.output().stdout + proc.output().stderr).not.toContain('or-key');
  });
});
