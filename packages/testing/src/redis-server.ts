import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export interface RedisServerHandle {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** redis-server binary; `REDIS_SERVER_BIN` or `redis-server` on the PATH by default. */
  bin?: string;
  /** Append-only file on (for crash/restart tests). */
  appendOnly?: boolean;
  /** Data folder; a fresh temp folder by default (removed on stop). */
  dir?: string;
  /** Port; a free one by default. Give the old port and folder to restart a server on its data. */
  port?: number;
  startTimeoutMs?: number;
  /** More redis-server arguments (cluster mode, replicaof…). */
  extraArgs?: string[];
}

export const REDIS_INSTALL_HINT =
  'redis-server was not found. Install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) or set REDIS_SERVER_BIN.';

/**
 * Starts a private redis-server on a free loopback port and resolves once it accepts connections.
 * One per test suite; `stop()` in afterAll.
 */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServerHandle> {
  const bin = opts.bin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = opts.port ?? (await freePort());
    const ownDir = !opts.dir;
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'orch-redis-'));
    try {
      return await launch(bin, port, dir, ownDir, opts);
    } catch (err) {
      lastError = err;
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(REDIS_INSTALL_HINT);
    }
  }
  throw lastError;
}

function launch(bin: string, port: number, dir: string, ownDir: boolean, opts: StartRedisOptions): Promise<RedisServerHandle> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', opts.appendOnly ? 'yes' : 'no',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'no',
    '--loglevel', 'notice',
    '--logfile', '',
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise<RedisServerHandle>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within ${opts.startTimeoutMs ?? 10_000} ms: ${output.slice(-500)}`));
    }, opts.startTimeoutMs ?? 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(handle(child, port, dir, ownDir));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready: ${output.slice(-500)}`));
    });
  });
}

function handle(child: ChildProcess, port: number, dir: string, ownDir: boolean): RedisServerHandle {
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => {
          if (ownDir) rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        child.kill('SIGTERM');
      });
      return stopping;
    },
  };
}
