#!/usr/bin/env node
// Runs the MCP conformance suite's server scenarios that apply to this server against the gateway's
// Streamable HTTP mode. The suite needs Node >= 22, so it runs through `npx -p node@22` (from the npm
// registry); the gateway itself runs on this Node. Usage: node scripts/conformance.mjs (after build).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const { startRedis, freePort, spawnService } = require('../packages/testing/dist/index.js');

const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'];
const CONFORMANCE = '@modelcontextprotocol/conformance@0.1.16';
const root = join(import.meta.dirname, '..');

const redis = await startRedis();
const port = await freePort();
const gateway = await spawnService({
  script: join(root, 'apps/mcp-gateway/dist/main.js'),
  env: { REDIS_URL: redis.url, MCP_HTTP_PORT: String(port), MCP_TRANSPORT: 'http', OPENAI_API_KEY: 'unused', OPENROUTER_API_KEY: 'unused', MCP_LOG_LEVEL: 'info' },
  readyText: 'MCP Streamable HTTP listening',
});
let failed = 0;
try {
  for (const scenario of SCENARIOS) {
    const r = spawnSync('npx', ['-y', '-p', 'node@22', '-p', CONFORMANCE, 'conformance', 'server', '--url', `http://127.0.0.1:${port}/mcp`, '--scenario', scenario], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const summary = (r.stdout ?? '').split('\n').find((l) => l.startsWith('Passed:')) ?? (r.stderr ?? '').trim().split('\n').slice(-3).join(' ');
    process.stdout.write(`conformance ${scenario}: ${r.status === 0 ? 'pass' : 'FAIL'} (${summary})\n`);
    if (r.status !== 0) failed++;
  }
} finally {
  await gateway.kill();
  await redis.stop();
}
process.exit(failed ? 1 : 0);
