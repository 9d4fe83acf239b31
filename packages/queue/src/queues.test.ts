import { loadConfig } from '@orch/config';
import { FAKE_KEYS, startRedis, type RedisServerHandle } from '@orch/testing';
import type { ModelCallPayloadInput } from '@orch/contracts';
import { RequestEvents } from './events';
import { ProviderQueues } from './queues';
import { createRedis } from './redis';

describe('ProviderQueues while Redis is away', () => {
  let server: RedisServerHandle;

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server.stop());

  const call = (callIndex: number, model: string): ModelCallPayloadInput => ({
    requestId: 'away1',
    callIndex,
    model,
    messages: [{ role: 'user', content: 'Are you there?' }],
  });

  it("a call or a council's calls Redis refuses rejects to its caller, and nothing is left rejected unawaited (which ends a front door)", async () => {
    const config = loadConfig({ cwd: '/nonexistent', env: { REDIS_URL: server.url, OPENROUTER_API_KEY: FAKE_KEYS.openrouter, OPENAI_API_KEY: FAKE_KEYS.openai } });
    // A front door's command connection: a command fails after two reconnect attempts.
    const redis = createRedis(server.url, 'command', 'queues-test');
    redis.on('error', () => undefined);
    const queues = new ProviderQueues({ config, connection: redis });
    const events = new RequestEvents({ redis, ttlSeconds: 60 });
    await queues.byKey.openrouter.waitUntilReady();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await server.stop();
      await expect(queues.submit(call(0, 'gemini_pro'), events)).rejects.toThrow(/max retries per request/);
      await expect(queues.submitAll([call(1, 'gemini_pro'), call(2, 'o3_architect')], events)).rejects.toThrow(/max retries per request/);
      // Whatever those calls started has failed by now (later commands fail after earlier ones)…
      await expect(events.publish({ type: 'progress', stage: 'queued', requestId: 'away1', ts: Date.now() })).rejects.toThrow();
      // …and Node reports a rejection nobody handled once the microtasks have run.
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      server = await startRedis({ port: server.port });
      await queues.close();
      await redis.quit();
    }
  }, 30_000);

  it("a call's queued event goes out on the queues' connection even when that connection already pipelines a command in the same turn (a door's first call after its start)", async () => {
    const config = loadConfig({ cwd: '/nonexistent', env: { REDIS_URL: server.url, OPENROUTER_API_KEY: FAKE_KEYS.openrouter, OPENAI_API_KEY: FAKE_KEYS.openai, ORCH_QUEUE_PREFIX: 'pipelined' } });
    const commands = createRedis(server.url, 'command', 'queues-test');
    const connection = createRedis(server.url, 'command', 'queues-test');
    const queues = new ProviderQueues({ config, connection });
    try {
      const events = new RequestEvents({ redis: commands, ttlSeconds: 60 });
      // An automatic pipeline is open on the queues' connection when the call is queued.
      const pending = connection.get('pipelined:anything');
      await queues.submit({ ...call(0, 'gemini_pro'), requestId: 'pipelined1' }, events);
      await pending;
      const stored = await commands.xrange('orch:req:{pipelined1}:events', '-', '+');
      expect(stored.map(([, fields]) => JSON.parse(fields[1]!).stage)).toEqual(['queued']);
    } finally {
      await queues.close();
      await Promise.all([commands.quit(), connection.quit()]);
    }
  });
});
