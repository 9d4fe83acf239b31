import { ConfigError, configSecrets, describeRedis, loadConfig, redisTarget } from './index';

const load = (env: Record<string, string>) => loadConfig({ cwd: '/nonexistent', env });

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('Redis connection modes (issue 28.1): one setting each', () => {
  it('standalone by default, at REDIS_URL when set', () => {
    expect(redisTarget(load({}).redis)).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379' });
    expect(redisTarget(load({ REDIS_URL: 'rediss://u:pw@cache:6380' }).redis)).toEqual({ mode: 'standalone', url: 'rediss://u:pw@cache:6380' });
    expect(describeRedis(load({ REDIS_URL: 'rediss://u:pw@cache:6380' }).redis)).toBe('rediss://***@cache:6380');
  });

  it('a cluster from REDIS_CLUSTER_NODES (IPv6 too), with the shared credentials and TLS', () => {
    const c = load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7000,[::1]:7002', REDIS_PASSWORD: 'cluster-secret', REDIS_TLS: 'true' });
    expect(redisTarget(c.redis)).toEqual({ mode: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }, { host: '::1', port: 7002 }] });
    expect(c.redis).toMatchObject({ password: 'cluster-secret', tls: true, waitReplicas: 0 });
    expect(configSecrets(c)).toContain('cluster-secret');
    expect(describeRedis(c.redis)).toBe('cluster 10.0.0.1:7000,10.0.0.2:7000,[::1]:7002');
  });

  it('a sentinel group from REDIS_SENTINELS and REDIS_SENTINEL_MASTER', () => {
    const c = load({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_MASTER: 'mymaster', REDIS_SENTINEL_PASSWORD: 'sentinel-secret', REDIS_WAIT_REPLICAS: '1' });
    expect(redisTarget(c.redis)).toEqual({ mode: 'sentinel', master: 'mymaster', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }] });
    expect(c.redis.waitReplicas).toBe(1);
    expect(configSecrets(c)).toContain('sentinel-secret');
  });

  it('a bad combination or a bad node is an error naming the variables', () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2', REDIS_SENTINEL_MASTER: 'm' })).toEqual([
      'REDIS_CLUSTER_NODES: is set together with REDIS_SENTINELS (redis.sentinels): choose cluster or sentinel',
    ]);
    expect(problemsOf({ REDIS_URL: 'redis://x:6379', REDIS_CLUSTER_NODES: 'a:1' })).toEqual([
      'REDIS_URL: is set together with REDIS_CLUSTER_NODES (redis.clusterNodes): unset REDIS_URL; the nodes are reached through that list',
    ]);
    expect(problemsOf({ REDIS_SENTINELS: 'b:2' })).toEqual(['REDIS_SENTINELS: needs REDIS_SENTINEL_MASTER (redis.sentinelMaster): the master name the sentinels monitor (e.g. mymaster)']);
    expect(problemsOf({ REDIS_SENTINEL_MASTER: 'm' })).toEqual(['REDIS_SENTINEL_MASTER: is set but REDIS_SENTINELS (redis.sentinels) is empty']);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis://a:1' })[0]).toMatch(/^REDIS_CLUSTER_NODES.*: each entry must be host:port/);
    expect(problemsOf({ REDIS_WAIT_REPLICAS: '-1' })[0]).toMatch(/^REDIS_WAIT_REPLICAS.*>= 0/);
  });
});
