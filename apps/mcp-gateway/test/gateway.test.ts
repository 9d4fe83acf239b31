import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { JobResultOutputSchema, ListThreadsOutputSchema, ModelToolOutputSchema, TOOL_CONTRACTS, TOOL_NAMES } from '@orch/contracts';
import { countO200kTokens } from '@orch/ledger';
import { z } from 'zod';
import { faults, freePort, spawnService, startFakeStack, type FakeProvider, type FakeStack, type ServiceProcess } from '@orch/testing';

const GATEWAY = join(__dirname, '..', 'dist', 'main.js');
const WORKER_OPENAI = join(__dirname, '..', '..', 'worker-openai', 'dist', 'main.js');
const WORKER_OPENROUTER = join(__dirname, '..', '..', 'worker-openrouter', 'dist', 'main.js');
const root = mkdtempSync(join(tmpdir(), 'gateway-files-'));
const file = join(root, 'handler.ts');
writeFileSync(file, 'export function handler(req) { return eval(req.body); }\n');

type Structured = Record<string, unknown>;
const structured = (r: unknown) => (r as { structuredContent: Structured }).structuredContent;
/** A tool's structured content read with its output schema, as a client holding the contracts would. */
const outputOf = <S extends z.ZodType>(schema: S, r: unknown): z.output<S> => schema.parse(structured(r));
const textOf = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0]?.text ?? '');

/** One representative, valid call per tool. */
const CALLS: Record<(typeof TOOL_NAMES)[number], Record<string, unknown> | ((ids: { requestId: string }) => Record<string, unknown>)> = {
  orchestrate_task: { description: 'Should we shard the users table?' },
  analyze_task: { description: 'Review the architecture of our distributed cache' },
  query_specific_model: { model: 'gemini_pro', description: 'One risk of eval?' },
  code_review: { files: [file], review_type: 'security' },
  think_deeper: { problem: 'Is this lock-free queue correct?', thinking_mode: 'low' },
  multi_model_review: { task: 'Move sessions to Redis' },
  comparative_analysis: { options: ['REST', 'gRPC'], criteria: ['latency'] },
  review_changes: { repo_paths: [root] },
  get_orchestrator_status: {},
  update_session_context: { context: { project: 'payments' } },
  configure_orchestrator: { thinking_mode: 'low' },
  list_models: {},
  get_job_result: ({ requestId }) => ({ request_id: requestId }),
  cancel_request: ({ requestId }) => ({ request_id: requestId }),
  list_threads: {},
  get_thread: ({ requestId }) => ({ continuation_id: requestId }),
};

describe('MCP gateway driven by the SDK Client', () => {
  let stack: FakeStack;
  let or: FakeProvider;
  let oa: FakeProvider;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    stack = await startFakeStack();
    ({ openrouter: or, openai: oa } = stack);
    // review_changes needs a repository with a change.
    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...a], { cwd: root });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'init');
    writeFileSync(file, 'export function handler(req) { return JSON.parse(req.body); }\n');
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    stack.reset();
  });
  afterAll(() => stack.stop());

  let prefixSeq = 0;
  const env = (extra: Record<string, string> = {}): Record<string, string> =>
    stack.env({ ORCH_FILE_ROOTS: root, ORCH_QUEUE_PREFIX: `g${++prefixSeq}`, WORKER_ATTEMPTS: '2', WORKER_BACKOFF_MS: '100', MCP_LOG_LEVEL: 'warn', ...extra });

  async function stdioClient(extra: Record<string, string> = {}) {
    const transport = new StdioClientTransport({ command: process.execPath, args: [GATEWAY, '--stdio', '--with-workers'], env: { PATH: process.env.PATH ?? '', ...env(extra) }, stderr: 'pipe' });
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    return client;
  }

  async function httpStack(extra: Record<string, string> = {}) {
    const port = await freePort();
    const e = env({ MCP_HTTP_PORT: String(port), MCP_LOG_LEVEL: 'info', ...extra });
    procs.push(
      await spawnService({ script: WORKER_OPENAI, env: e, readyText: 'provider worker started' }),
      await spawnService({ script: WORKER_OPENROUTER, env: e, readyText: 'provider worker started' }),
    );
    const gw = await spawnService({ script: GATEWAY, env: { ...e, MCP_TRANSPORT: 'http' }, readyText: 'MCP Streamable HTTP listening' });
    procs.push(gw);
    return { url: `http://127.0.0.1:${port}/mcp`, gw };
  }

  it('stdio: lists every tool with schemas and hints, and every tool returns a valid result', async () => {
    const client = await stdioClient();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
      for (const t of tools) {
        expect(t.description?.length).toBeGreaterThan(20);
        expect(t.outputSchema).toBeDefined();
        expect(t.annotations?.readOnlyHint).toBeDefined();
        expect(t.annotations?.openWorldHint).toBeDefined();
      }
      let requestId = '';
      for (const name of TOOL_NAMES) {
        const spec = CALLS[name];
        const args = typeof spec === 'function' ? spec({ requestId }) : spec;
        // Client.callTool checks structuredContent against each tool's outputSchema.
        const r = await client.callTool({ name, arguments: args });
        expect({ name, isError: r.isError ?? false, text: r.isError ? textOf(r) : '' }).toEqual({ name, isError: false, text: '' });
        const s = structured(r);
        if ('request_id' in s && !requestId) requestId = String(s.request_id);
        if (s.status === 'completed' && 'answers' in s) expect(outputOf(ModelToolOutputSchema, r).answers.length).toBeGreaterThan(0);
        // A multi-model answer carries its structured verdict and its members (issue 30.1), schema-checked by the SDK.
        if (s.synthesis) expect(s).toMatchObject({ verdict: expect.objectContaining({ recommendation: expect.any(String), confidence: expect.any(Number) }), members: expect.arrayContaining([expect.objectContaining({ role: 'member' })]) });
      }
      expect(JSON.stringify(or.requests.map((q) => q.body.messages))).toContain('JSON.parse(req.body)');
    } finally {
      await client.close();
    }
  });

  it('tools/list costs a caller at most 5,000 tokens (o200k), its input schemas at most 3,000, with every input field documented (issues 14.7, 27.5)', async () => {
    const client = await stdioClient();
    try {
      const { tools } = await client.listTools();
      const total = countO200kTokens(JSON.stringify({ tools }));
      const inputs = countO200kTokens(JSON.stringify(tools.map((t) => t.inputSchema)));
      expect({ total, inputs, within: total <= 5000 && inputs <= 3000 }).toEqual({ total, inputs, within: true });
      for (const t of tools) {
        // Every input field the contract has is listed, with a description where the contract gives one.
        const contract = z.toJSONSchema(TOOL_CONTRACTS[t.name as keyof typeof TOOL_CONTRACTS].input, { io: 'input' }) as { properties?: Record<string, { description?: string }> };
        const listed = (t.inputSchema as { properties?: Record<string, { description?: string }> }).properties ?? {};
        expect(Object.keys(listed).sort()).toEqual(Object.keys(contract.properties ?? {}).sort());
        for (const [field, s] of Object.entries(contract.properties ?? {})) if (s.description) expect(listed[field]?.description).toBe(s.description);
        // Every output field the tool can return is listed too (nested ones as bare objects and
        // arrays): not a council's on a tool without `council`, nor a multi-model one on a tool
        // that asks one model (no `models`).
        const out = z.toJSONSchema(TOOL_CONTRACTS[t.name as keyof typeof TOOL_CONTRACTS].output, { io: 'output' }) as { properties?: Record<string, unknown> };
        const never = [...(listed.council ? [] : ['council', 'vote']), ...(listed.models ? [] : ['synthesis', 'agreement', 'verdict', 'verdict_error', 'members', 'escalated'])];
        expect(Object.keys((t.outputSchema as { properties?: object }).properties ?? {}).sort()).toEqual(Object.keys(out.properties ?? {}).filter((f) => !never.includes(f)).sort());
      }
    } finally {
      await client.close();
    }
  });

  it('stdio: malformed params of initialize are -32602 naming the field, and the connection still opens', async () => {
    const child = spawn(process.execPath, [GATEWAY, '--stdio'], { env: { PATH: process.env.PATH ?? '', ...env() }, stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      const lines = createInterface({ input: child.stdout! });
      const next = () => new Promise<Record<string, unknown>>((resolve) => lines.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>)));
      let answer = next();
      child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { capabilities: {} } })}\n`);
      expect(await answer).toMatchObject({ id: 1, error: { code: -32602, message: expect.stringContaining('params.protocolVersion') } });
      answer = next();
      child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`);
      expect(await answer).toMatchObject({ id: 2, result: { protocolVersion: '2025-06-18' } });
    } finally {
      child.kill();
    }
  });

  it('stdio: bad arguments get a clear error naming the field; the server keeps serving', async () => {
    const client = await stdioClient();
    try {
      const r = await client.callTool({ name: 'orchestrate_task', arguments: { strategy: 'fastest' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/description/);
      expect(textOf(r)).toMatch(/strategy/);
      const ok = await client.callTool({ name: 'list_models', arguments: {} });
      expect(ok.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  /**
   * Issue 14.1: the SDK's Client.callTool validates structured content against the tool's output
   * schema; an error must come back as a tool error it accepts, whose text names the code and cause.
   */
  async function expectErrors(connect: (extra: Record<string, string>) => Promise<{ client: Client; stop?: () => Promise<void> }>) {
    const expectError = async (client: Client, name: string, args: Record<string, unknown>, code: string, cause: RegExp) => {
      const r = await client.callTool({ name, arguments: args });
      expect({ name, isError: r.isError }).toEqual({ name, isError: true });
      expect(textOf(r)).toContain(code);
      expect(textOf(r)).toMatch(cause);
    };
    // A per-request limit far below any call, and a rate limit of 6 calls a minute (counted from
    // now: the caller's earlier calls in this file are forgotten).
    const redis = stack.client();
    for (const key of await stack.keys('orch:rl*')) await redis.del(key);
    redis.disconnect();
    const { client, stop } = await connect({ MCP_MAX_COST_PER_REQUEST: '0.000001', ORCH_RATE_LIMIT: '6' });
    try {
      // As Claude Code does: the tools are listed first, so the client knows their output schemas.
      await client.listTools();
      await expectError(client, 'query_specific_model', { model: 'no_such_model', description: 'Hi' }, 'Error (unknown_model)', /no_such_model/);
      await expectError(client, 'query_specific_model', { model: 'gemini_pro', description: 'Hi' }, 'budget_exceeded', /per-request limit/);
      await expectError(client, 'query_specific_model', { model: 'gemini_pro', description: 'Hi', file_paths: ['/etc/hostname'] }, 'Error (invalid_arguments)', /file_paths\.0: \/etc\/hostname is outside the allowed roots/);
      await expectError(client, 'get_job_result', { request_id: 'no-such-request' }, 'Error (not_found)', /no-such-request/);
      await expectError(client, 'orchestrate_task', { strategy: 'fastest' }, 'Error (invalid_arguments)', /description/);
      // The rate limit (6 a minute per caller) runs out within a few more calls.
      let limited: Awaited<ReturnType<Client['callTool']>> | undefined;
      for (let i = 0; i < 8 && !limited; i++) {
        const r = await client.callTool({ name: 'list_models', arguments: {} });
        if (r.isError) limited = r;
      }
      expect(textOf(limited)).toMatch(/^Error \(rate_limited\): Rate limit: 6 tool calls per 60 s/);
    } finally {
      await client.close();
      await stop?.();
    }
  }

  it('stdio: the SDK client reads every error: unknown model, budget, file outside roots, unknown request, invalid arguments, rate limit', async () => {
    await expectErrors(async (extra) => ({ client: await stdioClient(extra) }));
  });

  it('HTTP: the SDK client reads every error: unknown model, budget, file outside roots, unknown request, invalid arguments, rate limit', async () => {
    await expectErrors(async (extra) => {
      const { url } = await httpStack(extra);
      const client = new Client({ name: 'test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return { client };
    });
  });

  it('stdio: progress notifications while a slow model works, and cancelling aborts the provider call', async () => {
    oa.setBehaviour({ latencyMs: 1500, tokensPerSecond: 20 });
    const client = await stdioClient({ MCP_SYNC_WAIT_SECONDS: '30' });
    try {
      const messages: string[] = [];
      const r = await client.callTool({ name: 'think_deeper', arguments: { problem: 'Slow one' } }, CallToolResultSchema, {
        onprogress: (p) => messages.push(p.message ?? ''),
        resetTimeoutOnProgress: true,
      });
      expect(structured(r).status).toBe('completed');
      expect(messages.length).toBeGreaterThan(1);
      expect(messages.some((m) => m.includes('o3_architect'))).toBe(true);
      // The first notification names the request, so a client cut off mid-call can fetch it by id.
      expect(messages[0]).toBe(`request ${structured(r).request_id}: ${messages[0]!.split(': ').slice(1).join(': ')}`);
      expect(messages[0]).toMatch(/^request \w{26}: /);

      oa.setBehaviour({ latencyMs: 0, tokensPerSecond: 0 });
      oa.addFault({ kind: 'hang' });
      const ctrl = new AbortController();
      const pending = client.callTool({ name: 'think_deeper', arguments: { problem: 'Never ends' } }, CallToolResultSchema, { signal: ctrl.signal });
      await oa.waitForRequest((q) => JSON.stringify(q.body.messages).includes('Never ends'));
      ctrl.abort();
      await expect(pending).rejects.toThrow();
      await oa.waitForAbort((q) => JSON.stringify(q.body.messages).includes('Never ends'));
    } finally {
      await client.close();
    }
  });

  it('HTTP: a call slower than the sync window returns a request id; get_job_result returns the full result', async () => {
    oa.setBehaviour({ latencyMs: 2500 });
    const { url } = await httpStack({ MCP_SYNC_WAIT_SECONDS: '1', ORCH_API_KEYS: 'secret-key-1' });
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: 'Bearer secret-key-1' } } }));
    try {
      const r = await client.callTool({ name: 'think_deeper', arguments: { problem: 'Takes a while' } });
      const first = outputOf(ModelToolOutputSchema, r);
      expect(first.status).toBe('running');
      expect(textOf(r)).toContain('get_job_result');
      const later = await client.callTool({ name: 'get_job_result', arguments: { request_id: first.request_id, wait_seconds: 20 } });
      const j = outputOf(JobResultOutputSchema, later);
      expect(j.status).toBe('completed');
      expect(j.output!.answers[0]!.text).toContain('[o3] echo:');
      expect(textOf(later)).toContain('💰 Cost:');
    } finally {
      await client.close();
    }
  });

  it('HTTP: a council with one failing model still answers (workers in their own processes)', async () => {
    oa.addFault({ ...faults.outOfCredits(), times: 10 });
    const { url } = await httpStack();
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      const r = await client.callTool({ name: 'orchestrate_task', arguments: { description: 'Which queue?', strategy: 'max_quality_council' } });
      const o = outputOf(ModelToolOutputSchema, r);
      expect(o.status).toBe('completed');
      expect(o.answers.map((a) => a.model)).toEqual(['gemini_pro']);
      expect(o.failures[0]!.model).toBe('o3_architect');
      expect(o.synthesis?.role).toBe('judge');
    } finally {
      await client.close();
    }
  });

  it('HTTP (issue 30): a caller sets vote as its default council; a council then answers with a tally the SDK validates; its conversation is listed', async () => {
    const ballot = (choice: string) => `Because.\n\n\`\`\`json\n${JSON.stringify({ choice, confidence: 0.9, rationale: 'r' })}\n\`\`\``;
    or.setBehaviour({ answer: () => ballot('Postgres') });
    oa.setBehaviour({ answer: () => ballot('postgres') });
    const { url } = await httpStack();
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      expect(structured(await client.callTool({ name: 'configure_orchestrator', arguments: { council: 'vote' } }))).toMatchObject({ settings: { council: 'vote' } });
      const o = outputOf(ModelToolOutputSchema, await client.callTool({ name: 'orchestrate_task', arguments: { description: 'Which database?' } }));
      expect(o).toMatchObject({ status: 'completed', council: 'vote', vote: { winner: 'Postgres', met: true } });
      const threads = outputOf(ListThreadsOutputSchema, await client.callTool({ name: 'list_threads', arguments: { limit: 5 } }));
      expect(threads.threads[0]!.continuation_id).toBe(o.continuation_id);
      await client.callTool({ name: 'configure_orchestrator', arguments: { reset: true } });
    } finally {
      await client.close();
    }
  });

  it('HTTP: bearer keys, Host and Origin checks, unknown session ids, methods and bad JSON', async () => {
    const { url } = await httpStack({ ORCH_API_KEYS: 'k-one-123,k-two-456' });
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } } };
    const post = (headers: Record<string, string>, body: unknown = init) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post({ authorization: 'Bearer k-two-456' })).status).toBe(200);
    expect((await post({ authorization: 'Bearer k-one-123', origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ authorization: 'Bearer k-one-123', 'mcp-session-id': 'abc' })).status).toBe(404);
    const bad = await post({ authorization: 'Bearer k-one-123' }, '{not json');
    expect(bad.status).toBe(400);
    // One error path: JSON-RPC's code, and ours (with whether to retry) in its data.
    const message = 'Parse error: the body is not valid JSON';
    expect(await bad.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message, data: { code: 'invalid_arguments', message, retryable: false } }, id: null });
    const refused = await post({ authorization: 'Bearer wrong' });
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ code: -32001, data: { code: 'unauthorized', retryable: false } });
    expect((await fetch(url, { headers: { authorization: 'Bearer k-one-123' } })).status).toBe(405);
    // DNS rebinding: a foreign Host header is refused (raw request: fetch will not forge Host).
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(url);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(init));
    });
    expect(status).toBe(403);
    expect((await fetch(url.replace('/mcp', '/healthz'))).status).toBe(200);
    expect((await fetch(url.replace('/mcp', '/readyz'))).status).toBe(200);

    // Issue 12.4: malformed params are -32602 (not -32603), deep nesting and bad charsets are 4xx.
    const auth = { authorization: 'Bearer k-one-123' };
    const rpcError = async (body: unknown) => {
      const res = await post(auth, body);
      const text = await res.text();
      const data = text.split('\n').find((l) => l.startsWith('data: '));
      return { status: res.status, error: (JSON.parse(data ? data.slice(6) : text) as { error?: { code: number; message: string } }).error };
    };
    // The SDK's message names the request and each field: `Invalid tools/call request: [… "path": ["params", "arguments"] …]`.
    for (const [params, field] of [[{ name: 'list_models', arguments: 'x' }, 'arguments'], [{ name: 5 }, 'name'], [{ name: 'list_models', arguments: [1] }, 'arguments'], [undefined, 'params']] as const) {
      const { error } = await rpcError({ jsonrpc: '2.0', id: 2, method: 'tools/call', ...(params ? { params } : {}) });
      expect(error).toMatchObject({ code: -32602, message: expect.stringContaining('Invalid tools/call request') });
      expect(error?.message).toContain(`"${field}"`);
    }
    // The requests the SDK answers itself (initialize, tools/list, logging/setLevel) too (issue 27):
    // it reported their bad params as -32603 with raw schema issues.
    for (const [method, params, field] of [['initialize', {}, 'params.protocolVersion'], ['tools/list', { cursor: 5 }, 'params.cursor'], ['logging/setLevel', { level: 5 }, 'params.level']] as const) {
      const { error } = await rpcError({ jsonrpc: '2.0', id: 4, method, params });
      expect({ method, error }).toEqual({ method, error: { code: -32602, message: expect.stringMatching(new RegExp(`^Invalid params: ${field.replace('.', '\\.')}: `)) } });
    }
    const deep = await post(auth, `{"jsonrpc":"2.0","id":3,"method":"ping","params":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: { code: number } }).error.code).toBe(-32600);
    expect((await post({ ...auth, 'content-type': 'application/json; charset=latin1' })).status).toBe(415);
  });
});
