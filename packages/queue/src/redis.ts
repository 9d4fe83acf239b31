import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { describeRedis, redisTarget, RedisSchema, type RedisSettings } from '@orch/config';
import { ScrubbingCluster, ScrubbingRedis } from './scrubbing-redis';

/** A connection in any of the three modes: a standalone or sentinel-managed Redis, or a Cluster. */
export type RedisClient = Redis | Cluster;

export type RedisRole =
  /** BullMQ workers and blocking reads: commands wait for a reconnect instead of failing. */
  | 'blocking'
  /** Producers and short commands: fail fast when Redis is down rather than queue in memory. */
  | 'command'
  /**
   * BullMQ's producers (Queue.add, counts): fail fast like `command`, each command sent as it comes.
   * BullMQ defines its ~64 scripts on the connection, and an automatic pipeline copies every defined
   * script into each new pipeline: that copy cost more than the write it could share.
   */
  | 'queue'
  /** Pub/sub subscriber. */
  | 'subscriber';

/** Reconnect every 200 ms, then at most every second (the old exponential backoff kept everything down ~18 s). */
const reconnect = (times: number) => Math.min(200 * times, 1000);

/** Credentials and TLS of the nodes (REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS). */
function authOptions(r: RedisSettings): RedisOptions {
  return { ...(r.username ? { username: r.username } : {}), ...(r.password ? { password: r.password } : {}), ...(r.tls ? { tls: {} } : {}) };
}

/** Per-connection settings of a role: BullMQ's production guide (workers wait, producers fail fast). */
function roleOptions(role: RedisRole, name: string | undefined): RedisOptions {
  return {
    connectionName: name,
    maxRetriesPerRequest: role === 'command' || role === 'queue' ? 2 : null,
    enableReadyCheck: true,
  };
}

/**
 * The one place a Redis connection is built, from the configured mode (redisTarget): standalone
 * (`REDIS_URL`), Cluster (`REDIS_CLUSTER_NODES`) or Sentinel (`REDIS_SENTINELS`). A string is a
 * standalone URL. With `scrub`, every value written through it (and its duplicates) is scrubbed of
 * secrets first (ScrubbingRedis, ScrubbingCluster).
 */
export function createRedis(settings: string | RedisSettings, role: RedisRole, name?: string, scrub?: (text: string) => string): RedisClient {
  const r = typeof settings === 'string' ? RedisSchema.parse({ url: settings }) : settings;
  const target = redisTarget(r);
  // Commands issued in the same tick go out in one write (one syscall) instead of one each: under
  // load many requests share each write. Blocking connections must not pipeline (nor `queue`: above).
  const enableAutoPipelining = role === 'command';
  const auth = authOptions(r);
  if (target.mode === 'cluster') {
    const opts: ClusterOptions = {
      redisOptions: { ...roleOptions(role, name), ...auth },
      // Off on a Cluster: an automatic pipeline mixes commands of many slots, and when a failover
      // moves some of them ioredis hands the MOVED replies to the callers instead of following them.
      enableAutoPipelining: false,
      clusterRetryStrategy: reconnect,
      // A failover moves slots: retry a command MOVED/ASK/TRYAGAIN/CLUSTERDOWN sends elsewhere.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      maxRedirections: 32,
      slotsRefreshTimeout: 2000,
      scaleReads: 'master',
    };
    return scrub ? new ScrubbingCluster(scrub, target.nodes, opts) : new Cluster(target.nodes, opts);
  }
  const opts: RedisOptions = { ...roleOptions(role, name), enableAutoPipelining, retryStrategy: reconnect };
  if (target.mode === 'sentinel') {
    Object.assign(opts, auth, {
      sentinels: target.sentinels,
      name: target.master,
      ...(r.sentinelPassword ? { sentinelPassword: r.sentinelPassword } : {}),
      sentinelRetryStrategy: reconnect,
      // After a failover the old master, now a replica, answers writes with READONLY: reconnect to
      // the new one the sentinels name.
      reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    });
    return scrub ? new ScrubbingRedis(scrub, undefined, opts) : new Redis(opts);
  }
  // A URL's own credentials win (ioredis fills only what the URL leaves out).
  Object.assign(opts, auth);
  return scrub ? new ScrubbingRedis(scrub, target.url, opts) : new Redis(target.url, opts);
}

/** Another connection like `redis` (same mode, nodes, credentials and scrubbing) for `role`. */
export function duplicateRedis(redis: RedisClient, role: RedisRole, name: string): RedisClient {
  if (redis instanceof Cluster) {
    return redis.duplicate([], { redisOptions: { ...redis.options.redisOptions, ...roleOptions(role, name) } });
  }
  return redis.duplicate({ ...roleOptions(role, name), enableAutoPipelining: role === 'command' });
}

export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * Resolves once the connection answers PING (and, on a Cluster, once every slot is served);
 * rejects after `timeoutMs` with the last connection error, so a wrong node list, a dead sentinel
 * set or a cluster with uncovered slots stops a process at its start with a reason.
 */
export async function waitForRedis(redis: RedisClient, timeoutMs = 10_000, settings?: RedisSettings): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let lastError: string | undefined;
  const onError = (err: Error) => (lastError = err.message);
  redis.on('error', onError);
  const where = settings ? ` (${describeRedis(settings)})` : '';
  try {
    await Promise.race([
      clusterReady(redis),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          // A cluster that answers but serves no slots never gets ready: ask a seed node why.
          void (isCluster(redis) && settings ? clusterStateOf(settings) : Promise.resolve(undefined)).then((state) =>
            reject(new Error(`Redis did not answer within ${timeoutMs} ms${where}${state ? `: ${state}` : lastError ? `: ${lastError}` : ''}`)),
          );
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}

async function clusterReady(redis: RedisClient): Promise<void> {
  await redis.ping();
  if (!isCluster(redis)) return;
  const info = String(await redis.cluster('INFO'));
  const state = /cluster_state:(\w+)/.exec(info)?.[1];
  if (state !== 'ok') throw new Error(`the Redis Cluster's state is "${state ?? 'unknown'}" (slots not all served: uncovered slots, or a majority of masters down)`);
}

/** What the first seed node that answers says of its cluster when it is not ok, or undefined. */
async function clusterStateOf(settings: RedisSettings): Promise<string | undefined> {
  const target = redisTarget(settings);
  if (target.mode !== 'cluster') return undefined;
  for (const node of target.nodes) {
    const probe = new Redis({ ...node, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, ...authOptions(settings) });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      const info = String(await probe.cluster('INFO'));
      const field = (name: string) => new RegExp(`${name}:(\\w+)`).exec(info)?.[1];
      if (field('cluster_state') !== 'ok') return `the Redis Cluster's state is "${field('cluster_state')}" at ${node.host}:${node.port}: ${field('cluster_slots_assigned')} of 16384 slots assigned, ${field('cluster_slots_ok')} served (uncovered slots, or a majority of masters down)`;
      return undefined;
    } catch {
      // try the next seed
    } finally {
      probe.disconnect();
    }
  }
  return undefined;
}

/** Quits a connection, or disconnects it if QUIT cannot complete (Redis gone). */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 1000))]);
  } catch {
    // already closed
  }
  redis.disconnect();
}
