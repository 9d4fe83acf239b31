#!/usr/bin/env node
// pnpm run test:claude — the README's `claude mcp add` lines, run as written with the real Claude
// Code CLI from npm (pinned; no model key is needed to add and list servers), each under a scratch
// HOME, against a real gateway: `claude mcp list` must say "✔ Connected" for the stdio line and the
// HTTP line. Only the parts that name this machine are substituted: the checkout's path, the Redis
// URL and the HTTP port. CI runs it (.ci/run); it is apart from `pnpm test` (the CLI is ~235 MB).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CLI_VERSION, claudeCliBin } from './claude-cli.mjs';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const require = createRequire(import.meta.url);
const { freePort, spawnApp, startRedis } = require(join(root, 'packages/testing/dist/index.js'));

// The README's `claude mcp add` commands, continuation lines joined.
const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/\\\n\s*/g, ' ');
const lines = readme.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('claude mcp add '));
if (lines.length < 2) throw new Error(`expected the stdio and HTTP lines in README.md, found ${lines.length}`);

const cliBin = claudeCliBin();
const claude = join(cliBin, 'claude');

const redis = await startRedis();
const port = await freePort();
const gateway = await spawnApp('mcp-gateway', { REDIS_URL: redis.url, MCP_TRANSPORT: 'http', MCP_HTTP_PORT: String(port), ORCH_API_KEYS: 'choose-a-long-key', OPENROUTER_API_KEY: 'unused', OPENAI_API_KEY: 'unused' });
let failed = 0;
try {
  for (const line of lines) {
    const command = line
      .replaceAll('/abs/path/to/mcp-orchestrator', root)
      .replaceAll('redis://127.0.0.1:6379', redis.url)
      .replaceAll('http://127.0.0.1:8080/mcp', `http://127.0.0.1:${port}/mcp`);
    const home = mkdtempSync(join(tmpdir(), 'orch-claude-home-'));
    const env = { PATH: `${cliBin}:${process.env.PATH}`, HOME: home };
    const add = spawnSync('sh', ['-c', command.replace(/^claude /, `"${claude}" `)], { cwd: home, env, encoding: 'utf8', timeout: 60_000 });
    const list = spawnSync(claude, ['mcp', 'list'], { cwd: home, env, encoding: 'utf8', timeout: 120_000 });
    const ok = add.status === 0 && /orchestrator: .*✔ Connected/.test(list.stdout);
    if (!ok) failed++;
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${line.slice(0, 110)}${line.length > 110 ? '…' : ''}\n`);
    if (!ok) process.stdout.write(`  add (exit ${add.status}): ${(add.stdout + add.stderr).trim()}\n  list: ${(list.stdout + list.stderr).trim()}\n`);
  }
} finally {
  await gateway.kill();
  await redis.stop();
}
process.stdout.write(`claude code CLI ${CLI_VERSION}: ${lines.length - failed} of ${lines.length} README lines connected\n`);
process.exit(failed ? 1 : 0);
