import type { Cluster, Redis } from 'ioredis';
import WebSocket from 'ws';
import { freePort, spawnApp, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * Issue 13.1 drills: the front door that drives a council dies (kill -9) or is stopped (SIGTERM)
 * while its model calls run. Another front door takes the request over; the request completes with
 * its full result, readable there; no model call is sent twice; the ledger books what was billed.
 */
describe('a council survives the front door that drives it', () => {
  let stack: FakeStack;
  let redis: Redis | Cluster;
  const procs: ServiceProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startFakeStack();
    redis = stack.client();
    env = stack.env({ ORCH_DRIVER_LOCK_MS: '1500', ORCH_SHUTDOWN_GRACE_MS: '300', MCP_SYNC_WAIT_SECONDS: '30', ORCH_RATE_LIMIT: '0' });
    procs.push(await spawnApp('worker-openai', env), await spawnApp('worker-openrouter', env));
  });
  afterEach(() => stack.reset());
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    redis.disconnect();
    await stack.stop();
  });

  type Kind = 'rest-bridge' | 'ws-bridge' | 'mcp-gateway';
  const door = async (kind: Kind = 'rest-bridge') => {
    const port = await freePort();
    const portVar = { 'rest-bridge': 'REST_PORT', 'ws-bridge': 'WS_PORT', 'mcp-gateway': 'MCP_HTTP_PORT' }[kind];
    const p = await spawnApp(kind, { ...env, [portVar]: String(port), MCP_TRANSPORT: 'http' });
    procs.push(p);
    return { p, base: `http://127.0.0.1:${port}`, port };
  };
  const json = { 'content-type': 'application/json' };
  type Finished = { status: string; output: { answers: unknown[]; synthesis?: { text: string }; error?: unknown } };
  /** A request's end read with get_job_result over an MCP door (the MCP caller's own request). */
  const overMcp = async (base: string, requestId: string): Promise<Finished> => {
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_job_result', arguments: { request_id: requestId, wait_seconds: 45 } } };
    const res = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...json, accept: 'application/json, text/event-stream' }, body: JSON.stringify(call) });
    const text = await res.text();
    const message = JSON.parse(text.startsWith('{') ? text : text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).at(-1)!) as { result: { structuredContent: Finished } };
    return message.result.structuredContent;
  };
  const council = { description: 'Design a cache', strategy: 'external_enhancement' };

  /** Starts a council through the given door (not awaited: the door is stopped while it runs). */
  const startCouncil = (kind: Kind, sync: boolean, d: { base: string; port: number }): void => {
    if (kind === 'rest-bridge') {
      void fetch(`${d.base}/mcp/orchestrate_task${sync ? '' : '?wait=false'}`, { method: 'POST', headers: json, body: JSON.stringify(council) }).then((r) => r.text()).catch(() => undefined);
    } else if (kind === 'ws-bridge') {
      const ws = new WebSocket(`ws://127.0.0.1:${d.port}`);
      ws.on('error', () => undefined);
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'orchestrate_task', params: council })));
    } else {
      const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'orchestrate_task', arguments: council } };
      void fetch(`${d.base}/mcp`, { method: 'POST', headers: { ...json, accept: 'application/json, text/event-stream' }, body: JSON.stringify(call) }).then((r) => r.text()).catch(() => undefined);
    }
  };

  it.each([
    ['REST sync, kill -9', 'rest-bridge', true, 'SIGKILL'],
    ['REST sync, SIGTERM', 'rest-bridge', true, 'SIGTERM'],
    ['REST async, kill -9', 'rest-bridge', false, 'SIGKILL'],
    ['REST async, SIGTERM', 'rest-bridge', false, 'SIGTERM'],
    ['WebSocket, kill -9', 'ws-bridge', false, 'SIGKILL'],
    ['WebSocket, SIGTERM', 'ws-bridge', false, 'SIGTERM'],
    ['MCP HTTP, kill -9', 'mcp-gateway', true, 'SIGKILL'],
    ['MCP HTTP, SIGTERM', 'mcp-gateway', true, 'SIGTERM'],
  ] as const)('%s of the driving door: another door finishes the request, each model called once', async (_name, kind, sync, signal) => {
    // Slow models: the door is stopped while all three calls (two answers, then a synthesis) run.
    stack.openrouter.setBehaviour({ latencyMs: 1500 });
    stack.openai.setBehaviour({ latencyMs: 1500 });
    const a = await door(kind);
    startCouncil(kind, sync, a);
    const requestId = await waitFor(async () => (await stack.keys('orch:req:*:meta'))[0]?.match(/\{(\w+)\}/)?.[1], { timeoutMs: 5000, what: 'the request record' });
    await stack.openai.waitForRequest();
    a.p.child.kill(signal);
    await a.p.exited;
    // Another door, started after the first one is gone, takes the request over. Keyless, an MCP
    // caller (`local`) and a REST caller (`local:web`) are apart: an MCP request is read over MCP.
    const b = await door();
    const mcpReader = kind === 'mcp-gateway' ? await door('mcp-gateway') : undefined;
    const result = mcpReader ? await overMcp(mcpReader.base, requestId) : ((await (await fetch(`${b.base}/requests/${requestId}?wait=45`)).json()) as { result: Finished }).result;
    expect(result.status).toBe('completed');
    expect(result.output.answers).toHaveLength(2);
    expect(result.output.synthesis?.text).toBeTruthy();
    // Each model call reached its provider once: two OpenRouter (answer, synthesis), one OpenAI.
    expect(stack.openrouter.requests.length).toBe(2);
    expect(stack.openai.requests.length).toBe(1);
    // Followers get `done`, from the new door too.
    if (!mcpReader) expect(await (await fetch(`${b.base}/requests/${requestId}/events`)).text()).toContain('event: done');
    // The ledger booked the three calls and holds no reservation.
    const spend = (await (await fetch(`${b.base}/spend`)).json()) as { result: { by_request: Record<string, number> } };
    expect(spend.result.by_request[requestId]).toBeGreaterThan(0);
    await waitFor(async () => ((await (await fetch(`${b.base}/spend`)).json()) as { result: { reserved_usd: number } }).result.reserved_usd === 0, { timeoutMs: 10_000 });
    for (const d of [b, mcpReader]) d?.p.child.kill('SIGTERM');
    await Promise.all([b.p.exited, mcpReader?.p.exited]);
    await redis.del(`orch:req:{${requestId}}:meta`);
  });

  // Issue 30.2: a debate's rounds are durable calls like a council's: its driving door killed in
  // the second round, another door finishes it; every turn reached its provider once.
  it('a debate whose driving door is killed (kill -9) mid-round completes elsewhere; no turn is sent twice', async () => {
    stack.openrouter.setBehaviour({ latencyMs: 800 });
    stack.openai.setBehaviour({ latencyMs: 800 });
    const a = await door('rest-bridge');
    const res = await fetch(`${a.base}/mcp/orchestrate_task?wait=false`, { method: 'POST', headers: json, body: JSON.stringify({ description: 'Monolith or services?', council: 'debate', rounds: 2 }) });
    const { request_id: requestId } = (await res.json()) as { request_id: string };
    // Round 2 under way: the door dies while those turns run.
    await stack.openai.waitForRequest((q) => JSON.stringify(q.body).includes('Debate round 2'));
    a.p.child.kill('SIGKILL');
    await a.p.exited;
    const b = await door();
    type Debate = { status: string; output: { answers: Array<{ round: number; stance?: string }>; synthesis?: { text: string } } };
    const result = ((await (await fetch(`${b.base}/requests/${requestId}?wait=45`)).json()) as { result: Debate }).result;
    expect(result.status).toBe('completed');
    expect(result.output.answers.map((x) => `${x.round}:${x.stance}`)).toEqual(['1:for', '1:against', '2:for', '2:against']);
    expect(result.output.synthesis?.text).toBeTruthy();
    // Four turns and the judge: gemini's two turns and the judge on OpenRouter, o3's two on OpenAI.
    expect(stack.openrouter.requests.length).toBe(3);
    expect(stack.openai.requests.length).toBe(2);
    b.p.child.kill('SIGTERM');
    await b.p.exited;
    await redis.del(`orch:req:{${requestId}}:meta`);
  });

  // Issue 31.4: a record's retention counts from the request's end. Before, it counted from its
  // creation: a council longer than the retention read 404 while running, and was lost if its door
  // died then, though its calls ran and were billed.
  it('a council longer than the retention, its driving door killed: its record outlives the retention while it runs, another door finishes it, then it is kept the retention', async () => {
    stack.openrouter.setBehaviour({ latencyMs: 2000 });
    stack.openai.setBehaviour({ latencyMs: 2000 });
    const short = { ORCH_RESULT_RETENTION_SECONDS: '3' };
    const port = await freePort();
    const a = await spawnApp('rest-bridge', { ...env, ...short, REST_PORT: String(port) });
    procs.push(a);
    const before = new Set(await stack.keys('orch:req:*:meta'));
    startCouncil('rest-bridge', false, { base: `http://127.0.0.1:${port}`, port });
    const requestId = await waitFor(async () => (await stack.keys('orch:req:*:meta')).find((k) => !before.has(k))?.match(/\{(\w+)\}/)?.[1], { timeoutMs: 5000, what: 'the request record' });
    await stack.openai.waitForRequest();
    // Kept while driven (renewed with the driver's lease, at least two leases: 60 s), not 3 s from its creation.
    expect(await redis.ttl(`orch:req:{${requestId}}:meta`)).toBeGreaterThan(30);
    a.child.kill('SIGKILL');
    await a.exited;
    const portB = await freePort();
    const b = await spawnApp('rest-bridge', { ...env, ...short, REST_PORT: String(portB) });
    procs.push(b);
    const res = await fetch(`http://127.0.0.1:${portB}/requests/${requestId}?wait=45`);
    const body = (await res.json()) as { result: { status: string; created_at: string; updated_at: string } };
    expect(body.result.status).toBe('completed');
    // It ran longer than the retention, and is kept the retention from its end.
    expect(Date.parse(body.result.updated_at) - Date.parse(body.result.created_at)).toBeGreaterThan(3000);
    const ttl = await redis.ttl(`orch:req:{${requestId}}:meta`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3);
    b.child.kill('SIGTERM');
    await b.exited;
  });
});
