// Where a durable call's CPU goes: the REST bridge and one worker run with --cpu-prof under
// autocannon c=10 (the overhead benchmark's side (c), zero-latency non-streaming fake), then their
// profiles' self time is summed by package. `node bench/profile.mjs [seconds]`; not part of
// `pnpm bench` (a profiled process is slower): its table goes into RESULTS.md by hand.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, spawnApp, startRedis } from '@orch/testing';
import { log, restSideEnv, round, runIfMain, startFakeProcess, table } from './lib.mjs';

/** The package a profile frame belongs to: a workspace package, a dependency, or Node itself. */
export function packageOf(url) {
  if (!url) return '(native code)';
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1];
  const ours = /\/(?:packages|apps)\/([^/]+)\//.exec(url);
  if (ours) return `@orch/${ours[1]}`;
  if (url.startsWith('node:') || !url.includes('/')) return 'node (lib)';
  return url;
}

/** Self time by package (ms) of one .cpuprofile, program and idle time apart. */
export function selfTimeByPackage(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const fn = node.callFrame.functionName;
    const key = fn === '(idle)' ? '(idle)' : fn === '(garbage collector)' ? '(GC)' : fn === '(program)' ? '(program)' : packageOf(node.callFrame.url);
    ms.set(key, (ms.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  return ms;
}

export async function run() {
  const seconds = Number(process.argv[2] ?? 10);
  const dir = mkdtempSync(join(tmpdir(), 'orch-prof-'));
  const redis = await startRedis();
  const fake = await startFakeProcess('openrouter', { latencyMs: 0, completionTokens: 24 });
  const restPort = await freePort();
  const env = { ...restSideEnv(redis.url, fake.baseURL, restPort), MCP_LOG_LEVEL: 'info' };
  const prof = (name) => ({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(dir, name)}`] });
  const worker = await spawnApp('worker-openrouter', env, prof('worker'));
  const rest = await spawnApp('rest-bridge', env, prof('rest-bridge'));
  const body = JSON.stringify({ model: 'gemini_pro', description: 'Say hello in five words.' });
  const cannon = (duration) => new Promise((resolve, reject) => autocannon({ url: `http://127.0.0.1:${restPort}/mcp/query_specific_model`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 10, duration }, (err, res) => (err ? reject(err) : resolve(res))));
  try {
    const warm = await cannon(3);
    const res = await cannon(seconds);
    // The profiles cover both runs (and start-up, a few ms): CPU per request over all of them.
    const total = warm.requests.total + res.requests.total;
    log(`profiled: ${Math.round(res.requests.average)} req/s over ${seconds} s; profiles in ${dir}`);
    for (const p of [rest, worker]) p.child.kill('SIGTERM');
    await Promise.all([rest, worker].map((p) => new Promise((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', r)))));
    const rows = [];
    for (const name of ['rest-bridge', 'worker']) {
      const file = readdirSync(join(dir, name)).find((f) => f.endsWith('.cpuprofile'));
      const ms = selfTimeByPackage(JSON.parse(readFileSync(join(dir, name, file), 'utf8')));
      ms.delete('(idle)');
      const busy = [...ms.values()].reduce((a, b) => a + b, 0);
      for (const [pkg, t] of [...ms].sort((a, b) => b[1] - a[1]).slice(0, 12)) rows.push({ process: name, package: pkg, 'share %': round((100 * t) / busy), 'ms/req': round(t / total, 3) });
    }
    console.log(table(rows));
    return { title: 'Profile', text: table(rows) };
  } finally {
    for (const p of [rest, worker, { child: fake.child }]) p.child.kill('SIGKILL');
    await redis.stop();
  }
}

await runIfMain(import.meta.url, run);
