import { Redis } from 'ioredis';
import { startRedis, type RedisServerHandle } from '@orch/testing';
import { ApiKeys } from './api-keys';

/** Issue 31.5: the doors are open only while no key has ever existed; they fail closed, never open. */
describe('ApiKeys: doors fail closed', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(() => redis.flushall());

  it('an empty key store that never held a key serves everyone, the bridges apart from MCP; ORCH_REQUIRE_KEYS refuses them', async () => {
    expect(await new ApiKeys({ redis, staticKeys: [] }).authenticate(undefined, true)).toEqual({ id: 'local', fileAccess: true });
    expect(await new ApiKeys({ redis, staticKeys: [] }).authenticate(undefined, false)).toEqual({ id: 'local:web', fileAccess: false });
    expect(await new ApiKeys({ redis, staticKeys: [], requireKeys: true }).authenticate(undefined, false)).toBeUndefined();
  });

  it('revoking the last managed key leaves every caller refused, the revoked key first', async () => {
    const keys = new ApiKeys({ redis, staticKeys: [] });
    const { key, record } = await keys.create({ name: 'only' });
    expect(await keys.authenticate(undefined, false)).toBeUndefined();
    expect(await keys.authenticate(key, false)).toMatchObject({ id: `key:${record.id}` });
    await keys.revoke(record.id);
    expect(await keys.authenticate(key, false)).toBeUndefined();
    expect(await keys.authenticate(undefined, false)).toBeUndefined();
    // Another process, started after the revocation, sees the record and stays closed too.
    expect(await new ApiKeys({ redis, staticKeys: [] }).authenticate(undefined, false)).toBeUndefined();
  });

  it('a key store lost under a running process (Redis flushed) keeps its doors closed, and says why once', async () => {
    const errors: string[] = [];
    const keys = new ApiKeys({ redis, staticKeys: [], logger: { error: ((m: string) => void errors.push(m)) as never } });
    const { key } = await keys.create({ name: 'lost' });
    expect(await keys.authenticate(key, false)).toBeDefined();
    await redis.flushall();
    expect(await keys.authenticate(key, false)).toBeUndefined();
    expect(await keys.authenticate(undefined, false)).toBeUndefined();
    expect(errors).toEqual([expect.stringContaining('key store in Redis is empty though it held keys')]);
  });
});
