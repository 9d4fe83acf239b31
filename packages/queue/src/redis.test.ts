import { startRedis, type RedisServerHandle } from '@orch/testing';
import { RedisSchema } from '@orch/config';
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
