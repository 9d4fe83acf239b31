#!/usr/bin/env node
// The fuzz suite: bounded, seeded hostile input against all three front doors of a whole local
// stack (private redis-server, fake providers, both workers, REST, WS and MCP HTTP), while a
// well-behaved caller keeps calling. Passes when no response is a 5xx, none shows a stack trace,
// every process is still alive, and the well-behaved caller was always answered, with a median
// latency within 10x (or +500 ms) of its median before the fuzzing.
// Usage: pnpm run fuzz [-- --seed=N[,M…]] [--rest=2000] [--ws=1000] [--mcp=500]   (after pnpm build)
// Several seeds run one after another against the same stack; a failure names its seed.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fuzzRest } from './rest.mjs';
import { fuzzWs } from './ws.mjs';
import { fuzzMcp } from './mcp.mjs';

const require = createRequire(import.meta.url);
const { startFakeStack, spawnApp, freePort } = require('../../packages/testing/dist/index.js');
// `pnpm run fuzz -- --seed=N` hands the script a literal `--` first.
const { values: args } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options: { seed: { type: 'string', default: process.env.FUZZ_SEED ?? '20261128' }, rest: { type: 'string', default: '2000' }, ws: { type: 'string', default: '1000' }, mcp: { type: 'string', default: '500' } } });
const seeds = String(args.seed).split(',').map((x) => Number(x.trim()));
if (seeds.some((x) => !Number.isSafeInteger(x))) {
  console.error(`fuzz: --seed takes integers separated by commas, not ${args.seed}`);
  process.exit(2);
}
const KEY = 'fuzz-key-0123456789';
const PROBE_KEY = 'probe-key-0123456789';
const MAX_MESSAGE = 256 * 1024;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const log = (s) => process.stdout.write(`${s}\n`);

const stack = await startFakeStack();
const [rest, ws, mcp] = await Promise.all([freePort(), freePort(), freePort()]);
const env = stack.env({
  ORCH_API_KEYS: `${KEY},${PROBE_KEY}`,
  REST_PORT: String(rest),
  WS_PORT: String(ws),
  MCP_HTTP_PORT: String(mcp),
  MCP_TRANSPORT: 'http',
  ORCH_RATE_LIMIT: '1000000',
  WS_MAX_MESSAGE_BYTES: String(MAX_MESSAGE),
  MCP_SYNC_WAIT_SECONDS: '5',
  MCP_LOG_LEVEL: 'warn',
});
const apps = {};
for (const name of ['worker-openai', 'worker-openrouter', 'rest-bridge', 'ws-bridge', 'mcp-gateway']) apps[name] = await spawnApp(name, { ...env, MCP_LOG_LEVEL: 'info' });

let exitCode = 1;
try {
  // The well-behaved caller: its normal latency first, then again while the doors are attacked.
  const probe = spawn(process.execPath, [join(import.meta.dirname, 'probe.mjs'), String(rest), PROBE_KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
  const calls = [];
  let phase = 'before';
  let buf = '';
  probe.stdout.on('data', (c) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      calls.push({ ...JSON.parse(buf.slice(0, i)), phase });
      buf = buf.slice(i + 1);
    }
  });
  while (calls.length < 15) await new Promise((r) => setTimeout(r, 100));
  phase = 'during';
  const started = Date.now();
  const results = [];
  for (const seed of seeds) {
    const round = await Promise.all([
      fuzzRest({ port: rest, key: KEY, seed, count: Number(args.rest) }),
      fuzzWs({ port: ws, key: KEY, seed: seed + 1, count: Number(args.ws), maxMessageBytes: MAX_MESSAGE }),
      fuzzMcp({ port: mcp, key: KEY, seed: seed + 2, count: Number(args.mcp) }),
    ]);
    results.push(...round.map((r) => ({ ...r, door: `${r.door} (seed ${seed})`, failures: r.failures.map((f) => ({ seed, ...f })) })));
  }
  phase = 'after';
  probe.kill('SIGTERM');
  await new Promise((r) => probe.once('exit', r));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  const failures = results.flatMap((r) => r.failures);
  for (const r of results) log(`fuzz ${r.door}: ${r.sent} sent, ${r.failures.length} failures${r.statuses ? `, statuses ${JSON.stringify(r.statuses)}` : ''}`);
  for (const f of failures.slice(0, 20)) log(`  FAIL ${JSON.stringify(f)}`);
  const dead = Object.entries(apps).filter(([, p]) => p.child.exitCode !== null || p.child.signalCode !== null).map(([n]) => n);
  for (const n of dead) log(`  FAIL ${n} is not running: ${apps[n].output().stderr.slice(-500)}`);
  const before = calls.filter((c) => c.phase === 'before');
  const during = calls.filter((c) => c.phase === 'during');
  const refused = during.filter((c) => c.status !== 200);
  const [b50, d50] = [median(before.map((c) => c.ms)), median(during.map((c) => c.ms))];
  // Starved, not merely slowed: the fuzzer and the doors share two cores with the caller, so some
  // slowdown is the machine's; a stalled door (like the WebSocket flood's 24x) is caught.
  const slow = d50 > Math.max(b50 * 10, b50 + 500);
  log(`well-behaved caller: ${during.length} calls during ${seconds} s of fuzzing, ${refused.length} not answered 200; median ${d50} ms (before: ${b50} ms)${slow ? ' — FAIL: over 10x (or +500 ms)' : ''}`);
  if (refused.length) log(`  FAIL statuses ${JSON.stringify(refused.slice(0, 5))}`);
  // One check per door, one for the processes, one for the well-behaved caller.
  const checks = [...results.map((r) => r.failures.length === 0), dead.length === 0, !refused.length && !slow && during.length > 0];
  const passed = checks.filter(Boolean).length;
  const failed = checks.length - passed;
  log(`\nfuzz (seed${seeds.length > 1 ? 's' : ''} ${seeds.join(", ")}): ${passed} passed, ${failed} failed`);
  exitCode = failed ? 1 : 0;
} finally {
  await Promise.all(Object.values(apps).map((p) => p.kill()));
  await stack.stop();
}
process.exit(exitCode);
