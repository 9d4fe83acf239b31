import { Redis } from 'ioredis';
import { faults, freePort, spawnApp, startFakeProvider, startRedis, type FakeProvider, type RedisServerHandle, type ServiceProcess } from '@orch/testing';

// Keys that match no credential shape: only the literal list of configured secrets can catch them.
const OA_KEY = 'oa-live-key-0123456789abcdef';
const OR_KEY = 'or-live-key-fedcba9876543210';
const CALLER_KEY = 'caller-key-for-secrets-test';

/** Every value in Redis, whatever its type, as text. */
async function dumpRedis(redis: Redis): Promise<string> {
  const out: string[] = [];
  for (const key of await redis.keys('*')) {
    const type = await redis.type(key);
    if (type === 'string') out.push(key, (await redis.get(key)) ?? '');
    else if (type === 'hash') out.push(key, JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') out.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') out.push(key, JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') out.push(key, JSON.stringify(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') out.push(key, JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return out.join('\n');
}

describe('a provider error that echoes our key leaves no trace of it (issue 12.2)', () => {
  let redisServer: RedisServerHandle;
  let redis: Redis;
  let oa: FakeProvider;
  let or: FakeProvider;
  const procs: ServiceProcess[] = [];
  let base = '';

  beforeAll(async () => {
    [redisServer, oa, or] = await Promise.all([
      startRedis(),
      // The fake refuses any other key with a 401 that echoes the key it was given.
      startFakeProvider({ flavor: 'openai', apiKey: OA_KEY }),
      startFakeProvider({ flavor: 'openrouter', apiKey: OR_KEY }),
    ]);
    redis = new Redis(redisServer.url);
    const port = await freePort();
    const env = {
      REDIS_URL: redisServer.url,
      OPENAI_BASE_URL: oa.baseURL,
      OPENAI_API_KEY: OA_KEY,
      OPENROUTER_BASE_URL: or.baseURL,
      OPENROUTER_API_KEY: OR_KEY,
      WORKER_METRICS_PORT: '0',
      REST_PORT: String(port),
      ORCH_API_KEYS: CALLER_KEY,
      MCP_SYNC_WAIT_SECONDS: '20',
      MCP_LOG_LEVEL: 'debug',
    };
    procs.push(await spawnApp('worker-openai', env), await spawnApp('worker-openrouter', env), await spawnApp('rest-bridge', env));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    redis.disconnect();
    await Promise.all([oa.stop(), or.stop()]);
    await redisServer.stop();
  });

  it('the caller, the SSE events, the logs and every Redis value see [REDACTED], never the key', async () => {
    oa.addFault(faults.unauthorized({ echoKey: true, times: 5 }));
    or.addFault(faults.unauthorized({ echoKey: true, times: 5 }));
    const headers = { authorization: `Bearer ${CALLER_KEY}`, 'content-type': 'application/json' };
    const texts: string[] = [];
    for (const [tool, args] of [
      ['think_deeper', { problem: 'Leak test' }],
      ['query_specific_model', { model: 'gemini_pro', description: 'Leak test' }],
    ] as const) {
      const res = await fetch(`${base}/mcp/${tool}`, { method: 'POST', headers, body: JSON.stringify(args) });
      const text = await res.text();
      texts.push(text);
      expect(text).toContain('[REDACTED]');
      const id = (JSON.parse(text) as { result?: { request_id?: string } }).result?.request_id;
      expect(id).toBeDefined();
      texts.push(await (await fetch(`${base}/requests/${id}/events`, { headers })).text());
      texts.push(await (await fetch(`${base}/requests/${id}`, { headers })).text());
    }
    // The provider really was sent the key, and really echoed it.
    expect(oa.requests.length + or.requests.length).toBeGreaterThan(0);
    const everything = [...texts, await dumpRedis(redis), ...procs.flatMap((p) => [p.output().stdout, p.output().stderr])].join('\n');
    expect(everything).toContain('Incorrect API key provided');
    for (const secret of [OA_KEY, OR_KEY, CALLER_KEY]) expect(everything).not.toContain(secret);
  });
});
