import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { which } from './paths';

/**
 * The `mcp-orchestrator` command's own Redis, for a machine with no REDIS_URL: a redis-server from
 * the PATH, started once per user and shared by every session (Claude Desktop and Claude Code alike),
 * with its data (AOF) in the user's data folder, so queued calls and the spend ledger survive a
 * restart of Claude. It listens on a unix socket inside that folder (0700, the user's own) and on no
 * TCP port: another local user can neither reach it nor pose as it — before, it listened on a
 * remembered loopback port, and whoever bound that port first was sent the password and adopted.
 * It keeps running between sessions; `mcp-orchestrator redis stop` stops it.
 */
export interface LocalRedis {
  /** REDIS_URL for it: the socket's path. */
  url: string;
  socket: string;
  dir: string;
  /** False when a server started earlier was found answering. */
  started: boolean;
}

interface ServerState {
  socket: string;
}

/** Linux and macOS refuse a unix socket path longer than this (sun_path, with its NUL). */
const MAX_SOCKET_PATH = 103;

export const REDIS_HINT =
  'no Redis: set REDIS_URL to a Redis 7 server, or install redis-server so it is on the PATH ' +
  '(Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis; Windows: use WSL or set REDIS_URL)';

const LOCK_STALE_MS = 30_000;

export async function ensureLocalRedis(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<LocalRedis> {
  const dir = privateDir(join(dataDir, 'redis'));
  const socket = join(dir, 'redis.sock');
  if (socket.length > MAX_SOCKET_PATH) {
    throw new Error(`the private Redis's socket path ${socket} is longer than ${MAX_SOCKET_PATH} characters: set ORCH_DATA_DIR to a shorter folder, or REDIS_URL`);
  }
  return withLock(join(dir, 'start.lock'), async () => {
    const known = readState(dir);
    if (known && (await ping(known))) return { url: known.socket, socket: known.socket, dir, started: false };
    // A server of an earlier version (TCP, with a password) is stopped by its pid, not by talking to
    // whatever now listens on its port; its data (the AOF in this folder) is taken over.
    await stopEarlierServer(dir);

    const bin = env.REDIS_SERVER_BIN || which('redis-server', env.PATH);
    if (!bin) throw new Error(REDIS_HINT);
    const state: ServerState = { socket };
    writePrivate(join(dir, 'redis.conf'), redisConf(dir, state));
    await daemonize(bin, join(dir, 'redis.conf'));
    const deadline = Date.now() + 10_000;
    while (!(await ping(state))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s; see ${join(dir, 'redis.log')}`);
      await sleep(50);
    }
    writePrivate(join(dir, 'server.json'), JSON.stringify(state));
    return { url: socket, socket, dir, started: true };
  });
}

/** `running on <socket>` or undefined. */
export async function localRedisStatus(dataDir: string): Promise<{ socket: string; dir: string } | undefined> {
  const dir = join(dataDir, 'redis');
  const state = readState(dir);
  return state && (await ping(state)) ? { socket: state.socket, dir } : undefined;
}

/** Stops the server (SHUTDOWN: the AOF is flushed first). False when none was running. */
export async function stopLocalRedis(dataDir: string): Promise<boolean> {
  const state = readState(join(dataDir, 'redis'));
  if (!state || !(await ping(state))) return false;
  // SHUTDOWN flushes the AOF; the server closes the connection instead of answering.
  await talk(state, (r) => r.shutdown());
  const deadline = Date.now() + 10_000;
  while (await ping(state)) {
    if (Date.now() > deadline) throw new Error(`redis-server on ${state.socket} did not stop`);
    await sleep(50);
  }
  return true;
}

/** The folder, created 0700; one that exists must be this user's, and is made 0700. */
function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = statSync(dir);
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw new Error(`${dir} belongs to another user (uid ${info.uid}); the private Redis keeps its data and socket only in a folder of your own`);
  }
  if ((info.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/** SIGTERM (Redis then writes its AOF and exits) to a server this folder's pid file names, if it is ours and alive. */
async function stopEarlierServer(dir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isSafeInteger(pid) || pid <= 1 || !alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // not ours (EPERM): nothing to stop, and nothing to talk to
  }
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function redisConf(dir: string, state: ServerState): string {
  const q = (s: string) => JSON.stringify(s); // redis.conf takes double-quoted strings with escapes
  return [
    'port 0',
    `unixsocket ${q(state.socket)}`,
    'unixsocketperm 700',
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

function readState(dir: string): ServerState | undefined {
  try {
    // An earlier version's state (a TCP port and a password) is not used: see stopEarlierServer.
    const s = JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as Partial<ServerState>;
    return typeof s.socket === 'string' && s.socket === join(dir, 'redis.sock') ? { socket: s.socket } : undefined;
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
  const r = new Redis({ path: state.socket, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
