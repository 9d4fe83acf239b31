import { Cluster, Redis, type ClusterNode, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import { Packr } from 'msgpackr';

/** BullMQ's own packer settings (redis-queue-backend.js), so a re-packed argument reads the same. */
const packer = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

/**
 * Where a write command's values start in its arguments (after the key, or after the key and a
 * TTL). Keys, ids and scores are never touched: only the values stored or published.
 */
const VALUES_FROM: Record<string, number> = {
  set: 1,
  setnx: 1,
  getset: 1,
  append: 1,
  setex: 2,
  psetex: 2,
  hset: 1,
  hmset: 1,
  hsetnx: 1,
  lpush: 1,
  rpush: 1,
  xadd: 1,
  publish: 1,
};

/** Index of the first value argument, or undefined for a command that stores no free text. */
function valuesFrom(command: Command): number | undefined {
  const name = command.name.toLowerCase();
  if (name === 'eval' || name === 'evalsha') {
    // EVAL(SHA) script numkeys key… arg…: scripts (ours and BullMQ's) store their ARGV.
    const numKeys = Number(command.args[1]);
    return Number.isInteger(numKeys) ? 2 + numKeys : undefined;
  }
  return VALUES_FROM[name];
}

/**
 * Passes the values a command writes through `scrub`, in place: the one step every write to Redis
 * goes through (ScrubbingRedis, ScrubbingCluster). Keys, ids and scores are never touched.
 * BullMQ packs some script arguments with msgpack (a failed job's reason and stack trace among
 * them). Strings sit in msgpack as raw UTF-8, so a secret shows in the bytes; only then is the
 * buffer unpacked, scrubbed and packed again. Anything that is not msgpack is left as it is.
 */
function scrubCommand(command: Command, scrub: ((text: string) => string) | undefined): void {
  const from = valuesFrom(command);
  // `scrub` is unset only while a base constructor runs, before anything can be written.
  if (from === undefined || !scrub) return;
  const args = command.args;
  for (let i = from; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'string' && a.length >= 8) args[i] = scrub(a);
    else if (Buffer.isBuffer(a) && a.length >= 8) args[i] = scrubPacked(a, scrub);
  }
}

function scrubPacked(buf: Buffer, scrub: (text: string) => string): Buffer {
  const text = buf.toString('latin1');
  if (scrub(text) === text) return buf;
  try {
    return packer.pack(deepScrub(packer.unpack(buf), scrub));
  } catch {
    return buf;
  }
}

/**
 * An ioredis connection that passes every value it writes through `scrub` first: the one place
 * where secrets are kept out of Redis, whoever writes (our stores, event streams, the ledger,
 * BullMQ's job data, failure reasons, stack traces and its queue event stream, which its Lua
 * scripts fill from ARGV). Pipelines and MULTI send each command through `sendCommand` too.
 * `duplicate()` keeps the scrubbing.
 */
export class ScrubbingRedis extends Redis {
  private readonly scrub: (text: string) => string;

  constructor(scrub: (text: string) => string, url: string | undefined, options: RedisOptions) {
    if (url === undefined) super(options);
    else super(url, options);
    this.scrub = scrub;
  }

  override sendCommand(command: Command, stream?: unknown): unknown {
    scrubCommand(command, this.scrub);
    return (super.sendCommand as (c: Command, s?: unknown) => unknown)(command, stream);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new ScrubbingRedis(this.scrub, undefined, { ...this.options, ...override });
  }
}

/**
 * The same for Redis Cluster: every command (one by one, auto-pipelined, in a pipeline or MULTI)
 * passes `Cluster.sendCommand` before it is routed to a node.
 */
export class ScrubbingCluster extends Cluster {
  private readonly scrub: (text: string) => string;
  private readonly seeds: ClusterNode[];

  constructor(scrub: (text: string) => string, nodes: ClusterNode[], options: ClusterOptions) {
    super(nodes, options);
    this.scrub = scrub;
    this.seeds = nodes;
  }

  override sendCommand(command: Command, stream?: unknown, node?: unknown): unknown {
    scrubCommand(command, this.scrub);
    return (super.sendCommand as (c: Command, s?: unknown, n?: unknown) => unknown)(command, stream, node);
  }

  override duplicate(overrideStartupNodes: ClusterNode[] = [], overrideOptions: ClusterOptions = {}): Cluster {
    const nodes = overrideStartupNodes.length ? overrideStartupNodes : this.seeds;
    return new ScrubbingCluster(this.scrub, nodes, { ...this.options, ...overrideOptions });
  }
}

function deepScrub(value: unknown, scrub: (text: string) => string): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((v) => deepScrub(v, scrub));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepScrub(v, scrub)]));
  }
  return value;
}
