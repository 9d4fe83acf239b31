import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { which } from './paths';

/**
 * The `mcp-orchestrator` command's own Redis, for a machine with no REDIS_URL: a redis-server from
 * the PATH, started once per user and shared by every session (Claude Desktop and Claude Code alike),
 * with its data (AOF) in the user's data folder. Loopback only, with a password no other local user
 * can read (redis.conf and server.json are 0600), so queued calls and the spend ledger survive a
 * restart of Claude. It keeps running between sessions; `mcp-orchestrator redis stop` stops it.
 */
export interface LocalRedis {
  url: string;
  port: number;
  dir: string;
  /** False when a server started earlier was found answering. */
  started: boolean;
}

interface ServerState {
  port: number;
  password: string;
}

export const REDIS_HINT =
  'no Redis: set REDIS_URL to a Redis 7 server, or install redis-server so it is on the PATH ' +
  '(Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis; Windows: use WSL or set REDIS_URL)';

const LOCK_STALE_MS = 30_000;

export async function ensureLocalRedis(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<LocalRedis> {
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLock(join(dir, 'start.lock'), async () => {
    const known = readState(dir);
    if (known && (await ping(known))) return { url: urlOf(known), port: known.port, dir, started: false };

    const bin = env.REDIS_SERVER_BIN || which('redis-server', env.PATH);
    if (!bin) throw new Error(REDIS_HINT);
    const state: ServerState = { port: await freePort(), password: randomBytes(24).toString('hex') };
    writePrivate(join(dir, 'redis.conf'), redisConf(dir, state));
    await daemonize(bin, join(dir, 'redis.conf'));
    const deadline = Date.now() + 10_000;
    while (!(await ping(state))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s; see ${join(dir, 'redis.log')}`);
      await sleep(50);
    }
    writePrivate(join(dir, 'server.json'), JSON.stringify(state));
    return { url: urlOf(state), port: state.port, dir, started: true };
  });
}

/** `running on 127.0.0.1:<port>` or undefined. */
export async function localRedisStatus(dataDir: string): Promise<{ port: number; dir: string } | undefined> {
  const dir = join(dataDir, 'redis');
  const state = readState(dir);
  return state && (await ping(state)) ? { port: state.port, dir } : undefined;
}

/** Stops the server (SHUTDOWN: the AOF is flushed first). False when none was running. */
export async function stopLocalRedis(dataDir: string): Promise<boolean> {
  const state = readState(join(dataDir, 'redis'));
  if (!state || !(await ping(state))) return false;
  // SHUTDOWN flushes the AOF; the server closes the connection instead of answering.
  await talk(state, (r) => r.shutdown());
  const deadline = Date.now() + 10_000;
  while (await ping(state)) {
    if (Date.now() > deadline) throw new Error(`redis-server on 127.0.0.1:${state.port} did not stop`);
    await sleep(50);
  }
  return true;
}

function redisConf(dir: string, state: ServerState): string {
  const q = (s: string) => JSON.stringify(s); // redis.conf takes double-quoted strings with escapes
  return [
    `port ${state.port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    `requirepass ${q(state.password)}`,
    `dir ${q(dir)}`,
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    'maxmemory-policy noeviction',
    'daemonize yes',
    `pidfile ${q(join(dir, 'redis.pid'))}`,
    `logfile ${q(join(dir, 'redis.log'))}`,
    '',
  ].join('\n');
}

function daemonize(bin: string, conf: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot run ${bin}: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-server exited with code ${code}: ${err.trim().slice(-300)}`))));
  });
}

function urlOf(state: ServerState): string {
  return `redis://:${state.password}@127.0.0.1:${state.port}`;
}

function readState(dir: string): ServerState | undefined {
  try {
    const s = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as Partial<ServerState>;
    return typeof s.port === 'number' && typeof s.password === 'string' ? { port: s.port, password: s.password } : undefined;
  } catch {
    return undefined;
  }
}

function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

async function ping(state: ServerState): Promise<boolean> {
  return (await talk(state, (r) => r.ping())) === 'PONG';
}

/** One command on a short-lived connection that never retries; undefined when nothing answers. */
async function talk<T>(state: ServerState, command: (r: Redis) => Promise<T>): Promise<T | undefined> {
  const r = new Redis({ host: '127.0.0.1', port: state.port, password: state.password, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await command(r);
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      closeSync(openSync(file, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (existsSync(file) && Date.now() - statSync(file).mtimeMs > LOCK_STALE_MS) rmSync(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`another mcp-orchestrator is starting Redis (${file}); remove the file if none is`);
      else await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
