import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { FAKE_KEYS, acceptDrillCalls, appScript, billedAndBooked, drillResults, freePort, spawnApp, startFakeStack, startRedis, waitFor, type AppName, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * Issue 28: the whole stack (both workers, the three front doors) on a 3-master + 3-replica Redis
 * Cluster and on a sentinel group (1 master, 2 replicas, 3 sentinels), all on loopback from
 * Debian's redis-server. Calls and councils work through every door with the queues on different
 * masters; kill -9 of the master holding the ledger (and, on the cluster, a queue's) under calls
 * and councils loses no accepted request, books at least what was billed, and the stack serves
 * again within 10 s of the promotion. Runs with `pnpm test:scale-out`.
 */
const DAILY_LIMIT = 50;

describe.each(['cluster', 'sentinel'] as const)('the whole stack on Redis %s', (mode) => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  const doors: string[] = [];
  let wsPort = 0;
  let mcpPort = 0;

  beforeAll(async () => {
    stack = await startFakeStack({ redis: mode });
    // The fake OpenAI bills o3 at the config's prices, so what it bills can be summed.
    stack.openai.setPrices({ o3: { input: 2, output: 8, cachedInput: 0.5 } });
    // Reservations and acceptances wait for one replica (REDIS_WAIT_REPLICAS): a failover cannot lose them.
    const env = stack.env({ ORCH_RATE_LIMIT: '0', MCP_DAILY_LIMIT: String(DAILY_LIMIT), LEDGER_REAP_INTERVAL_MS: '500', ORCH_DRIVER_LOCK_MS: '2000', REDIS_WAIT_REPLICAS: '1' });
    procs.push(await spawnApp('worker-openai', env), await spawnApp('worker-openrouter', env));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      procs.push(await spawnApp('rest-bridge', { ...env, REST_PORT: String(port) }));
      doors.push(`http://127.0.0.1:${port}`);
    }
    wsPort = await freePort();
    mcpPort = await freePort();
    procs.push(await spawnApp('ws-bridge', { ...env, WS_PORT: String(wsPort) }), await spawnApp('mcp-gateway', { ...env, MCP_TRANSPORT: 'http', MCP_HTTP_PORT: String(mcpPort) }));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack?.stop();
  });

  const json = { 'content-type': 'application/json' };
  const post = (base: string, tool: string, body: unknown, wait = false) =>
    fetch(`${base}/mcp/${tool}${wait ? '' : '?wait=false'}`, { method: 'POST', headers: json, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
  type Output = { status: string; tool: string; answers: Array<{ text: string; model: string }>; synthesis?: { text: string }; totals: { cost_usd: number } };

  const accept = (n: number, councils: number) => acceptDrillCalls(doors[0]!, n, councils);

  /** The last warnings and errors each process logged: what a failed drill shows of why. */
  const printWarnings = (last = 8) => {
    for (const p of procs) process.stderr.write(p.output().stderr.split('\n').filter((l) => /"level":"(error|warn)"/.test(l)).slice(-last).join('\n') + '\n');
  };

  async function expectAllCompleted(ids: string[]): Promise<void> {
    for (const { id, status, output } of await drillResults(doors[1]!, ids)) {
      if (status !== 'completed') printWarnings();
      expect({ id, status, error: output.error }).toEqual({ id, status: 'completed', error: undefined });
      if (output.tool === 'orchestrate_task') {
        expect(output.answers).toHaveLength(2);
        expect(output.synthesis?.text).toBeTruthy();
      } else {
        expect(output.answers[0]?.text).toBeTruthy();
      }
    }
  }

  /**
   * Booked ≥ billed (every generation the fakes recorded), within the limit, nothing held. Not
   * "near billed": a settle the failover lost (replication is asynchronous) leaves its reservation
   * to be reaped at its worst case, which books more, never less (ADR 0007).
   */
  async function expectSpendTruth(): Promise<{ billed: number; booked: number }> {
    const spend = await billedAndBooked(doors[1]!, [stack.openrouter, stack.openai]).catch((err: unknown) => {
      printWarnings(30);
      throw err;
    });
    expect(spend.billed).toBeGreaterThan(0);
    expect(spend.booked).toBeGreaterThanOrEqual(spend.billed - 1e-9);
    expect(spend.booked).toBeLessThanOrEqual(DAILY_LIMIT);
    return spend;
  }

  function expectAllAlive(): void {
    const dead = procs.filter((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    expect(dead.map((p) => `exited ${p.child.exitCode ?? p.child.signalCode}: ${p.output().stderr.slice(-600)}`)).toEqual([]);
  }

  it('serves a call and a council over REST, a call over WebSocket and MCP; on a cluster the two provider queues sit on different masters', async () => {
    const single = await post(doors[0]!, 'query_specific_model', { model: 'gemini_pro', description: 'One question' }, true);
    expect(single.status).toBe(200);
    const council = await post(doors[1]!, 'orchestrate_task', { description: 'A council', strategy: 'external_enhancement' }, true);
    const out = ((await council.json()) as { result: Output }).result;
    expect(out.status).toBe('completed');
    expect(out.answers.map((a) => a.model).sort()).toEqual(['gemini_pro', 'o3_architect']);
    expect(out.synthesis?.text).toBeTruthy();

    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}`);
    const done = await new Promise<{ status: string }>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'query_specific_model', params: { model: 'o3_architect', description: 'Over WebSocket' } })));
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { type?: string; result?: { status: string } };
        if (m.type === 'result' && m.result) resolve(m.result);
      });
    });
    ws.close();
    expect(done.status).toBe('completed');

    const mcp = await fetch(`http://127.0.0.1:${mcpPort}/mcp`, {
      method: 'POST',
      headers: { ...json, accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'query_specific_model', arguments: { model: 'gemini_pro', description: 'Over MCP' } } }),
    });
    expect(await mcp.text()).toContain('"status":"completed"');

    if (mode === 'cluster') {
      const [a, b] = await Promise.all([stack.group!.masterOf('bull:{openrouter}:wait'), stack.group!.masterOf('bull:{openai}:wait')]);
      expect(a.port).not.toBe(b.port);
    }
    expectAllAlive();
  }, 120_000);

  const drills = mode === 'cluster' ? ([['the ledger', '{ledger}:leases'], ["the OpenAI queue", 'bull:{openai}:wait']] as const) : ([['the master', '{ledger}:leases']] as const);
  it.each(drills)('kill -9 of the master holding %s under calls and councils: every accepted request completes, booked >= billed, serving again within 10 s', async (_what, key) => {
    stack.openrouter.setBehaviour({ completionTokens: 60, tokensPerSecond: 20 }); // about 3 s per call
    stack.openai.setBehaviour({ completionTokens: 60, tokensPerSecond: 20 });
    const ids = await accept(8, 2);
    await waitFor(() => stack.openrouter.requests.length + stack.openai.requests.length >= 6, { timeoutMs: 20_000, what: 'calls under way' });
    const victim = await stack.group!.masterOf(key);
    victim.process.kill('SIGKILL');
    const killedAt = Date.now();
    // Serving again: a new call is accepted (202) by a door once the replica has been promoted.
    await waitFor(async () => (await stack.group!.masterOf(key)).port !== victim.port, { timeoutMs: 30_000, intervalMs: 100, what: 'a replica promoted' });
    const promotedAt = Date.now();
    const after = await waitFor(
      async () => {
        const r = await post(doors[0]!, 'query_specific_model', { model: 'gemini_pro', description: 'After the failover' }).catch(() => undefined);
        return r?.status === 202 ? ((await r.json()) as { request_id: string }).request_id : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'a new call accepted after the failover' },
    );
    const servingAfterPromotionMs = Date.now() - promotedAt;
    expect(servingAfterPromotionMs).toBeLessThan(10_000);
    await expectAllCompleted([...ids, after]);
    const spend = await expectSpendTruth();
    expectAllAlive();
    // Each call's provider request went out once or, where a failover lost its result, again.
    const sent = stack.openrouter.requests.length + stack.openai.requests.length;
    process.stderr.write(`${JSON.stringify({ drill: `${mode}: ${_what}`, promotionMs: promotedAt - killedAt, servingAfterPromotionMs, requests: ids.length + 1, lost: 0, providerRequests: sent, ...spend })}\n`);
  }, 240_000);
});

/**
 * Issue 28: a Redis that cannot serve stops a process at its start, with a reason and a non-zero
 * exit, rather than a hang: a node list where nothing listens, a sentinel set that is down, a
 * cluster whose slots are not all served.
 */
describe('bad Redis settings stop a process at its start', () => {
  /** Runs an app until it exits (at most 40 s); its exit code and stderr. */
  const runToExit = (app: AppName, env: Record<string, string>) =>
    new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) => {
      const t0 = Date.now();
      const child = spawn(process.execPath, [appScript(app)], {
        env: { PATH: process.env.PATH ?? '', OPENROUTER_API_KEY: FAKE_KEYS.openrouter, OPENAI_API_KEY: FAKE_KEYS.openai, WORKER_METRICS_PORT: '0', REST_PORT: '0', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const kill = setTimeout(() => child.kill('SIGKILL'), 40_000);
      child.on('exit', (code) => {
        clearTimeout(kill);
        resolve({ code, stderr, ms: Date.now() - t0 });
      });
    });

  it.each([
    ['a cluster node list where nothing listens', 'rest-bridge', async () => ({ REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}` }), /cannot reach Redis.*cluster 127\.0\.0\.1/],
    ['a sentinel set that is down', 'worker-openai', async () => ({ REDIS_SENTINELS: `127.0.0.1:${await freePort()}`, REDIS_SENTINEL_MASTER: 'mymaster' }), /sentinel mymaster via 127\.0\.0\.1/],
  ] as const)('%s: exits non-zero with the reason', async (_what, app, env, reason) => {
    const r = await runToExit(app, await env());
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(reason);
  }, 60_000);

  it('a cluster with slots no node serves: exits non-zero naming the cluster state', async () => {
    // One node in cluster mode that was never given slots: cluster_state:fail.
    const node = await startRedis({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] });
    try {
      const r = await runToExit('rest-bridge', { REDIS_CLUSTER_NODES: `127.0.0.1:${node.port}` });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('"message":"cannot reach Redis"');
      expect(r.stderr).toMatch(/state is .*fail.*0 of 16384 slots assigned/);
    } finally {
      await node.stop();
    }
  }, 60_000);

  it('REDIS_URL and REDIS_CLUSTER_NODES together: a config error naming both, at once', async () => {
    const r = await runToExit('rest-bridge', { REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: '127.0.0.1:2' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('REDIS_URL: is set together with REDIS_CLUSTER_NODES');
  });
});
