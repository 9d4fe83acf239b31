#!/usr/bin/env node
// The MCP conformance suite's server scenarios, for both requirement sets (2025-11-25 and
// 2026-07-28), against the gateway's Streamable HTTP mode as users run it, and against the
// conformance fixture server (the same gateway with the suite's fixture tools, resources and prompts
// mounted: apps/mcp-gateway/src/conformance). The suite needs Node >= 22, so it runs through
// `npx -p node@22` (from the npm registry); the gateway runs on this Node.
// The official Inspector's CLI lists and calls the product's tools too.
// Usage: node scripts/conformance.mjs (after build). Results: .conformance/<server>-<revision>/.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const { startRedis, freePort, spawnService } = require('../packages/testing/dist/index.js');

const CONFORMANCE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
// The official Inspector's CLI (it also needs Node 22): a third client of the product's HTTP mode.
const INSPECTOR = '@modelcontextprotocol/inspector@2.12.0';
const REVISIONS = ['2025-11-25', '2026-07-28'];
const root = join(import.meta.dirname, '..');
const out = join(root, '.conformance');

/**
 * The scenarios the product server (its own 16 tools, no prompts or resources) must pass. The rest
 * call the suite's fixture tools, prompts and resources, and run against the fixture server.
 */
const PRODUCT = {
  '2025-11-25': ['server-initialize', 'ping', 'logging-set-level', 'tools-list', 'dns-rebinding-protection', 'server-session-lifecycle', 'server-sse-polling'],
  '2026-07-28': ['tools-list', 'dns-rebinding-protection', 'server-sse-multiple-streams', 'sep-2164-resource-not-found', 'input-required-result-unsupported-methods', 'http-header-validation'],
};
/**
 * Scenarios that cannot apply to a server that is stateless in both eras: each asks the server to
 * send the client a request of its own (sampling/createMessage, elicitation/create) in the middle of
 * a 2025 tools/call, and a stateless HTTP server has no channel for the client's answer to come back
 * on. (2026-07-28 clients get the same through input-required results, which pass.) And a pending
 * one the SDK checks only for its high-level server (custom Mcp-Param headers; no tool here declares
 * one).
 */
const NOT_APPLICABLE = {
  '2025-11-25': ['tools-call-sampling', 'tools-call-elicitation', 'elicitation-sep1034-defaults', 'elicitation-sep1330-enums'],
  '2026-07-28': ['http-custom-header-server-validation'],
};

/** Runs one requirement set against a URL; returns each scenario's pass/fail from the summary. */
function run(url, revision, dir) {
  rmSync(dir, { recursive: true, force: true });
  const r = spawnSync('npx', ['-y', '-p', 'node@22', '-p', CONFORMANCE, 'conformance', 'server', '--url', url, '--requirements', revision, '-o', dir], { encoding: 'utf8', timeout: 900_000 });
  const results = new Map();
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^([✓✗]) ([\w-]+): (\d+) passed, (\d+) failed/.exec(line);
    if (m) results.set(m[2], { ok: m[1] === '✓', passed: Number(m[3]), failed: Number(m[4]) });
  }
  if (!results.size) process.stdout.write(`conformance: no summary from the suite (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}\n`);
  return results;
}

const redis = await startRedis();
let failed = 0;
const report = (what, ok, detail) => {
  if (!ok) failed++;
  process.stdout.write(`conformance ${what}: ${ok ? 'pass' : 'FAIL'}${detail ? ` (${detail})` : ''}\n`);
};
try {
  for (const [server, script, prefix] of [
    ['product', 'apps/mcp-gateway/dist/main.js', 'cp'],
    ['fixture', 'apps/mcp-gateway/dist/conformance/main.js', 'cf'],
  ]) {
    const port = await freePort();
    const gateway = await spawnService({
      script: join(root, script),
      env: { REDIS_URL: redis.url, ORCH_QUEUE_PREFIX: prefix, MCP_HTTP_PORT: String(port), MCP_TRANSPORT: 'http', OPENAI_API_KEY: 'unused', OPENROUTER_API_KEY: 'unused', MCP_LOG_LEVEL: 'info' },
      readyText: 'MCP Streamable HTTP listening',
    });
    try {
      if (server === 'product') {
        const url = `http://127.0.0.1:${port}/mcp`;
        const inspector = (...args) => spawnSync('npx', ['-y', '-p', 'node@22', '-p', INSPECTOR, 'mcp-inspector', '--cli', url, '--transport', 'http', ...args], { encoding: 'utf8', timeout: 300_000 });
        const list = inspector('--method', 'tools/list');
        const call = inspector('--method', 'tools/call', '--tool-name', 'list_models');
        let tools = 0;
        try {
          tools = JSON.parse(list.stdout).tools.length;
        } catch {
          /* reported below */
        }
        report('product: the Inspector CLI lists the tools and calls one', tools === 16 && call.status === 0 && call.stdout.includes('gemini_pro'), `${tools} tools; list_models ${call.status === 0 ? 'answered' : `failed: ${(call.stderr ?? '').trim().split('\n').pop()}`}`);
      }
      for (const revision of REVISIONS) {
        const results = run(`http://127.0.0.1:${port}/mcp`, revision, join(out, `${server}-${revision}`));
        const expected = server === 'product' ? PRODUCT[revision] : [...results.keys()].filter((s) => !NOT_APPLICABLE[revision].includes(s));
        let passed = 0;
        for (const scenario of expected) {
          const r = results.get(scenario);
          if (r?.ok) passed++;
          else report(`${server} ${revision} ${scenario}`, false, r ? `${r.passed} passed, ${r.failed} failed` : 'not run');
        }
        const skipped = server === 'fixture' ? `; not applicable: ${NOT_APPLICABLE[revision].join(', ')}` : '';
        report(`${server} --requirements ${revision}`, expected.length > 0 && passed === expected.length, `${passed} of ${expected.length} scenarios${skipped}`);
      }
    } finally {
      await gateway.kill();
    }
  }
} finally {
  await redis.stop();
}
process.exit(failed ? 1 : 0);
