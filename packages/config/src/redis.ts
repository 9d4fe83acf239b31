import { z } from 'zod';
import { BoolSchema } from './bool';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/;

/** `host:port,host:port` from the environment, or a YAML list of `host:port`. */
const nodeList = () =>
  z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter(Boolean) : v),
      z.array(z.string().regex(HOST_PORT, 'each entry must be host:port (e.g. 10.0.0.5:6379)')),
    )
    .default([]);

/**
 * How every process reaches Redis: one of three modes, each chosen by one setting.
 * - standalone: `REDIS_URL` (a URL or a unix socket path; the default is redis://127.0.0.1:6379);
 * - cluster: `REDIS_CLUSTER_NODES` (seed nodes; the rest of the cluster is discovered);
 * - sentinel: `REDIS_SENTINELS` with `REDIS_SENTINEL_MASTER` (the name the sentinels monitor).
 * Credentials and TLS come from `REDIS_USERNAME`, `REDIS_PASSWORD` and `REDIS_TLS` (the same for
 * every node); a standalone URL's own credentials win.
 */
export const RedisSchema = z
  .strictObject({
    url: z.string().regex(/^(rediss?:\/\/|\/)/, 'must start with redis:// or rediss://, or be the absolute path of a unix socket').optional(),
    clusterNodes: nodeList(),
    sentinels: nodeList(),
    sentinelMaster: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    sentinelPassword: z.string().min(1).optional(),
    tls: BoolSchema.default(false),
    /**
     * Replicas a write that holds money or an accepted request (a ledger booking, a request's
     * acceptance) waits for with WAIT before it counts as done; 0 waits for none.
     */
    waitReplicas: z.coerce.number({ error: 'must be a number' }).pipe(z.number().int('must be an integer').min(0, 'must be >= 0')).default(0),
    /** Longest such a WAIT blocks; a write still stands when it runs out (it is logged). */
    waitTimeoutMs: z.coerce.number({ error: 'must be a number' }).pipe(z.number().int('must be an integer').positive('must be > 0')).default(200),
  })
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (r.clusterNodes.length && r.sentinels.length) issue('clusterNodes', 'is set together with REDIS_SENTINELS (redis.sentinels): choose cluster or sentinel');
    if (r.url !== undefined && (r.clusterNodes.length || r.sentinels.length)) {
      issue('url', `is set together with ${r.clusterNodes.length ? 'REDIS_CLUSTER_NODES (redis.clusterNodes)' : 'REDIS_SENTINELS (redis.sentinels)'}: unset REDIS_URL; the nodes are reached through that list`);
    }
    if (r.sentinels.length && !r.sentinelMaster) issue('sentinels', 'needs REDIS_SENTINEL_MASTER (redis.sentinelMaster): the master name the sentinels monitor (e.g. mymaster)');
    if (r.sentinelMaster && !r.sentinels.length) issue('sentinelMaster', 'is set but REDIS_SENTINELS (redis.sentinels) is empty');
    if (r.sentinelPassword && !r.sentinels.length) issue('sentinelPassword', 'is set but REDIS_SENTINELS (redis.sentinels) is empty');
  });

export type RedisSettings = z.infer<typeof RedisSchema>;

export interface RedisNode {
  host: string;
  port: number;
}

/** The connection mode a configuration chose, with what that mode needs. */
export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | { mode: 'cluster'; nodes: RedisNode[] }
  | { mode: 'sentinel'; sentinels: RedisNode[]; master: string };

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function redisTarget(r: RedisSettings): RedisTarget {
  if (r.clusterNodes.length) return { mode: 'cluster', nodes: r.clusterNodes.map(parseNode) };
  if (r.sentinels.length) return { mode: 'sentinel', sentinels: r.sentinels.map(parseNode), master: r.sentinelMaster ?? '' };
  return { mode: 'standalone', url: r.url ?? DEFAULT_REDIS_URL };
}

/** Where a process connects, for a log line: no credentials. */
export function describeRedis(r: RedisSettings): string {
  const t = redisTarget(r);
  if (t.mode === 'cluster') return `cluster ${r.clusterNodes.join(',')}`;
  if (t.mode === 'sentinel') return `sentinel ${t.master} via ${r.sentinels.join(',')}`;
  return t.url.replace(/\/\/[^@/]*@/, '//***@');
}

function parseNode(entry: string): RedisNode {
  const m = HOST_PORT.exec(entry)!;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
