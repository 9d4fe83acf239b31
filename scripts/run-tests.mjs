#!/usr/bin/env node
// Runs every package's tests through turbo (build first), every suite even after one fails
// (--continue), then prints one closing line summed over all packages: "Tests: N passed, N failed,
// N skipped". A package with tests that left no results (it did not run, or crashed) is named and
// counted as a failure, so the summary never hides it. Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

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
for (const dir of dirs) rmSync(join(dir, '.jest-results.json'), { force: true });

const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=2', '--continue', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
let suitesFailed = 0;
const missing = [];
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
}
if (suitesFailed && !failed) failed = suitesFailed; // a suite that failed to load counts as a failure
failed += missing.length;
if (missing.length) process.stdout.write(`\nNo test results from: ${missing.join(', ')} (counted as failed)\n`);
process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 ? 1 : (turbo.status ?? 1));
