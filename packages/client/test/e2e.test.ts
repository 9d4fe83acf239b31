import WebSocket from 'ws';
import { TOOL_NAMES, type ModelToolOutput, type RequestEvent, type ToolName, type WsServerMessage } from '@orch/contracts';
import { compareStreamIds } from '@orch/queue';
import { freePort, spawnApp, startFakeStack, waitFor, type FakeProvider, type FakeStack, type ServiceProcess } from '@orch/testing';
import { OrchestratorClientError, RestClient, WsClient } from '../src';

/**
 * The whole stack over real sockets: private redis-server, both worker processes, the fake
 * providers, the built REST and WebSocket bridges, driven by the typed client (and raw `ws` where
 * the test needs to misbehave).
 */
const KEY_A = 'e2e-key-a-0123456789';
const KEY_B = 'e2e-key-b-0123456789';
const LIMITED = 'e2e-limited-key-0123';

const CALLS: Record<ToolName, Record<string, unknown> | ((requestId: string) => Record<string, unknown>)> = {
  orchestrate_task: { description: 'Should we shard the users table?' },
  analyze_task: { description: 'Review the architecture of our distributed cache' },
  query_specific_model: { model: 'gemini_pro', description: 'One risk of eval?' },
  code_review: { code: 'function f(x) { return eval(x); }', review_type: 'security' },
  think_deeper: { problem: 'Is this lock-free queue correct?', thinking_mode: 'low' },
  multi_model_review: { task: 'Move sessions to Redis' },
  comparative_analysis: { options: ['REST', 'gRPC'], criteria: ['latency'] },
  // Reads the caller's disk: only the MCP gateway may; the bridges answer with a clear error.
  review_changes: { repo_paths: ['.'] },
  get_orchestrator_status: {},
  update_session_context: { context: { project: 'payments' } },
  configure_orchestrator: { thinking_mode: 'low' },
  list_models: {},
  get_job_result: (requestId) => ({ request_id: requestId }),
  cancel_request: (requestId) => ({ request_id: requestId }),
  list_threads: {},
  get_thread: (requestId) => ({ continuation_id: requestId }),
};

/** Opens a raw socket; resolves with it and its first message (the welcome). */
function rawSocket(url: string, headers: Record<string, string> = {}, opts: WebSocket.ClientOptions = {}): Promise<{ ws: WebSocket; welcome: WsServerMessage; next: () => Promise<WsServerMessage>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...opts });
    const queue: WsServerMessage[] = [];
    const waiters: Array<(m: WsServerMessage) => void> = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as WsServerMessage;
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    });
    const next = () => new Promise<WsServerMessage>((r) => (queue.length ? r(queue.shift()!) : waiters.push(r)));
    void next().then((welcome) => resolve({ ws, welcome, next, closed }));
  });
}

describe('REST + WebSocket bridges end to end (redis-server, worker processes, fake providers)', () => {
  let stack: FakeStack;
  let or: FakeProvider;
  let oa: FakeProvider;
  const procs: ServiceProcess[] = [];
  let restUrl = '';
  let wsUrl = '';
  let limitedRest = '';
  let limitedWs = '';
  let strictWs = '';
  let rest: RestClient;
  let ws: WsClient;

  beforeAll(async () => {
    stack = await startFakeStack();
    ({ openrouter: or, openai: oa } = stack);
    const [restPort, wsPort, lrPort, lwPort, sPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const env = stack.env({ ORCH_API_KEYS: `${KEY_A},${KEY_B}`, ORCH_RATE_LIMIT: '100000', MCP_SYNC_WAIT_SECONDS: '10', WS_MAX_MESSAGE_BYTES: '65536' });
    const limited = { ...env, ORCH_API_KEYS: LIMITED, ORCH_RATE_LIMIT: '3', ORCH_RATE_LIMIT_WINDOW_SECONDS: '600' };
    procs.push(
      ...(await Promise.all([
        spawnApp('worker-openai', env),
        spawnApp('worker-openrouter', env),
        spawnApp('rest-bridge', { ...env, REST_PORT: String(restPort) }),
        spawnApp('ws-bridge', { ...env, WS_PORT: String(wsPort) }),
        spawnApp('rest-bridge', { ...limited, REST_PORT: String(lrPort) }),
        spawnApp('ws-bridge', { ...limited, WS_PORT: String(lwPort) }),
        // Short heartbeats and a small send buffer, for the dead-socket and slow-consumer checks.
        // The per-socket message rate is lifted here: this bridge tests the slow-consumer cut-off.
        spawnApp('ws-bridge', { ...env, ORCH_RATE_LIMIT: '0', WS_PORT: String(sPort), WS_HEARTBEAT_MS: '300', WS_MAX_BUFFERED_BYTES: '16384', WS_MAX_MESSAGES_PER_SECOND: '1000000' }),
      ])),
    );
    restUrl = `http://127.0.0.1:${restPort}`;
    wsUrl = `ws://127.0.0.1:${wsPort}`;
    limitedRest = `http://127.0.0.1:${lrPort}`;
    limitedWs = `ws://127.0.0.1:${lwPort}`;
    strictWs = `ws://127.0.0.1:${sPort}`;
    rest = new RestClient({ baseUrl: restUrl, apiKey: KEY_A });
    ws = new WsClient({ url: wsUrl, apiKey: KEY_A });
    await ws.connect();
  }, 60_000);
  afterEach(() => stack.reset());
  afterAll(async () => {
    ws?.close();
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  it('every tool through REST and through WS (review_changes: refused, it reads local disk)', async () => {
    expect(ws.welcome!.tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    expect(ws.welcome!.models.map((m) => m.key).sort()).toEqual(['gemini_pro', 'o3_architect']);
    for (const [door, client] of [['rest', rest], ['ws', ws]] as const) {
      let requestId = '';
      for (const name of TOOL_NAMES) {
        const spec = CALLS[name];
        const args = typeof spec === 'function' ? spec(requestId) : spec;
        if (name === 'review_changes') {
          const err = (await client.call(name, args as never).catch((e: unknown) => e)) as OrchestratorClientError;
          expect({ door, code: err.code }).toEqual({ door, code: 'invalid_arguments' });
          expect(err.message).toContain('only by the MCP gateway');
          continue;
        }
        const out = (await client.call(name, args as never)) as Record<string, unknown>;
        expect({ door, name, ok: typeof out === 'object' && out !== null }).toEqual({ door, name, ok: true });
        if (typeof out.request_id === 'string' && !requestId) requestId = out.request_id;
        if ('answers' in out) {
          expect({ door, name, status: out.status }).toEqual({ door, name, status: 'completed' });
          expect((out as unknown as ModelToolOutput).answers.length).toBeGreaterThan(0);
        }
      }
      expect(requestId).not.toBe('');
    }
    // Per-key request records: key A sees its requests, key B none of them.
    const mine = await rest.requests(100);
    expect(mine.length).toBeGreaterThanOrEqual(12);
    expect(mine[0]!.created_at >= mine.at(-1)!.created_at).toBe(true);
    const theirs = await new RestClient({ baseUrl: restUrl, apiKey: KEY_B }).requests(100);
    expect(theirs.filter((r) => mine.some((m) => m.request_id === r.request_id))).toEqual([]);
    expect((await ws.requests(5)).map((r) => r.request_id)).toEqual(mine.slice(0, 5).map((r) => r.request_id));
    const spend = await rest.spend();
    expect(spend.spent_usd).toBeGreaterThan(0);
  });

  it('50 concurrent WS calls on one socket, each answered under its own id', async () => {
    or.setBehaviour({ latencyMs: 40 });
    const outs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => ws.call('query_specific_model', { model: 'gemini_pro', description: `token${i} please answer briefly` })),
    );
    outs.forEach((o, i) => {
      expect(o.status).toBe('completed');
      expect(o.answers[0]!.text).toMatch(new RegExp(`\\btoken${i}\\b`));
    });
    expect(new Set(outs.map((o) => o.request_id)).size).toBe(50);
  });

  it('progress before the result over SSE and WS; a request started over REST is followed over WS', async () => {
    oa.setBehaviour({ latencyMs: 200, tokensPerSecond: 40, completionTokens: 24 });
    const { requestId } = await rest.start('think_deeper', { problem: 'Stream me slowly' });
    const wsKinds: string[] = [];
    const sseKinds: string[] = [];
    const [record] = await Promise.all([
      ws.subscribe(requestId, { onEvent: (e) => wsKinds.push(e.type) }).then((r) => {
        wsKinds.push('<result>');
        return r;
      }),
      (async () => {
        for await (const { event } of rest.events(requestId)) sseKinds.push(event.type);
      })(),
    ]);
    expect(record.status).toBe('completed');
    expect(record.output!.answers[0]!.text).toContain('echo:');
    for (const kinds of [wsKinds, sseKinds]) {
      expect(kinds.indexOf('partial')).toBeGreaterThan(-1);
      expect(kinds.indexOf('partial')).toBeLessThan(kinds.indexOf('result'));
      expect(kinds).toContain('done');
    }
    expect(wsKinds.at(-1)).toBe('<result>');
    // A WS tool call streams its own progress the same way.
    const callKinds: string[] = [];
    const out = await ws.call('think_deeper', { problem: 'Stream me again' }, { onEvent: (e) => callKinds.push(e.type) });
    expect(out.status).toBe('completed');
    expect(callKinds.indexOf('partial')).toBeGreaterThan(-1);
    expect(callKinds.indexOf('partial')).toBeLessThan(callKinds.indexOf('done'));
  });

  it('a dropped socket reconnects and resubscribes from its last event: no event missed or repeated', async () => {
    // The answer stops after 5 tokens until the client is following again: the test decides that the
    // request is still running when it resubscribes. (One that ended meanwhile has had its stream
    // compacted: it is told the end, and the text it missed is in the output — checked last.)
    oa.setBehaviour({ latencyMs: 100, tokensPerSecond: 30, completionTokens: 45 });
    const release = oa.hold(5);
    const resumed: string[] = [];
    const client = new WsClient({
      url: wsUrl,
      apiKey: KEY_A,
      onResume: (rid) => {
        resumed.push(rid);
        release();
      },
    });
    await client.connect();
    const seen: Array<{ id: string; e: RequestEvent }> = [];
    let dropped = false;
    // A second reader: the stream read over SSE from the start, while the request runs.
    const all: Array<{ id: string; type: string }> = [];
    let sse: Promise<void> | undefined;
    let requestId = '';
    try {
      const out = await client.call('think_deeper', { problem: 'Survive a reconnect' }, {
        onEvent: (e, id, rid) => {
          requestId = rid;
          sse ??= (async () => {
            for await (const ev of rest.events(rid)) all.push({ id: ev.id, type: ev.event.type });
          })();
          seen.push({ id, e });
          if (!dropped && e.type === 'partial') {
            dropped = true;
            client.dropConnection();
          }
        },
      });
      expect(client.reconnects).toBeGreaterThanOrEqual(1);
      expect(resumed).toEqual([requestId]);
      expect(out.status).toBe('completed');
      await sse;
      const ids = seen.map((s) => s.id);
      // Nothing repeated: each id comes after the one before.
      ids.slice(1).forEach((id, i) => expect(compareStreamIds(ids[i]!, id) < 0).toBe(true));
      // Nothing missed: every event the other reader saw, and every token of the answer in the
      // partial text. When the request ended between two reads of this follower, its stream keeps
      // only results and the end (partial text goes) — on a Redis Cluster, where followers poll, its
      // last partials were often compacted away first: those are the only events it may not see,
      // and their text is told to it as one partial before the result (issue 29).
      expect(all.filter((e) => !ids.includes(e.id) && e.type !== 'partial')).toEqual([]);
      const text = seen.flatMap((s) => (s.e.type === 'partial' ? [s.e.delta] : [])).join('');
      expect(text).toBe(out.answers[0]!.text);
      const result = seen.find((s) => s.e.type === 'result')?.e;
      expect(result?.type === 'result' ? result.result.text : undefined).toBe(out.answers[0]!.text);

      // Following it again from its first event now that it has ended: its result and its end (the
      // stream was compacted to them), and its output.
      const late: string[] = [];
      const record = await client.subscribe(requestId, { after: ids[0]!, onEvent: (e) => late.push(e.type) });
      expect(late).toEqual(['result', 'done']);
      expect(record).toMatchObject({ status: 'completed', output: { answers: [{ text: out.answers[0]!.text }] } });
    } finally {
      release();
      client.close();
    }
  });

  it('bad JSON, unknown tools, wrong types, oversized messages and bad keys get clear errors; the server keeps serving', async () => {
    const { ws: sock, welcome, next } = await rawSocket(wsUrl, { authorization: `Bearer ${KEY_A}` });
    expect(welcome).toMatchObject({ type: 'welcome', authenticated: true, protocol: 1 });
    const errorOf = async (payload: string) => {
      sock.send(payload);
      const m = await next();
      expect(m.type).toBe('error');
      return m as Extract<WsServerMessage, { type: 'error' }>;
    };
    expect((await errorOf('{not json')).error).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('not valid JSON') });
    expect(await errorOf(JSON.stringify({ id: 'u1', method: 'no_such_tool', params: {} }))).toMatchObject({ id: 'u1', error: { code: 'unknown_tool' } });
    expect(await errorOf(JSON.stringify({ id: 7, method: 'orchestrate_task', params: { description: 42 } }))).toMatchObject({ id: 7, error: { code: 'invalid_arguments', message: expect.stringContaining('description') } });
    expect(await errorOf(JSON.stringify({ id: 's1', method: 'subscribe', params: {} }))).toMatchObject({ id: 's1', error: { code: 'invalid_arguments', message: expect.stringContaining('request_id') } });
    expect(await errorOf(JSON.stringify({ id: 'big', method: 'orchestrate_task', params: { description: 'x'.repeat(70_000) } }))).toMatchObject({ error: { code: 'payload_too_large' } });
    // Seed shape without an id still works; its reply has id null.
    sock.send(JSON.stringify({ method: 'list_models', params: {} }));
    expect(await next()).toMatchObject({ type: 'result', id: null, success: true, result: { models: expect.any(Array) } });
    sock.close();

    // Far over the limit: the socket is closed (1009); a new one works.
    const huge = await rawSocket(wsUrl, { authorization: `Bearer ${KEY_A}` });
    huge.ws.send('x'.repeat(300_000));
    expect(await huge.closed).toBe(1009);

    // Wrong header key: refused at the upgrade.
    await expect(rawSocket(wsUrl, { authorization: 'Bearer wrong' })).rejects.toMatchObject({ status: 401 });
    // No header: the first message must authenticate; anything else is refused and the socket closed.
    const anon = await rawSocket(wsUrl);
    expect(anon.welcome).toMatchObject({ type: 'welcome', authenticated: false });
    anon.ws.send(JSON.stringify({ id: 1, method: 'list_models' }));
    expect(await anon.next()).toMatchObject({ type: 'error', id: 1, error: { code: 'unauthorized' } });
    expect(await anon.closed).toBe(4401);
    const badAuth = await rawSocket(wsUrl);
    badAuth.ws.send(JSON.stringify({ id: 'a', method: 'auth', params: { key: 'wrong' } }));
    expect(await badAuth.next()).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    expect(await badAuth.closed).toBe(4401);
    // A browser-style client authenticates with its first message.
    const browser = new WsClient({ url: wsUrl, apiKey: KEY_B, authVia: 'message' });
    expect((await browser.connect()).authenticated).toBe(false);
    expect((await browser.call('list_models')).models).toHaveLength(2);
    // Another caller's request is not theirs to follow.
    const [mine] = await rest.requests(1);
    await expect(browser.subscribe(mine!.request_id)).rejects.toMatchObject({ code: 'not_found' });
    browser.close();

    // The shared socket kept working throughout.
    expect((await ws.call('list_models')).models).toHaveLength(2);
  });

  it('per-key rate limits are shared by every front door (Redis): 429 with Retry-After, rate_limited over WS', async () => {
    const r = new RestClient({ baseUrl: limitedRest, apiKey: LIMITED });
    const w = new WsClient({ url: limitedWs, apiKey: LIMITED });
    await w.connect();
    await r.call('list_models');
    await w.call('list_models');
    await r.call('list_models');
    const wsErr = (await w.call('list_models').catch((e: unknown) => e)) as OrchestratorClientError;
    expect(wsErr.code).toBe('rate_limited');
    expect(wsErr.details?.retry_after_seconds).toBeGreaterThan(0);
    const res = await fetch(`${limitedRest}/mcp/list_models`, { method: 'POST', headers: { authorization: `Bearer ${LIMITED}` } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    w.close();
    // Other keys are not affected.
    expect((await rest.call('list_models')).models).toHaveLength(2);
  });

  it('heartbeats drop a socket that stops answering pings; a client that stops reading is disconnected', async () => {
    const silent = await rawSocket(strictWs, { authorization: `Bearer ${KEY_A}` }, { autoPong: false });
    const started = Date.now();
    expect(await silent.closed).toBe(1006);
    expect(Date.now() - started).toBeLessThan(5000);

    const slow = await rawSocket(strictWs, { authorization: `Bearer ${KEY_A}` });
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    slow.ws.on('error', () => undefined);
    const strict = procs.at(-1)!;
    const dropped = () => /dropping a slow websocket consumer/.test(strict.output().stdout + strict.output().stderr);
    // Keep asking while never reading: the server's send buffer grows until it gives up on us.
    let sent = 0;
    await waitFor(
      async () => {
        for (let i = 0; i < 500 && slow.ws.readyState === WebSocket.OPEN; i++) slow.ws.send(JSON.stringify({ id: sent++, method: 'list_models' }));
        await new Promise((r) => setTimeout(r, 5));
        return dropped();
      },
      { timeoutMs: 30_000, intervalMs: 20, what: 'the slow consumer to be dropped' },
    );
    slow.ws.terminate();
    // Still serving others.
    const ok = new WsClient({ url: strictWs, apiKey: KEY_A });
    await ok.connect();
    expect((await ok.call('list_models')).models).toHaveLength(2);
    ok.close();
  });
});
