import { Queue, Worker } from 'bullmq';
import { startRedis, waitFor, type RedisServerHandle } from '@orch/testing';
import { createRedis } from './redis';

const SECRET = 'configured-secret-value-42';
const scrub = (s: string) => s.split(SECRET).join('[REDACTED]').replace(/\bsk-[A-Za-z0-9_-]{8,}/g, '[REDACTED]');

describe('ScrubbingRedis: no secret reaches a Redis value, whoever writes it (issue 12.2)', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('scrubs values of plain commands, scripts, pipelines and duplicates, never keys', async () => {
    const r = createRedis(server.url, 'command', 'scrub-test', scrub);
    const d = r.duplicate();
    await r.set(`k:${SECRET}`, `value ${SECRET} and sk-proj-ABCDEFGHIJKL`);
    await r.pipeline().hset('h', 'f', `x ${SECRET}`).rpush('l', SECRET + SECRET).exec();
    await d.xadd('s', '*', 'e', `{"error":"Incorrect API key provided: ${SECRET}"}`);
    await r.eval("redis.call('SET', KEYS[1], ARGV[1])", 1, 'lua', `from lua ${SECRET}`);
    expect(await r.get(`k:${SECRET}`)).toBe('value [REDACTED] and [REDACTED]');
    expect(await r.hget('h', 'f')).toBe('x [REDACTED]');
    expect(await r.lrange('l', 0, -1)).toEqual(['[REDACTED][REDACTED]']);
    expect((await r.xrange('s', '-', '+'))[0]![1][1]).toContain('provided: [REDACTED]');
    expect(await r.get('lua')).toBe('from lua [REDACTED]');
    r.disconnect();
    d.disconnect();
  });

  it("scrubs BullMQ's job data, failure reason and stack trace", async () => {
    const conn = createRedis(server.url, 'blocking', 'scrub-bull', scrub);
    const queue = new Queue('scrubq', { connection: conn });
    const worker = new Worker(
      'scrubq',
      async () => {
        throw new Error(`401 Incorrect API key provided: ${SECRET}`);
      },
      { connection: conn },
    );
    const job = await queue.add('j', { prompt: `use ${SECRET}` }, { attempts: 1 });
    await waitFor(async () => (await job.getState()) === 'failed', { timeoutMs: 5000 });
    await worker.close();
    await queue.close();
    const plain = createRedis(server.url, 'command');
    const keys = await plain.keys('*');
    for (const k of keys) {
      const type = await plain.type(k);
      const dump = type === 'string' ? await plain.get(k) : type === 'hash' ? JSON.stringify(await plain.hgetall(k)) : type === 'stream' ? JSON.stringify(await plain.xrange(k, '-', '+')) : type === 'list' ? JSON.stringify(await plain.lrange(k, 0, -1)) : '';
      expect(dump ?? '').not.toContain(SECRET);
    }
    expect(JSON.stringify(await plain.hgetall(`bull:scrubq:${job.id}`))).toContain('[REDACTED]');
    plain.disconnect();
    conn.disconnect();
  });
});
