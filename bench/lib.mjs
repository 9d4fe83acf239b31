// Shared helpers of the benchmarks: machine description, statistics, the stack on the fake provider.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawnService } from '@orch/testing';
import WebSocket from 'ws';

export const smoke = process.argv.includes('--smoke');

export function machine() {
  const redis = execFileSync('redis-server', ['--version']).toString().split(' ')[2].replace('v=', '');
  return `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, Redis ${redis}`;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** The p-th percentile (0–100) of raw samples. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A config file that deep-merges over the defaults (ORCH_CONFIG). */
export function configFile(yaml) {
  const dir = mkdtempSync(join(os.tmpdir(), 'orch-bench-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * Write system calls a process has made so far (Linux /proc/<pid>/io `syscw`): every socket write
 * (on loopback also the receiver's TCP path) and log line. Unlike CPU time, a count a noisy
 * neighbour does not move.
 */
export function writeSyscalls(pid) {
  return Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** The key every benchmark's fake provider expects. */
export const KEY = 'bench-key';

/**
 * The environment every app of a benchmark's stack gets: its Redis, the fake providers it uses (a
 * provider without a fake gets a placeholder key), no budget or rate limit in the way, metrics on a
 * free port. `extra` adds or overrides.
 */
export function stackEnv(redisUrl, { openrouter, openai } = {}, extra = {}) {
  return {
    REDIS_URL: redisUrl,
    ...(openrouter ? { OPENROUTER_BASE_URL: openrouter.baseURL, OPENROUTER_API_KEY: KEY } : { OPENROUTER_API_KEY: 'unused' }),
    ...(openai ? { OPENAI_BASE_URL: openai.baseURL, OPENAI_API_KEY: KEY } : { OPENAI_API_KEY: 'unused' }),
    MCP_DAILY_LIMIT: '100000',
    ORCH_RATE_LIMIT: '0',
    WORKER_METRICS_PORT: '0',
    ...extra,
  };
}

/**
 * The overhead benchmark's side (c), as bench/profile.mjs profiles it too: one OpenRouter worker at
 * concurrency 64 and the REST bridge on `restPort`, over the fake at `fakeBaseURL`, the model not streaming.
 */
export function restSideEnv(redisUrl, fakeBaseURL, restPort) {
  return {
    REDIS_URL: redisUrl,
    OPENROUTER_BASE_URL: fakeBaseURL,
    OPENROUTER_API_KEY: KEY,
    OPENAI_API_KEY: 'unused',
    ORCH_CONFIG: configFile('models:\n  gemini_pro:\n    streaming: false\n'),
    ORCH_RATE_LIMIT: '0',
    WORKER_CONCURRENCY: '64',
    WORKER_METRICS_PORT: '0',
    REST_PORT: String(restPort),
    MCP_SYNC_WAIT_SECONDS: '60',
  };
}

/** Redis's own time per EVALSHA since its stats were last reset (INFO commandstats), in µs. */
export async function evalshaMicros(redis) {
  return Number(/cmdstat_evalsha:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(await redis.info('commandstats'))?.[1]);
}

/** The fake provider in its own process (bench/fake-server.mjs): `{ child, baseURL }`. */
export async function startFakeProcess(flavor, behaviour = {}) {
  const proc = await spawnService({
    script: new URL('./fake-server.mjs', import.meta.url).pathname,
    args: [flavor, KEY, JSON.stringify(behaviour)],
    env: {},
    readyText: 'fake provider listening',
  });
  return { child: proc.child, baseURL: /fake provider listening (\S+)/.exec(proc.output().stdout)[1] };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Markdown table from rows of equal keys. */
export function table(rows) {
  const keys = Object.keys(rows[0]);
  return [`| ${keys.join(' | ')} |`, `|${keys.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${keys.map((k) => r[k]).join(' | ')} |`)].join('\n');
}

/** Runs a benchmark and prints its section when its file is run directly (`node bench/<name>.mjs`). */
export async function runIfMain(metaUrl, run) {
  if (metaUrl !== `file://${process.argv[1]}`) return;
  const r = await run();
  process.stdout.write(`## ${r.title}\n\n${r.text}\n`);
}

export function log(msg) {
  process.stderr.write(`${msg}\n`);
}

/** Node options that open the inspector on a free loopback port (see `memoryAfterGc`). */
export const INSPECT = ['--inspect=127.0.0.1:0'];

/**
 * `process.memoryUsage()` of a process started with `INSPECT`, read right after a full garbage
 * collection over the Chrome DevTools Protocol: live objects only, not garbage waiting for the GC.
 */
export async function memoryAfterGc(proc, timeoutMs = 15_000) {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(proc.output().stderr)?.[1];
  if (!url) throw new Error(`process ${proc.pid} has no inspector (start it with INSPECT)`);
  const ws = new WebSocket(url);
  const timer = setTimeout(() => ws.terminate(), timeoutMs);
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('close', () => reject(new Error(`inspector of process ${proc.pid} closed`)));
    });
    let seq = 0;
    const pending = new Map();
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      pending.get(m.id)?.(m);
    });
    const send = (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++seq;
        pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
        ws.once('close', () => reject(new Error(`inspector of process ${proc.pid} closed during ${method}`)));
        ws.send(JSON.stringify({ id, method, params }));
      });
    await send('HeapProfiler.collectGarbage');
    const r = await send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    return JSON.parse(r.result.value);
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}
