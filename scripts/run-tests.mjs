#!/usr/bin/env node
// Runs every package's tests through turbo (build first), every suite even after one fails
// (--continue), then prints one closing line summed over all packages: "Tests: N passed, N failed,
// N skipped". A package with tests that left no results (it did not run, or crashed) is named and
// counted as a failure, so the summary never hides it. Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = [
  ...['apps', 'packages'].flatMap((top) =>
    readdirSync(join(root, top), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(root, top, d.name)),
  ),
  join(root, 'examples'),
  join(root, 'scripts'),
];
// Processes a test spawned that ended on their own, or logged errors, are listed by @orch/testing in
// EXITS, one JSON line each (SERVICE_EXITS_FILE in packages/testing/src/service-process.ts); those of
// failed suites are printed with their failures (a door that died says why).
const EXITS = '.service-exits.jsonl';
for (const dir of dirs) for (const f of ['.jest-results.json', EXITS]) rmSync(join(dir, f), { force: true });

const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=2', '--continue', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
let suitesFailed = 0;
const missing = [];
const failures = []; // "package › file › test: first line of the message", for the closing lines
for (const dir of dirs) {
  const file = join(dir, '.jest-results.json');
  const pkg = join(dir, 'package.json');
  const hasTests = existsSync(pkg) && Boolean(JSON.parse(readFileSync(pkg, 'utf8')).scripts?.test);
  if (!existsSync(file)) {
    if (hasTests) missing.push(dir.slice(root.length));
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  suitesFailed += r.numFailedTestSuites;
  for (const suite of r.testResults ?? []) {
    const where = `${dir.slice(root.length)} › ${suite.name.slice(dir.length + 1)}`;
    const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const t of failedTests) failures.push(`${where} › ${t.fullName}: ${firstLines(t.failureMessages?.[0])}`);
    if (!failedTests.length && suite.status === 'failed') failures.push(`${where}: ${firstLines(suite.message)}`);
    if (suite.status === 'failed') for (const e of exitsOf(dir, suite.name)) failures.push(`${where}: (a process it started) ${e}`);
  }
}
if (suitesFailed && !failed) failed = suitesFailed; // a suite that failed to load counts as a failure
failed += missing.length;
// Repeated at the very end, and kept in a file CI prints again as its last lines: a log read from its
// tail still names what failed.
for (const dir of missing) failures.push(`${dir}: no test results (it did not run, or crashed; counted as failed)`);
if (!failures.length && failed === 0 && turbo.status !== 0) failures.push(`turbo exited ${turbo.status}: a task failed outside the tests (a build?); see above`);
const closing = failures.map((f) => `FAILED: ${f}\n`).join('');
if (closing) process.stdout.write(`\n${closing}`);
writeFileSync(join(root, '.test-failures.txt'), closing);
process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 ? 1 : (turbo.status ?? 1));

/** The processes a suite started that ended on their own (script, code or signal, stderr's tail) or logged errors. */
function exitsOf(dir, testPath) {
  const file = join(dir, EXITS);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((e) => e.testPath === testPath)
    .map((e) =>
      e.errors
        ? `${relative(root, e.script)} logged as errors (its last ${e.errors.length}): ${e.errors.join(' | ')}`
        : `${relative(root, e.script)} ${e.code !== null ? `exited with ${e.code}` : `ended by ${e.signal}`}: ${e.stderrTail.replace(/\s+/g, ' ').slice(-400)}`,
    );
}

function firstLines(text) {
  // Jest's messages carry ANSI colours, then what broke (matcher, expected, received), then a stack.
  const lines = String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim());
  const head = lines.slice(0, lines.findIndex((l) => l.startsWith('at ')) >>> 0).filter(Boolean);
  return head.slice(0, 4).join(' | ').slice(0, 400);
}
