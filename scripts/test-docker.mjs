#!/usr/bin/env node
// pnpm run test:docker — the Docker images and the compose stack, for real, on a Docker engine:
//  1. a base image made locally (docker/make-base.sh: Debian + Node LTS; Docker Hub is not needed) and a
//     Redis image from it stand in for node:24-bookworm-slim and redis:7-alpine;
//  2. compose builds every image from docker/Dockerfile (NODE_IMAGE = that base);
//  3. each image runs alone, read-only, as non-root, with every capability dropped, until Docker calls
//     it healthy; then `docker stop` must end it with exit code 0;
//  4. the compose stack comes up by the seed's words — provider keys in .env, then `./scripts/deploy.sh`
//     with no argument (Debian's docker-compose 1.29, or `docker compose`), which moves the keys into
//     the compose secret files and makes a caller key — the workers pointed at fake providers on this
//     machine; one REST call, one
//     WebSocket call and one MCP call (the SDK's Client) are answered through it; no key is in any
//     container's environment; `stop` ends every container with exit code 0.
// Needs a running Docker engine (Debian: apt-get install -y docker.io docker-compose debootstrap; dockerd &).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { checks, seconds as s } from './clients/checks.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const require = createRequire(import.meta.url);
const { freePort, waitFor, startFakeProvider } = require(join(root, 'packages/testing/dist/index.js'));
const WebSocket = require('ws');
const sdk = createRequire(join(root, 'apps/mcp-gateway/package.json'));
const { Client } = sdk('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = sdk('@modelcontextprotocol/sdk/client/streamableHttp.js');

const APPS = ['mcp-gateway', 'rest-bridge', 'ws-bridge', 'worker-openrouter', 'worker-openai'];
const BASE = process.env.NODE_IMAGE || 'mcp-orchestrator/node-base:24-bookworm';
const REDIS_IMAGE = 'mcp-orchestrator/test-redis:bookworm';
const PROJECT = 'orchdockertest';
const VERSION = 'test';
// Debian's redis-server on the same base: a stand-in for redis:7-alpine. /data belongs to redis so a
// fresh named volume there does too; like the official image's entrypoint, protected mode is off (the
// container's network is the boundary).
const REDIS_DOCKERFILE = `ARG BASE
FROM \${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/* && mkdir /data && chown redis:redis /data
USER redis
WORKDIR /data
ENTRYPOINT ["sh", "-c", "exec \\"$@\\" --protected-mode no", "--"]
CMD ["redis-server"]
`;
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts }).trim();
const docker = (...args) => run('docker', args);
const { check, finish } = checks('test:docker');
const step = (text) => process.stdout.write(`-- ${text}\n`);

if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write('test:docker: no Docker engine answers (Debian: apt-get install -y docker.io docker-compose debootstrap, then start dockerd)\n');
  process.exit(1);
}
// Debian's docker-compose 1.29 when present (what .ci/run installs), else the compose plugin.
const composeBin = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0 ? ['docker-compose'] : ['docker', 'compose'];
const work = mkdtempSync(join(tmpdir(), 'orch-docker-'));
const secretsDir = join(work, 'secrets');
// Made by deploy.sh on its first run (read from its secret file then); the images-alone step's own before.
let callerKey = `k-${randomBytes(12).toString('hex')}`;
const adminKey = `admin-${randomBytes(12).toString('hex')}`;
const providerKeys = { openrouter: `sk-or-${randomBytes(8).toString('hex')}`, openai: `sk-${randomBytes(8).toString('hex')}` };
const ports = { rest: await freePort(), ws: await freePort(), mcp: await freePort() };
const composeEnv = {
  ...process.env,
  NODE_IMAGE: BASE,
  REDIS_IMAGE,
  ORCH_VERSION: VERSION,
  ORCH_SECRETS_DIR: secretsDir,
  WORKER_REPLICAS: '1',
  REST_PORT: String(ports.rest),
  WS_PORT: String(ports.ws),
  MCP_HTTP_PORT: String(ports.mcp),
};
// The same stack with examples/redis-sentinel's replicas and sentinels; the apps reach Redis through the sentinels.
const sentinelEnv = { ...composeEnv, REDIS_URL: '', REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379', REDIS_SENTINEL_MASTER: 'orchmaster', REDIS_WAIT_REPLICAS: '1' };
const composeSentinel = (...args) =>
  run(composeBin[0], [...composeBin.slice(1), '-p', PROJECT, '-f', join(root, 'docker-compose.yml'), '-f', join(root, 'examples/redis-sentinel/docker-compose.yml'), '-f', join(work, 'override.yml'), ...args], { cwd: root, env: sentinelEnv, maxBuffer: 64 << 20 });
const compose = (...args) => run(composeBin[0], [...composeBin.slice(1), '-p', PROJECT, '-f', join(root, 'docker-compose.yml'), '-f', join(work, 'override.yml'), ...args], { cwd: root, env: composeEnv, maxBuffer: 64 << 20 });

const providers = await Promise.all([
  startFakeProvider({ flavor: 'openrouter', apiKey: providerKeys.openrouter, host: '0.0.0.0' }),
  startFakeProvider({ flavor: 'openai', apiKey: providerKeys.openai, host: '0.0.0.0' }),
]);
const started = Date.now();
try {
  step(`base image ${BASE} (docker/make-base.sh)`);
  if (!process.env.NODE_IMAGE) execFileSync(join(root, 'docker/make-base.sh'), [BASE], { stdio: 'inherit' });
  run('docker', ['build', '-q', '-t', REDIS_IMAGE, '--build-arg', `BASE=${BASE}`, '-f', '-', work], { input: REDIS_DOCKERFILE, env: { ...process.env, DOCKER_BUILDKIT: '0' } });

  writeSecrets();
  writeFileSync(join(work, 'override.yml'), overrideFile());

  step(`${composeBin.join(' ')} build (every image from docker/Dockerfile)`);
  let t = Date.now();
  compose('build');
  check('compose built the five images', APPS.every((a) => docker('image', 'inspect', '-f', '{{.Config.User}}', `mcp-orchestrator/${a}:${VERSION}`) === 'node'), `${s(t)} s, each runs as user node`);
  for (const app of APPS) {
    const node = docker('run', '--rm', '--entrypoint', 'node', `mcp-orchestrator/${app}:${VERSION}`, '--version');
    if (app === 'rest-bridge') check('images run a supported Node LTS', /^v(2[2468])\./.test(node), node);
  }

  step('each image alone: read-only, non-root, no capabilities, until healthy');
  await eachImageAlone();

  step('the compose stack, by the seed\'s words: provider keys in .env, then ./scripts/deploy.sh');
  t = Date.now();
  deployLikeTheSeed();
  const ids = compose('ps', '-q').split('\n').filter(Boolean);
  const healthy = await allHealthy(ids, 180_000);
  check('every compose container turned healthy', healthy.ok, `${ids.length} containers in ${s(t)} s${healthy.ok ? '' : `; not healthy: ${healthy.bad.join(', ')}`}`);
  await calls();
  const leaked = ids.filter((id) => Object.values(providerKeys).concat(callerKey, adminKey).some((k) => docker('inspect', '-f', '{{json .Config.Env}}', id).includes(k)));
  check('no key is in any container environment (compose secrets, read through <NAME>_FILE)', leaked.length === 0);

  t = Date.now();
  compose('stop');
  const codes = ids.map((id) => docker('inspect', '-f', '{{.Name}} {{.State.ExitCode}}', id));
  check('compose stop: every container exits 0', codes.every((c) => c.endsWith(' 0')), `${s(t)} s; ${codes.filter((c) => !c.endsWith(' 0')).join(', ')}`);

  step('the compose stack on a sentinel group (examples/redis-sentinel): a master, two replicas, three sentinels');
  t = Date.now();
  composeSentinel('up', '-d');
  const sentinelIds = composeSentinel('ps', '-q').split('\n').filter(Boolean);
  const sentinelHealthy = await allHealthy(sentinelIds, 180_000);
  check('every container of the sentinel stack turned healthy', sentinelHealthy.ok, `${sentinelIds.length} containers in ${s(t)} s${sentinelHealthy.ok ? '' : `; not healthy: ${sentinelHealthy.bad.join(', ')}`}`);
  await calls();
  const master = sentinelIds.find((id) => docker('inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}}', id) === 'redis');
  const replication = master ? docker('exec', master, 'redis-cli', 'info', 'replication') : '';
  const known = docker('exec', sentinelIds.find((id) => docker('inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}}', id) === 'sentinel-1'), 'redis-cli', '-p', '26379', 'sentinel', 'get-master-addr-by-name', 'orchmaster');
  check('the sentinels name the master; it has two replicas; the apps reached it through the sentinels', /connected_slaves:2/.test(replication) && known.split('\n')[0] === 'redis', `master ${known.replace(/\n/g, ':')}, ${/connected_slaves:\d+/.exec(replication)?.[0]}`);
  composeSentinel('stop');
} catch (err) {
  check('the run', false, `${err.message}\n${err.stderr ?? ''}${err.stdout?.slice(-4000) ?? ''}`);
} finally {
  spawnSync(composeBin[0], [...composeBin.slice(1), '-p', PROJECT, '-f', join(root, 'docker-compose.yml'), '-f', join(root, 'examples/redis-sentinel/docker-compose.yml'), '-f', join(work, 'override.yml'), 'down', '-v', '--remove-orphans'], { cwd: root, env: composeEnv, stdio: 'ignore' });
  await Promise.all(providers.map((p) => p.stop()));
  rmSync(work, { recursive: true, force: true });
}
finish(` in ${s(started)} s`);

async function eachImageAlone() {
  const net = `${PROJECT}-alone`;
  spawnSync('docker', ['network', 'create', net], { stdio: 'ignore' });
  const names = [];
  try {
    docker('run', '-d', '--name', `${net}-redis`, '--network', net, '--network-alias', 'redis', REDIS_IMAGE, 'redis-server', '--save', '');
    names.push(`${net}-redis`);
    await waitFor(() => spawnSync('docker', ['exec', `${net}-redis`, 'redis-cli', 'ping'], { encoding: 'utf8' }).stdout.includes('PONG'), { timeoutMs: 30_000, intervalMs: 200, what: 'Redis' });
    for (const app of APPS) {
      const name = `${net}-${app}`;
      const keyEnv = app.startsWith('worker-') ? ['-e', `${app === 'worker-openai' ? 'OPENAI' : 'OPENROUTER'}_API_KEY=unused`] : ['-e', `ORCH_API_KEYS=${callerKey}`];
      docker('run', '-d', '--name', name, '--network', net, '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges:true', '-e', 'REDIS_URL=redis://redis:6379', ...keyEnv, `mcp-orchestrator/${app}:${VERSION}`);
      names.push(name);
    }
    const t = Date.now();
    const healthy = await allHealthy(names.slice(1), 120_000);
    for (const app of APPS) {
      const name = `${net}-${app}`;
      const uid = docker('exec', name, 'id', '-u');
      const write = spawnSync('docker', ['exec', name, 'sh', '-c', 'touch /app/x'], { encoding: 'utf8' });
      const stop = Date.now();
      docker('stop', '-t', '30', name);
      const code = docker('inspect', '-f', '{{.State.ExitCode}}', name);
      check(`${app}: healthy, uid ${uid}, root filesystem read-only, docker stop → exit ${code}`, !healthy.bad.includes(name) && uid !== '0' && write.status !== 0 && code === '0', `healthy after ${s(t)} s, stopped in ${s(stop)} s`);
    }
  } finally {
    for (const name of names) spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    spawnSync('docker', ['network', 'rm', net], { stdio: 'ignore' });
  }
}

async function calls() {
  const auth = { Authorization: `Bearer ${callerKey}` };
  // REST
  try {
    const res = await fetch(`http://127.0.0.1:${ports.rest}/mcp/query_specific_model`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'Say hello from Docker.' }) });
    const body = await res.json();
    check('REST call through the stack', res.status === 200 && body.success === true && JSON.stringify(body.result ?? '').length > 20, `${res.status} ${JSON.stringify(body).slice(0, 160)}`);
  } catch (err) {
    check('REST call through the stack', false, err.message);
  }
  // The operators' page, with the admin key from its secret file.
  const board = await fetch(`http://127.0.0.1:${ports.rest}/admin/queues/api/queues`, { headers: { Authorization: `Bearer ${adminKey}` } }).catch((err) => ({ status: err.message }));
  check('bull-board through the stack, with the admin key from its secret', board.status === 200, `status ${board.status}`);
  // WebSocket
  try {
    const reply = await new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${ports.ws}`, { headers: auth });
      const timer = setTimeout(() => (ws.terminate(), reject(new Error('no result within 60 s'))), 60_000);
      ws.on('open', () => ws.send(JSON.stringify({ id: 'c1', method: 'query_specific_model', params: { model: 'o3_architect', description: 'Say hello from Docker.' } })));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.id === 'c1' && (msg.type === 'result' || msg.type === 'error')) {
          clearTimeout(timer);
          ws.close();
          resolve(msg);
        }
      });
      ws.on('error', (err) => (clearTimeout(timer), reject(err)));
    });
    check('WebSocket call through the stack', reply.type === 'result', JSON.stringify(reply).slice(0, 160));
  } catch (err) {
    check('WebSocket call through the stack', false, err.message);
  }
  // MCP (the SDK's Client: it validates structured content against the tool's output schema)
  const client = new Client({ name: 'test-docker', version: '1' });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${ports.mcp}/mcp`), { requestInit: { headers: auth } }));
    const out = await client.callTool({ name: 'query_specific_model', arguments: { model: 'gemini_pro', description: 'Say hello from Docker.' } });
    check('MCP call through the stack', !out.isError && out.content?.[0]?.text?.length > 0, (out.content?.[0]?.text ?? '').slice(0, 120).replace(/\n/g, ' '));
  } catch (err) {
    check('MCP call through the stack', false, err.message);
  } finally {
    await client.close().catch(() => {});
  }
  const calls = providers.reduce((n, p) => n + p.requests.length, 0);
  check('the workers reached the fake providers with the keys from the secrets', calls >= 3 && providers.every((p) => p.requests.every((r) => r.status === 200)), `${calls} provider calls`);
}

async function allHealthy(ids, timeoutMs) {
  const status = () => ids.map((id) => [id, spawnSync('docker', ['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}', id], { encoding: 'utf8' }).stdout.trim()]);
  try {
    await waitFor(() => status().every(([, st]) => st === 'healthy'), { timeoutMs, intervalMs: 1000 });
    return { ok: true, bad: [] };
  } catch {
    const bad = status().filter(([, st]) => st !== 'healthy');
    for (const [id] of bad) process.stdout.write(`  logs of ${id}:\n${spawnSync('docker', ['logs', '--tail', '15', id], { encoding: 'utf8' }).stderr}\n`);
    return { ok: false, bad: bad.map(([id, st]) => `${id} (${st})`) };
  }
}

/**
 * The seed's quick start: provider keys in .env, then `./scripts/deploy.sh` with no argument. A .env
 * of the developer's own is set aside and put back. deploy.sh reaches the test's compose project and
 * override through compose's own variables.
 */
function deployLikeTheSeed() {
  const envFile = join(root, '.env');
  const own = existsSync(envFile) ? `${envFile}.test-docker-${process.pid}` : undefined;
  if (own) renameSync(envFile, own);
  try {
    writeFileSync(envFile, `OPENROUTER_API_KEY=${providerKeys.openrouter}\nOPENAI_API_KEY="${providerKeys.openai}"\nMCP_DAILY_LIMIT=100\n`);
    const out = run(join(root, 'scripts/deploy.sh'), [], {
      cwd: root,
      env: { ...composeEnv, COMPOSE_FILE: `${join(root, 'docker-compose.yml')}:${join(work, 'override.yml')}`, COMPOSE_PROJECT_NAME: PROJECT },
      maxBuffer: 64 << 20,
    });
    const env = readFileSync(envFile, 'utf8');
    const mode = (f) => (statSync(f).mode & 0o777).toString(8);
    const file = (name) => readFileSync(join(secretsDir, name), 'utf8').trim();
    check(
      './scripts/deploy.sh (no argument) moved the provider keys from .env into the secret files',
      /moved OPENROUTER_API_KEY/.test(out) && /moved OPENAI_API_KEY/.test(out) && file('openrouter_api_key') === providerKeys.openrouter && file('openai_api_key') === providerKeys.openai &&
        !Object.values(providerKeys).some((k) => env.includes(k)) && mode(join(secretsDir, 'openai_api_key')) === '644' && mode(secretsDir) === '700',
      `.env now: ${env.split('\n').filter(Boolean).join(' | ')}`,
    );
    callerKey = file('orch_api_keys');
    check('deploy.sh made a caller key, named but not printed', /generated one in/.test(out) && callerKey.length >= 32 && !out.includes(callerKey));
  } finally {
    rmSync(envFile, { force: true });
    if (own) renameSync(own, envFile);
  }
}

/** What deploy.sh does not make: the admin key (and the alert webhook, unset). */
function writeSecrets() {
  execFileSync('mkdir', ['-p', secretsDir]);
  const files = { orch_admin_key: adminKey, orch_alert_webhook_url: '' };
  for (const [name, value] of Object.entries(files)) {
    writeFileSync(join(secretsDir, name), `${value}\n`);
    chmodSync(join(secretsDir, name), 0o644);
  }
}

// The workers reach the fake providers on this machine through the host gateway.
function overrideFile() {
  const [openrouter, openai] = providers;
  const worker = (name, url) => `  ${name}:\n    extra_hosts: ["host.docker.internal:host-gateway"]\n    environment:\n      ${url}\n`;
  return `services:\n${worker('worker-openrouter', `OPENROUTER_BASE_URL: http://host.docker.internal:${openrouter.port}/api/v1`)}${worker('worker-openai', `OPENAI_BASE_URL: http://host.docker.internal:${openai.port}/v1`)}`;
}
