import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { TOOL_NAMES } from '@orch/contracts';
import { freePort, spawnService, startFakeStack, type FakeProvider, type FakeStack, type ServiceProcess } from '@orch/testing';

const REST = join(__dirname, '..', 'dist', 'main.js');
const WORKER_OPENAI = join(__dirname, '..', '..', 'worker-openai', 'dist', 'main.js');
const WORKER_OPENROUTER = join(__dirname, '..', '..', 'worker-openrouter', 'dist', 'main.js');
const KEY = 'rest-key-123456';

/** Reads an SSE response until `done` (or the stream ends); returns the events with their ids. */
async function readSse(res: Response): Promise<Array<{ id: string; event: string; data: Record<string, unknown> }>> {
  const out: Array<{ id: string; event: string; data: Record<string, unknown> }> = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f = Object.fromEntries(block.split('\n').filter((l) => /^(id|event|data):/.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
      if (f.data) out.push({ id: f.id ?? '', event: f.event ?? '', data: JSON.parse(f.data) as Record<string, unknown> });
    }
  }
  return out;
}

describe('REST bridge over real sockets, with worker processes and fake providers', () => {
  let stack: FakeStack;
  let or: FakeProvider;
  let oa: FakeProvider;
  const procs: ServiceProcess[] = [];
  let base = '';
  let metricsPort = 0;

  beforeAll(async () => {
    stack = await startFakeStack();
    ({ openrouter: or, openai: oa } = stack);
    const port = await freePort();
    metricsPort = await freePort();
    const env = stack.env({ REST_PORT: String(port), ORCH_API_KEYS: KEY, ORCH_ADMIN_KEY: 'rest-test-admin-key-0123', MCP_SYNC_WAIT_SECONDS: '10', MCP_LOG_LEVEL: 'info', ORCH_METRICS_PORT: String(metricsPort) });
    procs.push(
      await spawnService({ script: WORKER_OPENAI, env, readyText: 'provider worker started' }),
      await spawnService({ script: WORKER_OPENROUTER, env, readyText: 'provider worker started' }),
      await spawnService({ script: REST, env, readyText: 'REST bridge listening' }),
    );
    base = `http://127.0.0.1:${port}`;
  });
  afterEach(() => stack.reset());
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => call(path, { method: 'POST', body: JSON.stringify(body), headers });

  it('seed-compatible calls: POST /mcp/:tool and POST /mcp {method, params}, results as JSON (not a string)', async () => {
    const a = await post('/mcp/query_specific_model', { model: 'gemini_pro', description: 'Hello there' });
    expect(a.status).toBe(200);
    const ab = (await a.json()) as { success: boolean; result: { status: string; answers: Array<{ text: string }> } };
    expect(ab.success).toBe(true);
    expect(ab.result.answers[0]!.text).toContain('echo:');
    const b = await post('/mcp', { method: 'list_models', params: {} });
    expect(((await b.json()) as { result: { models: unknown[] } }).result.models).toHaveLength(2);
    const tools = (await (await call('/tools')).json()) as { tools: Array<{ name: string }> };
    expect(tools.tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    expect((await call('/health')).status).toBe(200);
  });

  it('asynchronous use: 202 with a request id, SSE progress before the result, resumable; then the result', async () => {
    oa.setBehaviour({ latencyMs: 300, tokensPerSecond: 40, completionTokens: 30 });
    const res = await post('/mcp/think_deeper', { problem: 'Stream me' }, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    const { request_id: id } = (await res.json()) as { request_id: string };
    const events = await readSse(await call(`/requests/${id}/events`));
    const kinds = events.map((e) => e.event);
    expect(kinds.indexOf('partial')).toBeGreaterThan(-1);
    expect(kinds.indexOf('partial')).toBeLessThan(kinds.indexOf('result'));
    expect(kinds.at(-1)).toBe('done');
    // Resume after the third event, once the request ended: its stream was compacted to its
    // results and how it ended (errors, done), each with its id; nothing repeated, and the output
    // is in the record.
    const rest = await readSse(await call(`/requests/${id}/events`, { headers: { 'last-event-id': events[2]!.id } }));
    expect(rest.map((e) => e.id)).toEqual(events.slice(3).filter((e) => e.event === 'result' || e.event === 'error' || e.event === 'done').map((e) => e.id));
    const final = (await (await call(`/requests/${id}?wait=5`)).json()) as { result: { status: string; output: { answers: unknown[] } } };
    expect(final.result.status).toBe('completed');
    expect(final.result.output.answers).toHaveLength(1);
    const spend = (await (await call('/spend')).json()) as { result: { by_request: Record<string, number>; spent_usd: number } };
    expect(spend.result.spent_usd).toBeGreaterThan(0);
  });

  it('one streamed call: POST with Accept: text/event-stream answers with its events until done; hanging up cancels it (issue 17)', async () => {
    oa.setBehaviour({ latencyMs: 100, tokensPerSecond: 40, completionTokens: 20 });
    const res = await post('/mcp/think_deeper', { problem: 'Stream me in one request' }, { accept: 'text/event-stream' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readSse(res);
    const kinds = events.map((e) => e.event);
    expect(kinds.indexOf('partial')).toBeGreaterThan(-1);
    expect(kinds.indexOf('partial')).toBeLessThan(kinds.indexOf('result'));
    expect(kinds.at(-1)).toBe('done');
    expect(events.at(-1)!.data).toMatchObject({ status: 'completed' });
    const text = events.filter((e) => e.event === 'partial').map((e) => e.data.delta).join('');
    expect(text).toBe((events.find((e) => e.event === 'result')!.data as { result: { text: string } }).result.text);
    // Bad arguments are still a JSON error with their status, not a stream.
    const bad = await post('/mcp/think_deeper', {}, { accept: 'text/event-stream' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_arguments');
    // A client that goes away mid-stream cancels the call, as one that stops waiting does.
    oa.addFault({ kind: 'hang' });
    const ctrl = new AbortController();
    const hung = await call('/mcp/think_deeper', { method: 'POST', body: JSON.stringify({ problem: 'Hang up on me' }), headers: { accept: 'text/event-stream' }, signal: ctrl.signal });
    expect(hung.status).toBe(200);
    const mine = (q: { body: unknown }) => JSON.stringify(q.body).includes('Hang up on me');
    await oa.waitForRequest(mine);
    ctrl.abort();
    await oa.waitForAbort(mine).catch(async (err: Error) => {
      // Say how the request stood (ended before the hang-up? still running, never cancelled?).
      const list = (await (await call('/requests?limit=1')).json()) as { result: { requests: unknown[] } };
      throw new Error(`${err.message}; the latest request: ${JSON.stringify(list.result.requests[0])}`);
    });
  });

  it('a retried streaming call: followers are told it started again, and its last attempt\'s text is the answer (issue 14.4)', async () => {
    or.addFault({ kind: 'drop', afterTokens: 6 });
    or.setBehaviour({ tokensPerSecond: 40, completionTokens: 30 });
    const res = await post('/mcp/query_specific_model?wait=false', { model: 'gemini_pro', description: 'Retry me' });
    const { request_id: id } = (await res.json()) as { request_id: string };
    const events = await readSse(await call(`/requests/${id}/events`));
    const restart = events.findIndex((e) => e.event === 'progress' && e.data.stage === 'started' && e.data.attempt === 2);
    expect(restart).toBeGreaterThan(events.findIndex((e) => e.event === 'partial' && e.data.attempt === 1));
    expect(String(events[restart]!.data.message)).toContain('started again');
    // Every partial names its attempt; the text of the attempt that answered is the answer.
    expect(events.filter((e) => e.event === 'partial').every((e) => typeof e.data.attempt === 'number')).toBe(true);
    const text = events.filter((e) => e.event === 'partial' && e.data.attempt === 2).map((e) => e.data.delta).join('');
    const result = events.find((e) => e.event === 'result')!.data as { result: { text: string; attempt: number } };
    expect(result.result.attempt).toBe(2);
    expect(text).toBe(result.result.text);
  });

  it('a request that ended long ago (its stream gone) still gives every follower its end (issue 12.6)', async () => {
    const res = await post('/mcp/query_specific_model', { model: 'gemini_pro', description: 'Old news' });
    const { result } = (await res.json()) as { result: { request_id: string } };
    const redis = stack.client();
    try {
      // As when ORCH_FINISHED_EVENTS_TTL_SECONDS has passed.
      expect(await redis.del(`orch:req:{${result.request_id}}:events`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    const events = await readSse(await call(`/requests/${result.request_id}/events`));
    expect(events.map((e) => e.event)).toEqual(['done']);
    expect(events[0]!.data).toMatchObject({ status: 'completed', requestId: result.request_id });
    const final = (await (await call(`/requests/${result.request_id}`)).json()) as { result: { status: string; output: { answers: unknown[] } } };
    expect(final.result.output.answers).toHaveLength(1);
  });

  it('/spend pages its per-request records (issue 12.6)', async () => {
    for (let i = 0; i < 3; i++) expect((await post('/mcp/query_specific_model', { model: 'gemini_pro', description: `page ${i}` })).status).toBe(200);
    type Page = { result: { by_request: Record<string, number>; by_request_cursor: string; request_count: number } };
    const first = (await (await call('/spend?limit=2')).json()) as Page;
    expect(first.result.request_count).toBeGreaterThanOrEqual(3);
    const seen = new Set(Object.keys(first.result.by_request));
    let cursor = first.result.by_request_cursor;
    while (cursor !== '0') {
      const page = (await (await call(`/spend?limit=2&cursor=${cursor}`)).json()) as Page;
      for (const k of Object.keys(page.result.by_request)) seen.add(k);
      cursor = page.result.by_request_cursor;
    }
    expect(seen.size).toBe(first.result.request_count);
    expect((await call('/spend?limit=0')).status).toBe(400);
  });

  it('DELETE /requests/:id cancels a running request and aborts the provider call', async () => {
    oa.addFault({ kind: 'hang' });
    const res = await post('/mcp/think_deeper?wait=false', { problem: 'Hang forever' });
    const { request_id: id } = (await res.json()) as { request_id: string };
    // This call's own request (an earlier test's aborted call must not stand in for it).
    const mine = (q: { body: unknown }) => JSON.stringify(q.body).includes('Hang forever');
    await oa.waitForRequest(mine);
    const del = await call(`/requests/${id}`, { method: 'DELETE' });
    expect(((await del.json()) as { result: { cancelled: boolean } }).result.cancelled).toBe(true);
    await oa.waitForAbort(mine);
  });

  it('clear errors with stable codes and statuses; the server keeps serving', async () => {
    const expectError = async (res: Response, status: number, code: string, text?: string) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { success: boolean; error: { code: string; message: string } };
      expect(body.success).toBe(false);
      expect(body.error.code).toBe(code);
      if (text) expect(body.error.message).toContain(text);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/);
    };
    await expectError(await call('/mcp/list_models', { method: 'POST', body: '{bad json' }), 400, 'invalid_arguments', 'not valid JSON');
    await expectError(await post('/mcp/nope', {}), 404, 'unknown_tool');
    await expectError(await post('/mcp/orchestrate_task', { description: 7 }), 400, 'invalid_arguments', 'description');
    await expectError(await post('/mcp/orchestrate_task', { description: 'x'.repeat(2_000_000) }), 413, 'payload_too_large');
    await expectError(await fetch(`${base}/mcp/list_models`, { method: 'POST' }), 401, 'unauthorized');
    await expectError(await fetch(`${base}/mcp/list_models`, { method: 'POST', headers: { authorization: 'Bearer wrong' } }), 401, 'unauthorized');
    await expectError(await post('/mcp/code_review', { files: ['/etc/passwd'] }), 400, 'invalid_arguments', 'only by the MCP gateway');
    await expectError(await call('/requests/nope'), 404, 'not_found');
    expect((await post('/mcp/list_models', {})).status).toBe(200);
  });

  it('real answers match the OpenAPI document: tool calls (200, 202, 4xx), requests, spend, tools', async () => {
    type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>; components: { schemas: Record<string, unknown> } };
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as Doc;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    // The document's $refs point into its components: inline them, then validate each answer.
    const inline = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(inline) : v && typeof v === 'object'
        ? ('$ref' in v && typeof (v as { $ref: unknown }).$ref === 'string' && (v as { $ref: string }).$ref.startsWith('#/components/schemas/')
          ? inline(doc.components.schemas[(v as { $ref: string }).$ref.slice('#/components/schemas/'.length)])
          : Object.fromEntries(Object.entries(v).filter(([k]) => k !== '$schema').map(([k, x]) => [k, inline(x)])))
        : v;
    const check = async (path: string, method: string, res: Response) => {
      const spec = doc.paths[path]![method]!.responses[String(res.status)];
      expect({ path, method, status: res.status, documented: spec !== undefined }).toEqual({ path, method, status: res.status, documented: true });
      const schema = spec!.content?.['application/json']?.schema;
      const body = (await res.json()) as unknown;
      if (!schema) return body;
      const validate = ajv.compile(inline(schema) as object);
      expect({ path, status: res.status, errors: validate(body) ? null : validate.errors }).toEqual({ path, status: res.status, errors: null });
      return body;
    };
    const done = (await check('/mcp/query_specific_model', 'post', await post('/mcp/query_specific_model', { model: 'gemini_pro', description: 'Validate me' }))) as { result: { request_id: string } };
    await check('/mcp/list_models', 'post', await post('/mcp/list_models', {}));
    await check('/mcp/think_deeper', 'post', await post('/mcp/think_deeper?wait=false', { problem: 'Validate me too' }));
    await check('/mcp/orchestrate_task', 'post', await post('/mcp/orchestrate_task', { strategy: 'fastest' }));
    await check('/mcp', 'post', await post('/mcp', { method: 'get_orchestrator_status', params: {} }));
    await check('/requests/{id}', 'get', await call(`/requests/${done.result.request_id}`));
    await check('/requests/{id}', 'get', await call('/requests/no-such-request'));
    await check('/requests', 'get', await call('/requests?limit=5'));
    await check('/spend', 'get', await call('/spend?limit=2'));
    await check('/tools', 'get', await call('/tools'));
  });

  it('serves an OpenAPI 3.1 document generated from the contracts, docs, health and metrics', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, { post?: { requestBody: { content: { 'application/json': { schema: { required?: string[] } } } } } }> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/mcp/orchestrate_task']!.post!.requestBody.content['application/json'].schema.required).toEqual(['description']);
    const docs = await fetch(`${base}/docs`);
    expect(docs.headers.get('content-type')).toContain('text/html');
    // Offline: the page and everything it loads come from the bridge itself.
    const page = await docs.text();
    expect(page).not.toMatch(/https?:\/\//);
    expect(docs.headers.get('content-security-policy')).not.toMatch(/https?:/);
    for (const asset of [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)) {
      const res = await fetch(`${base}${asset}`);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
    }
    expect(await (await fetch(`${base}/docs/init.js`)).text()).toContain("url: '/openapi.json'");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // Keys are set: metrics need the admin key; a caller key sees no global figures (issues 12.7, 31.9).
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await call('/metrics')).status).toBe(401);
    expect(await (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer rest-test-admin-key-0123' } })).text()).toContain('process_cpu_seconds_total');
    // Or on an operator-chosen address of its own, open to whoever reaches it.
    expect(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()).toContain('process_cpu_seconds_total');
  });

  describe('hostile input (issue 12)', () => {
    const expectCode = async (res: Response, status: number, code: string, text?: string) => {
      const body = await res.text();
      expect(`${res.status} ${body}`).toMatch(new RegExp(`^${status} `));
      const parsed = JSON.parse(body) as { error: { code: string; message: string } };
      expect(parsed.error.code).toBe(code);
      if (text) expect(parsed.error.message).toContain(text);
      expect(body).not.toMatch(/at .*\.js:\d+/);
    };
    /** A raw request (fetch will not send a foreign Host, a bad escape or a lying encoding). */
    const raw = (path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}) =>
      new Promise<Response>((resolve, reject) => {
        const req = httpRequest(`${base}${path}`, { method: opts.method ?? 'GET', headers: { authorization: `Bearer ${KEY}`, ...opts.headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0 })));
        });
        req.on('error', reject);
        req.end(opts.body);
      });

    it('tool names that are Object.prototype keys are unknown tools, not 500s (12.4)', async () => {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        await expectCode(await post(`/mcp/${name}`, {}), 404, 'unknown_tool');
        await expectCode(await post('/mcp', { method: name, params: {} }), 404, 'unknown_tool');
      }
    });

    it('bad charsets, encodings, escapes and deep nesting get 4xx with a clear code (12.4)', async () => {
      const json = { 'content-type': 'application/json' };
      await expectCode(await raw('/mcp/list_models', { method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' }), 415, 'invalid_arguments', 'UTF-8');
      await expectCode(await raw('/mcp/list_models', { method: 'POST', headers: { ...json, 'content-encoding': 'deflate' }, body: '{}' }), 400, 'invalid_arguments');
      await expectCode(await raw('/mcp/list_models', { method: 'POST', headers: { ...json, 'content-encoding': 'foo' }, body: '{}' }), 415, 'invalid_arguments', 'Content-Encoding');
      await expectCode(await raw('/requests/%ZZ'), 400, 'invalid_arguments', '%-escape');
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      await expectCode(await raw('/mcp/list_models', { method: 'POST', headers: json, body: deep }), 400, 'invalid_arguments', 'deeper than 64');
      await expectCode(await raw('/mcp/list_models', { method: 'POST', headers: json, body: `{"a":${'{"a":'.repeat(100)}1${'}'.repeat(101)}` }), 400, 'invalid_arguments', 'deeper than 64');
      expect((await post('/mcp/list_models', {})).status).toBe(200);
    });

    it('refuses a foreign Host (DNS rebinding) except on the probes (12.3)', async () => {
      await expectCode(await raw('/requests', { headers: { host: 'attacker.example' } }), 403, 'forbidden', 'ORCH_ALLOWED_HOSTS');
      await expectCode(await raw('/openapi.json', { headers: { host: 'attacker.example:5050' } }), 403, 'forbidden');
      expect((await raw('/healthz', { headers: { host: '10.1.2.3:5050' } })).status).toBe(200);
      expect((await raw('/requests', { headers: { host: `localhost:${new URL(base).port}` } })).status).toBe(200);
    });

    it('an event id Redis would reject is refused for that caller alone; other followers go on (12.1)', async () => {
      oa.setBehaviour({ latencyMs: 300, tokensPerSecond: 40, completionTokens: 20 });
      const res = await post('/mcp/think_deeper?wait=false', { problem: 'Follow me' });
      const { request_id: id } = (await res.json()) as { request_id: string };
      await expectCode(await call(`/requests/${id}/events`, { headers: { 'last-event-id': '99999999999999999999' } }), 400, 'invalid_arguments', 'Last-Event-ID');
      await expectCode(await call(`/requests/${id}/events?after=1-99999999999999999999`), 400, 'invalid_arguments', 'after');
      const events = await readSse(await call(`/requests/${id}/events`));
      expect(events.at(-1)!.event).toBe('done');
    });
  });
});
