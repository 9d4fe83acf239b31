#!/usr/bin/env node
// pnpm run test:readme — every command line in the README's bash blocks, as written. Each line must
// match a rule below (a new line with no rule fails this test): run here, in a fresh clone of this
// checkout's HEAD, on the ports the README names; or named with the CI step that runs it. Lines run:
//   the quick start's `npx -y pnpm@10 install && npx -y pnpm@10 start` (until it serves, then Ctrl-C:
//   exit 0), the three curl lines against it, `pnpm build`, `pnpm install && pnpm pack:cli`, the HTTP
//   gateway line and the two worker lines (with `redis-server` on 6379, as the README suggests).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const { waitFor, APP_READY_TEXT } = createRequire(import.meta.url)(join(root, 'packages/testing/dist/index.js'));

const lines = readFileSync(join(root, 'README.md'), 'utf8')
  .split(/^```/m)
  .filter((_, i) => i % 2 === 1)
  .filter((block) => /^(bash|sh)\n/.test(block))
  .flatMap((block) => block.replace(/^\w+\n/, '').replace(/\\\n\s*/g, ' ').split('\n'))
  .map((l) => l.replace(/\s+#.*$/, '').trim())
  .filter(Boolean);

// Lines that other CI steps run, with the step.
const ELSEWHERE = [
  [/^npx -y pnpm@10 install && npx -y pnpm@10 test$/, '.ci/run: pnpm install, then pnpm test (the same command)'],
  [/^pnpm install && pnpm test$/, '.ci/run: pnpm install, then pnpm test'],
  [/^claude mcp add /, 'pnpm run test:claude (the real Claude Code CLI: ✔ Connected)'],
  [/npx -y \.\/dist-pack\/\S+ register$/, 'pnpm run test:npx (scratch HOME, the real Claude Code CLI)'],
];

const results = [];
const check = (line, ok, detail = '') => {
  results.push(ok);
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${line.slice(0, 100)}${line.length > 100 ? '…' : ''}${detail ? `\n     ${detail}` : ''}\n`);
};
const done = new Set();
for (const line of lines) {
  const other = ELSEWHERE.find(([re]) => re.test(line));
  if (other) {
    process.stdout.write(`--   ${line.slice(0, 100)}\n     run by ${other[1]}\n`);
    done.add(line);
  }
}

const clone = mkdtempSync(join(tmpdir(), 'orch-readme-'));
spawnSync('git', ['clone', '-q', root, clone], { stdio: 'inherit' });
const sh = (line, opts = {}) => spawn('sh', ['-c', line], { cwd: clone, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
const capture = (child) => {
  const out = { text: '' };
  child.stdout.on('data', (c) => (out.text += c));
  child.stderr.on('data', (c) => (out.text += c));
  return out;
};
const exited = (child, ms) => new Promise((resolve) => {
  if (child.exitCode !== null) return resolve(child.exitCode);
  const timer = setTimeout(() => (process.kill(-child.pid, 'SIGKILL'), resolve('killed')), ms);
  child.on('exit', (code, signal) => (clearTimeout(timer), resolve(code ?? signal)));
});
const runTo = async (line, what, ms = 180_000) => {
  const child = sh(line);
  const out = capture(child);
  const code = await exited(child, ms);
  check(line, code === 0, `${what}: exit ${code}${code === 0 ? '' : `\n${out.text.slice(-1500)}`}`);
  done.add(line);
};

const lineLike = (re) => lines.find((l) => re.test(l));
for (const port of [5050, 8765, 8080, 6379]) {
  if (await answers(port)) check(`port ${port}`, false, 'is in use: the README lines that name it cannot run as written here');
}

// 1. The quick start, then the curl lines against it.
const start = lineLike(/^npx -y pnpm@10 install && npx -y pnpm@10 start$/);
let t = Date.now();
const stack = sh(start);
const stackOut = capture(stack);
try {
  await waitFor(() => stackOut.text.includes('is running') || stack.exitCode !== null, { timeoutMs: 600_000, intervalMs: 200, what: 'pnpm start' });
  check(start, stack.exitCode === null, `fresh clone → serving in ${((Date.now() - t) / 1000).toFixed(1)} s${stack.exitCode === null ? '' : `\n${stackOut.text.slice(-1500)}`}`);
  done.add(start);
  let id;
  for (const line of lines.filter((l) => l.startsWith('curl '))) {
    const asWritten = line.replace('<id>', id ?? '<id>');
    const r = spawnSync('sh', ['-c', `${asWritten} --max-time 60 -s -w '\\n%{http_code}'`], { cwd: clone, encoding: 'utf8' });
    const status = r.stdout.trim().split('\n').pop();
    const body = r.stdout.slice(0, r.stdout.lastIndexOf('\n')).trim();
    if (status === '202') id = /"request_id"\s*:\s*"([^"]+)"/.exec(body)?.[1];
    const ok = line.includes('/events') || line.includes('text/event-stream') ? status === '200' && /event: done/.test(body) : /wait=false/.test(line) ? status === '202' && /request_id/.test(body) : status === '200' && /"success":\s*true/.test(body);
    check(line, ok, `HTTP ${status}: ${body.replace(/\s+/g, ' ').slice(0, 140)}`);
    done.add(line);
  }
} finally {
  t = Date.now();
  if (stack.exitCode === null) process.kill(-stack.pid, 'SIGINT');
  const code = await exited(stack, 60_000);
  check('Ctrl-C of pnpm start', code === 0 || stackOut.text.includes('stopped.'), `"stopped." in ${((Date.now() - t) / 1000).toFixed(1)} s (pnpm's own exit ${code}; pnpm/pnpm#9945)`);
}

// 2. Build and pack lines.
for (const line of lines.filter((l) => /^pnpm build$|pnpm pack:cli$/.test(l))) await runTo(line, 'ran');
const tarball = existsSync(join(clone, 'dist-pack/mcp-orchestrator-0.1.0.tgz'));
check('pnpm pack:cli made dist-pack/mcp-orchestrator-0.1.0.tgz (the name the README gives)', tarball);

// 3. Lines that need Redis on 6379 ("redis-server --daemonize yes", as the README suggests).
const redis = spawn('redis-server', ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
try {
  await waitFor(() => answers(6379), { timeoutMs: 10_000, what: 'redis-server on 6379' });
  for (const line of lines.filter((l) => /node apps\/[\w-]+\/dist\/main\.js/.test(l) && !done.has(l))) {
    const app = /apps\/([\w-]+)\//.exec(line)[1];
    const child = sh(line);
    const out = capture(child);
    t = Date.now();
    const ready = await waitFor(() => out.text.includes(APP_READY_TEXT[app]) || child.exitCode !== null, { timeoutMs: 60_000, intervalMs: 100, what: app }).catch(() => false);
    // SIGTERM to the app itself (sh, its parent, would die of it without passing it on).
    for (const pid of spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGTERM');
    const code = await exited(child, 60_000);
    check(line, ready && child.exitCode === 0, `"${APP_READY_TEXT[app]}" in ${((Date.now() - t) / 1000).toFixed(1)} s; SIGTERM → exit ${code}${code === 0 ? '' : `\n${out.text.slice(-1500)}`}`);
    done.add(line);
  }
} finally {
  redis.kill('SIGTERM');
}

for (const line of lines.filter((l) => !done.has(l))) check(line, false, 'no rule in scripts/clients/readme.mjs runs this line or names what does');
spawnSync('rm', ['-rf', clone]);
const failed = results.filter((ok) => !ok).length;
process.stdout.write(`test:readme: ${lines.length} command lines; ${results.length - failed} of ${results.length} checks passed\n`);
process.exit(failed ? 1 : 0);

function answers(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });
}
