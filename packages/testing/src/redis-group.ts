import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './ports';
import { startRedis, type RedisServerHandle } from './redis-server';
import { waitFor } from './wait';

/** Several redis-servers serving as one: a Redis Cluster, or a master with replicas behind sentinels. */
export interface RedisGroup {
  mode: 'cluster' | 'sentinel';
  /** Environment that points a process at the group (REDIS_CLUSTER_NODES, or REDIS_SENTINELS and REDIS_SENTINEL_MASTER). */
  env: Record<string, string>;
  /** The data nodes (masters and replicas). */
  nodes: RedisServerHandle[];
  /** A connection for a test's own reads: a Cluster client, or the sentinel-managed master. */
  client(): Redis | Cluster;
  /** The data node that holds `key` now (its slot's master; the sentinels' master). */
  masterOf(key: string): Promise<RedisServerHandle>;
  stop(): Promise<void>;
}

export const SENTINEL_MASTER = 'orchmaster';

const cliBin = () => process.env.REDIS_CLI_BIN ?? 'redis-cli';

/** `use` on a one-off connection to one node (no redirection); undefined when the node does not answer. */
async function probe<T>(port: number, use: (r: Redis) => Promise<T>): Promise<T | undefined> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await use(r);
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

/** A node's own answer to a command, or undefined when it does not answer. */
const ask = (port: number, ...args: string[]) => probe(port, async (r) => String(await r.call(args[0]!, ...args.slice(1))));

/**
 * A Redis Cluster on loopback: `masters` masters with one replica each (AOF on), made with
 * `redis-cli --cluster create`; resolves once every node says cluster_state:ok.
 */
export async function startRedisCluster(opts: { masters?: number; nodeTimeoutMs?: number } = {}): Promise<RedisGroup> {
  const count = (opts.masters ?? 3) * 2;
  const nodes = await Promise.all(
    Array.from({ length: count }, () =>
      startRedis({ appendOnly: true, extraArgs: ['--repl-diskless-sync-delay', '0', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 2000)] }),
    ),
  );
  const stop = () => Promise.all(nodes.map((n) => n.stop())).then(() => undefined);
  const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
  const made = spawnSync(cliBin(), ['--cluster', 'create', ...addrs, '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
  if (made.status !== 0) {
    await stop();
    throw new Error(`redis-cli --cluster create failed (${made.status ?? made.error?.message}): ${(made.stdout + made.stderr).slice(-800)}`);
  }
  // Ready when every node serves every slot and each replica has synced with its master: a replica
  // that never synced cannot be promoted, so a failover drill would find no master for the slots.
  await waitFor(
    async () => {
      const [infos, links] = await Promise.all([Promise.all(nodes.map((n) => ask(n.port, 'CLUSTER', 'INFO'))), Promise.all(nodes.map((n) => ask(n.port, 'INFO', 'replication')))]);
      const synced = links.filter((l) => l?.includes('master_link_status:up')).length;
      return infos.every((i) => i?.includes('cluster_state:ok')) && synced === count / 2;
    },
    { timeoutMs: 60_000, what: 'every cluster node to say cluster_state:ok and every replica to sync' },
  );
  return {
    mode: 'cluster',
    env: { REDIS_CLUSTER_NODES: addrs.slice(0, 3).join(',') },
    nodes,
    client: () => new Cluster(addrs.slice(0, 3).map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })), { redisOptions: { maxRetriesPerRequest: null }, retryDelayOnFailover: 200, retryDelayOnClusterDown: 200 }),
    masterOf: async (key) => {
      const slot = Number(await ask(nodes.find((n) => n.process.exitCode === null && n.process.signalCode === null)!.port, 'CLUSTER', 'KEYSLOT', key));
      for (const n of nodes) {
        if (n.process.exitCode !== null || n.process.signalCode !== null) continue;
        if (await ownsSlot(n.port, slot)) return n;
      }
      throw new Error(`no live master serves slot ${slot}`);
    },
    stop,
  };
}

async function ownsSlot(port: number, slot: number): Promise<boolean> {
  const owns = await probe(port, async (r) => {
    const myId = String(await r.call('CLUSTER', 'MYID'));
    const ranges = (await r.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
    return ranges.some(([from, to, master]) => slot >= from && slot <= to && master[2] === myId);
  });
  return owns ?? false;
}

/**
 * A master, two replicas and three sentinels (quorum 2, down after 1 s) on loopback, AOF on;
 * resolves once every sentinel knows both replicas and the other sentinels.
 */
export async function startSentinelGroup(): Promise<RedisGroup> {
  const master = await startRedis({ appendOnly: true, extraArgs: ['--repl-diskless-sync-delay', '0'] });
  const replicas = await Promise.all([0, 1].map(() => startRedis({ appendOnly: true, extraArgs: ['--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(master.port)] })));
  const nodes = [master, ...replicas];
  const sentinels: Array<{ port: number; dir: string; process: ChildProcess }> = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'orch-sentinel-'));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 2`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.env.REDIS_SENTINEL_BIN ?? 'redis-sentinel', [conf], { stdio: 'ignore' });
    sentinels.push({ port, dir, process: child });
  }
  const stop = async () => {
    for (const s of sentinels) {
      s.process.kill('SIGKILL');
      rmSync(s.dir, { recursive: true, force: true });
    }
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    await waitFor(
      async () => {
        for (const s of sentinels) {
          const info = await ask(s.port, 'INFO', 'sentinel');
          if (!info || !/slaves=2,sentinels=3/.test(info)) return false;
        }
        // Synced: a replica that never synced cannot be promoted.
        const links = await Promise.all(replicas.map((r) => ask(r.port, 'INFO', 'replication')));
        return links.every((l) => l?.includes('master_link_status:up'));
      },
      { timeoutMs: 60_000, what: 'every sentinel to know two synced replicas and three sentinels' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const sentinelList = sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  return {
    mode: 'sentinel',
    env: { REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_MASTER: SENTINEL_MASTER },
    nodes,
    client: () => new Redis({ sentinels: sentinelList, name: SENTINEL_MASTER, maxRetriesPerRequest: null, reconnectOnError: (e) => e.message.startsWith('READONLY') }),
    masterOf: async () => {
      for (const s of sentinels) {
        // A sentinel that does not answer: ask the next.
        const addr = await probe(s.port, async (r) => (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER)) as [string, string]);
        const node = addr && nodes.find((n) => n.port === Number(addr[1]));
        if (node) return node;
      }
      throw new Error('no sentinel names a master');
    },
    stop,
  };
}
