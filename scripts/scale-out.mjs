#!/usr/bin/env node
// pnpm test:scale-out: the stack on more than one Redis (issue 28). First the scale-out suite (the
// whole stack on a 3-master + 3-replica Redis Cluster and on a sentinel group, kill -9 failover
// drills, bad settings at start); then the integration suites of the ledger, the event streams, the
// orchestrator, the worker, the doors, the client and the takeover drills a second time with their
// Redis a cluster (ORCH_TEST_REDIS=cluster: @orch/testing's startTestRedis and startFakeStack start
// one), and the takeover drills on a sentinel group. Every run goes on after a failure; the closing lines name each run
// with its counts, and a run that left no results counts as failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const WHOLE_STACK = [
  ['packages/ledger', ['src/ledger.test.ts']],
  ['packages/queue', ['src/events.test.ts']],
  ['packages/orchestration', ['src/orchestrator.test.ts']],
  ['packages/worker', ['src/provider-worker.test.ts']],
  ['scripts', ['test/takeover.test.ts', 'test/verdict.test.ts', 'test/metrics.test.ts', 'test/alerts.test.ts', 'test/keys.test.ts']],
  ['apps/rest-bridge', ['test/rest.test.ts', 'test/parameters.test.ts', 'test/admin.test.ts', 'test/shutdown.test.ts']],
  ['apps/ws-bridge', ['test/bridge.test.ts']],
  ['apps/mcp-gateway', ['test/gateway.test.ts']],
  ['packages/client', ['test/e2e.test.ts']],
  ['examples', ['test/examples.test.ts']],
];
const runs = [
  { name: 'scale-out suite (cluster and sentinel, failover drills)', dir: 'scripts', args: ['-c', 'jest.scale-out.cjs'], env: {} },
  ...WHOLE_STACK.map(([dir, files]) => ({ name: `${dir} on a Redis Cluster`, dir, args: files, env: { ORCH_TEST_REDIS: 'cluster' } })),
  { name: 'scripts takeover drills on a sentinel group', dir: 'scripts', args: ['test/takeover.test.ts'], env: { ORCH_TEST_REDIS: 'sentinel' } },
];

const lines = [];
let failed = 0;
for (const run of runs) {
  const out = join(root, run.dir, '.jest-scale-out.json');
  rmSync(out, { force: true });
  process.stdout.write(`\n== ${run.name}\n`);
  const r = spawnSync('pnpm', ['exec', 'jest', ...run.args, '--json', `--outputFile=${out}`], { cwd: join(root, run.dir), stdio: 'inherit', env: { ...process.env, ...run.env } });
  if (!existsSync(out)) {
    failed++;
    lines.push(`FAILED: ${run.name}: no test results (exit ${r.status ?? r.signal}; it did not run, or crashed)`);
    continue;
  }
  const j = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  const bad = j.numFailedTests + (j.numFailedTests ? 0 : j.numFailedTestSuites);
  failed += bad;
  lines.push(`${bad ? 'FAILED' : 'ok'}: ${run.name}: ${j.numPassedTests} passed, ${bad} failed, ${j.numPendingTests} skipped`);
  for (const suite of j.testResults ?? []) {
    for (const t of (suite.assertionResults ?? []).filter((a) => a.status === 'failed')) lines.push(`  FAILED: ${suite.name.slice(root.length)} › ${t.fullName}: ${(t.failureMessages?.[0] ?? '').split('\n')[0]}`);
  }
}
process.stdout.write(`\n${lines.join('\n')}\n\ntest:scale-out: ${runs.length} runs, ${failed} failed\n`);
process.exit(failed ? 1 : 0);
