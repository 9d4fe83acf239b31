#!/usr/bin/env node
// The whole stack on one machine: Redis (REDIS_URL, or a private redis-server from the PATH), both
// provider workers, the REST and WebSocket bridges and the MCP gateway over HTTP. With no provider
// key it runs an offline demo on the bundled fake provider. Ctrl-C stops everything.
// Run through `pnpm start` (which builds first). Settings: .env, then the environment (README).
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, accessSync, constants } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(new URL('..', import.meta.url).pathname);
const USAGE = `Usage: pnpm start [-- --demo]
  Starts Redis (REDIS_URL, or a private redis-server), both workers, the REST bridge, the WebSocket
  bridge and the MCP gateway (HTTP). Without OPENROUTER_API_KEY and OPENAI_API_KEY it runs an offline
  demo on the bundled fake provider; --demo forces that even when keys are set.`;

let flags;
try {
  flags = parseArgs({ options: { demo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

// .env first, the real environment wins.
const env = { ...loadDotEnv(join(root, '.env')), ...process.env };
const dataDir = resolve(root, env.ORCH_DATA_DIR ?? '.data');
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });

const children = [];
let stopping = false;
const cleanups = [];

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  await main();
} catch (err) {
  console.error(`\nstart: ${err.message}`);
  await stop(1);
}

async function main() {
  if (!existsSync(join(root, 'apps/rest-bridge/dist/main.js'))) throw new Error('the apps are not built; run `pnpm start` (it builds) or `pnpm build`');
  // What each app logs when it serves, and the fake provider of the offline demo (not test code).
  const { APP_READY_TEXT } = await import(join(root, 'packages/contracts/dist/index.js'));
  const { startFakeProvider } = await import(join(root, 'packages/fake-provider/dist/index.js'));
  const appScript = (name) => join(root, 'apps', name, 'dist', 'main.js');

  const demo = flags.demo || (!env.OPENROUTER_API_KEY && !env.OPENAI_API_KEY);
  // The demo's spend is kept apart from real spend: its own ledger keys (and its own data folder
  // for the private redis-server), so a later run with real keys starts its day at $0.
  if (demo) env.LEDGER_KEY_PREFIX ??= '{ledger-demo}';

  // Redis
  let redisNote;
  if (env.REDIS_URL) {
    const { protocol, hostname, port } = new URL(env.REDIS_URL);
    // TLS (rediss://) is not probed here; the apps report a Redis they cannot reach.
    if (protocol === 'redis:' && !(await ping(hostname, Number(port || 6379), 3000))) throw new Error(`REDIS_URL=${redact(env.REDIS_URL)} does not answer; start that Redis or unset REDIS_URL to use a private redis-server`);
    redisNote = `${redact(env.REDIS_URL)} (from REDIS_URL)`;
  } else {
    const bin = env.REDIS_SERVER_BIN || which('redis-server');
    if (!bin) {
      throw new Error(
        'no Redis: set REDIS_URL to a Redis 7 server, or install redis-server so it is on the PATH\n' +
          '  Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
          '  macOS:         brew install redis\n' +
          '  Docker:        docker run -d -p 127.0.0.1:6379:6379 redis:7 --appendonly yes   (then REDIS_URL=redis://127.0.0.1:6379)',
      );
    }
    const port = Number(env.ORCH_LOCAL_REDIS_PORT ?? 6390);
    const free = (await portFree(port)) ? port : await freePort();
    const dir = join(dataDir, demo ? 'demo-redis' : 'redis');
    mkdirSync(dir, { recursive: true });
    const args = ['--port', String(free), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--save', '', '--protected-mode', 'yes'];
    await startChild('redis', bin, args, {}, async () => ping('127.0.0.1', free, 500));
    env.REDIS_URL = `redis://127.0.0.1:${free}`;
    redisNote = `${env.REDIS_URL} (private redis-server, data in ${rel(dir)}, AOF on)`;
  }

  // Providers
  if (demo) {
    const behaviour = { latencyMs: 300, tokensPerSecond: 40 };
    const [or, oa] = await Promise.all([
      startFakeProvider({ flavor: 'openrouter', apiKey: 'demo-openrouter', behaviour, host: '127.0.0.1' }),
      startFakeProvider({ flavor: 'openai', apiKey: 'demo-openai', behaviour, host: '127.0.0.1' }),
    ]);
    cleanups.push(() => Promise.all([or.stop(), oa.stop()]));
    Object.assign(env, { OPENROUTER_BASE_URL: or.baseURL, OPENROUTER_API_KEY: 'demo-openrouter', OPENAI_BASE_URL: oa.baseURL, OPENAI_API_KEY: 'demo-openai' });
  } else {
    for (const [key, what] of [['OPENROUTER_API_KEY', 'Gemini (OpenRouter)'], ['OPENAI_API_KEY', 'o3 (OpenAI)']]) {
      if (!env[key]) console.warn(`warning: ${key} is not set, so calls to ${what} will fail with provider_auth`);
    }
  }

  // Apps
  const ports = {
    rest: env.REST_PORT ?? '5050',
    ws: env.WS_PORT ?? '8765',
    mcp: env.MCP_HTTP_PORT ?? '8080',
    worker: Number(env.WORKER_METRICS_PORT ?? 9464),
    // The second worker's health port (default: the next one).
    workerOpenai: Number(env.ORCH_OPENAI_WORKER_METRICS_PORT ?? Number(env.WORKER_METRICS_PORT ?? 9464) + 1),
  };
  const apps = [
    ['worker-openrouter', [], { WORKER_METRICS_PORT: String(ports.worker) }],
    ['worker-openai', [], { WORKER_METRICS_PORT: String(ports.workerOpenai) }],
    ['rest-bridge', [], {}],
    ['ws-bridge', [], {}],
    ['mcp-gateway', ['--http'], {}],
  ];
  // Workers announce their start at info level; keep that the floor.
  const base = { MCP_LOG_LEVEL: 'info', ...env };
  await Promise.all(apps.map(([name, args, extra]) => startChild(name, process.execPath, [appScript(name), ...args], { ...base, ...extra }, APP_READY_TEXT[name])));

  const host = env.ORCH_HOST && env.ORCH_API_KEYS ? env.ORCH_HOST : '127.0.0.1';
  const lines = [
    '',
    demo
      ? '  OFFLINE DEMO MODE: answers come from the bundled fake provider (they echo your question); nothing is\n' +
        '  sent to a real model and nothing is spent. Set OPENROUTER_API_KEY and/or OPENAI_API_KEY (in .env) for real models.'
      : '  Real providers: every call is billed; limits MCP_MAX_COST_PER_REQUEST / MCP_DAILY_LIMIT apply.',
    '',
    `  REST API     http://${host}:${ports.rest}          docs: http://${host}:${ports.rest}/docs`,
    `  WebSocket    ws://${host}:${ports.ws}`,
    `  MCP (HTTP)   http://${host}:${ports.mcp}/mcp      claude mcp add --transport http orchestrator http://${host}:${ports.mcp}/mcp`,
    `  Workers      health and metrics on :${ports.worker} (OpenRouter) and :${ports.workerOpenai} (OpenAI)`,
    `  Redis        ${redisNote}`,
    `  Logs         ${rel(logDir)}/<service>.log`,
    '',
    `  Try it:  curl -s -X POST http://127.0.0.1:${ports.rest}/mcp/query_specific_model -H 'Content-Type: application/json' \\`,
    `             -d '{"model": "gemini_pro", "description": "What are React best practices?"}'`,
    '',
    `  ${env.ORCH_API_KEYS ? 'Bearer keys required (ORCH_API_KEYS).' : 'No ORCH_API_KEYS: every front door listens on 127.0.0.1 only.'}  Ctrl-C stops everything.`,
    '',
  ];
  console.log(`mcp-orchestrator is running${demo ? ' (offline demo)' : ''}\n${lines.join('\n')}`);
}

/** Starts a child with its output in <logs>/<name>.log; resolves once `ready` (text or check) is true. */
async function startChild(name, cmd, args, childEnv, ready) {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(cmd, args, { env: { ...childEnv, PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const onData = (c) => {
    log.write(c);
    if (seen.length < 200_000) seen += c.toString();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const entry = { name, child, log, exited: new Promise((r) => child.once('exit', (code, signal) => r({ code, signal }))) };
  children.push(entry);
  void entry.exited.then(({ code, signal }) => {
    if (stopping) return;
    console.error(`\n${name} stopped unexpectedly (${signal ?? `exit ${code}`}); last lines of ${rel(join(logDir, `${name}.log`))}:\n${tail(seen)}`);
    void stop(1);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited during start:\n${tail(seen)}`);
    if (typeof ready === 'string' ? seen.includes(ready) : await ready()) return;
    if (Date.now() > deadline) throw new Error(`${name} did not start within 60 s:\n${tail(seen)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (children.length) console.log('\nstopping…');
  // Apps first (they finish or hand back their work), Redis last (it writes its AOF on SIGTERM).
  const apps = children.filter((c) => c.name !== 'redis');
  await Promise.all(apps.map((c) => terminate(c, 40_000)));
  for (const fn of cleanups) await fn().catch(() => undefined);
  await Promise.all(children.filter((c) => c.name === 'redis').map((c) => terminate(c, 10_000)));
  if (children.length) console.log('stopped.');
  process.exit(code);
}

async function terminate(c, graceMs) {
  if (c.child.exitCode === null && c.child.signalCode === null) {
    c.child.kill('SIGTERM');
    const t = setTimeout(() => c.child.kill('SIGKILL'), graceMs);
    await c.exited;
    clearTimeout(t);
  }
  c.log.end();
}

function loadDotEnv(file) {
  if (!existsSync(file)) return {};
  const out = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  // Empty values count as unset (like the config loader).
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== ''));
}

function which(bin) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

function ping(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(/^\+PONG|^-NOAUTH/.test(d.toString())));
  });
}

/** A port the OS has free now (listen on 0, read it, close). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function portFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function tail(s) {
  return s.trim().split('\n').slice(-15).map((l) => `    ${l}`).join('\n');
}
function rel(p) {
  return p.startsWith(root) ? p.slice(root.length + 1) || '.' : p;
}
function redact(url) {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
