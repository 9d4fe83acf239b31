import { startRedis, type RedisServerHandle } from '@orch/testing';
import { RedisSchema } from '@orch/config';
import { Queue } from 'bullmq';
import { createRedis } from './redis';

/** Issue 28.1: the one place connections are built reads credentials from the settings in every mode. */
describe('createRedis: credentials from REDIS_USERNAME / REDIS_PASSWORD', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedis({ extraArgs: ['--requirepass', 'redis-secret-1'] });
  });
  afterAll(() => server.stop());

  it('a standalone URL without credentials takes REDIS_PASSWORD; its own credentials win over it', async () => {
    const withPassword = createRedis(RedisSchema.parse({ url: server.url, password: 'redis-secret-1' }), 'command');
    const own = createRedis(RedisSchema.parse({ url: `redis://:redis-secret-1@127.0.0.1:${server.port}`, password: 'wrong' }), 'command');
    for (const c of [withPassword, own]) c.on('error', () => undefined);
    try {
      expect(await withPassword.set('k', 'v')).toBe('OK');
      expect(await own.get('k')).toBe('v');
    } finally {
      withPassword.disconnect();
      own.disconnect();
    }
  });

  it('without the password the connection is refused with the reason, not a hang', async () => {
    const none = createRedis(server.url, 'command');
    none.on('error', () => undefined);
    await expect(none.get('k')).rejects.toThrow(/NOAUTH/);
    none.disconnect();
  });
});

/** Issue 29: BullMQ's producer connection sends its commands as they come. */
describe('createRedis: the queue role', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server.stop());

  it('adds a job with no automatic pipeline (each would copy the ~64 scripts BullMQ defines on it); a command connection pipelines', async () => {
    const added: Record<string, number> = {};
    for (const role of ['queue', 'command'] as const) {
      const connection = createRedis(server.url, role, `role-${role}`);
      const queue = new Queue(`role-${role}`, { connection });
      await queue.waitUntilReady();
      const pipelines = jest.spyOn(connection, 'pipeline');
      try {
        await Promise.all([queue.add('a', {}), queue.add('b', {})]);
        added[role] = pipelines.mock.calls.length;
        expect(await queue.count()).toBe(2);
      } finally {
        pipelines.mockRestore();
        await queue.close();
        connection.disconnect();
      }
    }
    expect(added.queue).toBe(0);
    expect(added.command).toBeGreaterThan(0);
  });
});
