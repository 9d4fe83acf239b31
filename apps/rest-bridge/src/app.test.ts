import type { AddressInfo } from 'node:net';
import { request as httpRequest, type Server } from 'node:http';
import { PassThrough } from 'node:stream';
import { createLogger } from '@orch/logging';
import type { ModelToolOutput, ToolOutput } from '@orch/contracts';
import type { Orchestrator, ToolResult } from '@orch/orchestration';
import { STATUS_BY_CODE } from '@orch/door';
import { createRestApp } from './app';

/** Tool outputs of their schemas, as the orchestrator would answer them. */
const noModels: ToolOutput<'list_models'> = { models: [], default_strategy: 'external_enhancement' };
const modelOutput = (o: Pick<ModelToolOutput, 'request_id' | 'tool' | 'status'> & Partial<ModelToolOutput>): ModelToolOutput => ({
  answers: [], failures: [], totals: { models: [], prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 }, ...o,
});

/**
 * The REST routes in-process, over an orchestrator stand-in: how each kind of tool answer (done,
 * running, error, a request that ended failed) maps to a status and a body, in one place. The
 * whole-stack tests in test/ drive the same routes over real processes.
 */
describe('REST routes in-process', () => {
  let server: Server;
  let base = '';
  let next: ToolResult;
  const logged = new PassThrough();
  let logText = '';
  logged.on('data', (d: Buffer) => (logText += d.toString()));
  const calls: Array<{ tool: string; args: unknown; syncWaitMs: number | undefined }> = [];

  // No keys configured: every caller is `local`, as the real ApiKeys answers.
  const authenticate = async () => ({ id: 'local', fileAccess: false });

  beforeAll(async () => {
    const orchestrator = {
      authenticate,
      callTool: async (tool: string, args: unknown, _caller: unknown, opts: { syncWaitMs?: number }) => {
        calls.push({ tool, args, syncWaitMs: opts.syncWaitMs });
        return next;
      },
      // The operators' view: no queues here; spend is never reached in these tests.
      admin: { queues: () => ({}), spend: async () => Promise.reject(new Error('not in these tests')) },
    } as unknown as Orchestrator;
    const app = createRestApp({
      orchestrator,
      logger: createLogger({ service: 'test', stream: logged, level: 'warn' }),
      adminKey: 'admin-key-0123456789abcdef',
      allowedOrigins: ['http://good.example'],
      allowedHosts: [],
      syncWaitMs: 1234,
      isReady: async () => true,
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('done → 200 with the output; the seed form POST /mcp {method, params} too', async () => {
    next = { kind: 'done', tool: 'list_models', structured: noModels, text: '', failed: false };
    for (const res of [await post('/mcp/list_models', {}), await post('/mcp', { method: 'list_models', params: {} })]) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ success: true, tool: 'list_models', result: { models: [] } });
    }
    expect(calls.at(-1)).toEqual({ tool: 'list_models', args: {}, syncWaitMs: 1234 });
  });

  it('running → 202 with Location and the links to follow it; ?wait=false asks for it at once', async () => {
    next = { kind: 'running', tool: 'think_deeper', structured: modelOutput({ request_id: 'req1', tool: 'think_deeper', status: 'running' }), text: '', requestId: 'req1' };
    const res = await post('/mcp/think_deeper?wait=false', { problem: 'x' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe('/requests/req1');
    expect(await res.json()).toMatchObject({ success: true, request_id: 'req1', status: 'running', links: { events: '/requests/req1/events' } });
    expect(calls.at(-1)!.syncWaitMs).toBe(0);
  });

  it.each([
    ['invalid_arguments', 400],
    ['unknown_tool', 404],
    ['budget_exceeded', 402],
    ['rate_limited', 429],
    ['unavailable', 503],
    ['provider_timeout', 504],
  ] as const)('error %s → %i with the error body, and Retry-After where it applies', async (code, status) => {
    next = { kind: 'error', tool: 'x', error: { code, message: `m ${code}`, retryable: code === 'rate_limited' || code === 'unavailable', details: { retry_after_seconds: 7 } }, text: '' };
    const res = await post('/mcp/x', {});
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ success: false, error: { code, message: `m ${code}` } });
    expect(res.headers.get('retry-after')).toBe(code === 'rate_limited' || code === 'unavailable' ? '7' : null);
  });

  it('a request that ended failed → its error\'s status, with the output beside it', async () => {
    const output = modelOutput({ request_id: 'r2', tool: 'query_specific_model', status: 'failed', error: { code: 'provider_quota', message: 'out of credits', retryable: false } });
    next = { kind: 'done', tool: 'query_specific_model', structured: output, text: '', failed: true, requestId: 'r2' };
    const res = await post('/mcp/query_specific_model', { model: 'm', description: 'd' });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ success: false, error: { code: 'provider_quota' }, result: { request_id: 'r2' } });
  });

  it('a body that is not JSON, or too deep, is 400 without reaching the orchestrator', async () => {
    const before = calls.length;
    const bad = await fetch(`${base}/mcp/list_models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(bad.status).toBe(400);
    const deep = await fetch(`${base}/mcp/list_models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `${'['.repeat(100)}${']'.repeat(100)}` });
    expect(deep.status).toBe(400);
    expect(calls.length).toBe(before);
  });

  it('a refused browser origin gets 403 `forbidden` (the code table\'s 403, not 401\'s `unauthorized`) naming ORCH_ALLOWED_ORIGINS, and the refusal is logged once per origin', async () => {
    next = { kind: 'done', tool: 'list_models', structured: noModels, text: '', failed: false };
    const bad = (origin: string) => fetch(`${base}/mcp/list_models`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: '{}' });
    for (let i = 0; i < 3; i++) {
      const res = await bad('http://evil.example');
      expect(res.status).toBe(403);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('forbidden');
      expect(error.message).toContain('ORCH_ALLOWED_ORIGINS');
    }
    expect((await bad('http://good.example')).status).toBe(200);
    const lines = logText.split('\n').filter((l) => l.includes('refused a browser origin'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('ORCH_ALLOWED_ORIGINS=http://evil.example');
  });

  it('accepts its own pages (same origin: /docs) and listed origins; a page on another localhost port is refused (issue 31.7)', async () => {
    const app = createRestApp({
      orchestrator: { authenticate, callTool: async () => next } as unknown as Orchestrator,
      logger: createLogger({ service: 'test', stream: new PassThrough(), level: 'error' }),
      allowedOrigins: ['http://127.0.0.1:8000'],
      allowedHosts: [],
      syncWaitMs: 1000,
      isReady: async () => true,
    });
    const local = app.listen(0, '127.0.0.1');
    await new Promise((r) => local.once('listening', r));
    try {
      next = { kind: 'done', tool: 'list_models', structured: noModels, text: '', failed: false };
      const port = (local.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}/mcp/list_models`;
      const from = (origin: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: '{}' });
      expect((await from(`http://127.0.0.1:${port}`)).status).toBe(200);
      expect((await from('http://127.0.0.1:8000')).status).toBe(200);
      expect((await from('http://localhost:3000')).status).toBe(403);
      expect((await from('http://127.0.0.1:8001')).status).toBe(403);
      expect((await from('http://evil.example')).status).toBe(403);
      expect((await from('null')).status).toBe(403);
    } finally {
      await new Promise((r) => local.close(r));
    }
  });

  /** fetch() cannot send another Host: node:http can (a DNS-rebinding page's request). */
  const foreignHost = (path: string) =>
    new Promise<Response>((resolve, reject) => {
      const req = httpRequest(`${base}${path}`, { headers: { host: 'attacker.example' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(new Response(text, { status: res.statusCode ?? 0, headers: { 'content-type': 'application/json' } })));
      });
      req.on('error', reject);
      req.end();
    });

  it('one error path: every refusal answers the status of its code in the table, in the same envelope', async () => {
    next = { kind: 'error', tool: 'think_deeper', error: { code: 'rate_limited', message: 'slow down', retryable: true, details: { retry_after_seconds: 3 } }, text: '' };
    const answers = [
      await post('/mcp/think_deeper', { problem: 'x' }),
      await fetch(`${base}/no/such/endpoint`),
      await foreignHost('/requests'),
      await fetch(`${base}/mcp/list_models`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{}' }),
      await fetch(`${base}/admin/spend`, { headers: { authorization: 'Bearer wrong-admin-key-0000' } }),
      await fetch(`${base}/admin/spend?limit=-4`, { headers: { authorization: 'Bearer admin-key-0123456789abcdef' } }),
    ];
    const seen = [];
    for (const res of answers) {
      const body = (await res.json()) as { success: boolean; error: { code: keyof typeof STATUS_BY_CODE; message: string } };
      expect(body.success).toBe(false);
      expect(body.error.message.length).toBeGreaterThan(0);
      seen.push([res.status, body.error.code]);
      expect(res.status).toBe(STATUS_BY_CODE[body.error.code]);
    }
    expect(seen).toEqual([[429, 'rate_limited'], [404, 'not_found'], [403, 'forbidden'], [403, 'forbidden'], [401, 'unauthorized'], [400, 'invalid_arguments']]);
    expect(answers[0]!.headers.get('retry-after')).toBe('3');
  });
});
