#!/usr/bin/env node
// pnpm run test:npx — the installable package the way a new user meets it: `npm pack` of it
// (scripts/pack-cli.mjs), then, under a scratch HOME with no Redis running and no REDIS_URL,
//  1. `npx -y ./dist-pack/<tarball> register` (the README's line) with the real Claude Code CLI on
//     the PATH: Claude Desktop's config gets the server with absolute paths, other servers kept, and
//     `claude mcp list` says ✔ Connected (the server started its private redis-server);
//  2. the MCP SDK's Client starts the server exactly as Claude Desktop's config says and makes a call,
//     answered by the in-process workers through a fake OpenRouter that checks the key;
//  3. the same package's HTTP mode with a key, registered with `register --http … --key …`:
//     ✔ Connected;
//  4. `mcp-orchestrator redis stop` stops the private Redis.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { claudeCliBin } from './claude-cli.mjs';
import { checks, seconds as s } from './checks.mjs';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const require = createRequire(import.meta.url);
const { freePort, startFakeProvider, waitFor } = require(join(root, 'packages/testing/dist/index.js'));
const sdk = createRequire(join(root, 'apps/mcp-gateway/package.json'));
const { Client } = sdk('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = sdk('@modelcontextprotocol/sdk/client/stdio.js');

const { check, finish } = checks('test:npx');

const tarball = execFileSync('node', [join(root, 'scripts/pack-cli.mjs')], { encoding: 'utf8' }).trim();
const spec = `./dist-pack/${basename(tarball)}`;
const home = mkdtempSync(join(tmpdir(), 'orch-npx-home-'));
const cliBin = claudeCliBin();
const KEY = 'sk-or-npx-test';
const fake = await startFakeProvider({ flavor: 'openrouter', apiKey: KEY });
// What a user's shell has: their keys; not REDIS_URL (the package brings its own Redis).
const env = { PATH: `${cliBin}:${process.env.PATH}`, HOME: home, OPENROUTER_API_KEY: KEY, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '' };
const npx = (args, opts = {}) => spawnSync('npx', ['-y', spec, ...args], { cwd: root, env, encoding: 'utf8', timeout: 240_000, ...opts });
let http;
try {
  // A Claude Desktop that already has a server of its own.
  const desktopFile = join(home, '.config/Claude/claude_desktop_config.json');
  mkdirSync(join(home, '.config/Claude'), { recursive: true });
  writeFileSync(desktopFile, JSON.stringify({ mcpServers: { other: { command: 'other-server' } }, globalShortcut: 'Ctrl+Space' }));

  let t = Date.now();
  const reg = npx(['register', '--env', `OPENROUTER_BASE_URL=${fake.baseURL}`]);
  check(`npx -y ${spec} register`, reg.status === 0, `exit ${reg.status} in ${s(t)} s (install included)\n${indent(reg.stdout + reg.stderr)}`);
  const desktop = JSON.parse(readFileSync(desktopFile, 'utf8'));
  const entry = desktop.mcpServers?.orchestrator;
  check(
    'Claude Desktop config: the server with absolute paths, the key by reference (a 0600 file), other settings kept, readable by the user only',
    entry &&
      entry.command === process.execPath &&
      entry.args?.[0]?.startsWith('/') &&
      entry.env?.OPENROUTER_API_KEY === undefined &&
      entry.env?.OPENROUTER_API_KEY_FILE?.startsWith('/') &&
      readFileSync(entry.env.OPENROUTER_API_KEY_FILE, 'utf8').trim() === KEY &&
      (statSync(entry.env.OPENROUTER_API_KEY_FILE).mode & 0o077) === 0 &&
      !readFileSync(desktopFile, 'utf8').includes(KEY) &&
      desktop.mcpServers.other &&
      desktop.globalShortcut === 'Ctrl+Space' &&
      (statSync(desktopFile).mode & 0o077) === 0,
    JSON.stringify(entry && { ...entry, env: Object.keys(entry.env ?? {}) }),
  );

  t = Date.now();
  const list = spawnSync(join(cliBin, 'claude'), ['mcp', 'list'], { cwd: home, env, encoding: 'utf8', timeout: 120_000 });
  check('claude mcp list: stdio server ✔ Connected (private redis-server started)', /orchestrator: .*✔ Connected/.test(list.stdout), `${s(t)} s\n${indent(list.stdout + list.stderr)}`);

  t = Date.now();
  const client = new Client({ name: 'npx-test', version: '1' });
  try {
    await client.connect(new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...entry.env, HOME: home, PATH: process.env.PATH }, stderr: 'ignore' }));
    const out = await client.callTool({ name: 'query_specific_model', arguments: { model: 'gemini_pro', description: 'Hello from npx?' } });
    check('a call through the stdio server as Claude Desktop starts it (workers in-process)', !out.isError && /Hello from npx\?/.test(out.content?.[0]?.text ?? '') && fake.requests.length > 0, `${s(t)} s, ${fake.requests.length} provider call(s)`);
  } catch (err) {
    check('a call through the stdio server as Claude Desktop starts it (workers in-process)', false, err.message);
  } finally {
    await client.close().catch(() => {});
  }

  // HTTP mode with a key, registered with --http.
  const port = await freePort();
  const key = 'npx-test-caller-key';
  http = spawn(entry.command, [...entry.args, '--http'], { env: { ...env, ...entry.env, ORCH_API_KEYS: key, MCP_HTTP_PORT: String(port) }, stdio: 'ignore' });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 30_000, intervalMs: 200, what: 'the HTTP gateway' });
  const regHttp = npx(['register', '--name', 'orchestrator-http', '--http', `http://127.0.0.1:${port}/mcp`, '--key', key]);
  const listHttp = spawnSync(join(cliBin, 'claude'), ['mcp', 'list'], { cwd: home, env, encoding: 'utf8', timeout: 120_000 });
  check('register --http … --key …: claude mcp list says ✔ Connected', regHttp.status === 0 && /orchestrator-http: .*✔ Connected/.test(listHttp.stdout), indent(regHttp.stdout + listHttp.stdout + listHttp.stderr));
} catch (err) {
  check('the run', false, err.stack);
} finally {
  http?.kill('SIGTERM');
  const stop = npx(['redis', 'stop']);
  check('mcp-orchestrator redis stop', stop.status === 0 && /stopped/.test(stop.stdout), stop.stdout.trim());
  await fake.stop();
}
finish();

function indent(text) {
  return text.trim().split('\n').map((l) => `    ${l}`).join('\n');
}
