/**
 * The `mcp-orchestrator` command (the npm package's bin): the MCP server, self-contained. Without
 * REDIS_URL it uses a private redis-server (started once per user, data in the user's data folder)
 * and runs the provider workers in this process, so `npx mcp-orchestrator` is all Claude needs.
 * With REDIS_URL it is the plain gateway (workers elsewhere unless --with-workers).
 * dist/main.js stays the gateway alone: what containers run.
 */
import { join } from 'node:path';
import { dataDir } from './cli/paths';
import { ensureLocalRedis, localRedisStatus, stopLocalRedis } from './cli/local-redis';
import { register, REGISTER_USAGE } from './cli/register';
import { keysCommand, KEYS_USAGE } from './cli/keys';

const USAGE = `Usage: mcp-orchestrator [--stdio | --http] [--with-workers]   the MCP server (stdio by default)
       mcp-orchestrator register …                            add it to Claude Desktop and Claude Code
       mcp-orchestrator redis [status | stop]                 the private Redis (when REDIS_URL is not set)
       mcp-orchestrator keys …                                caller keys of a team deployment (admin API)

Without REDIS_URL, the server starts (or reuses) a private redis-server from the PATH, on a unix
socket in ${dataDir()}/redis (no TCP port), with its data there, and runs the provider workers itself. Keys: OPENROUTER_API_KEY, OPENAI_API_KEY.

${REGISTER_USAGE}

${KEYS_USAGE}`;

const BIN = join(__dirname, '..', 'bin', 'mcp-orchestrator.cjs');

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === 'register') return register(rest, BIN);
  if (command === 'redis') return redisCommand(rest[0] ?? 'status');
  if (command === 'keys') return keysCommand(rest);
  if (command === 'help' || command === '--help' || command === '-h') return process.stdout.write(`${USAGE}\n`), 0;

  // No Redis named (standalone, cluster or sentinel): this machine's private one.
  const named = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'].some((v) => process.env[v] || process.env[`${v}_FILE`]);
  if (!named) {
    const redis = await ensureLocalRedis(dataDir());
    process.env.REDIS_URL = redis.url;
    process.env.MCP_RUN_WORKERS ??= 'true';
    // stderr: in stdio mode stdout is the protocol.
    process.stderr.write(
      `${JSON.stringify({ level: 'info', service: 'mcp-gateway', message: redis.started ? 'started a private redis-server' : 'using the private redis-server', socket: redis.socket, data: redis.dir, stop: 'mcp-orchestrator redis stop' })}\n`,
    );
  }
  // The gateway reads process.argv itself (--stdio, --http, --with-workers).
  await import('./main.js');
  return undefined;
}

async function redisCommand(action: string): Promise<number> {
  if (action === 'stop') {
    const stopped = await stopLocalRedis(dataDir());
    process.stdout.write(stopped ? 'stopped the private redis-server\n' : 'the private redis-server was not running\n');
    return 0;
  }
  if (action !== 'status') return process.stderr.write(`unknown: redis ${action}\n${USAGE}\n`), 2;
  const status = await localRedisStatus(dataDir());
  process.stdout.write(status ? `running on ${status.socket}, data in ${status.dir}\n` : `not running (data folder ${join(dataDir(), 'redis')})\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`${JSON.stringify({ level: 'error', service: 'mcp-gateway', message: 'failed to start', err: err.message })}\n`);
    process.exit(1);
  },
);
